/**
 * Small helpers shared by the Raft core's scenario tests: a lone `RawNode` driven by hand,
 * logs preloaded into a `Cluster` member's storage, and message filters.
 */
import type { RaftConfig } from '../../../raft/core/config.js';
import { createSeededRandom } from '../../../raft/core/random.js';
import { RawNode } from '../../../raft/core/raw-node.js';
import { EntryType } from '../../../raft/core/types.js';
import type { ConfChange, ConfChangeSingle, ConfState, Entry, HardState, Message, MessageType, NodeId, Ready } from '../../../raft/core/types.js';
import { MemoryStorage } from '../../../raft/storage/memory-storage.js';
import type { Cluster } from './cluster.js';
import { renderMessage } from './cluster.js';

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function entry(term: number, index: number, data = ''): Entry {
  return { term, index, type: EntryType.Normal, data: bytes(data) };
}

/** A node driven by hand over its own storage (3 voters unless told otherwise). */
export function newRawNode(
  id: NodeId,
  overrides: Partial<Omit<RaftConfig, 'id'>> = {},
  voters: readonly NodeId[] = [1, 2, 3],
): { raw: RawNode; storage: MemoryStorage } {
  const storage = (overrides.storage as MemoryStorage | undefined) ?? new MemoryStorage(voters);
  const raw = new RawNode({
    electionTicks: 10,
    heartbeatTicks: 1,
    random: createSeededRandom(id),
    ...overrides,
    id,
    storage,
  });
  return { raw, storage };
}

/** Handle one Ready the way a driver must (persist, then advance) and return it. */
export function persistReady(raw: RawNode, storage: MemoryStorage): Ready {
  const rd = raw.ready();
  storage.append(rd.entries);
  if (rd.hardState !== null) storage.setHardState(rd.hardState);
  raw.advance();
  return rd;
}

/**
 * Make a hand-driven node 1 (of 1, 2, 3, pre-vote off) the leader of term 1 with node 2's
 * vote, its no-op persisted but not yet committed (§5.2, §5.4.2).
 */
export function electNode1ByHand(raw: RawNode, storage: MemoryStorage): void {
  raw.campaign();
  persistReady(raw, storage);
  raw.step({ type: 'MsgVoteResp', from: 2, to: 1, term: 1, reject: false });
  persistReady(raw, storage);
}

/**
 * Give cluster member `id` a stored log whose entries have `terms` (index 1 onwards) and
 * the hard state `hardState`, as if it had run before, and restart it from that storage.
 * Data of each entry is `t<term>i<index>`, so overwrites are visible.
 */
export function preloadLog(cluster: Cluster, id: NodeId, terms: readonly number[], hardState: HardState): void {
  const storage = cluster.node(id).storage;
  storage.append(terms.map((term, i) => entry(term, i + 1, `t${term}i${i + 1}`)));
  storage.setHardState(hardState);
  cluster.restart(id);
}

export function isType(m: Message, ...types: MessageType[]): boolean {
  return types.includes(m.type);
}

/** Transcript lines (as rendered by the cluster) of one message type. */
export function linesOfType(transcript: readonly string[], type: MessageType): string[] {
  return transcript.filter((line) => line.replace(/^DROP /, '').split(' ')[1] === type);
}

export function render(messages: readonly Message[]): string[] {
  return messages.map(renderMessage);
}

const CHANGE_TYPES: Record<string, ConfChangeSingle['type']> = { v: 'add-voter', l: 'add-learner', r: 'remove' };

/**
 * A conf change written the way transcripts render it: `'v4 l5 r3'` adds voter 4, adds
 * learner 5 and removes 3; `''` leaves a joint configuration.
 */
export function confChange(spec: string): ConfChange {
  const changes = spec
    .split(/\s+/)
    .filter((word) => word !== '')
    .map((word): ConfChangeSingle => {
      const type = CHANGE_TYPES[word[0]!];
      const node = Number(word.slice(1));
      if (type === undefined || !Number.isInteger(node)) throw new Error(`bad conf change '${word}' (want v<id>, l<id> or r<id>)`);
      return { type, node };
    });
  return { changes };
}

/** Call `run` and return what it threw (null when it returned). */
export function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return null;
}

/** A configuration; the lists are given ascending, as the core keeps them. */
export function conf(voters: NodeId[], learners: NodeId[] = [], votersOutgoing: NodeId[] = [], learnersNext: NodeId[] = []): ConfState {
  return { voters, learners, votersOutgoing, learnersNext };
}

/** Tick `leader` (one heartbeat each time) and deliver everything that follows, `times` times. */
export function heartbeats(c: Cluster, leader: NodeId, times = 1): void {
  for (let i = 0; i < times; i++) {
    c.tick(leader);
    c.stabilize();
  }
}
