/**
 * Label selectors parse Kubernetes' text syntax and structured form, match with
 * Kubernetes' semantics (`!=` and `notin` select objects without the label), print back in
 * a form that parses to the same selector, and refuse bad input with a message naming the
 * bad part. Field selectors accept only the fields a kind can be selected by.
 */
import {
  EVERYTHING,
  formatLabelSelector,
  isEmptyLabelSelector,
  labelSelectorFromObject,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
  selectableFields,
} from '../../../control-plane/api/selectors.js';
import type { ApiObject } from '../../../control-plane/api/types.js';
import { event, info, node, pod, secret } from './fixtures.js';

const WEB = { app: 'web', tier: 'front', env: 'prod' };
const DB = { app: 'db', tier: 'back' };

function selects(text: string, labels: Record<string, string> | undefined): boolean {
  return matchesLabels(parseLabelSelector(text), labels);
}

describe('parseLabelSelector', () => {
  it('reads every operator', () => {
    expect(parseLabelSelector('app=web,tier==front,env!=dev,zone in (a,b),x notin (y),canary,!legacy').requirements).toEqual([
      { key: 'app', operator: 'Equals', values: ['web'] },
      { key: 'canary', operator: 'Exists', values: [] },
      { key: 'env', operator: 'NotEquals', values: ['dev'] },
      { key: 'legacy', operator: 'DoesNotExist', values: [] },
      { key: 'tier', operator: 'Equals', values: ['front'] },
      { key: 'x', operator: 'NotIn', values: ['y'] },
      { key: 'zone', operator: 'In', values: ['a', 'b'] },
    ]);
  });

  it('tolerates whitespace around tokens', () => {
    const spaced = parseLabelSelector('  app = web ,  tier in ( front , back ) , ! legacy ');
    expect(formatLabelSelector(spaced)).toBe('app=web,!legacy,tier in (back,front)');
  });

  it('selects everything when empty', () => {
    expect(isEmptyLabelSelector(parseLabelSelector(''))).toBe(true);
    expect(isEmptyLabelSelector(parseLabelSelector('   '))).toBe(true);
    expect(selects('', undefined)).toBe(true);
    expect(matchesLabels(EVERYTHING, WEB)).toBe(true);
  });

  it('accepts an empty value after = and domain-prefixed keys', () => {
    expect(parseLabelSelector('tier=').requirements[0]).toEqual({ key: 'tier', operator: 'Equals', values: [''] });
    expect(selects('example.com/team=a', { 'example.com/team': 'a' })).toBe(true);
  });

  it.each([
    ['(', "unable to parse requirement: found '(', expected: identifier"],
    ['app=web,', "unable to parse requirement: found 'end of string', expected: identifier"],
    ['app web', "unable to parse requirement: found 'web', expected: in, notin, =, ==, !="],
    ['!app web', "found 'web', expected: ',' or 'end of string'"],
    ['app in web', "unable to parse requirement: found 'web', expected: '('"],
    ['app in (a', "unable to parse requirement: found 'end of string', expected: ',', ')' or identifier"],
    ['app in (a b)', "unable to parse requirement: found 'b', expected: ',', ')' or identifier"],
    ['!', "unable to parse requirement: found 'end of string', expected: identifier after '!'"],
    ['a>1', "unable to parse requirement: found '>', expected: in, notin, =, ==, !="],
    ['app==(x)', "unable to parse requirement: found '(', expected: identifier"],
  ])('refuses %j: %s', (text, message) => {
    expect(() => parseLabelSelector(text)).toThrow(SelectorError);
    expect(() => parseLabelSelector(text)).toThrow(message);
  });

  it('checks keys and values with the label syntax', () => {
    expect(() => parseLabelSelector('-app=web')).toThrow(/^invalid label key "-app": name part must consist/);
    expect(() => parseLabelSelector('app=we/b')).toThrow(/^invalid label value: "we\/b": at key: "app": a valid label must be/);
    expect(() => parseLabelSelector('app in (ok,-bad)')).toThrow(/invalid label value: "-bad"/);
  });
});

describe('matchesLabels', () => {
  it.each([
    ['app=web', true, false],
    ['app==web,tier=front', true, false],
    ['app!=web', false, true],
    ['env!=prod', false, true], // DB has no env: != selects it
    ['tier in (front,middle)', true, false],
    ['env notin (prod)', false, true], // DB has no env: notin selects it
    ['env', true, false],
    ['!env', false, true],
    ['app=web,!env', false, false],
    ['app in (web,db),tier', true, true],
  ])('%s selects web: %s, db: %s', (text, web, db) => {
    expect(selects(text, WEB)).toBe(web);
    expect(selects(text, DB)).toBe(db);
  });

  it('reads absent labels as no labels', () => {
    expect(selects('app', undefined)).toBe(false);
    expect(selects('!app', undefined)).toBe(true);
    expect(selects('app!=web', undefined)).toBe(true);
  });

  it('does not mistake inherited properties for labels', () => {
    expect(selects('constructor', {})).toBe(false);
    expect(selects('!toString', {})).toBe(true);
  });
});

