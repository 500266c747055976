/**
 * The faults of a chaos run, planned from its seed before the cluster starts: the same
 * seed, duration, member count and fault kinds give the same schedule, printed first.
 *
 * Faults run one after another, each after a quiet gap: a process or network fault holds
 * for a while and is then healed; the others (leader transfer, member replacement,
 * compaction) are one action. Targets are *slots* (a member position, kept by whoever
 * replaces a removed member) or "the leader", which is resolved when the fault starts.
 * The run follows the plan in order and stops starting faults when its time is up, so
 * faults that take longer than planned (a slow restart) only shift the ones after them.
 */
import { createSeededRandom } from '../../../raft/index.js';
import type { SeededRandom } from '../../../raft/index.js';

export const FAULT_KINDS = ['kill', 'pause', 'partition', 'oneway', 'slowdisk', 'transfer', 'membership', 'compact'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What each fault does, for `--help`. */
export const FAULT_DESCRIPTIONS: Readonly<Record<FaultKind, string>> = {
  kill: 'SIGKILL a member, restart it on its data after the hold',
  pause: 'SIGSTOP a member, SIGCONT after the hold',
  partition: 'cut every peer link between a minority and the rest, both ways, for the hold',
  oneway: 'cut the peer links into a minority (or out of it) one way only, for the hold',
  slowdisk: "delay a member's storage syncs (testing knob) for the hold",
  transfer: 'move the leadership to another voter (MoveLeader)',
  membership: 'remove a member, then add a fresh one (new data directory) in its slot',
  compact: "compact the store at a revision every watcher has passed",
};

/** A member position, or whoever leads when the fault starts. */
export type Target = { readonly kind: 'slot'; readonly slot: number } | { readonly kind: 'leader' };

export type Fault =
  | { readonly kind: 'kill' | 'pause'; readonly target: Target; readonly holdMs: number }
  | { readonly kind: 'slowdisk'; readonly target: Target; readonly holdMs: number; readonly delayMs: number }
  | { readonly kind: 'partition'; readonly minority: readonly Target[]; readonly holdMs: number }
  | { readonly kind: 'oneway'; readonly minority: readonly Target[]; readonly direction: 'in' | 'out'; readonly holdMs: number }
  | { readonly kind: 'transfer'; readonly pick: number }
  | { readonly kind: 'membership'; readonly target: Target }
  | { readonly kind: 'compact' };

/** One planned step: wait `gapMs` of quiet, then inject `fault`. */
export interface PlannedFault {
  readonly index: number;
  /** When it would start if every fault before it took exactly its planned time, in ms from the start. */
  readonly plannedAtMs: number;
  readonly gapMs: number;
  readonly fault: Fault;
}

export interface ScheduleOptions {
  readonly seed: number;
  readonly durationMs: number;
  readonly members: number;
  readonly kinds: readonly FaultKind[];
}

/** Quiet before each fault, and how long faults hold, in ms. */
export const GAP_MS = { min: 500, max: 2_500 } as const;
export const HOLD_MS = { min: 1_000, max: 5_000 } as const;
export const SYNC_DELAY_MS = { min: 20, max: 250 } as const;
/** What a one-action fault counts as in the plan (its real time varies). */
const ACTION_MS = 1_000;
/** Chance that a fault aimed at one member aims at the leader. */
const LEADER_CHANCE = 0.4;

/** The faults for a run: as many as fit `durationMs` at their planned times. */
export function planFaults(options: ScheduleOptions): PlannedFault[] {
  const random = createSeededRandom(options.seed ^ 0x5eed_fa17);
  const plan: PlannedFault[] = [];
  if (options.kinds.length === 0) return plan;
  let atMs = 0;
  for (;;) {
    const gapMs = between(random, GAP_MS);
    const fault = planFault(random, options.kinds[random.int(options.kinds.length)]!, options.members);
    if (atMs + gapMs >= options.durationMs) return plan;
    atMs += gapMs;
    plan.push({ index: plan.length + 1, plannedAtMs: atMs, gapMs, fault });
    atMs += 'holdMs' in fault ? fault.holdMs : ACTION_MS;
  }
}

function planFault(random: SeededRandom, kind: FaultKind, members: number): Fault {
  const holdMs = between(random, HOLD_MS);
  switch (kind) {
    case 'kill':
    case 'pause':
      return { kind, target: target(random, members), holdMs };
    case 'slowdisk':
      return { kind, target: target(random, members), holdMs, delayMs: between(random, SYNC_DELAY_MS) };
    case 'partition':
      return { kind, minority: minority(random, members), holdMs };
    case 'oneway':
      return { kind, minority: minority(random, members), direction: random.chance(0.5) ? 'in' : 'out', holdMs };
    case 'transfer':
      return { kind, pick: random.int(members) };
    case 'membership':
      return { kind, target: target(random, members) };
    case 'compact':
      return { kind };
    default: {
      const unknown: never = kind;
      throw new Error(`unknown fault kind ${String(unknown)}`);
    }
  }
}

function target(random: SeededRandom, members: number): Target {
  return random.chance(LEADER_CHANCE) ? { kind: 'leader' } : { kind: 'slot', slot: random.int(members) };
}

/** A minority (at most ⌊(n−1)/2⌋ members), sometimes with the leader in it. */
function minority(random: SeededRandom, members: number): Target[] {
  const size = 1 + random.int(Math.max(1, Math.floor((members - 1) / 2)));
  const targets: Target[] = random.chance(LEADER_CHANCE) ? [{ kind: 'leader' }] : [];
  const slots = Array.from({ length: members }, (_, i) => i);
  while (targets.length < size) targets.push({ kind: 'slot', slot: slots.splice(random.int(slots.length), 1)[0]! });
  return targets;
}

function between(random: SeededRandom, range: { readonly min: number; readonly max: number }): number {
  return range.min + random.int(range.max - range.min + 1);
}

/** One line for a planned fault: `#3 +1.2s partition {leader, slot 2} for 3.4s`. */
export function describeFault(fault: Fault): string {
  const hold = (ms: number) => `for ${(ms / 1000).toFixed(1)}s`;
  switch (fault.kind) {
    case 'kill':
    case 'pause':
      return `${fault.kind} ${describeTarget(fault.target)} ${hold(fault.holdMs)}`;
    case 'slowdisk':
      return `slowdisk ${describeTarget(fault.target)} (+${fault.delayMs} ms per sync) ${hold(fault.holdMs)}`;
    case 'partition':
      return `partition {${fault.minority.map(describeTarget).join(', ')}} from the rest ${hold(fault.holdMs)}`;
    case 'oneway':
      return `oneway: links ${fault.direction === 'in' ? 'into' : 'out of'} {${fault.minority.map(describeTarget).join(', ')}} cut ${hold(fault.holdMs)}`;
    case 'transfer':
      return `transfer leadership (pick ${fault.pick})`;
    case 'membership':
      return `membership: remove ${describeTarget(fault.target)}, add a fresh member in its slot`;
    case 'compact':
      return 'compact at the slowest watcher';
    default: {
      const unknown: never = fault;
      throw new Error(`unknown fault ${JSON.stringify(unknown)}`);
    }
  }
}

export function describeTarget(target: Target): string {
  return target.kind === 'leader' ? 'the leader' : `slot ${target.slot}`;
}
