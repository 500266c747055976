/**
 * Each checker must bite on its own, independently of the core: feed it a hand-built
 * history that breaks its property and it must say so (and stay quiet on a good one).
 */
import { encodeConfChange } from '../../raft/core/conf-change.js';
import { EntryType } from '../../raft/core/types.js';
import type { ConfState, Entry, Message, Ready, SnapshotMetadata } from '../../raft/core/types.js';
import { CheckerSuite } from '../../raft/testing/checkers/checker-suite.js';
import type { NodeStart } from '../../raft/testing/checkers/checker-suite.js';
import { CommitMonotonicChecker } from '../../raft/testing/checkers/commit-monotonic.js';
import { ConfigurationChecker, disjointQuorums, malformed } from '../../raft/testing/checkers/configuration-safety.js';
import { ElectionSafetyChecker } from '../../raft/testing/checkers/election-safety.js';
import { LeaderCompletenessChecker } from '../../raft/testing/checkers/leader-completeness.js';
import { LivenessChecker } from '../../raft/testing/checkers/liveness.js';
import { LogMatchingChecker } from '../../raft/testing/checkers/log-matching.js';
import { ReadLinearizabilityChecker } from '../../raft/testing/checkers/read-linearizability.js';
import { RestoredStateChecker } from '../../raft/testing/checkers/restored-state.js';
import { ShadowLog } from '../../raft/testing/checkers/shadow-log.js';
import type { ShadowEntry } from '../../raft/testing/checkers/shadow-log.js';
import { SnapshotMatchingChecker } from '../../raft/testing/checkers/snapshot-matching.js';
import { SnapshotRestartChecker } from '../../raft/testing/checkers/snapshot-restarts.js';
import { StateMachineSafetyChecker } from '../../raft/testing/checkers/state-machine-safety.js';
import { VoteSafetyChecker } from '../../raft/testing/checkers/vote-safety.js';
import { encodeWrite } from '../../raft/testing/command-codec.js';
import { SNAPSHOT_RESTARTS_MAX } from '../../raft/testing/constants.js';

/** A log from (term, payload) pairs starting at index 1. */
function log(node: number, entries: Array<[number, number]>): ShadowLog {
  const shadow = new ShadowLog(node);
  shadow.overwrite(entries.map(([term, payload], i) => ({ index: i + 1, term, payload })));
  return shadow;
}

function shadowEntries(from: number, entries: Array<[number, number]>): ShadowEntry[] {
  return entries.map(([term, payload], i) => ({ index: from + i, term, payload }));
}

/** A configuration: voters, then optionally learners, outgoing voters and learnersNext. */
function conf(voters: number[], learners: number[] = [], votersOutgoing: number[] = [], learnersNext: number[] = []): ConfState {
  return { voters, learners, votersOutgoing, learnersNext };
}

describe('ShadowLog', () => {
  it('starts after a base entry: nothing below it, only the term at it', () => {
    const shadow = new ShadowLog(1);
    shadow.reset(shadowEntries(11, [[3, 7], [3, 8]]), { index: 10, term: 2 });
    expect(shadow.baseIndex).toBe(10);
    expect(shadow.lastIndex).toBe(12);
    expect(shadow.termAt(9)).toBeUndefined();
    expect(shadow.termAt(10)).toBe(2);
    expect(shadow.payloadAt(10)).toBeUndefined();
    expect(shadow.payloadAt(12)).toBe(8);
    expect(() => shadow.overwrite(shadowEntries(10, [[3, 9]]))).toThrow();
    expect(() => shadow.overwrite(shadowEntries(14, [[3, 9]]))).toThrow();
    shadow.overwrite(shadowEntries(12, [[4, 9]]));
    expect(shadow.termAt(12)).toBe(4);
  });
});

describe('ElectionSafetyChecker', () => {
  it('accepts one leader per term, repeated observations included', () => {
    const checker = new ElectionSafetyChecker();
    expect(checker.observeLeader(1, 1)).toBeNull();
    expect(checker.observeLeader(1, 1)).toBeNull();
    expect(checker.observeLeader(2, 2)).toBeNull();
    expect(checker.elections).toBe(2);
  });

  it('reports two leaders in one term', () => {
    const checker = new ElectionSafetyChecker();
    checker.observeLeader(1, 3);
    expect(checker.observeLeader(2, 3)?.property).toBe('election-safety');
  });
});

