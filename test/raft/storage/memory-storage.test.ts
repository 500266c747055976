/**
 * `MemoryStorage` against the `LogStorage` compliance suite, plus what is particular to
 * it: the constructor's initial membership, and `snapshot()` handing out the whole
 * stored snapshot.
 */
import { MemoryStorage } from '../../../raft/storage/memory-storage.js';
import { EntryType } from '../../../raft/core/types.js';
import { logStorageCompliance } from './log-storage-compliance.js';

logStorageCompliance('MemoryStorage', ({ voters }) => new MemoryStorage(voters));

describe('MemoryStorage', () => {
  it('starts with no members when given none', () => {
    const storage = new MemoryStorage();
    expect(storage.initialState().confState).toEqual({ voters: [], learners: [], votersOutgoing: [], learnersNext: [] });
  });

  it('copies the initial members rather than holding the caller’s array', () => {
    const voters = [1, 2, 3];
    const storage = new MemoryStorage(voters);
    voters.push(4);
    expect(storage.initialState().confState.voters).toEqual([1, 2, 3]);
  });

  it('keeps the initial members in ascending order, as every ConfState list is', () => {
    expect(new MemoryStorage([3, 1, 2]).initialState().confState.voters).toEqual([1, 2, 3]);
  });

  it('snapshot() returns the whole stored snapshot, data included', () => {
    const storage = new MemoryStorage([1, 2, 3]);
    storage.append([1, 2, 3].map((index) => ({ index, term: 1, type: EntryType.Normal, data: new Uint8Array(0) })));
    const snapshot = {
      metadata: { index: 2, term: 1, confState: { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [] } },
      data: new Uint8Array([1, 2, 3, 4]),
    };
    storage.saveSnapshot(snapshot);
    expect(storage.snapshot()).toEqual(snapshot);
  });
});
