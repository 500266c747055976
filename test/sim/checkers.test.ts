/**
 * Each checker must bite on its own, independently of the core: feed it a hand-built
 * history that breaks its property and it must say so (and stay quiet on a good one).
 */
import { EntryType } from '../../raft/core/types.js';
import type { Entry, Ready } from '../../raft/core/types.js';
import { CheckerSuite } from '../../raft/testing/checkers/checker-suite.js';
import { CommitMonotonicChecker } from '../../raft/testing/checkers/commit-monotonic.js';
import { ElectionSafetyChecker } from '../../raft/testing/checkers/election-safety.js';
import { LeaderCompletenessChecker } from '../../raft/testing/checkers/leader-completeness.js';
import { LivenessChecker } from '../../raft/testing/checkers/liveness.js';
import { LogMatchingChecker } from '../../raft/testing/checkers/log-matching.js';
import { ReadLinearizabilityChecker } from '../../raft/testing/checkers/read-linearizability.js';
import { ShadowLog } from '../../raft/testing/checkers/shadow-log.js';
import type { ShadowEntry } from '../../raft/testing/checkers/shadow-log.js';
import { StateMachineSafetyChecker } from '../../raft/testing/checkers/state-machine-safety.js';
import { VoteSafetyChecker } from '../../raft/testing/checkers/vote-safety.js';
import { encodeWrite } from '../../raft/testing/command-codec.js';

/** A log from (term, payload) pairs starting at index 1. */
function log(node: number, entries: Array<[number, number]>): ShadowLog {
  const shadow = new ShadowLog(node);
  shadow.overwrite(entries.map(([term, payload], i) => ({ index: i + 1, term, payload })));
  return shadow;
}

function shadowEntries(from: number, entries: Array<[number, number]>): ShadowEntry[] {
  return entries.map(([term, payload], i) => ({ index: from + i, term, payload }));
}

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

describe('CheckerSuite', () => {
  const entry = (index: number, term: number, write: number): Entry => ({
    index,
    term,
    type: EntryType.Normal,
    data: write === 0 ? new Uint8Array(0) : encodeWrite(write),
  });
  const ready = (fields: Partial<Ready>): Ready => ({
    softState: null,
    hardState: null,
    entries: [],
    committedEntries: [],
    messages: [],
    readStates: [],
    ...fields,
  });
  const empty = { term: 0, vote: 0, commit: 0 };

  it('follows Readies into shadow logs and catches a leader overwriting its own log', () => {
    const suite = new CheckerSuite();
    suite.onStart(1, [], empty);
    suite.onReady(1, 0, ready({ entries: [entry(1, 1, 0), entry(2, 1, 1)] }), 'leader', 1);
    expect(suite.violation).toBeNull();
    suite.onReady(1, 0, ready({ entries: [entry(2, 1, 1)] }), 'leader', 1);
    expect(suite.violation?.property).toBe('leader-append-only');
  });

  it('catches an append that leaves a gap in a node log', () => {
    const suite = new CheckerSuite();
    suite.onStart(1, [], empty);
    suite.onReady(1, 0, ready({ entries: [entry(3, 1, 0)] }), 'follower', 1);
    expect(suite.violation?.property).toBe('log-matching');
  });

  it('rebuilds a node log from its disk on restart and checks it against commits', () => {
    const suite = new CheckerSuite();
    suite.onStart(1, [], empty);
    suite.onReady(1, 0, ready({ entries: [entry(1, 1, 0), entry(2, 1, 1)], hardState: { term: 1, vote: 1, commit: 2 } }), 'leader', 1);
    suite.onStart(2, [entry(1, 1, 0), entry(2, 2, 9)], { term: 2, vote: 2, commit: 0 });
    suite.onReady(2, 0, ready({ entries: [entry(3, 3, 0)], softState: { leader: 2, role: 'leader' } }), 'leader', 3);
    expect(suite.violation?.property).toBe('leader-completeness');
  });

  it('keeps only the first violation', () => {
    const suite = new CheckerSuite();
    suite.onStart(1, [], empty);
    suite.onStart(2, [], empty);
    suite.onReady(1, 0, ready({}), 'leader', 1);
    suite.onReady(2, 0, ready({}), 'leader', 1);
    suite.onApplied(1, 2, 0);
    expect(suite.violation?.property).toBe('election-safety');
  });
});
