/**
 * Label and field selectors: how a list, a watch, a Service or a ReplicaSet says which
 * objects it means.
 *
 * A label selector is a conjunction of requirements on labels, written as text in list and
 * watch queries (`app=web,tier in (a,b),!canary`) and as `{matchLabels, matchExpressions}`
 * in specs. A field selector is a conjunction of equalities on a few indexed fields
 * (`spec.nodeName=n1,status.phase!=Failed`), the set of fields depending on the kind.
 * Both are pure values; matching reads only the object given.
 */
import type { ApiObject } from './types.js';
import type { ResourceInfo } from './resources.js';
import { labelKeyErrors, labelValueErrors } from './names.js';

/** A selector that cannot be parsed or is not allowed; the message names the bad part. */
export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

// ---------------------------------------------------------------------------------------
// Label selectors
// ---------------------------------------------------------------------------------------

/**
 * `Equals`/`In` need the label present with one of the values; `NotEquals`/`NotIn` match
 * when the label is absent or has another value (so `tier!=db` also selects objects with
 * no `tier`, as in Kubernetes); `Exists`/`DoesNotExist` look at the key only.
 */
export type LabelOperator = 'Equals' | 'NotEquals' | 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** One value for Equals/NotEquals, at least one for In/NotIn, none for Exists/DoesNotExist. */
  readonly values: readonly string[];
}

/** All requirements must hold. No requirement: the selector matches every object. */
export interface LabelSelector {
  /** Sorted by key (stable), so that equal selectors format equally. */
  readonly requirements: readonly LabelRequirement[];
}

/** The structured form of specs (`spec.selector` of a ReplicaSet or Deployment). */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: readonly LabelSelectorExpression[];
}

export interface LabelSelectorExpression {
  key: string;
  /** `In`, `NotIn`, `Exists`, `DoesNotExist`. */
  operator: string;
  values?: readonly string[];
}

/** The selector that matches everything. */
export const EVERYTHING: LabelSelector = { requirements: [] };

/**
 * Parses Kubernetes' label selector syntax: comma-separated requirements, each one of
 * `key=value`, `key==value`, `key!=value`, `key in (v1,v2)`, `key notin (v1)`, `key`,
 * `!key`; whitespace around tokens is ignored. The empty text selects everything.
 *
 * @throws SelectorError naming the unexpected token, or the key or value that is not valid
 *   label syntax.
 */
export function parseLabelSelector(text: string): LabelSelector {
  const tokens = tokenizeLabelSelector(text);
  const requirements: LabelRequirement[] = [];
  let position = 0;
  const peek = (): Token => tokens[position]!;
  const next = (): Token => tokens[position++]!;
  if (peek().kind === 'end') return EVERYTHING;
  for (;;) {
    requirements.push(parseRequirement());
    const separator = next();
    if (separator.kind === 'end') break;
    if (separator.kind !== ',') {
      throw new SelectorError(`found '${separator.text}', expected: ',' or 'end of string'`);
    }
  }
  return { requirements: sortByKey(requirements) };

  function parseRequirement(): LabelRequirement {
    const first = next();
    if (first.kind === '!') {
      const key = next();
      if (key.kind !== 'identifier') {
        throw new SelectorError(`unable to parse requirement: found '${key.text}', expected: identifier after '!'`);
      }
      return requirement(key.text, 'DoesNotExist', []);
    }
    if (first.kind !== 'identifier') {
      throw new SelectorError(`unable to parse requirement: found '${first.text}', expected: identifier`);
    }
    const key = first.text;
    const operator = peek();
    switch (operator.kind) {
      case 'end':
      case ',':
        return requirement(key, 'Exists', []);
      case '=':
      case '==':
      case '!=':
        next();
        return requirement(key, operator.kind === '!=' ? 'NotEquals' : 'Equals', [parseExactValue()]);
      case 'in':
      case 'notin':
        next();
        return requirement(key, operator.kind === 'in' ? 'In' : 'NotIn', parseValueSet());
      default:
        throw new SelectorError(
          `unable to parse requirement: found '${operator.text}', expected: in, notin, =, ==, !=`,
        );
    }
  }

  /** The value after `=`: an identifier, or nothing (`tier=` selects an empty value). */
  function parseExactValue(): string {
    const value = peek();
    if (value.kind === 'end' || value.kind === ',') return '';
    next();
    // `in`/`notin` are ordinary words in value position.
    if (value.kind === 'identifier' || value.kind === 'in' || value.kind === 'notin') return value.text;
    throw new SelectorError(`unable to parse requirement: found '${value.text}', expected: identifier`);
  }

  /** `(v1, v2)`; empty entries are empty values, as in Kubernetes. */
  function parseValueSet(): string[] {
    const open = next();
    if (open.kind !== '(') throw new SelectorError(`unable to parse requirement: found '${open.text}', expected: '('`);
    const values: string[] = [];
    let expectValue = true;
    for (;;) {
      const token = next();
      if (token.kind === ')') {
        if (expectValue) values.push('');
        return values;
      }
      if (token.kind === ',') {
        if (expectValue) values.push('');
        expectValue = true;
        continue;
      }
      if (expectValue && (token.kind === 'identifier' || token.kind === 'in' || token.kind === 'notin')) {
        values.push(token.text);
        expectValue = false;
        continue;
      }
      throw new SelectorError(`unable to parse requirement: found '${token.text}', expected: ',', ')' or identifier`);
    }
  }
}

