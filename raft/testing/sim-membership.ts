/**
 * The membership operator of the fault phase: through the current leader it adds spare
 * nodes as learners (or straight as voters), promotes learners, demotes voters, removes
 * voters (the leader itself included) and learners, replaces a voter by another node and
 * swaps roles (two-voter changes: joint consensus), and now and then asks explicitly to
 * leave a joint configuration. It acts more often while a partition is in force, so that
 * changes race with isolation and leader changes. The core may refuse (a change pending,
 * no leader of its own term yet, a change that cannot apply): refusals are counted, never
 * retried.
 *
 * Choices come from the leader's configuration in force and keep at least one voter; they
 * lean towards the initial number of voters, so that the cluster neither withers nor
 * swells.
 */
import type { SeededRandom } from '../core/random.js';
import type { ConfChange, ConfChangeSingle, ConfState, NodeId } from '../core/types.js';
import { TICK_UNITS } from './constants.js';
import type { SimNetwork } from './sim-network.js';
import type { SimNode } from './sim-node.js';

export const MEMBERSHIP_ACTIONS = [
  'add-learner',
  'add-voter',
  'promote',
  'demote',
  'remove-voter',
  'remove-leader',
  'remove-learner',
  'replace-voter',
  'swap-roles',
  'add-voters',
  'leave-joint',
] as const;
export type MembershipAction = (typeof MEMBERSHIP_ACTIONS)[number];

export interface MembershipCounts {
  /** Changes proposed, by kind (accepted or not). */
  readonly proposed: Record<MembershipAction, number>;
  /** Proposals the core refused. */
  refused: number;
}

/** What the operator acts on; implemented by the simulator. */
export interface MembershipTarget {
  readonly nodes: readonly SimNode[];
  readonly network: SimNetwork;
  /** The running node that leads in the highest term, if any. */
  leader(): SimNode | null;
  /** Propose `cc` on `node`'s core: null when accepted, else the refusal's reason. */
  proposeConfChange(node: SimNode, cc: ConfChange): string | null;
  /** Run `action` after `delayUnits` of virtual time. */
  defer(delayUnits: number, action: () => void): void;
  trace(line: string): void;
}

export interface MembershipRates {
  /** Chance per step of proposing a change (0: this seed never changes membership). */
  readonly change: number;
  /** Spare nodes beyond the initial voters (≤ SPARE_NODES_MAX; 0 when `change` is 0). */
  readonly spares: number;
}

/** Changes are this many times likelier while a partition is in force. */
const PARTITION_FACTOR = 3;
/** Chance of proposing a second change right after the first (mostly refused: one at a time). */
const BURST_PROBABILITY = 0.15;

export function drawMembershipRates(random: SeededRandom, sparesMax: number): MembershipRates {
  const on = random.chance(0.75);
  const change = 0.004 + 0.016 * random.float();
  const spares = 1 + random.int(Math.max(1, sparesMax));
  return { change: on ? change : 0, spares: on ? Math.min(spares, sparesMax) : 0 };
}

interface Plan {
  readonly action: MembershipAction;
  readonly changes: readonly ConfChangeSingle[];
}

export class MembershipOperator {
  private active = true;
  readonly counts: MembershipCounts = {
    proposed: Object.fromEntries(MEMBERSHIP_ACTIONS.map((action) => [action, 0])) as Record<MembershipAction, number>,
    refused: 0,
  };

  /**
   * `initialVoters`: the cluster size membership leans back towards. `removals`: whether
   * voters may be removed or demoted. A removed voter that never learns of its removal
   * goes on campaigning; pre-vote or check-quorum make the cluster ignore it (thesis
   * §4.2.3), and without either a real deployment shuts it down, so the simulator only
   * removes voters in seeds that run with one of them.
   */
  constructor(
    private readonly random: SeededRandom,
    private readonly target: MembershipTarget,
    private readonly rates: MembershipRates,
    private readonly initialVoters: number,
    private readonly removals: boolean,
  ) {}

  /** Once per step of the fault phase. */
  step(): void {
    if (!this.active || this.rates.change === 0) return;
    const rate = this.target.network.hasPartition() ? this.rates.change * PARTITION_FACTOR : this.rates.change;
    if (!this.random.chance(rate)) return;
    this.proposeOne();
    if (this.random.chance(BURST_PROBABILITY)) {
      this.target.defer(this.random.int(3 * TICK_UNITS), () => {
        if (this.active) this.proposeOne();
      });
    }
  }

  /** End of the fault phase: no more changes. */
  stop(): void {
    this.active = false;
  }

