/**
 * Flow control of appends (the leader's per-follower probe / replicate states, as in
 * etcd's raft; it refines §5.3's "retries AppendEntries indefinitely"): a follower whose
 * log position is unknown gets one MsgApp at a time; a follower known to match gets a
 * pipeline of at most maxInflightMessages (and maxInflightBytes) unacknowledged appends;
 * heartbeat responses make sure lost appends never stall a follower for good.
 */
import { AssertionFailedError } from '../../../raft/core/errors.js';
import type { Message } from '../../../raft/core/types.js';
import { Cluster, renderMessage } from './cluster.js';
import { linesOfType } from './fixtures.js';

function appsTo(messages: readonly Message[], to: number): string[] {
  return messages.filter((m) => m.type === 'MsgApp' && m.to === to).map(renderMessage);
}

describe('probe state: one MsgApp until the follower answers', () => {
  test('a follower that missed the first append gets nothing more until a heartbeat answer, then everything at once', () => {
    const c = new Cluster([1, 2, 3]);
    c.isolate(3);
    c.campaign(1); // the empty entry's MsgApp to 3 is lost
    c.propose(1, 'a');
    expect(appsTo(c.takeOutgoing(), 3)).toEqual([]);
    c.propose(1, 'b');
    c.stabilize();
    expect(linesOfType(c.takeTranscript(), 'MsgApp').filter((l) => l.includes('->3 '))).toEqual([
      'DROP 1->3 MsgApp Term:1 Log:0/0 Commit:0 Entries:[1/1]',
    ]);
    expect(c.status(1).progress?.get(3)).toMatchObject({ state: 'probe', match: 0, next: 1 });

    c.heal();
    c.tick(1);
    c.stabilize();
    expect(c.takeTranscript()).toEqual([
      '1->2 MsgHeartbeat Term:1 Commit:3',
      '1->3 MsgHeartbeat Term:1 Commit:0',
      '2->1 MsgHeartbeatResp Term:1',
      '3->1 MsgHeartbeatResp Term:1',
      '1->3 MsgApp Term:1 Log:0/0 Commit:3 Entries:[1/1, 1/2 a, 1/3 b]',
      '3->1 MsgAppResp Term:1 Log:0/3',
      // A follower that was paused may lack the commit index: the leader re-sends it, as
      // etcd's raft does (redundant here, harmless).
      '1->3 MsgApp Term:1 Log:1/3 Commit:3',
      '3->1 MsgAppResp Term:1 Log:0/3',
    ]);
    expect(c.status(1).progress?.get(3)).toMatchObject({ state: 'replicate', match: 3, next: 4 });
    expect(c.appliedData(3)).toEqual(['a', 'b']);
  });

  test('a follower reported unreachable is probed again from its match index, one MsgApp at a time', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.isolate(3);
    c.propose(1, 'a');
    c.stabilize();
    c.node(1).raw.reportUnreachable(3); // the driver noticed: back to probing
    expect(c.status(1).progress?.get(3)).toMatchObject({ state: 'probe', next: 2 });
    c.heal();
    c.takeTranscript();
    c.tick(1);
    c.stabilize();
    expect(c.takeTranscript().filter((l) => l.includes('1->3') || l.includes('3->1'))).toEqual([
      '1->3 MsgHeartbeat Term:1 Commit:1',
      '3->1 MsgHeartbeatResp Term:1',
      '1->3 MsgApp Term:1 Log:1/1 Commit:2 Entries:[1/2 a]',
      '3->1 MsgAppResp Term:1 Log:0/2',
      '1->3 MsgApp Term:1 Log:1/2 Commit:2',
      '3->1 MsgAppResp Term:1 Log:0/2',
    ]);
  });
});

