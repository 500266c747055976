/**
 * `npm run chaos` arguments: the defaults, both flag forms, and a clear refusal of
 * anything else (exit status 2 in the CLI).
 */
import { ChaosUsageError, DEFAULT_CLIENTS, DEFAULT_DURATION_S, parseChaosOptions } from './harness/chaos-options.js';
import { FAULT_KINDS } from './harness/fault-schedule.js';

const parse = (argv: string[]) => parseChaosOptions(argv, () => 1234);

test('defaults: every fault, 3 members, a random seed', () => {
  expect(parse([])).toEqual({
    durationMs: DEFAULT_DURATION_S * 1000,
    seed: 1234,
    members: 3,
    faults: [...FAULT_KINDS],
    clients: DEFAULT_CLIENTS,
    unsafeFollowerReads: false,
    keepDir: false,
  });
});

test('--flag value and --flag=value', () => {
  expect(parse(['--duration', '600', '--seed=7', '--members', '5', '--faults', 'kill,pause,kill', '--clients=3', '--keep-dir'])).toMatchObject({
    durationMs: 600_000,
    seed: 7,
    members: 5,
    faults: ['kill', 'pause'],
    clients: 3,
    keepDir: true,
  });
  expect(parse(['--faults', 'none'])).toMatchObject({ faults: [] });
  expect(parse(['--unsafe-follower-reads'])).toMatchObject({ unsafeFollowerReads: true });
  expect(parse(['--help'])).toBe('help');
});

test.each([
  [['--members', '4'], /--members must be 3 or 5/],
  [['--duration', '0'], /--duration must be an integer from 1/],
  [['--duration', '1.5'], /--duration must be an integer/],
  [['--seed', '-1'], /--seed must be an integer/],
  [['--faults', 'kill,explode'], /unknown fault "explode"/],
  [['--speed', '3'], /unknown option --speed/],
  [['--seed'], /--seed needs a value/],
  [['fast'], /unexpected argument "fast"/],
  [['--keep-dir=yes'], /--keep-dir takes no value/],
])('%j is refused', (argv, message) => {
  expect(() => parse(argv)).toThrow(ChaosUsageError);
  expect(() => parse(argv)).toThrow(message);
});