/**
 * The structured form as a selector: each `matchLabels` entry an Equals requirement, each
 * expression as written. An empty object selects everything. (A spec whose selector is
 * absent selects nothing; that is for the caller to decide before calling this.)
 *
 * @throws SelectorError for an unknown operator, values where none belong or none where
 *   some must be, and keys or values that are not valid label syntax.
 */
export function labelSelectorFromObject(selector: LabelSelectorObject): LabelSelector {
  const requirements: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    requirements.push(requirement(key, 'Equals', [value]));
  }
  for (const expression of selector.matchExpressions ?? []) {
    const values = expression.values ?? [];
    switch (expression.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) throw new SelectorError("for 'in', 'notin' operators, values set can't be empty");
        requirements.push(requirement(expression.key, expression.operator, values));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) throw new SelectorError('values set must be empty for exists and does not exist');
        requirements.push(requirement(expression.key, expression.operator, []));
        break;
      default:
        throw new SelectorError(`${JSON.stringify(expression.operator)} is not a valid label selector operator`);
    }
  }
  return { requirements: sortByKey(requirements) };
}

/** Whether the labels satisfy every requirement; absent labels are no labels. */
export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const present = labels ?? {};
  return selector.requirements.every((requirement) => matchesRequirement(requirement, present));
}

/** Whether the selector has no requirement (and so matches everything). */
export function isEmptyLabelSelector(selector: LabelSelector): boolean {
  return selector.requirements.length === 0;
}

/**
 * The selector in the text syntax, which `parseLabelSelector` reads back:
 * `app=web,tier in (a,b),!canary`. Set values are sorted. The empty selector is `''`
 * (a CLI shows it as `<none>`).
 */
export function formatLabelSelector(selector: LabelSelector): string {
  return selector.requirements.map(formatRequirement).join(',');
}

function formatRequirement(requirement: LabelRequirement): string {
  const { key } = requirement;
  const set = (): string => `(${[...requirement.values].sort().join(',')})`;
  switch (requirement.operator) {
    case 'Equals':
      return `${key}=${requirement.values[0] ?? ''}`;
    case 'NotEquals':
      return `${key}!=${requirement.values[0] ?? ''}`;
    case 'In':
      return `${key} in ${set()}`;
    case 'NotIn':
      return `${key} notin ${set()}`;
    case 'Exists':
      return key;
    case 'DoesNotExist':
      return `!${key}`;
    default: {
      const unknown: never = requirement.operator;
      throw new Error(`unknown label operator ${String(unknown)}`);
    }
  }
}