describe('labelSelectorFromObject', () => {
  it('turns matchLabels into equalities and keeps expressions', () => {
    const selector = labelSelectorFromObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['front', 'edge'] },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    });
    expect(formatLabelSelector(selector)).toBe('app=web,!legacy,tier in (edge,front)');
    expect(matchesLabels(selector, WEB)).toBe(true);
    expect(matchesLabels(selector, { ...WEB, legacy: 'yes' })).toBe(false);
  });

  it('selects everything when empty', () => {
    expect(matchesLabels(labelSelectorFromObject({}), DB)).toBe(true);
  });

  it('refuses unknown operators and misplaced values', () => {
    expect(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] })).toThrow(
      '"Gt" is not a valid label selector operator',
    );
    expect(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] })).toThrow(
      "for 'in', 'notin' operators, values set can't be empty",
    );
    expect(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] })).toThrow(
      'values set must be empty for exists and does not exist',
    );
    expect(() => labelSelectorFromObject({ matchLabels: { 'bad key': 'x' } })).toThrow(SelectorError);
  });
});

describe('formatLabelSelector', () => {
  it('prints what describe shows, and parses back to the same selector', () => {
    const texts = ['app=web,tier in (a,b)', 'app!=web', 'x notin (a,b),y', '!z', 'a=', ''];
    for (const text of texts) {
      const selector = parseLabelSelector(text);
      expect(formatLabelSelector(selector)).toBe(text);
      expect(parseLabelSelector(formatLabelSelector(selector))).toEqual(selector);
    }
  });
});

describe('field selectors', () => {
  const scheduled = (): ApiObject => {
    const object = pod();
    object.spec!.nodeName = 'n1';
    object.status = { phase: 'Running', podIP: '10.244.1.5' };
    return object;
  };

  it('selects pods by node and phase', () => {
    const selector = parseFieldSelector('spec.nodeName=n1,status.phase!=Failed', info('Pod'));
    expect(selector.requirements).toEqual([
      { field: 'spec.nodeName', operator: '=', value: 'n1' },
      { field: 'status.phase', operator: '!=', value: 'Failed' },
    ]);
    expect(matchesFields(selector, scheduled())).toBe(true);
    expect(matchesFields(parseFieldSelector('spec.nodeName==n2', info('Pod')), scheduled())).toBe(false);
  });

  it('reads a missing field as empty, so unscheduled pods are spec.nodeName=', () => {
    const unscheduled = parseFieldSelector('spec.nodeName=', info('Pod'));
    expect(matchesFields(unscheduled, pod())).toBe(true);
    expect(matchesFields(unscheduled, scheduled())).toBe(false);
    expect(matchesFields(parseFieldSelector('status.podIP!=', info('Pod')), scheduled())).toBe(true);
  });

  it('selects by name and namespace for every kind', () => {
    for (const kind of ['Pod', 'Deployment', 'Lease', 'ConfigMap']) {
      expect(selectableFields(info(kind))).toEqual(expect.arrayContaining(['metadata.name', 'metadata.namespace']));
    }
    expect(matchesFields(parseFieldSelector('metadata.name=web-0,metadata.namespace=default', info('Pod')), pod())).toBe(true);
    // Kubernetes' Node and Namespace selectors have no namespace field.
    expect(selectableFields(info('Node'))).toEqual(['metadata.name', 'spec.unschedulable']);
    expect(() => parseFieldSelector('metadata.namespace=', info('Node'))).toThrow('field label not supported: metadata.namespace');
  });

  it('reads booleans as true/false, an unset spec.unschedulable as false', () => {
    const cordoned = node();
    cordoned.spec!.unschedulable = true;
    const bare = node();
    delete bare.spec!.unschedulable;
    const schedulable = parseFieldSelector('spec.unschedulable=false', info('Node'));
    expect(matchesFields(schedulable, node())).toBe(true);
    expect(matchesFields(schedulable, bare)).toBe(true);
    expect(matchesFields(schedulable, cordoned)).toBe(false);
    expect(matchesFields(parseFieldSelector('spec.unschedulable=true', info('Node')), cordoned)).toBe(true);
  });

  it('selects events by their object, reason and type, and secrets by type', () => {
    const selector = parseFieldSelector(
      'involvedObject.kind=Pod,involvedObject.name=web-0,involvedObject.namespace=default,involvedObject.uid=u1,reason=Scheduled,type=Normal,source=default-scheduler',
      info('Event'),
    );
    expect(matchesFields(selector, event())).toBe(true);
    expect(matchesFields(parseFieldSelector('type=Opaque', info('Secret')), { ...secret(), type: 'Opaque' })).toBe(true);
  });

  it("refuses fields the kind cannot be selected by, in Kubernetes' words", () => {
    expect(() => parseFieldSelector('spec.nodeName=n1', info('Service'))).toThrow(
      new SelectorError('"spec.nodeName" is not a known field selector: only "metadata.name", "metadata.namespace"'),
    );
    expect(() => parseFieldSelector('status.replicas=1', info('ReplicaSet'))).toThrow('"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"');
    expect(() => parseFieldSelector('spec.foo=1', info('Node'))).toThrow('field label not supported: spec.foo');
    expect(() => parseFieldSelector('metadata.labels=x', info('Pod'))).toThrow('field label not supported: metadata.labels');
  });

  it('refuses terms without an operator', () => {
    expect(() => parseFieldSelector('metadata.name', info('Pod'))).toThrow(
      "invalid selector: 'metadata.name'; can't understand 'metadata.name'",
    );
  });

  it('understands escaped commas and equals signs in values, and skips empty terms', () => {
    const selector = parseFieldSelector('reason=a\\,b\\=c\\\\,,', info('Event'));
    expect(selector.requirements).toEqual([{ field: 'reason', operator: '=', value: 'a,b=c\\' }]);
    expect(() => parseFieldSelector('reason=a\\b', info('Event'))).toThrow(/invalid escape sequence/);
  });

  it('selects everything when empty', () => {
    expect(matchesFields(parseFieldSelector('', info('Pod')), pod())).toBe(true);
  });
});