describe('VoteSafetyChecker', () => {
  it('accepts a vote per term, a vote made after an empty one, and new terms', () => {
    const checker = new VoteSafetyChecker();
    expect(checker.observeDurableHardState(1, { term: 1, vote: 0, commit: 0 })).toBeNull();
    expect(checker.observeDurableHardState(1, { term: 1, vote: 2, commit: 0 })).toBeNull();
    expect(checker.observeDurableHardState(1, { term: 1, vote: 2, commit: 3 })).toBeNull();
    expect(checker.observeDurableHardState(1, { term: 2, vote: 3, commit: 3 })).toBeNull();
  });

  it('reports a second, different vote in one term (a restart that forgot the first)', () => {
    const checker = new VoteSafetyChecker();
    checker.observeDurableHardState(1, { term: 4, vote: 2, commit: 0 });
    checker.observeDurableHardState(1, { term: 4, vote: 0, commit: 0 }); // forgotten on restart
    expect(checker.observeDurableHardState(1, { term: 4, vote: 3, commit: 0 })?.property).toBe('vote-safety');
  });

  it('reports a durable term going back', () => {
    const checker = new VoteSafetyChecker();
    checker.observeDurableHardState(1, { term: 5, vote: 0, commit: 0 });
    expect(checker.observeDurableHardState(1, { term: 4, vote: 0, commit: 0 })?.property).toBe('vote-safety');
  });
});

describe('LogMatchingChecker', () => {
  it('accepts the same entries appended by several nodes', () => {
    const checker = new LogMatchingChecker();
    expect(checker.observeAppend(1, 0, shadowEntries(1, [[1, 0], [1, 5], [2, 0]]))).toBeNull();
    expect(checker.observeAppend(2, 0, shadowEntries(1, [[1, 0], [1, 5]]))).toBeNull();
    expect(checker.observeAppend(2, 1, shadowEntries(3, [[2, 0]]))).toBeNull();
  });

  it('reports a different payload at the same index and term', () => {
    const checker = new LogMatchingChecker();
    checker.observeAppend(1, 0, shadowEntries(1, [[1, 7]]));
    expect(checker.observeAppend(2, 0, shadowEntries(1, [[1, 8]]))?.property).toBe('log-matching');
  });

  it('reports the same entry after a different predecessor', () => {
    const checker = new LogMatchingChecker();
    checker.observeAppend(1, 1, shadowEntries(2, [[3, 9]]));
    expect(checker.observeAppend(2, 2, shadowEntries(2, [[3, 9]]))?.property).toBe('log-matching');
  });

  it('reports terms going down along a log, and gaps', () => {
    const checker = new LogMatchingChecker();
    expect(checker.observeAppend(1, 3, shadowEntries(5, [[2, 0]]))?.property).toBe('log-matching');
    const gap: ShadowEntry[] = [
      { index: 1, term: 1, payload: 1 },
      { index: 3, term: 1, payload: 2 },
    ];
    expect(checker.observeAppend(1, 0, gap)?.property).toBe('log-matching');
  });
});

describe('LeaderCompletenessChecker', () => {
  it('accepts a new leader holding everything committed earlier', () => {
    const checker = new LeaderCompletenessChecker();
    const follower = log(1, [[1, 0], [1, 5]]);
    expect(checker.observeCommit(1, 1, 2, follower)).toBeNull();
    expect(checker.observeLeader(2, 2, log(2, [[1, 0], [1, 5], [2, 0]]))).toBeNull();
  });

  it('reports a leader of a later term lacking a committed entry (Figure 8)', () => {
    const checker = new LeaderCompletenessChecker();
    // n1 committed index 2 (an entry of term 2) while in term 4 ...
    checker.observeCommit(1, 4, 2, log(1, [[1, 0], [2, 7], [4, 0]]));
    // ... and n5 becomes leader of term 5 with term 3 at index 2.
    expect(checker.observeLeader(5, 5, log(5, [[1, 0], [3, 8]]))?.property).toBe('leader-completeness');
  });

  it('reports a commit recorded after a later-term leader was elected without it', () => {
    const checker = new LeaderCompletenessChecker();
    expect(checker.observeLeader(5, 5, log(5, [[1, 0], [3, 8]]))).toBeNull();
    expect(checker.observeCommit(1, 4, 2, log(1, [[1, 0], [2, 7]]))?.property).toBe('leader-completeness');
  });

  it('ignores leaders of the same or earlier terms, and stepped-down leaders', () => {
    const checker = new LeaderCompletenessChecker();
    checker.observeLeader(5, 4, log(5, [[1, 0], [3, 8]]));
    checker.observeLeader(6, 9, log(6, [[1, 0], [3, 8]]));
    checker.observeNotLeader(6);
    expect(checker.observeCommit(1, 4, 2, log(1, [[1, 0], [2, 7]]))).toBeNull();
  });

  it('counts entries up to a log base as present, and compares the term at the base', () => {
    const checker = new LeaderCompletenessChecker();
    checker.observeCommit(1, 2, 3, log(1, [[1, 0], [1, 5], [2, 6]]));
    const compacted = new ShadowLog(2);
    compacted.reset(shadowEntries(3, [[2, 6], [3, 0]]), { index: 2, term: 1 });
    expect(checker.observeLeader(2, 3, compacted)).toBeNull();
    const wrongBase = new ShadowLog(3);
    wrongBase.reset(shadowEntries(3, [[2, 6]]), { index: 2, term: 2 });
    expect(checker.observeLeader(3, 4, wrongBase)?.property).toBe('leader-completeness');
  });

  it('reports two different entries committed at one index', () => {
    const checker = new LeaderCompletenessChecker();
    checker.observeCommit(1, 2, 2, log(1, [[1, 0], [2, 7]]));
    expect(checker.observeCommit(2, 3, 2, log(2, [[1, 0], [3, 8]]))?.property).toBe('state-machine-safety');
  });
});