function matchesRequirement(requirement: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, requirement.key);
  const value = has ? labels[requirement.key]! : undefined;
  switch (requirement.operator) {
    case 'Equals':
    case 'In':
      return value !== undefined && requirement.values.includes(value);
    case 'NotEquals':
    case 'NotIn':
      return value === undefined || !requirement.values.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default: {
      const unknown: never = requirement.operator;
      throw new Error(`unknown label operator ${String(unknown)}`);
    }
  }
}

/** A requirement whose key and values are valid label syntax. */
function requirement(key: string, operator: LabelOperator, values: readonly string[]): LabelRequirement {
  const keyErrors = labelKeyErrors(key);
  if (keyErrors.length > 0) throw new SelectorError(`invalid label key ${JSON.stringify(key)}: ${keyErrors.join('; ')}`);
  for (const value of values) {
    const valueErrors = labelValueErrors(value);
    if (valueErrors.length > 0) {
      throw new SelectorError(
        `invalid label value: ${JSON.stringify(value)}: at key: ${JSON.stringify(key)}: ${valueErrors.join('; ')}`,
      );
    }
  }
  return { key, operator, values: [...values] };
}

function sortByKey(requirements: LabelRequirement[]): LabelRequirement[] {
  // Array.prototype.sort is stable, so requirements on one key keep their written order.
  return requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

type TokenKind = 'identifier' | 'in' | 'notin' | '=' | '==' | '!=' | '!' | '(' | ')' | ',' | 'end' | 'unsupported';

interface Token {
  readonly kind: TokenKind;
  /** The text as written; `end of string` for the end. */
  readonly text: string;
}

/** Characters that end an identifier. `<` and `>` (Kubernetes' gt/lt) are recognized only to be refused. */
const SPECIAL_CHARACTERS = new Set(['=', '!', '(', ')', ',', '<', '>']);

function tokenizeLabelSelector(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (text.startsWith('==', i) || text.startsWith('!=', i)) {
      const symbol = text.slice(i, i + 2) as '==' | '!=';
      tokens.push({ kind: symbol, text: symbol });
      i += 2;
    } else if (c === '=' || c === '!' || c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c, text: c });
      i++;
    } else if (c === '<' || c === '>') {
      tokens.push({ kind: 'unsupported', text: c });
      i++;
    } else {
      let end = i;
      while (end < text.length && !SPECIAL_CHARACTERS.has(text[end]!) && !/\s/.test(text[end]!)) end++;
      const word = text.slice(i, end);
      tokens.push({ kind: word === 'in' ? 'in' : word === 'notin' ? 'notin' : 'identifier', text: word });
      i = end;
    }
  }
  tokens.push({ kind: 'end', text: 'end of string' });
  return tokens;
}

// ---------------------------------------------------------------------------------------
// Field selectors
// ---------------------------------------------------------------------------------------

export interface FieldRequirement {
  /** A supported field of the kind, `spec.nodeName`. */
  readonly field: string;
  /** `=` (also written `==`) or `!=`. */
  readonly operator: '=' | '!=';
  readonly value: string;
}

/** All requirements must hold; no requirement matches everything. */
export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
}

/**
 * Where a selectable field's value lives in the object when that is not its own path, and
 * what an absent value reads as when that is not `''`.
 */
interface FieldSource {
  readonly path: string;
  /** Kubernetes reads an unset boolean as `false`, so `spec.unschedulable=false` selects schedulable nodes. */
  readonly absent: string;
}

const METADATA_FIELDS = ['metadata.name', 'metadata.namespace'];

/**
 * The kinds Kubernetes gives field selectors of their own (a field label conversion of the
 * core group), and those fields beyond `metadata.name` (and `metadata.namespace` for a
 * namespaced kind: a Node or a Namespace cannot be selected by namespace). Every other kind
 * (ConfigMaps, Services, everything in `apps`) has only the two metadata fields, as
 * Kubernetes' default conversion has.
 */
const KIND_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'status.phase', 'status.podIP'],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  Secret: ['type'],
  Node: ['spec.unschedulable'],
  Namespace: ['status.phase'],
};

