/**
 * `balsa label` arguments: KEY=VALUE sets, KEY- removes, keys and values follow Kubernetes'
 * label syntax (with the rule in the message), and existing values change only with
 * --overwrite, in kubectl's words.
 */
import { CliError, CliUsageError } from '../../../control-plane/cli/errors.js';
import { applyLabelUpdates, isLabelUpdate, parseLabelUpdates } from '../../../control-plane/cli/label-arguments.js';

test('sets and removals', () => {
  const updates = parseLabelUpdates(['app=web', 'example.com/tier=fe', 'empty=', 'old-']);
  expect([...updates.set]).toEqual([
    ['app', 'web'],
    ['example.com/tier', 'fe'],
    ['empty', ''],
  ]);
  expect(updates.remove).toEqual(['old']);
  expect(['app=web', 'gone-', 'pods', 'web'].map(isLabelUpdate)).toEqual([true, true, false, false]);
});

test.each([
  [[], 'at least one label update is required'],
  [['app'], 'unknown label spec: app'],
  [['a=b=c'], "invalid label spec: a=b=c: a label update is KEY=VALUE, with one '='"],
  [['-bad=x'], 'invalid label spec: -bad=x: key "-bad": name part must consist of alphanumeric characters'],
  [['app=-web'], 'invalid label spec: app=-web: value "-web": a valid label must be an empty string or consist of alphanumeric characters'],
  [[`app=${'x'.repeat(64)}`], 'must be no more than 63 characters'],
  [['Example.com/app=x'], 'prefix part a lowercase RFC 1123 subdomain'],
  [['a/b/c=x'], 'a qualified name must consist of alphanumeric characters'],
  [['app=web', 'app-'], 'can not both modify and remove a label in the same command (app)'],
])('%j is refused', (updates, message) => {
  expect(() => parseLabelUpdates(updates)).toThrow(CliUsageError);
  expect(() => parseLabelUpdates(updates)).toThrow(message);
});

test('applying: a patch of what changes, nulls for removals, missing keys reported', () => {
  const change = applyLabelUpdates({ app: 'web', tier: 'fe', old: 'x' }, parseLabelUpdates(['app=web', 'new=1', 'old-', 'absent-']), false);
  expect(change.labels).toEqual({ app: 'web', tier: 'fe', new: '1' });
  expect(change.patch).toEqual({ new: '1', old: null });
  expect(change.missing).toEqual(['absent']);
});

test('an existing value changes only with --overwrite', () => {
  const updates = parseLabelUpdates(['app=api']);
  expect(() => applyLabelUpdates({ app: 'web' }, updates, false)).toThrow(new CliError("'app' already has a value (web), and --overwrite is false"));
  expect(applyLabelUpdates({ app: 'web' }, updates, true).patch).toEqual({ app: 'api' });
  expect(() => applyLabelUpdates({ a: '1', b: '2' }, parseLabelUpdates(['a=x', 'b=y']), false)).toThrow(
    "['a' already has a value (1), and --overwrite is false, 'b' already has a value (2), and --overwrite is false]",
  );
});