describe('StateMachineSafetyChecker', () => {
  it('accepts the same applies on every node, and re-applying after a restart', () => {
    const checker = new StateMachineSafetyChecker();
    expect(checker.observeApply(1, 1, 0)).toBeNull();
    expect(checker.observeApply(1, 2, 5)).toBeNull();
    expect(checker.observeApply(2, 1, 0)).toBeNull();
    checker.observeStart(1);
    expect(checker.observeApply(1, 1, 0)).toBeNull();
  });

  it('reports a different entry applied at one index', () => {
    const checker = new StateMachineSafetyChecker();
    checker.observeApply(1, 1, 5);
    expect(checker.observeApply(2, 1, 6)?.property).toBe('state-machine-safety');
  });

  it('reports applies out of order', () => {
    const checker = new StateMachineSafetyChecker();
    checker.observeApply(1, 1, 5);
    expect(checker.observeApply(1, 3, 6)?.property).toBe('state-machine-safety');
  });

  it('lets a state machine restored from a snapshot apply from the index after it', () => {
    const checker = new StateMachineSafetyChecker();
    checker.observeApply(1, 1, 5);
    checker.observeStart(2, 10);
    expect(checker.observeApply(2, 10, 6)?.property).toBe('state-machine-safety');
    checker.observeStart(2, 10);
    expect(checker.observeApply(2, 11, 6)).toBeNull();
    expect(checker.observeApply(1, 2, 4)).toBeNull();
    expect(checker.observeRestore(1, 20)).toBeNull();
    expect(checker.observeApply(1, 21, 9)).toBeNull();
    expect(checker.observeApply(2, 12, 7)).toBeNull();
  });

  it('reports a snapshot that takes a state machine back', () => {
    const checker = new StateMachineSafetyChecker();
    checker.observeStart(1, 10);
    checker.observeApply(1, 11, 5);
    expect(checker.observeRestore(1, 9)?.property).toBe('state-machine-safety');
  });
});

describe('CommitMonotonicChecker', () => {
  it('accepts a commit index reset by a restart (new incarnation), not a durable one', () => {
    const checker = new CommitMonotonicChecker();
    expect(checker.observeCommit(1, 0, 10)).toBeNull();
    expect(checker.observeCommit(1, 1, 0)).toBeNull();
    expect(checker.observeDurableCommit(1, 10)).toBeNull();
    expect(checker.observeDurableCommit(1, 9)?.property).toBe('commit-monotonic');
  });

  it('reports a commit index going back within one life', () => {
    const checker = new CommitMonotonicChecker();
    checker.observeCommit(1, 0, 10);
    expect(checker.observeCommit(1, 0, 9)?.property).toBe('commit-monotonic');
  });

  it('reports applying beyond the commit index', () => {
    const checker = new CommitMonotonicChecker();
    expect(checker.observeApplied(1, 5, 5)).toBeNull();
    expect(checker.observeApplied(1, 6, 5)?.property).toBe('applied-within-commit');
  });
});

