/**
 * The RawNode contract (raw-node.ts, and the ordering rules on `Ready` in types.ts):
 * ready() and advance() alternate strictly; a Ready carries soft and hard state only when
 * they changed; once everything is advanced there is nothing more to do. And the config
 * rules checked at construction (config.ts).
 */
import { AssertionFailedError, InvalidConfigError } from '../../../raft/core/errors.js';
import { createSeededRandom } from '../../../raft/core/random.js';
import { RawNode } from '../../../raft/core/raw-node.js';
import type { RaftConfig } from '../../../raft/core/config.js';
import { MemoryStorage } from '../../../raft/storage/memory-storage.js';
import { bytes, electNode1ByHand, newRawNode, persistReady, render } from './fixtures.js';

describe('RawNode: ready() / advance() alternate', () => {
  test('ready() twice without advance() throws', () => {
    const { raw } = newRawNode(1);
    raw.campaign();
    raw.ready();
    expect(() => raw.ready()).toThrow(AssertionFailedError);
  });

  test('advance() without a pending ready() throws, also right after an advance()', () => {
    const { raw } = newRawNode(1);
    expect(() => raw.advance()).toThrow(AssertionFailedError);
    raw.campaign();
    raw.ready();
    raw.advance();
    expect(() => raw.advance()).toThrow(AssertionFailedError);
  });

  test('hasReady() is false while a Ready is pending and after everything is advanced', () => {
    const { raw, storage } = newRawNode(1, {}, [1]);
    expect(raw.hasReady()).toBe(false); // a fresh node has nothing to do
    raw.campaign(); // a single voter: leader at once, with its empty entry
    expect(raw.hasReady()).toBe(true);
    const rd = raw.ready();
    expect(raw.hasReady()).toBe(false);
    storage.append(rd.entries);
    if (rd.hardState !== null) storage.setHardState(rd.hardState);
    raw.advance();
    // The entry became durable: the next Ready hands it out for applying.
    while (raw.hasReady()) persistReady(raw, storage);
    expect(raw.hasReady()).toBe(false);
    expect(raw.status()).toMatchObject({ role: 'leader', commit: 1, applied: 1 });
  });
});

describe('RawNode: a Ready carries state only when it changed', () => {
  test('soft and hard state appear on change, and are null in a Ready that only carries messages', () => {
    const { raw, storage } = newRawNode(1, { preVote: false });
    raw.campaign();
    const first = persistReady(raw, storage);
    expect(first.softState).toEqual({ role: 'candidate', leader: 0 });
    expect(first.hardState).toEqual({ term: 1, vote: 1, commit: 0 });

    raw.step({ type: 'MsgVoteResp', from: 2, to: 1, term: 1, reject: false });
    const elected = persistReady(raw, storage);
    expect(elected.softState).toEqual({ role: 'leader', leader: 1 });
    expect(elected.hardState).toBeNull(); // term, vote and commit unchanged
    expect(elected.entries.map((e) => `${e.term}/${e.index}`)).toEqual(['1/1']);

    raw.tick(); // a heartbeat: messages only
    const beat = persistReady(raw, storage);
    expect(render(beat.messages)).toEqual(['1->2 MsgHeartbeat Term:1 Commit:0', '1->3 MsgHeartbeat Term:1 Commit:0']);
    expect(beat.softState).toBeNull();
    expect(beat.hardState).toBeNull();
    expect(beat.entries).toEqual([]);
    expect(beat.committedEntries).toEqual([]);
  });

  test('a commit index change alone produces a hard state, and the committed entries with it', () => {
    const { raw, storage } = newRawNode(1, { preVote: false });
    electNode1ByHand(raw, storage);
    raw.step({ type: 'MsgAppResp', from: 2, to: 1, term: 1, index: 1, reject: false, rejectHint: 0, logTerm: 0 });
    const rd = persistReady(raw, storage);
    expect(rd.hardState).toEqual({ term: 1, vote: 1, commit: 1 });
    expect(rd.committedEntries.map((e) => e.index)).toEqual([1]);
    expect(rd.softState).toBeNull();
  });

  test('entries proposed between Readies are handed out once, for persisting, and never again', () => {
    const { raw, storage } = newRawNode(1, {}, [1]);
    raw.campaign();
    while (raw.hasReady()) persistReady(raw, storage);
    raw.propose(bytes('a'));
    const rd = persistReady(raw, storage);
    expect(rd.entries.map((e) => e.index)).toEqual([2]);
    // A single voter commits at once: the entry is also handed out for applying, which
    // the driver does only after persisting it (step 3 after step 1).
    expect(rd.committedEntries.map((e) => e.index)).toEqual([2]);
    expect(raw.hasReady()).toBe(false);
    raw.propose(bytes('b'));
    const next = persistReady(raw, storage);
    expect(next.entries.map((e) => e.index)).toEqual([3]);
    expect(next.committedEntries.map((e) => e.index)).toEqual([3]);
  });
});

describe('config validation', () => {
  const base = (): RaftConfig => ({ id: 1, storage: new MemoryStorage([1, 2, 3]), random: createSeededRandom(1) });
  const cases: [string, Partial<RaftConfig>, string][] = [
    ['electionTicks equal to heartbeatTicks', { electionTicks: 3, heartbeatTicks: 3 }, 'electionTicks'],
    ['electionTicks below heartbeatTicks', { electionTicks: 2, heartbeatTicks: 5 }, 'electionTicks'],
    ['id 0', { id: 0 }, 'id'],
    ['a negative id', { id: -1 }, 'id'],
    ['maxInflightMessages 0', { maxInflightMessages: 0 }, 'maxInflightMessages'],
    ['heartbeatTicks 0', { heartbeatTicks: 0 }, 'heartbeatTicks'],
    ['maxInflightBytes below maxSizePerMessageBytes', { maxInflightBytes: 10, maxSizePerMessageBytes: 100 }, 'maxInflightBytes'],
    ['a negative applied index', { applied: -1 }, 'applied'],
  ];
  test.each(cases)('%s is rejected with InvalidConfigError naming the field', (_name, overrides, field) => {
    let error: unknown = null;
    try {
      new RawNode({ ...base(), ...overrides });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect(error).toMatchObject({ code: 'INVALID_CONFIG', retryable: false });
    expect((error as Error).message).toMatch(new RegExp(`^raft config: ${field} `));
  });

  test('the defaults are valid', () => {
    expect(() => new RawNode(base())).not.toThrow();
  });
});
