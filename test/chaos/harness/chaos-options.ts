/**
 * `npm run chaos` options: `--duration S --seed N [--members 3|5] [--faults kill,pause,...]`
 * and a few more (`CHAOS_USAGE`). Pure: argv in, options or a `ChaosUsageError` out.
 */
import { FAULT_DESCRIPTIONS, FAULT_KINDS } from './fault-schedule.js';
import type { FaultKind } from './fault-schedule.js';

export interface ChaosOptions {
  /** How long clients run and faults are injected, in ms (checking comes after). */
  readonly durationMs: number;
  /** Drives the fault schedule and every client's choices. */
  readonly seed: number;
  readonly members: 3 | 5;
  readonly faults: readonly FaultKind[];
  /** Register clients (get, put, delete, compare-and-set on a few keys). */
  readonly clients: number;
  /** Turn on the server's testing knob that serves linearizable reads on followers without ReadIndex: the run must then fail. */
  readonly unsafeFollowerReads: boolean;
  /** Keep the temporary directory (data, logs) instead of removing it. */
  readonly keepDir: boolean;
}

export const DEFAULT_DURATION_S = 30;
export const DEFAULT_CLIENTS = 10;
const MAX_DURATION_S = 24 * 3600;
const MAX_CLIENTS = 200;

export const CHAOS_USAGE = [
  'usage: npm run chaos -- [--duration S] [--seed N] [--members 3|5] [--faults KIND,...] [--clients N]',
  '                        [--unsafe-follower-reads] [--keep-dir]',
  '',
  `  --duration S   seconds of clients and faults (default ${DEFAULT_DURATION_S}); checking follows`,
  '  --seed N       the run\'s seed (default: random, printed first); same seed, same fault schedule',
  '  --members N    3 or 5 (default 3)',
  `  --faults LIST  comma-separated, default all; "none" for none:`,
  ...FAULT_KINDS.map((kind) => `                   ${kind.padEnd(10)} ${FAULT_DESCRIPTIONS[kind]}`),
  `  --clients N    register clients (default ${DEFAULT_CLIENTS})`,
  '  --unsafe-follower-reads  testing only: members serve linearizable reads on followers',
  '                 without ReadIndex (a broken server); the run is expected to fail',
  '  --keep-dir     keep the temporary directory (member data and logs)',
  '',
  'Exit status: 0 linearizable and nothing lost; 1 an anomaly (printed with its sub-history),',
  'a check that could not decide, or a run that could not finish (a member that did not come',
  'back: each member\'s status is printed); 2 bad arguments; 130 interrupted.',
].join('\n');

/** Bad `npm run chaos` arguments. */
export class ChaosUsageError extends Error {
  readonly code = 'CHAOS_USAGE';
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'ChaosUsageError';
  }
}

/** Parses `argv` (`--flag value` or `--flag=value`); `randomSeed` is used when no `--seed` is given. */
export function parseChaosOptions(argv: readonly string[], randomSeed: () => number): ChaosOptions | 'help' {
  const values = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    if (!arg.startsWith('--')) throw new ChaosUsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    if (name === 'unsafe-follower-reads' || name === 'keep-dir') {
      if (eq >= 0) throw new ChaosUsageError(`--${name} takes no value`);
      switches.add(name);
      continue;
    }
    if (!['duration', 'seed', 'members', 'faults', 'clients'].includes(name)) throw new ChaosUsageError(`unknown option --${name}`);
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new ChaosUsageError(`--${name} needs a value`);
    values.set(name, value);
  }
  const duration = integer(values.get('duration'), 'duration', DEFAULT_DURATION_S, 1, MAX_DURATION_S);
  const seed = values.has('seed') ? integer(values.get('seed'), 'seed', 0, 0, 2 ** 32 - 1) : randomSeed() >>> 0;
  const members = integer(values.get('members'), 'members', 3, 3, 5);
  if (members !== 3 && members !== 5) throw new ChaosUsageError(`--members must be 3 or 5, got ${members}`);
  return {
    durationMs: duration * 1000,
    seed,
    members,
    faults: faultKinds(values.get('faults')),
    clients: integer(values.get('clients'), 'clients', DEFAULT_CLIENTS, 1, MAX_CLIENTS),
    unsafeFollowerReads: switches.has('unsafe-follower-reads'),
    keepDir: switches.has('keep-dir'),
  };
}

function integer(text: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ChaosUsageError(`--${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

function faultKinds(text: string | undefined): FaultKind[] {
  if (text === undefined || text === 'all') return [...FAULT_KINDS];
  if (text === 'none') return [];
  const kinds: FaultKind[] = [];
  for (const name of text.split(',').map((s) => s.trim())) {
    if (!(FAULT_KINDS as readonly string[]).includes(name)) throw new ChaosUsageError(`unknown fault "${name}" (known: ${FAULT_KINDS.join(', ')}, or all, none)`);
    if (!kinds.includes(name as FaultKind)) kinds.push(name as FaultKind);
  }
  return kinds;
}