describe('ReadLinearizabilityChecker', () => {
  it('accepts a read that sees every write acknowledged before it started', () => {
    const checker = new ReadLinearizabilityChecker();
    checker.observeWriteAck(1, 10);
    checker.observeReadStart('r1');
    checker.observeWriteAck(2, 20); // acknowledged after the read started: not required
    expect(checker.observeReadServed('r1', 10, 10)).toBeNull();
  });

  it('reports a stale read', () => {
    const checker = new ReadLinearizabilityChecker();
    checker.observeWriteAck(1, 10);
    checker.observeReadStart('r1');
    expect(checker.observeReadServed('r1', 8, 9)?.property).toBe('read-linearizability');
  });

  it('reports a read served before the node applied up to its read index', () => {
    const checker = new ReadLinearizabilityChecker();
    checker.observeReadStart('r1');
    expect(checker.observeReadServed('r1', 5, 4)?.property).toBe('read-linearizability');
  });

  it('forgets abandoned reads', () => {
    const checker = new ReadLinearizabilityChecker();
    checker.observeReadStart('r1');
    checker.observeReadAbandoned('r1');
    expect(() => checker.observeReadServed('r1', 1, 1)).toThrow();
  });
});

describe('LivenessChecker', () => {
  it('is satisfied once there is a leader and every required write is applied everywhere', () => {
    const checker = new LivenessChecker();
    checker.begin([1, 2], () => undefined, 100);
    expect(checker.check({ step: 10, leaderExists: true, appliedIndexes: [0, 0, 0] })).toBeNull();
    checker.observeFirstApply(1, 4);
    checker.observeFirstApply(2, 6);
    expect(checker.check({ step: 11, leaderExists: true, appliedIndexes: [6, 6, 5] })).toBeNull();
    expect(checker.done).toBe(false);
    expect(checker.check({ step: 12, leaderExists: true, appliedIndexes: [6, 7, 6] })).toBeNull();
    expect(checker.done).toBe(true);
  });

  it('reports no leader by the deadline', () => {
    const checker = new LivenessChecker();
    checker.begin([], () => undefined, 100);
    expect(checker.check({ step: 100, leaderExists: false, appliedIndexes: [0, 0, 0] })?.property).toBe('liveness');
  });

  it('reports writes never applied, or not applied on every node, by the deadline', () => {
    const pending = new LivenessChecker();
    pending.begin([1], () => undefined, 100);
    expect(pending.check({ step: 100, leaderExists: true, appliedIndexes: [3, 3, 3] })?.detail).toMatch(/never applied/);
    const lagging = new LivenessChecker();
    lagging.begin([1], (id) => (id === 1 ? 4 : undefined), 100);
    expect(lagging.check({ step: 100, leaderExists: true, appliedIndexes: [4, 3, 4] })?.detail).toMatch(/not every node/);
  });
});

