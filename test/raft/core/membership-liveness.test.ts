/**
 * Liveness details around membership changes and snapshot transfers that the simulator
 * found: answers to stale vote requests, commit facts carried by vote messages, a
 * transfer postponed by unapplied changes, a campaign whose vote a change took away, and
 * a snapshot transfer that must not be bounced around by reordered refusals.
 */
import { encodeConfChange } from '../../../raft/core/conf-change.js';
import { SnapshotTransfer } from '../../../raft/core/snapshot-transfer.js';
import { EntryType } from '../../../raft/core/types.js';
import type { Entry, Message, VoteResponse } from '../../../raft/core/types.js';
import type { SnapshotReader } from '../../../raft/storage/log-storage.js';
import { entry, newRawNode, persistReady } from './fixtures.js';

function confEntry(term: number, index: number, spec: { type: 'add-voter' | 'add-learner' | 'remove'; node: number }): Entry {
  return { term, index, type: EntryType.ConfChange, data: encodeConfChange({ changes: [spec] }) };
}

function drainMessages(raw: ReturnType<typeof newRawNode>['raw'], storage: ReturnType<typeof newRawNode>['storage']): Message[] {
  const out: Message[] = [];
  while (raw.hasReady()) out.push(...persistReady(raw, storage).messages);
  return out;
}

describe('vote requests from a lower term (§5.1)', () => {
  test('are answered with a rejection carrying the receiver’s term, so a candidate it never otherwise contacts catches up', () => {
    const { storage } = newRawNode(2);
    storage.setHardState({ term: 5, vote: 0, commit: 0 });
    const { raw } = newRawNode(2, { preVote: false, storage });
    raw.step({ type: 'MsgVote', from: 1, to: 2, term: 3, index: 0, logTerm: 0, transfer: false });
    const answers = drainMessages(raw, storage).filter((m) => m.type === 'MsgVoteResp');
    expect(answers).toEqual([expect.objectContaining({ type: 'MsgVoteResp', from: 2, to: 1, term: 5, reject: true })]);
  });
});

describe('commit facts carried by vote messages (§5.3 Log Matching)', () => {
  function nodeWithLog() {
    const node = newRawNode(2, { preVote: false });
    node.storage.append([entry(1, 1, 'a'), entry(1, 2, 'b'), entry(1, 3, 'c')]);
    node.storage.setHardState({ term: 1, vote: 0, commit: 1 });
    return newRawNode(2, { preVote: false, storage: node.storage });
  }

  test('a voter holding the sender’s commit entry (same index and term) learns that everything up to it is committed', () => {
    const { raw } = nodeWithLog();
    raw.step({ type: 'MsgVote', from: 3, to: 2, term: 2, index: 3, logTerm: 1, transfer: false, commit: 3, commitTerm: 1 });
    expect(raw.status().commit).toBe(3);
  });

  test('a commit entry of another term proves nothing: the commit index stays', () => {
    const { raw } = nodeWithLog();
    raw.step({ type: 'MsgVote', from: 3, to: 2, term: 2, index: 3, logTerm: 1, transfer: false, commit: 3, commitTerm: 2 });
    expect(raw.status().commit).toBe(1);
  });

  test('a candidate learns it from vote answers too, even a rejection', () => {
    const { raw, storage } = nodeWithLog();
    raw.campaign();
    drainMessages(raw, storage);
    const answer: VoteResponse = { type: 'MsgVoteResp', from: 3, to: 2, term: 2, reject: true, commit: 2, commitTerm: 1 };
    raw.step(answer);
    expect(raw.status().commit).toBe(2);
  });
});

