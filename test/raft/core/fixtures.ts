/**
 * Small helpers shared by the Raft core's scenario tests: a lone `RawNode` driven by hand,
 * logs preloaded into a `Cluster` member's storage, and message filters.
 */
import type { RaftConfig } from '../../../raft/core/config.js';
import { createSeededRandom } from '../../../raft/core/random.js';
import { RawNode } from '../../../raft/core/raw-node.js';
import { EntryType } from '../../../raft/core/types.js';
import type { Entry, HardState, Message, MessageType, NodeId, Ready } from '../../../raft/core/types.js';
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