describe('ConfigurationChecker', () => {
  it('finds no disjoint quorums across one-voter changes, learner changes and joint consensus', () => {
    expect(disjointQuorums(conf([1, 2, 3]), conf([1, 2, 3, 4]))).toBeNull();
    expect(disjointQuorums(conf([1, 2, 3, 4]), conf([1, 2, 3]))).toBeNull();
    expect(disjointQuorums(conf([1, 2]), conf([1]))).toBeNull();
    expect(disjointQuorums(conf([1, 2, 3]), conf([1, 2], [3]))).toBeNull();
    expect(disjointQuorums(conf([1, 2, 3]), conf([1, 2, 4], [], [1, 2, 3]))).toBeNull();
    expect(disjointQuorums(conf([1, 2, 4], [], [1, 2, 3]), conf([1, 2, 4]))).toBeNull();
    expect(disjointQuorums(conf([4, 5, 6], [1], [1, 2, 3], [1]), conf([4, 5, 6], [1]))).toBeNull();
  });

  it('finds disjoint quorums when two voters change in one step', () => {
    expect(disjointQuorums(conf([1, 2, 3]), conf([1, 2, 4]))).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(disjointQuorums(conf([1, 2, 3]), conf([1, 2, 3, 4, 5]))).not.toBeNull();
    expect(disjointQuorums(conf([1, 2, 3, 4, 5]), conf([4, 5, 6], [], [1, 2, 3, 4, 5]))).toBeNull();
    expect(disjointQuorums(conf([1, 2, 3, 4, 5]), conf([4, 5, 6]))).not.toBeNull();
  });

  it('tells malformed configurations', () => {
    expect(malformed(conf([1, 2]))).toBeNull();
    expect(malformed(conf([]))).toMatch(/no voters/);
    expect(malformed(conf([2, 1]))).toMatch(/ascending/);
    expect(malformed(conf([1, 2], [2]))).toMatch(/learner is also a voter/);
    expect(malformed(conf([1], [], [], [2]))).toMatch(/learnersNext outside/);
    expect(malformed(conf([1], [], [1, 2], [1]))).toMatch(/only outgoing/);
  });

  it('accepts the same safe transitions on every node', () => {
    const checker = new ConfigurationChecker();
    expect(checker.observeStart(1, 0, conf([1, 2, 3]))).toBeNull();
    expect(checker.observeStart(2, 0, conf([1, 2, 3]))).toBeNull();
    expect(checker.observeApplied(1, 5, conf([1, 2, 3], [4]))).toBeNull();
    expect(checker.observeApplied(1, 8, conf([1, 2, 4], [], [1, 2, 3]))).toBeNull();
    expect(checker.observeApplied(2, 5, conf([1, 2, 3], [4]))).toBeNull();
    expect(checker.observeApplied(2, 8, conf([1, 2, 4], [], [1, 2, 3]))).toBeNull();
    expect(checker.observeApplied(2, 9, conf([1, 2, 4]))).toBeNull();
    expect(checker.configAt(4)).toEqual(conf([1, 2, 3]));
    expect(checker.configAt(7)).toEqual(conf([1, 2, 3], [4]));
    expect(checker.latest()).toEqual(conf([1, 2, 4]));
    expect(checker.changesRecorded).toBe(3);
  });

  it('reports a transition that admits disjoint quorums (a joint change made in one step)', () => {
    const checker = new ConfigurationChecker();
    checker.observeStart(1, 0, conf([1, 2, 3]));
    expect(checker.observeApplied(1, 5, conf([1, 2, 4]))?.property).toBe('configuration-safety');
  });

  it('checks a restarted node from its snapshot configuration', () => {
    const checker = new ConfigurationChecker();
    checker.observeStart(1, 0, conf([1, 2, 3]));
    expect(checker.observeStart(1, 40, conf([1, 2, 3, 4, 5]))).toBeNull();
    expect(checker.observeApplied(1, 41, conf([1, 2, 3, 4, 6]))?.property).toBe('configuration-safety');
  });

  it('reports two nodes getting different configurations from the change at one index', () => {
    const checker = new ConfigurationChecker();
    checker.observeStart(1, 0, conf([1, 2, 3]));
    checker.observeStart(2, 0, conf([1, 2, 3]));
    checker.observeApplied(1, 5, conf([1, 2, 3], [4]));
    // n2's core makes nothing of the same entry: its configuration stays as it was.
    expect(checker.observeApplied(2, 5, null)?.property).toBe('configuration-safety');
  });

  it('reports a malformed configuration', () => {
    const checker = new ConfigurationChecker();
    checker.observeStart(1, 0, conf([1, 2, 3]));
    expect(checker.observeApplied(1, 5, conf([1, 2, 3], [3]))?.property).toBe('configuration-safety');
  });
});

describe('SnapshotMatchingChecker', () => {
  const metadata = (index: number, term: number, confState = conf([1, 2, 3])): SnapshotMetadata => ({ index, term, confState });

  it('accepts a snapshot naming the committed entry and the configuration in force', () => {
    const checker = new SnapshotMatchingChecker();
    expect(checker.observe(1, 'took', metadata(10, 2), 2, conf([1, 2, 3]))).toBeNull();
    expect(checker.observe(1, 'installed', metadata(10, 2), undefined, undefined)).toBeNull();
  });

  it('reports a snapshot with the wrong term', () => {
    const checker = new SnapshotMatchingChecker();
    expect(checker.observe(1, 'took', metadata(10, 5), 2, conf([1, 2, 3]))?.property).toBe('snapshot-matching');
  });

  it('reports a snapshot recording another configuration than the one in force', () => {
    const checker = new SnapshotMatchingChecker();
    expect(checker.observe(1, 'installed', metadata(10, 2, conf([1, 2, 3], [4])), 2, conf([1, 2, 3]))?.property).toBe(
      'snapshot-matching',
    );
  });
});

describe('RestoredStateChecker', () => {
  it('accepts a restore reaching the digest every node had at that index', () => {
    const checker = new RestoredStateChecker();
    expect(checker.observeApply(1, 1, 0xa)).toBeNull();
    expect(checker.observeApply(1, 2, 0xb)).toBeNull();
    expect(checker.observeRestore(2, 2, { index: 2, digest: 0xb })).toBeNull();
    expect(checker.observeApply(2, 3, 0xc)).toBeNull();
    expect(checker.observeApply(1, 3, 0xc)).toBeNull();
  });

  it('reports a restored state that differs from the others at its index', () => {
    const checker = new RestoredStateChecker();
    checker.observeApply(1, 2, 0xb);
    expect(checker.observeRestore(2, 2, { index: 2, digest: 0xbad })?.property).toBe('restored-state');
  });

  it('reports a later apply diverging from a state restored first', () => {
    const checker = new RestoredStateChecker();
    checker.observeRestore(2, 2, { index: 2, digest: 0xb });
    expect(checker.observeApply(1, 2, 0xc)?.property).toBe('restored-state');
  });

  it('reports a restored state applied up to another index than its snapshot', () => {
    const checker = new RestoredStateChecker();
    expect(checker.observeRestore(2, 5, { index: 4, digest: 0 })?.property).toBe('restored-state');
  });
});