describe('membership changes during elections (thesis §4)', () => {
  test('a transferee holding a committed, unapplied change campaigns as soon as it is applied, not an election timeout later', () => {
    const { storage } = newRawNode(2);
    storage.append([entry(1, 1), confEntry(1, 2, { type: 'add-learner', node: 4 })]);
    storage.setHardState({ term: 1, vote: 0, commit: 2 });
    const { raw } = newRawNode(2, { storage });
    raw.step({ type: 'MsgTimeoutNow', from: 1, to: 2, term: 1 });
    expect(raw.status()).toMatchObject({ role: 'follower', term: 1 });
    persistReady(raw, storage); // hands out and applies entries 1 and 2
    expect(raw.status().config.learners).toEqual([4]);
    expect(raw.status()).toMatchObject({ role: 'candidate', term: 2 });
  });

  test('a candidate whose vote a change took away during the campaign does not become leader when the votes come in', () => {
    const voters = [1, 2, 3, 4, 5];
    const { storage } = newRawNode(1, {}, voters);
    storage.append([entry(1, 1), confEntry(1, 2, { type: 'remove', node: 1 })]);
    storage.setHardState({ term: 1, vote: 0, commit: 1 });
    const { raw } = newRawNode(1, { preVote: false, storage }, voters);
    raw.campaign();
    drainMessages(raw, storage);
    expect(raw.status()).toMatchObject({ role: 'candidate', term: 2 });
    // The first grant tells it entry 2 (its removal) is committed; it applies it.
    raw.step({ type: 'MsgVoteResp', from: 2, to: 1, term: 2, reject: false, commit: 2, commitTerm: 1 });
    drainMessages(raw, storage);
    expect(raw.status().config.voters).toEqual([2, 3, 4, 5]);
    raw.step({ type: 'MsgVoteResp', from: 3, to: 1, term: 2, reject: false });
    raw.step({ type: 'MsgVoteResp', from: 4, to: 1, term: 2, reject: false });
    expect(raw.status().role).toBe('follower');
  });
});

describe('snapshot transfer flow control (§7)', () => {
  function reader(size: number): SnapshotReader {
    const data = new Uint8Array(size).map((_, i) => i);
    return {
      metadata: { index: 10, term: 2, confState: { voters: [1], learners: [], votersOutgoing: [], learnersNext: [] } },
      read: (offset, maxBytes) => ({ data: data.subarray(offset, offset + maxBytes), done: offset + maxBytes >= size }),
      close: () => {},
    };
  }

  test('a refusal below the acknowledged offset (a reordered old answer, or a restarted follower) is believed only when it answers a resend', () => {
    const transfer = new SnapshotTransfer(reader(16), 4, 2);
    expect(transfer.takeChunks().map((c) => c.offset)).toEqual([0, 4]);
    expect(transfer.onAck(4)).toBe(true);
    expect(transfer.takeChunks().map((c) => c.offset)).toEqual([8]);
    expect(transfer.onGap(0)).toBe(false);
    expect(transfer.takeChunks()).toEqual([]);
    expect(transfer.tick(3)).toBe(false);
    expect(transfer.tick(3)).toBe(false);
    // The first timeout resends from what the follower acknowledged, not from its old refusal.
    expect(transfer.tick(3)).toBe(true);
    expect(transfer.takeChunks().map((c) => c.offset)).toEqual([4, 8]);
    // A restarted follower refuses the resend too: after another timeout, it is believed.
    expect(transfer.onGap(0)).toBe(false);
    expect(transfer.tick(3)).toBe(false);
    expect(transfer.tick(3)).toBe(false);
    expect(transfer.tick(3)).toBe(true);
    expect(transfer.takeChunks().map((c) => c.offset)).toEqual([0, 4]);
  });

  test('a stale refusal below the acknowledged offset is forgotten once the resend makes progress', () => {
    const transfer = new SnapshotTransfer(reader(16), 4, 2);
    transfer.takeChunks();
    transfer.onAck(4);
    transfer.takeChunks();
    expect(transfer.onGap(0)).toBe(false);
    for (let i = 0; i < 3; i++) transfer.tick(3);
    expect(transfer.takeChunks().map((c) => c.offset)).toEqual([4, 8]);
    expect(transfer.onAck(8)).toBe(true);
    // Progress starts the count of idle timeouts afresh: one more stale refusal, then a
    // single timeout, resends from the acknowledged offset again, not from the refusal.
    expect(transfer.onGap(0)).toBe(false);
    for (let i = 0; i < 3; i++) transfer.tick(3);
    expect(transfer.takeChunks().map((c) => c.offset)).toEqual([8, 12]);
  });

  test('a gap reported three times resumes from it at once (fewer reports may be chunks overtaken on the way), and echoes after the resend are ignored', () => {
    const transfer = new SnapshotTransfer(reader(24), 4, 4);
    expect(transfer.takeChunks().map((c) => c.offset)).toEqual([0, 4, 8, 12]);
    expect(transfer.onAck(4)).toBe(true); // chunk 4..8 is lost; 8..12, 12..16 and 16..20 arrive and are refused
    expect(transfer.takeChunks().map((c) => c.offset)).toEqual([16]);
    expect(transfer.onGap(4)).toBe(false);
    expect(transfer.onGap(4)).toBe(false);
    expect(transfer.takeChunks()).toEqual([]);
    expect(transfer.onGap(4)).toBe(true);
    expect(transfer.takeChunks().map((c) => c.offset)).toEqual([4, 8, 12, 16]);
    expect(transfer.onGap(4)).toBe(false);
    expect(transfer.takeChunks()).toEqual([]);
  });

  test('a window of three acts on the second report of a gap, the most one loss can produce', () => {
    const transfer = new SnapshotTransfer(reader(24), 4, 3);
    expect(transfer.takeChunks().map((c) => c.offset)).toEqual([0, 4, 8]);
    expect(transfer.onGap(0)).toBe(false);
    expect(transfer.onGap(0)).toBe(true);
    expect(transfer.takeChunks().map((c) => c.offset)).toEqual([0, 4, 8]);
  });

  test('a gap report above what was acknowledged acknowledges that much', () => {
    const transfer = new SnapshotTransfer(reader(16), 4, 2);
    expect(transfer.takeChunks().map((c) => c.offset)).toEqual([0, 4]);
    expect(transfer.onGap(8)).toBe(true); // it already held 8 bytes (an earlier transfer)
    expect(transfer.acked).toBe(8);
    expect(transfer.takeChunks().map((c) => c.offset)).toEqual([8, 12]);
  });
});