  private proposeOne(): void {
    const leader = this.target.leader();
    if (leader === null) return;
    const status = leader.status()!;
    const plan = this.plan(leader.id, status.config);
    if (plan === null) return;
    this.counts.proposed[plan.action]++;
    const refusal = this.target.proposeConfChange(leader, { changes: plan.changes });
    if (refusal !== null) this.counts.refused++;
    this.target.trace(
      `member: n${leader.id} proposes ${plan.action} ${describeChanges(plan.changes)}${refusal === null ? '' : ` (refused: ${refusal})`}`,
    );
  }

  /** A change that can apply to `config`, weighted towards the initial cluster size; null: none now. */
  private plan(leader: NodeId, config: ConfState): Plan | null {
    if (config.votersOutgoing.length > 0) {
      // The leader leaves a joint configuration by itself; sometimes ask for it explicitly.
      return this.random.chance(0.3) ? { action: 'leave-joint', changes: [] } : null;
    }
    const voters = config.voters;
    const learners = config.learners;
    const members = new Set([...voters, ...learners]);
    const strangers = this.target.nodes.map((node) => node.id).filter((id) => !members.has(id));
    const outsiders = [...learners, ...strangers];
    const otherVoters = this.removals ? voters.filter((id) => id !== leader) : [];
    const few = voters.length < this.initialVoters;
    const many = voters.length > this.initialVoters;
    const options: Array<[number, () => Plan]> = [];
    if (strangers.length > 0) {
      options.push([3, () => ({ action: 'add-learner', changes: [{ type: 'add-learner', node: this.pick(strangers) }] })]);
      options.push([few ? 2 : 1, () => ({ action: 'add-voter', changes: [{ type: 'add-voter', node: this.pick(strangers) }] })]);
    }
    if (learners.length > 0) {
      options.push([few ? 5 : 2, () => ({ action: 'promote', changes: [{ type: 'add-voter', node: this.pick(learners) }] })]);
      options.push([1, () => ({ action: 'remove-learner', changes: [{ type: 'remove', node: this.pick(learners) }] })]);
    }
    if (otherVoters.length > 0) {
      options.push([many ? 2 : 1, () => ({ action: 'demote', changes: [{ type: 'add-learner', node: this.pick(otherVoters) }] })]);
      options.push([many ? 4 : 1, () => ({ action: 'remove-voter', changes: [{ type: 'remove', node: this.pick(otherVoters) }] })]);
    }
    if (this.removals && voters.length > 1 && voters.includes(leader)) {
      options.push([1, () => ({ action: 'remove-leader', changes: [{ type: 'remove', node: leader }] })]);
    }
    if (this.removals && outsiders.length > 0) {
      options.push([
        4,
        () => {
          const incoming = this.pick(outsiders);
          const outgoing = voters.includes(leader) && this.random.chance(0.25) ? leader : this.pick(voters);
          return {
            action: 'replace-voter',
            changes: [
              { type: 'add-voter', node: incoming },
              { type: 'remove', node: outgoing },
            ],
          };
        },
      ]);
    }
    if (learners.length > 0 && otherVoters.length > 0) {
      options.push([
        1,
        () => ({
          action: 'swap-roles',
          changes: [
            { type: 'add-voter', node: this.pick(learners) },
            { type: 'add-learner', node: this.pick(otherVoters) },
          ],
        }),
      ]);
    }
    if (outsiders.length >= 2) {
      options.push([
        few ? 2 : 1,
        () => {
          const [a, b] = this.pickTwo(outsiders);
          return {
            action: 'add-voters',
            changes: [
              { type: 'add-voter', node: a },
              { type: 'add-voter', node: b },
            ],
          };
        },
      ]);
    }
    if (options.length === 0) return null;
    let draw = this.random.int(options.reduce((sum, [weight]) => sum + weight, 0));
    for (const [weight, make] of options) {
      if (draw < weight) return make();
      draw -= weight;
    }
    throw new Error('unreachable: weighted choice fell through');
  }

  private pick(ids: readonly NodeId[]): NodeId {
    return ids[this.random.int(ids.length)]!;
  }

  private pickTwo(ids: readonly NodeId[]): [NodeId, NodeId] {
    const first = this.random.int(ids.length);
    const second = (first + 1 + this.random.int(ids.length - 1)) % ids.length;
    return [ids[first]!, ids[second]!];
  }
}

/** `+v4 -2 +l5`: add voter 4, remove 2, add learner 5; `leave` for an empty change. */
export function describeChanges(changes: readonly ConfChangeSingle[]): string {
  if (changes.length === 0) return 'leave';
  const one = (change: ConfChangeSingle) =>
    change.type === 'remove' ? `-${change.node}` : `+${change.type === 'add-voter' ? 'v' : 'l'}${change.node}`;
  return changes.map(one).join(' ');
}