describe('SnapshotRestartChecker', () => {
  const snap = (from: number, to: number, term: number, offset: number): Message => ({
    type: 'MsgSnap',
    from,
    to,
    term,
    snapshot: { index: 50, term: 2, confState: conf([1, 2, 3]) },
    offset,
    data: new Uint8Array(4),
    done: false,
  });
  const ack = (from: number, to: number, term: number, offset: number, reject = false): Message => ({
    type: 'MsgSnapResp',
    from,
    to,
    term,
    index: 50,
    offset,
    reject,
  });
  /** The follower sends `message`, and the leader steps it. */
  const deliver = (checker: SnapshotRestartChecker, message: Message) => {
    checker.observeSent(message);
    checker.observeStepped(message);
  };

  it(`reports more than ${SNAPSHOT_RESTARTS_MAX} restarts from 0 after acknowledgements`, () => {
    const checker = new SnapshotRestartChecker();
    checker.observeSent(snap(1, 2, 3, 0));
    for (let restart = 1; restart <= SNAPSHOT_RESTARTS_MAX; restart++) {
      deliver(checker, ack(2, 1, 3, 4));
      expect(checker.observeSent(snap(1, 2, 3, 0))).toBeNull();
    }
    deliver(checker, ack(2, 1, 3, 4));
    expect(checker.observeSent(snap(1, 2, 3, 0))?.property).toBe('snapshot-restarts');
  });

  it('does not count restarts after a crash, a report of holding nothing, or by another leader or term', () => {
    const checker = new SnapshotRestartChecker();
    checker.observeSent(snap(1, 2, 3, 0));
    for (let i = 0; i < 3 * SNAPSHOT_RESTARTS_MAX; i++) {
      deliver(checker, ack(2, 1, 3, 4));
      checker.observeCrash(2);
      expect(checker.observeSent(snap(1, 2, 3, 0))).toBeNull();
      deliver(checker, ack(2, 1, 3, 4));
      deliver(checker, ack(2, 1, 3, 0, true));
      expect(checker.observeSent(snap(1, 2, 3, 0))).toBeNull();
      deliver(checker, ack(2, 1, 3, 4));
      expect(checker.observeSent(snap(3, 2, 4, 0))).toBeNull();
      deliver(checker, ack(2, 3, 4, 4));
      expect(checker.observeSent(snap(3, 2, 5, 0))).toBeNull();
    }
    expect(checker.restarts).toBe(0);
  });

  it('ignores acknowledgements overtaken by later ones, and those of an earlier life', () => {
    const checker = new SnapshotRestartChecker();
    checker.observeSent(snap(1, 2, 3, 0));
    const early = ack(2, 1, 3, 4);
    const nothing = ack(2, 1, 3, 0, true);
    checker.observeSent(early);
    checker.observeSent(nothing);
    checker.observeStepped(nothing);
    checker.observeStepped(early); // reordered: older than "holds nothing"
    expect(checker.observeSent(snap(1, 2, 3, 0))).toBeNull();
    const beforeCrash = ack(2, 1, 3, 8);
    checker.observeSent(beforeCrash);
    checker.observeCrash(2);
    checker.observeStepped(beforeCrash);
    expect(checker.observeSent(snap(1, 2, 3, 0))).toBeNull();
    expect(checker.restarts).toBe(0);
  });

  it('counts a completed install (an append response past the snapshot) as acknowledged', () => {
    const checker = new SnapshotRestartChecker();
    checker.observeSent(snap(1, 2, 3, 0));
    deliver(checker, { type: 'MsgAppResp', from: 2, to: 1, term: 3, index: 50, reject: false, rejectHint: 0, logTerm: 0 });
    checker.observeSent(snap(1, 2, 3, 0));
    expect(checker.restarts).toBe(1);
  });
});