describe('a voter defers to a better candidate it cannot vote for (thesis §3.4, liveness)', () => {
  const VOTERS = [1, 2, 3, 4];
  function voterWithVote(term: number) {
    const { storage } = newRawNode(4, { preVote: false }, VOTERS);
    storage.append([entry(1, 1), entry(1, 2)]);
    storage.setHardState({ term, vote: 4, commit: 1 });
    return newRawNode(4, { preVote: false, electionTicks: 10, storage }, VOTERS);
  }

  function tick(raw: ReturnType<typeof newRawNode>['raw'], times: number): void {
    for (let i = 0; i < times; i++) raw.tick();
  }

  test('a candidate with a better log asking in a term where we voted for ourselves restarts our election timer each time', () => {
    const { raw } = voterWithVote(5);
    const request = { type: 'MsgVote', from: 3, to: 4, term: 5, index: 5, logTerm: 1, transfer: false } as const;
    // 27 ticks in all, more than the longest timeout (19), but never 10 since a request.
    tick(raw, 9);
    raw.step(request);
    tick(raw, 9);
    raw.step(request);
    tick(raw, 9);
    expect(raw.status()).toMatchObject({ term: 5, role: 'follower' });
  });

  test('a candidate whose log is behind ours does not hold us back', () => {
    const { raw } = voterWithVote(5);
    const request = { type: 'MsgVote', from: 3, to: 4, term: 5, index: 1, logTerm: 1, transfer: false } as const;
    tick(raw, 9);
    raw.step(request);
    tick(raw, 9);
    raw.step(request);
    tick(raw, 9);
    expect(raw.status().term).toBeGreaterThan(5);
  });

  test('a higher-term candidate whose log is behind ours moves our term but not our election timer (§5.2)', () => {
    const { raw } = voterWithVote(5);
    // Each request is from a new term, so we could vote, but our log is better. All come
    // before the shortest timeout (10 ticks); 19 ticks reach the longest.
    for (const term of [6, 7, 8]) {
      tick(raw, 3);
      raw.step({ type: 'MsgVote', from: 3, to: 4, term, index: 1, logTerm: 1, transfer: false });
    }
    expect(raw.status()).toMatchObject({ term: 8, role: 'follower' });
    tick(raw, 10);
    // Had the requests restarted our timer (the last at tick 9), we would campaign this
    // soon only with the shortest timeout, which this seeded node does not draw.
    expect(raw.status()).toMatchObject({ term: 9, role: 'candidate' });
  });

  test('a higher-term candidate with a log as good as ours restarts our election timer when we vote for it', () => {
    const { raw } = voterWithVote(5);
    tick(raw, 9);
    raw.step({ type: 'MsgVote', from: 3, to: 4, term: 6, index: 2, logTerm: 1, transfer: false });
    tick(raw, 9);
    expect(raw.status()).toMatchObject({ term: 6, role: 'follower' });
  });
});