const FIELD_SOURCES: Readonly<Record<string, FieldSource>> = {
  'spec.unschedulable': { path: 'spec.unschedulable', absent: 'false' },
  // Kubernetes' `source` field of an Event is the reporting component.
  source: { path: 'source.component', absent: '' },
};

/** The fields `parseFieldSelector` accepts for the kind. */
export function selectableFields(info: ResourceInfo): readonly string[] {
  const own = KIND_FIELDS[info.kind];
  if (own === undefined) return METADATA_FIELDS;
  return [...(info.namespaced ? METADATA_FIELDS : ['metadata.name']), ...own];
}

/** Kubernetes' refusal of a field: its core kinds' own words, or its default conversion's. */
function unsupportedField(info: ResourceInfo, field: string): SelectorError {
  if (KIND_FIELDS[info.kind] !== undefined) return new SelectorError(`field label not supported: ${field}`);
  return new SelectorError(`${JSON.stringify(field)} is not a known field selector: only "metadata.name", "metadata.namespace"`);
}

/**
 * Parses a field selector: comma-separated `field=value`, `field==value` or
 * `field!=value`. In values, `\,`, `\=` and `\\` stand for `,`, `=` and `\`. The empty text
 * selects everything.
 *
 * @throws SelectorError for a term without an operator, a bad escape, or a field the kind
 *   cannot be selected by (`field label not supported: spec.foo` for a pod,
 *   `"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"`
 *   for a kind with only those).
 */
export function parseFieldSelector(text: string, info: ResourceInfo): FieldSelector {
  const supported = selectableFields(info);
  const requirements: FieldRequirement[] = [];
  for (const rawTerm of splitUnescaped(text, ',')) {
    const term = rawTerm.trim();
    if (term === '') continue;
    const split = splitTerm(term);
    if (split === undefined) throw new SelectorError(`invalid selector: '${text}'; can't understand '${term}'`);
    const field = split.field.trim();
    if (!supported.includes(field)) throw unsupportedField(info, field);
    requirements.push({ field, operator: split.operator, value: unescapeValue(split.value.trim()) });
  }
  return { requirements };
}

/**
 * Whether the object satisfies every requirement. A field reads as its string form: an
 * absent field as `''` (or `false` for `spec.unschedulable`, as in Kubernetes), booleans
 * as `true`/`false`, numbers in decimal.
 */
export function matchesFields(selector: FieldSelector, obj: ApiObject): boolean {
  return selector.requirements.every((requirement) => {
    const actual = readField(obj, requirement.field);
    return requirement.operator === '=' ? actual === requirement.value : actual !== requirement.value;
  });
}

function readField(obj: ApiObject, field: string): string {
  const source = FIELD_SOURCES[field] ?? { path: field, absent: '' };
  let current: unknown = obj;
  for (const part of source.path.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return source.absent;
    current = (current as Record<string, unknown>)[part];
  }
  if (typeof current === 'string') return current;
  if (typeof current === 'boolean' || typeof current === 'number') return String(current);
  return source.absent;
}

/** Splits on separators not preceded by a backslash escape; escapes stay in the parts. */
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** The first unescaped operator splits the term; `!=` and `==` are tried before `=`. */
function splitTerm(term: string): { field: string; operator: '=' | '!='; value: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    if (term[i] === '\\') {
      i++;
      continue;
    }
    for (const [written, operator] of [['!=', '!='], ['==', '='], ['=', '=']] as const) {
      if (term.startsWith(written, i)) {
        return { field: term.slice(0, i), operator, value: term.slice(i + written.length) };
      }
    }
  }
  return undefined;
}

function unescapeValue(value: string): string {
  let result = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c !== '\\') {
      result += c;
      continue;
    }
    const escaped = value[i + 1];
    if (escaped !== '\\' && escaped !== ',' && escaped !== '=') {
      throw new SelectorError(`invalid field selector value ${JSON.stringify(value)}: invalid escape sequence`);
    }
    result += escaped;
    i++;
  }
  return result;
}