describe('CheckerSuite', () => {
  const entry = (index: number, term: number, write: number): Entry => ({
    index,
    term,
    type: EntryType.Normal,
    data: write === 0 ? new Uint8Array(0) : encodeWrite(write),
  });
  const confEntry = (index: number, term: number): Entry => ({
    index,
    term,
    type: EntryType.ConfChange,
    data: encodeConfChange({ changes: [{ type: 'add-learner', node: 4 }] }),
  });
  const ready = (fields: Partial<Ready>): Ready => ({
    snapshot: null,
    softState: null,
    hardState: null,
    entries: [],
    committedEntries: [],
    messages: [],
    readStates: [],
    ...fields,
  });
  const empty = { term: 0, vote: 0, commit: 0 };
  const bootstrap = conf([1, 2, 3]);
  const fresh = (fields: Partial<NodeStart> = {}): NodeStart => ({
    hardState: empty,
    logBase: { index: 0, term: 0 },
    entries: [],
    snapshot: { index: 0, term: 0, confState: bootstrap },
    restored: null,
    ...fields,
  });

  it('follows Readies into shadow logs and catches a leader overwriting its own log', () => {
    const suite = new CheckerSuite();
    suite.onStart(1, fresh());
    suite.onReady(1, 0, ready({ entries: [entry(1, 1, 0), entry(2, 1, 1)] }), 'leader', 1);
    expect(suite.violation).toBeNull();
    suite.onReady(1, 0, ready({ entries: [entry(2, 1, 1)] }), 'leader', 1);
    expect(suite.violation?.property).toBe('leader-append-only');
  });

  it('catches an append that leaves a gap in a node log', () => {
    const suite = new CheckerSuite();
    suite.onStart(1, fresh());
    suite.onReady(1, 0, ready({ entries: [entry(3, 1, 0)] }), 'follower', 1);
    expect(suite.violation?.property).toBe('log-matching');
  });

  it('rebuilds a node log from its disk on restart and checks it against durable commits', () => {
    const suite = new CheckerSuite();
    suite.onStart(1, fresh());
    suite.onReady(1, 0, ready({ entries: [entry(1, 1, 0), entry(2, 1, 1)], hardState: { term: 1, vote: 1, commit: 2 } }), 'leader', 1);
    suite.onPersisted(1, { term: 1, vote: 1, commit: 2 });
    suite.onStart(2, fresh({ entries: [entry(1, 1, 0), entry(2, 2, 9)], hardState: { term: 2, vote: 2, commit: 0 } }));
    suite.onReady(2, 0, ready({ entries: [entry(3, 3, 0)], softState: { leader: 2, role: 'leader' } }), 'leader', 3);
    expect(suite.violation?.property).toBe('leader-completeness');
  });

  it('does not count a commit index in a Ready that never became durable', () => {
    const suite = new CheckerSuite();
    suite.onStart(1, fresh());
    // A sole voter commits its entry with the Ready that appends it, then crashes before the write.
    suite.onReady(1, 0, ready({ entries: [entry(1, 1, 0), entry(2, 1, 1)], hardState: { term: 1, vote: 1, commit: 2 } }), 'leader', 1);
    suite.onCrash(1);
    suite.onStart(1, fresh({ entries: [entry(1, 1, 0)], hardState: { term: 1, vote: 1, commit: 1 } }));
    suite.onReady(1, 1, ready({ entries: [entry(2, 2, 0)] }), 'leader', 2);
    expect(suite.violation).toBeNull();
  });

  it('lets a sole voter reuse a term for other entries after a crash lost them', () => {
    const suite = new CheckerSuite();
    suite.onStart(1, fresh({ snapshot: { index: 0, term: 0, confState: conf([1]) } }));
    suite.onReady(1, 0, ready({ entries: [entry(1, 1, 7)], hardState: { term: 1, vote: 1, commit: 1 } }), 'leader', 1);
    suite.onCrash(1);
    suite.onStart(1, fresh({ snapshot: { index: 0, term: 0, confState: conf([1]) } }));
    suite.onReady(1, 1, ready({ entries: [entry(1, 1, 8)], hardState: { term: 1, vote: 1, commit: 1 } }), 'leader', 1);
    suite.onPersisted(1, { term: 1, vote: 1, commit: 1 });
    expect(suite.violation).toBeNull();
    suite.onStart(2, fresh({ snapshot: { index: 0, term: 0, confState: conf([1]) } }));
    suite.onReady(2, 0, ready({ entries: [entry(1, 1, 7)] }), 'follower', 1);
    suite.onPersisted(2, null);
    expect(suite.violation?.property).toBe('log-matching');
  });

  it('replaces a node log with an installed snapshot and goes on after it', () => {
    const suite = new CheckerSuite();
    suite.onStart(1, fresh());
    const entries = [entry(1, 1, 0), entry(2, 1, 1), entry(3, 1, 2)];
    suite.onReady(1, 0, ready({ entries, hardState: { term: 1, vote: 1, commit: 3 } }), 'leader', 1);
    suite.onPersisted(1, { term: 1, vote: 1, commit: 3 });
    suite.onApplied(1, 1, 0, 0xa);
    suite.onApplied(1, 2, 1, 0xb);
    suite.onStart(2, fresh());
    const snapshot = { metadata: { index: 2, term: 1, confState: bootstrap }, data: new Uint8Array(0) };
    suite.onReady(2, 0, ready({ snapshot, entries: [entry(3, 1, 2)], hardState: { term: 1, vote: 0, commit: 3 } }), 'follower', 1);
    suite.onSnapshotInstalled(2, snapshot.metadata, { index: 2, digest: 0xb });
    suite.onPersisted(2, { term: 1, vote: 0, commit: 3 });
    suite.onApplied(2, 3, 2, 0xc);
    expect(suite.violation).toBeNull();
  });

  it('catches an installed snapshot whose term is not the committed entry', () => {
    const suite = new CheckerSuite();
    suite.onStart(1, fresh());
    suite.onReady(1, 0, ready({ entries: [entry(1, 1, 0), entry(2, 1, 1)], hardState: { term: 1, vote: 1, commit: 2 } }), 'leader', 1);
    suite.onPersisted(1, { term: 1, vote: 1, commit: 2 });
    suite.onApplied(1, 1, 0, 0xa);
    suite.onApplied(1, 2, 1, 0xb);
    suite.onStart(2, fresh());
    const metadata = { index: 2, term: 4, confState: bootstrap };
    suite.onReady(2, 0, ready({ snapshot: { metadata, data: new Uint8Array(0) } }), 'follower', 4);
    suite.onSnapshotInstalled(2, metadata, { index: 2, digest: 0xb });
    expect(suite.violation?.property).toBe('snapshot-matching');
  });

  it('catches a restart restoring a state that differs from what the others applied', () => {
    const suite = new CheckerSuite();
    suite.onStart(1, fresh());
    suite.onApplied(1, 1, 0, 0xa);
    suite.onApplied(1, 2, 1, 0xb);
    const snapshot = { index: 2, term: 1, confState: bootstrap };
    suite.onStart(2, fresh({ snapshot, logBase: { index: 2, term: 1 }, restored: { index: 2, digest: 0xbad } }));
    expect(suite.violation?.property).toBe('restored-state');
  });

  it('treats a membership change the core reports nothing for as no change', () => {
    const suite = new CheckerSuite();
    suite.onStart(1, fresh());
    suite.onStart(2, fresh());
    suite.onConfChangesApplied(1, [5], [{ index: 5, confState: conf([1, 2, 3], [4]) }]);
    expect(suite.violation).toBeNull();
    expect(suite.latestConfig()).toEqual(conf([1, 2, 3], [4]));
    suite.onConfChangesApplied(2, [5], []);
    expect(suite.violation?.property).toBe('configuration-safety');
  });

  it('catches a configuration reported for an index that was not a membership change', () => {
    const suite = new CheckerSuite();
    suite.onStart(1, fresh());
    suite.onConfChangesApplied(1, [], [{ index: 5, confState: conf([1, 2, 3], [4]) }]);
    expect(suite.violation?.property).toBe('configuration-safety');
  });

  it('gives membership change entries their own payload identity in the logs', () => {
    const suite = new CheckerSuite();
    suite.onStart(1, fresh());
    suite.onStart(2, fresh());
    suite.onReady(1, 0, ready({ entries: [entry(1, 1, 0), confEntry(2, 1)] }), 'follower', 1);
    suite.onPersisted(1, null);
    suite.onReady(2, 0, ready({ entries: [entry(1, 1, 0), entry(2, 1, 0)] }), 'follower', 1);
    suite.onPersisted(2, null);
    expect(suite.violation?.property).toBe('log-matching');
  });

  it('keeps only the first violation', () => {
    const suite = new CheckerSuite();
    suite.onStart(1, fresh());
    suite.onStart(2, fresh());
    suite.onReady(1, 0, ready({}), 'leader', 1);
    suite.onReady(2, 0, ready({}), 'leader', 1);
    suite.onApplied(1, 2, 0, 0);
    expect(suite.violation?.property).toBe('election-safety');
  });
});
