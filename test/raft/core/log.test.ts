/**
 * RaftLog unit tests: the follower's side of AppendEntries (§5.3: consistency check,
 * truncating a conflicting suffix, commit = min(leaderCommit, last new index)), the
 * up-to-date comparison of §5.4.1, the conflict hint of the fast back-off, the leader's
 * commit rule (§5.4.2), and the stable / unstable bookkeeping.
 */
import { AssertionFailedError } from '../../../raft/core/errors.js';
import { RaftLog } from '../../../raft/core/log.js';
import { MemoryStorage } from '../../../raft/storage/memory-storage.js';
import { entry } from './fixtures.js';

/** A log whose stored entries have `stored` terms and then `unstable` terms in memory. */
function logOf(stored: number[], unstable: number[] = []): { log: RaftLog; storage: MemoryStorage } {
  const storage = new MemoryStorage([1]);
  storage.append(stored.map((t, i) => entry(t, i + 1)));
  const log = new RaftLog(storage);
  log.append(unstable.map((t, i) => entry(t, stored.length + i + 1)));
  return { log, storage };
}

function terms(log: RaftLog): number[] {
  const out: number[] = [];
  for (let i = 1; i <= log.lastIndex(); i++) out.push(log.term(i)!);
  return out;
}

describe('term lookups', () => {
  test('term() covers stored and unstable entries, index 0, and nothing beyond', () => {
    const { log } = logOf([1, 1], [2]);
    expect([log.term(0), log.term(1), log.term(2), log.term(3), log.term(4)]).toEqual([0, 1, 1, 2, undefined]);
    expect(log.lastEntryId()).toEqual({ index: 3, term: 2 });
    expect(log.matchTerm(3, 2)).toBe(true);
    expect(log.matchTerm(3, 1)).toBe(false);
  });
});

describe('isUpToDate (§5.4.1)', () => {
  const { log } = logOf([1, 2, 2]); // last 2/3
  test.each([
    [3, 3, true, 'a higher last term wins even with a shorter log'],
    [1, 3, true, 'a higher last term, much shorter log'],
    [3, 2, true, 'same last term, same length'],
    [4, 2, true, 'same last term, longer log'],
    [2, 2, false, 'same last term, shorter log'],
    [9, 1, false, 'a lower last term loses however long the log'],
  ])('candidate last %i/term %i → %s (%s)', (index, term, expected) => {
    expect(log.isUpToDate(index, term)).toBe(expected);
  });
});

describe('maybeAppend: the follower side of AppendEntries (§5.3)', () => {
  test('rejects when the entry before the new ones is missing or has another term, changing nothing', () => {
    const { log } = logOf([1, 1, 2]);
    expect(log.maybeAppend(4, 2, 3, [entry(2, 5)])).toBeUndefined(); // no entry 4
    expect(log.maybeAppend(3, 1, 3, [entry(3, 4)])).toBeUndefined(); // entry 3 has term 2
    expect(terms(log)).toEqual([1, 1, 2]);
    expect(log.committed).toBe(0);
  });

  test('appends after a matching entry and commits min(leaderCommit, last new index)', () => {
    const { log } = logOf([1, 1]);
    expect(log.maybeAppend(2, 1, 10, [entry(2, 3), entry(2, 4)])).toBe(4);
    expect(terms(log)).toEqual([1, 1, 2, 2]);
    expect(log.committed).toBe(4);
    expect(log.maybeAppend(4, 2, 3, [])).toBe(4);
    expect(log.committed).toBe(4); // never decreases
  });

  test('a heartbeat-like empty append commits only up to the matched index, not to entries beyond it', () => {
    const { log } = logOf([1, 1, 1, 1]);
    expect(log.maybeAppend(2, 1, 4, [])).toBe(2);
    expect(log.committed).toBe(2);
  });

  test('truncates at the first conflicting entry and keeps a matching prefix', () => {
    const { log } = logOf([1, 1, 1, 1, 1]);
    expect(log.maybeAppend(1, 1, 0, [entry(1, 2), entry(3, 3), entry(3, 4)])).toBe(4);
    expect(terms(log)).toEqual([1, 1, 3, 3]); // 5 is gone with the conflict at 3
  });

  test('a stale or duplicate append that we already hold changes nothing (and keeps later entries)', () => {
    const { log } = logOf([1, 1, 1, 1]);
    expect(log.maybeAppend(1, 1, 0, [entry(1, 2)])).toBe(2);
    expect(terms(log)).toEqual([1, 1, 1, 1]);
    expect(log.hasUnstableEntries()).toBe(false);
  });

  test('overwriting a committed entry is a broken invariant', () => {
    const { log } = logOf([1, 1, 1]);
    log.commitTo(3);
    expect(() => log.maybeAppend(1, 1, 3, [entry(2, 2)])).toThrow(AssertionFailedError);
  });
});

