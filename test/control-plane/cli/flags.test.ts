/**
 * Flags parse with util.parseArgs plus kubectl's habits: `--wait=false` for booleans, Go
 * durations for `--timeout`, and usage errors for unknown flags.
 */
import { CliUsageError } from '../../../control-plane/cli/errors.js';
import { booleanFlag, parseFlags, parseGoDurationMs, stringFlag, stringsFlag } from '../../../control-plane/cli/flags.js';

const specs = { wait: { type: 'boolean' }, filename: { type: 'string', short: 'f', multiple: true }, namespace: { type: 'string', short: 'n' } } as const;

test('booleans take =true/=false, strings repeat', () => {
  const parsed = parseFlags(['pods', '--wait=false', '-f', 'a.yaml', '--filename=b.yaml', '-n', 'kube-system'], specs, 'delete');
  expect(parsed.positionals).toEqual(['pods']);
  expect(booleanFlag(parsed.values, 'wait', true)).toBe(false);
  expect(stringsFlag(parsed.values, 'filename')).toEqual(['a.yaml', 'b.yaml']);
  expect(stringFlag(parsed.values, 'namespace')).toBe('kube-system');
  expect(booleanFlag(parseFlags(['--wait'], specs, 'delete').values, 'wait', false)).toBe(true);
  expect(booleanFlag(parseFlags([], specs, 'delete').values, 'wait', true)).toBe(true);
});

test('unknown flags and bad booleans are usage errors', () => {
  expect(() => parseFlags(['--bogus'], specs, 'get')).toThrow(CliUsageError);
  expect(() => parseFlags(['--wait=maybe'], specs, 'get')).toThrow('invalid argument "maybe" for "--wait" flag: expected true or false');
});

test.each([
  ['60s', 60_000],
  ['1m30s', 90_000],
  ['500ms', 500],
  ['1.5h', 5_400_000],
  ['0', 0],
  ['10', undefined],
  ['1x', undefined],
  ['', undefined],
])('Go duration %j is %j ms', (text, expected) => {
  expect(parseGoDurationMs(text)).toBe(expected);
});
