/**
 * Configuration safety (thesis §4). Membership changes are safe when no two quorums that
 * could decide across a change are disjoint: a change of one voter keeps every majority
 * of the old set overlapping every majority of the new (§4.1), and a larger change goes
 * through a joint configuration, whose quorums need a majority of both halves (§4.3).
 *
 * Checked on every transition a node makes — from the configuration it starts with (the
 * bootstrap one, or its snapshot's) through each membership change it applies — by brute
 * force over the subsets of the voters involved (at most `NODES_MAX` of them). Also: the
 * change at a given log index produces the same configuration on every node, and every
 * configuration is well formed (voters present, no id in two roles).
 */
import type { ConfState, NodeId } from '../../core/types.js';
import { violation } from './violation.js';
import type { Violation } from './violation.js';

/** Voters the brute force handles (2^this subsets per check). */
const VOTERS_MAX = 16;

interface Recorded {
  readonly conf: ConfState;
  readonly node: NodeId;
}

export class ConfigurationChecker {
  /** The configuration each node has in force. */
  private readonly current = new Map<NodeId, ConfState>();
  /** The configuration in force from each index on, as the first node to get there had it. */
  private readonly byIndex = new Map<number, Recorded>();
  /** The keys of `byIndex`, ascending. */
  private readonly indexes: number[] = [];
  /** Membership changes checked (transitions a node made). */
  transitions = 0;

  /** `node` (re)starts with `conf` in force as of `index` (0: the bootstrap configuration). */
  observeStart(node: NodeId, index: number, conf: ConfState): Violation | null {
    const problem = malformed(conf);
    if (problem !== null) {
      return violation('configuration-safety', `n${node} starts with a malformed configuration (${problem}): ${formatConf(conf)}`);
    }
    this.current.set(node, conf);
    return index === 0 ? this.agree(node, 0, conf) : null;
  }

  /** A running `node` installed a snapshot at `index` whose configuration is `conf`. */
  observeRestore(node: NodeId, _index: number, conf: ConfState): Violation | null {
    const problem = malformed(conf);
    if (problem !== null) {
      return violation('configuration-safety', `n${node} installs a malformed configuration (${problem}): ${formatConf(conf)}`);
    }
    this.current.set(node, conf);
    return null;
  }

  /**
   * `node` applied the membership change at `index`, which produced `conf` (null: the
   * core made no change of it, so the configuration stays as it was).
   */
  observeApplied(node: NodeId, index: number, conf: ConfState | null): Violation | null {
    const before = this.current.get(node);
    if (before === undefined) throw new Error(`n${node} applies a membership change before it started`);
    const after = conf ?? before;
    if (conf !== null) {
      this.transitions++;
      const problem = malformed(conf);
      if (problem !== null) {
        return violation('configuration-safety', `n${node} moves to a malformed configuration at ${index} (${problem}): ${formatConf(conf)}`);
      }
      const disjoint = disjointQuorums(before, conf);
      if (disjoint !== null) {
        return violation(
          'configuration-safety',
          `n${node}'s change at ${index} from ${formatConf(before)} to ${formatConf(conf)} admits disjoint quorums ` +
            `{${disjoint[0].join(',')}} and {${disjoint[1].join(',')}}`,
        );
      }
    }
    this.current.set(node, after);
    return this.agree(node, index, after);
  }

  /** Membership changes recorded (distinct log indexes, the bootstrap configuration aside). */
  get changesRecorded(): number {
    return this.indexes.length - (this.byIndex.has(0) ? 1 : 0);
  }

  /** The configuration in force at `index` (set by the last change at or before it), if known. */
  configAt(index: number): ConfState | undefined {
    const indexes = this.indexes;
    let lo = 0;
    let hi = indexes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (indexes[mid]! <= index) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? undefined : this.byIndex.get(indexes[lo - 1]!)!.conf;
  }

  /** The configuration of the latest change any node applied (the newest committed one). */
  latest(): ConfState | undefined {
    const last = this.indexes[this.indexes.length - 1];
    return last === undefined ? undefined : this.byIndex.get(last)!.conf;
  }

  /** The configuration `node` has in force, as far as the checker knows. */
  currentOf(node: NodeId): ConfState | undefined {
    return this.current.get(node);
  }

  private agree(node: NodeId, index: number, conf: ConfState): Violation | null {
    const known = this.byIndex.get(index);
    if (known === undefined) {
      this.byIndex.set(index, { conf, node });
      this.insertIndex(index);
      return null;
    }
    if (isSameConf(known.conf, conf)) return null;
    return violation(
      'configuration-safety',
      `the change at ${index} gave ${formatConf(known.conf)} on n${known.node} and ${formatConf(conf)} on n${node}`,
    );
  }