describe('findConflictByTerm: the fast back-off hint (§5.3)', () => {
  // Figure 7 (f): 1 1 1 2 2 2 3 3 3 3 3
  const { log } = logOf([1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]);
  test.each([
    [10, 6, { index: 10, term: 3 }],
    [10, 3, { index: 10, term: 3 }],
    [10, 2, { index: 6, term: 2 }],
    [10, 1, { index: 3, term: 1 }],
    [10, 0, { index: 0, term: 0 }],
    [20, 3, { index: 11, term: 3 }], // beyond the log: start from the last entry
  ])('at or before %i with term ≤ %i → %o', (index, term, expected) => {
    expect(log.findConflictByTerm(index, term)).toEqual(expected);
  });
});

describe('commit (§5.4.2)', () => {
  test('maybeCommit advances only to an entry of the given (current) term', () => {
    const { log } = logOf([1, 1, 2]);
    expect(log.maybeCommit(2, 2)).toBe(false); // entry 2 is of term 1
    expect(log.committed).toBe(0);
    expect(log.maybeCommit(3, 2)).toBe(true);
    expect(log.committed).toBe(3);
    expect(log.maybeCommit(2, 1)).toBe(false); // never backwards
  });

  test('commitTo beyond the last index is a broken invariant', () => {
    const { log } = logOf([1]);
    expect(() => log.commitTo(2)).toThrow(AssertionFailedError);
  });
});

describe('stable / unstable bookkeeping', () => {
  test('new entries are unstable until stableTo; an overwrite shadows stored entries', () => {
    const { log, storage } = logOf([1, 1, 1]);
    log.append([entry(2, 2)]);
    expect(log.unstableEntries().map((e) => `${e.term}/${e.index}`)).toEqual(['2/2']);
    expect(log.lastIndex()).toBe(2);
    expect(log.term(3)).toBeUndefined(); // the stored entry 3 is overwritten
    storage.append(log.unstableEntries());
    log.stableTo(2, 2);
    expect(log.hasUnstableEntries()).toBe(false);
    expect(terms(log)).toEqual([1, 2]);
  });

  test('stableTo for an entry since overwritten in memory keeps the newer entries unstable', () => {
    const { log } = logOf([1], [1, 1]);
    log.append([entry(2, 2)]); // replaces 1/2 and 1/3 before they were persisted
    log.stableTo(3, 1); // the driver persisted the old 1/2..1/3
    expect(log.unstableEntries().map((e) => `${e.term}/${e.index}`)).toEqual(['2/2']);
  });

  test('appending with a gap is a broken invariant', () => {
    const { log } = logOf([1]);
    expect(() => log.append([entry(1, 3)])).toThrow(AssertionFailedError);
  });

  test('entriesFrom and nextEntriesToApply respect the size limit but always return at least one entry', () => {
    const { log } = logOf([1, 1], [1, 1]); // each empty entry counts 16 bytes
    expect(log.entriesFrom(1, 40).map((e) => e.index)).toEqual([1, 2]);
    expect(log.entriesFrom(2, 40).map((e) => e.index)).toEqual([2, 3]); // across stable and unstable
    expect(log.entriesFrom(1, 1).map((e) => e.index)).toEqual([1]);
    expect(log.entriesFrom(5, 100)).toEqual([]);
    log.commitTo(4);
    expect(log.nextEntriesToApply(1).map((e) => e.index)).toEqual([1]);
    log.appliedTo(1);
    expect(log.nextEntriesToApply(1000).map((e) => e.index)).toEqual([2, 3, 4]);
    log.appliedTo(4);
    expect(log.hasEntriesToApply()).toBe(false);
    expect(() => log.appliedTo(3)).toThrow(AssertionFailedError); // applied never goes back
  });
});
