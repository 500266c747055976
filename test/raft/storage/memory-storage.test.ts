/**
 * `MemoryStorage` against the `LogStorage` compliance suite, plus what is particular to
 * it: the constructor's initial membership.
 */
import { MemoryStorage } from '../../../raft/storage/memory-storage.js';
import { logStorageCompliance } from './log-storage-compliance.js';

logStorageCompliance('MemoryStorage', ({ voters }) => new MemoryStorage(voters));

describe('MemoryStorage', () => {
  it('starts with no members when given none', () => {
    const storage = new MemoryStorage();
    expect(storage.initialState().confState).toEqual({ voters: [], learners: [], votersOutgoing: [] });
  });

  it('copies the initial members rather than holding the caller’s array', () => {
    const voters = [1, 2, 3];
    const storage = new MemoryStorage(voters);
    voters.push(4);
    expect(storage.initialState().confState.voters).toEqual([1, 2, 3]);
  });
});
