/**
 * The membership operator proposes only changes that can apply to the configuration the
 * leader has in force, always keeps a voter, and exercises every kind of change, joint
 * ones included.
 */
import { changeConf, membersOf } from '../../raft/core/conf-change.js';
import { createSeededRandom } from '../../raft/core/random.js';
import type { ConfChange, ConfState } from '../../raft/core/types.js';
import { MEMBERSHIP_ACTIONS, MembershipOperator, describeChanges } from '../../raft/testing/sim-membership.js';
import type { MembershipTarget } from '../../raft/testing/sim-membership.js';
import type { SimNetwork } from '../../raft/testing/sim-network.js';
import type { SimNode } from '../../raft/testing/sim-node.js';

/** A cluster reduced to what the operator looks at: ids, a leader and its configuration. */
class FakeCluster implements MembershipTarget {
  readonly nodes: readonly SimNode[];
  readonly network = { hasPartition: () => false } as unknown as SimNetwork;
  config: ConfState = { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [] };
  leaderId = 1;
  readonly problems: string[] = [];
  private readonly deferred: Array<() => void> = [];

  constructor(size: number) {
    this.nodes = Array.from({ length: size }, (_, i) => this.fakeNode(i + 1));
  }

  leader(): SimNode | null {
    return this.nodes[this.leaderId - 1]!;
  }

  proposeConfChange(_node: SimNode, cc: ConfChange): string | null {
    try {
      const next = changeConf(this.config, cc);
      if (next.voters.length === 0) this.problems.push(`no voter left by ${describeChanges(cc.changes)}`);
      this.config = next;
    } catch (error) {
      this.problems.push(`${describeChanges(cc.changes)} on ${JSON.stringify(this.config)}: ${String(error)}`);
      return 'invalid';
    }
    // The leader leaves a joint configuration by itself, sooner or later; a removed leader hands over.
    if (this.config.votersOutgoing.length > 0 && this.leaderId % 2 === 0) this.config = changeConf(this.config, { changes: [] });
    if (!this.config.voters.includes(this.leaderId) && !this.config.votersOutgoing.includes(this.leaderId)) {
      this.leaderId = this.config.voters[0]!;
    }
    return null;
  }

  defer(_delayUnits: number, action: () => void): void {
    this.deferred.push(action);
  }

  runDeferred(): void {
    for (const action of this.deferred.splice(0)) action();
  }

  trace(): void {}

  private fakeNode(id: number): SimNode {
    return { id, status: () => ({ id, config: this.config }) } as unknown as SimNode;
  }
}

describe('MembershipOperator', () => {
  it('proposes only changes that apply, keeps a voter, and uses every kind of change', () => {
    const cluster = new FakeCluster(5);
    const operator = new MembershipOperator(createSeededRandom(7), cluster, { change: 1, spares: 2 }, 3, true);
    for (let step = 0; step < 3000; step++) {
      operator.step();
      cluster.runDeferred();
      expect(cluster.config.voters.length).toBeGreaterThan(0);
      expect(membersOf(cluster.config).every((id) => id >= 1 && id <= 5)).toBe(true);
    }
    expect(cluster.problems).toEqual([]);
    for (const action of MEMBERSHIP_ACTIONS) expect(operator.counts.proposed[action]).toBeGreaterThan(0);
  });

  it('never removes or demotes a voter in a seed without pre-vote or check-quorum (thesis §4.2.3)', () => {
    const cluster = new FakeCluster(5);
    const operator = new MembershipOperator(createSeededRandom(7), cluster, { change: 1, spares: 2 }, 3, false);
    let voters = new Set(cluster.config.voters);
    for (let step = 0; step < 3000; step++) {
      operator.step();
      cluster.runDeferred();
      for (const id of voters) expect(cluster.config.voters).toContain(id);
      voters = new Set(cluster.config.voters);
    }
    expect(cluster.problems).toEqual([]);
    expect(operator.counts.proposed['add-learner'] + operator.counts.proposed.promote).toBeGreaterThan(0);
    for (const action of ['demote', 'remove-voter', 'remove-leader', 'replace-voter', 'swap-roles'] as const) {
      expect(operator.counts.proposed[action]).toBe(0);
    }
  });

  it('does nothing when the seed has membership changes switched off, or after stop()', () => {
    const cluster = new FakeCluster(4);
    const off = new MembershipOperator(createSeededRandom(1), cluster, { change: 0, spares: 0 }, 3, true);
    const stopped = new MembershipOperator(createSeededRandom(1), cluster, { change: 1, spares: 1 }, 3, true);
    stopped.stop();
    for (let step = 0; step < 100; step++) {
      off.step();
      stopped.step();
    }
    expect(Object.values(off.counts.proposed).every((count) => count === 0)).toBe(true);
    expect(Object.values(stopped.counts.proposed).every((count) => count === 0)).toBe(true);
  });
});