  private insertIndex(index: number): void {
    const indexes = this.indexes;
    let at = indexes.length;
    while (at > 0 && indexes[at - 1]! > index) at--;
    indexes.splice(at, 0, index);
  }
}

/**
 * Two quorums, one of `a` and one of `b`, with no member in common; null when every
 * quorum of one meets every quorum of the other. A quorum of a joint configuration is a
 * majority of `voters` and a majority of `votersOutgoing`.
 */
export function disjointQuorums(a: ConfState, b: ConfState): [NodeId[], NodeId[]] | null {
  const ids = [...new Set([...a.voters, ...a.votersOutgoing, ...b.voters, ...b.votersOutgoing])].sort((x, y) => x - y);
  if (ids.length > VOTERS_MAX) throw new Error(`configuration checker handles at most ${VOTERS_MAX} voters, got ${ids.length}`);
  const bits = new Map(ids.map((id, i) => [id, 1 << i]));
  const isQuorumOfA = quorumTest(a, bits);
  const isQuorumOfB = quorumTest(b, bits);
  const all = (1 << ids.length) - 1;
  for (let subset = 0; subset <= all; subset++) {
    if (isQuorumOfA(subset) && isQuorumOfB(all & ~subset)) return [membersOf(subset, ids), membersOf(all & ~subset, ids)];
  }
  return null;
}

/** Why `conf` is not a possible configuration, or null when it is one. */
export function malformed(conf: ConfState): string | null {
  const lists: Array<[string, readonly NodeId[]]> = [
    ['voters', conf.voters],
    ['learners', conf.learners],
    ['votersOutgoing', conf.votersOutgoing],
    ['learnersNext', conf.learnersNext],
  ];
  for (const [name, list] of lists) {
    for (let i = 0; i < list.length; i++) {
      if (!Number.isSafeInteger(list[i]) || list[i]! <= 0) return `${name} holds id ${list[i]}`;
      if (i > 0 && list[i - 1]! >= list[i]!) return `${name} not strictly ascending`;
    }
  }
  if (conf.voters.length === 0) return 'no voters';
  const voters = new Set([...conf.voters, ...conf.votersOutgoing]);
  if (conf.learners.some((id) => voters.has(id))) return 'a learner is also a voter';
  if (conf.votersOutgoing.length === 0 && conf.learnersNext.length > 0) return 'learnersNext outside a joint configuration';
  const outgoing = new Set(conf.votersOutgoing);
  const incoming = new Set(conf.voters);
  if (conf.learnersNext.some((id) => !outgoing.has(id) || incoming.has(id))) return 'learnersNext not only outgoing voters';
  if (conf.learnersNext.some((id) => conf.learners.includes(id))) return 'learnersNext also learners';
  return null;
}

export function formatConf(conf: ConfState): string {
  const list = (ids: readonly NodeId[]) => `{${ids.join(',')}}`;
  const voters = conf.votersOutgoing.length > 0 ? `${list(conf.voters)}&${list(conf.votersOutgoing)}` : list(conf.voters);
  const learners = conf.learners.length > 0 ? ` learners ${list(conf.learners)}` : '';
  const next = conf.learnersNext.length > 0 ? ` learnersNext ${list(conf.learnersNext)}` : '';
  return `voters ${voters}${learners}${next}`;
}

function isSameConf(a: ConfState, b: ConfState): boolean {
  const same = (x: readonly NodeId[], y: readonly NodeId[]) => x.length === y.length && x.every((id, i) => id === y[i]);
  return (
    same(a.voters, b.voters) && same(a.learners, b.learners) && same(a.votersOutgoing, b.votersOutgoing) && same(a.learnersNext, b.learnersNext)
  );
}

function quorumTest(conf: ConfState, bits: ReadonlyMap<NodeId, number>): (subset: number) => boolean {
  const mask = (ids: readonly NodeId[]) => ids.reduce((m, id) => m | bits.get(id)!, 0);
  const incoming = mask(conf.voters);
  const outgoing = mask(conf.votersOutgoing);
  const incomingCount = conf.voters.length;
  const outgoingCount = conf.votersOutgoing.length;
  return (subset) =>
    2 * popcount(subset & incoming) > incomingCount && (outgoingCount === 0 || 2 * popcount(subset & outgoing) > outgoingCount);
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x; v !== 0; v &= v - 1) n++;
  return n;
}

function membersOf(subset: number, ids: readonly NodeId[]): NodeId[] {
  return ids.filter((_, i) => (subset & (1 << i)) !== 0);
}