describe('replicate state: a window of maxInflightMessages', () => {
  test('at most maxInflightMessages unacknowledged appends, then paused; an ack reopens the window', () => {
    const c = new Cluster([1, 2, 3], { maxInflightMessages: 2 });
    c.campaign(1);
    const held: Message[] = [];
    for (const data of ['a', 'b', 'c', 'd']) {
      c.propose(1, data);
      held.push(...c.takeOutgoing());
    }
    expect(appsTo(held, 2)).toEqual([
      '1->2 MsgApp Term:1 Log:1/1 Commit:1 Entries:[1/2 a]',
      '1->2 MsgApp Term:1 Log:1/2 Commit:1 Entries:[1/3 b]',
    ]);
    expect(c.status(1).progress?.get(2)).toMatchObject({ state: 'replicate', inflight: 2, next: 4 });

    c.deliver(held[0]!); // 'a' reaches 2
    const [ack] = c.takeOutgoing();
    c.deliver(ack!);
    const next = c.takeOutgoing();
    // One slot freed: c and d go together in one append (and 3 gets nothing: still paused).
    expect(appsTo(next, 2)).toEqual(['1->2 MsgApp Term:1 Log:1/3 Commit:2 Entries:[1/4 c, 1/5 d]']);
    expect(appsTo(next, 3)).toEqual([]);
    expect(c.status(1).progress?.get(2)).toMatchObject({ inflight: 2, next: 6 });
  });

  test('maxInflightBytes pauses a follower once that many entry bytes are unacknowledged', () => {
    // 'aaaa' counts 4 + 16 bytes of framing: two entries reach the 40-byte bound.
    const c = new Cluster([1, 2, 3], { maxInflightBytes: 40, maxSizePerMessageBytes: 20 });
    c.campaign(1);
    const held: Message[] = [];
    for (let i = 0; i < 4; i++) {
      c.propose(1, 'aaaa');
      held.push(...c.takeOutgoing());
    }
    expect(appsTo(held, 2)).toHaveLength(2);
    expect(c.status(1).progress?.get(2)).toMatchObject({ inflight: 2 });
  });

  test('appends lost with nothing newer to send: a heartbeat answer unpauses the follower and it catches up', () => {
    const c = new Cluster([1, 2, 3], { maxInflightMessages: 2 });
    c.campaign(1);
    c.dropIf = (m) => m.type === 'MsgApp' && m.to === 3;
    for (const data of ['a', 'b']) {
      c.propose(1, data);
      c.stabilize();
    }
    expect(c.status(1).progress?.get(3)).toMatchObject({ state: 'replicate', inflight: 2, match: 1 });
    c.heal();
    c.tick(1);
    c.stabilize();
    expect(c.appliedData(3)).toEqual(['a', 'b']);
    expect(c.status(1).progress?.get(3)).toMatchObject({ state: 'replicate', match: 3 });
  });

  test('appends lost and more proposed while paused: a heartbeat answer unpauses the follower and it catches up', () => {
    // The window to 3 fills with lost appends (a, b); c and d are held back by the pause.
    // The heartbeat answer must let replication resume (etcd sends an empty probe while
    // the window is full), not try to add a third message to a full window.
    const c = new Cluster([1, 2, 3], { maxInflightMessages: 2 });
    c.campaign(1);
    c.dropIf = (m) => m.type === 'MsgApp' && m.to === 3;
    for (const data of ['a', 'b', 'c', 'd']) {
      c.propose(1, data);
      c.stabilize();
    }
    expect(c.status(1).progress?.get(3)).toMatchObject({ state: 'replicate', inflight: 2, match: 1 });
    c.heal();
    c.tick(1);
    let failure: string | null = null;
    try {
      c.stabilize();
    } catch (error) {
      failure = error instanceof AssertionFailedError ? error.message : String(error);
    }
    // Fails today: the leader throws 'raft invariant broken: inflights: add to a full
    // window' when the heartbeat answer arrives (Raft.handleHeartbeatResponse clears the
    // pause and maybeSendAppend then sends new entries into the full window).
    expect(failure).toBeNull();
    expect(c.appliedData(3)).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('maxSizePerMessageBytes', () => {
  test('a backlog is split into appends of at most maxSizePerMessageBytes, pipelined after the first ack', () => {
    // Each 'xxxx' entry counts 20 bytes: two fit in 40.
    const c = new Cluster([1, 2], { maxSizePerMessageBytes: 40 });
    c.campaign(1);
    c.takeTranscript();
    for (let i = 2; i <= 6; i++) c.propose(1, 'xxxx');
    c.stabilize();
    expect(linesOfType(c.takeTranscript(), 'MsgApp')).toEqual([
      '1->2 MsgApp Term:1 Log:1/1 Commit:1 Entries:[1/2 xxxx, 1/3 xxxx]',
      '1->2 MsgApp Term:1 Log:1/3 Commit:3 Entries:[1/4 xxxx, 1/5 xxxx]',
      '1->2 MsgApp Term:1 Log:1/5 Commit:3 Entries:[1/6 xxxx]',
      '1->2 MsgApp Term:1 Log:1/6 Commit:5',
      '1->2 MsgApp Term:1 Log:1/6 Commit:6',
    ]);
    expect(c.appliedData(2)).toHaveLength(5);
  });

  test('an entry larger than the limit still goes, alone', () => {
    const c = new Cluster([1, 2], { maxSizePerMessageBytes: 20 });
    c.campaign(1);
    c.takeTranscript();
    c.propose(1, 'a'.repeat(100));
    c.propose(1, 'b');
    c.stabilize();
    const apps = linesOfType(c.takeTranscript(), 'MsgApp').filter((l) => l.includes('Entries'));
    expect(apps.map((l) => l.replace(/a{100}/, 'a×100'))).toEqual([
      '1->2 MsgApp Term:1 Log:1/1 Commit:1 Entries:[1/2 a×100]',
      '1->2 MsgApp Term:1 Log:1/2 Commit:2 Entries:[1/3 b]',
    ]);
  });
});
