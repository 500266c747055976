/**
 * A small in-memory MVCC store implementing the watch hub's `WatchableStore` contract:
 * one revision per write (a transaction may change several keys at one revision), the
 * change log kept from the compaction revision on, listeners called synchronously.
 */
import type { KeyValue, KvEvent, RevisionChanges } from '../../../kv/mvcc/types.js';
import type { WatchableStore, WatchResponse } from '../../../kv/watch/index.js';
import type { WatchStream } from '../../../kv/watch/index.js';

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

export type Operation = readonly ['put', string, string] | readonly ['delete', string];

export class FakeStore implements WatchableStore {
  private revision = 0;
  private compacted = 0;
  private history: RevisionChanges[] = [];
  private readonly live = new Map<string, KeyValue>();
  private readonly listeners = new Set<(changes: RevisionChanges) => void>();
  changesSinceCalls = 0;

  currentRevision(): number {
    return this.revision;
  }

  compactRevision(): number {
    return this.compacted;
  }

  changesSince(start: number): readonly RevisionChanges[] {
    this.changesSinceCalls++;
    if (start < this.compacted) throw new Error(`fake store: revision ${start} compacted`);
    return this.history.filter((changes) => changes.revision >= start);
  }

  onChanges(listener: (changes: RevisionChanges) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  put(key: string, value: string): number {
    return this.txn([['put', key, value]]);
  }

  delete(key: string): number {
    return this.txn([['delete', key]]);
  }

  /** Every operation at one new revision. */
  txn(operations: readonly Operation[]): number {
    const revision = this.revision + 1;
    const events: KvEvent[] = [];
    for (const operation of operations) {
      const previous = this.live.get(operation[1]) ?? null;
      if (operation[0] === 'put') {
        const kv: KeyValue = {
          key: bytes(operation[1]),
          createRevision: previous?.createRevision ?? revision,
          modRevision: revision,
          version: (previous?.version ?? 0) + 1,
          value: bytes(operation[2]),
          lease: 0n,
        };
        this.live.set(operation[1], kv);
        events.push({ type: 'put', kv, prevKv: previous });
      } else {
        if (previous === null) continue;
        this.live.delete(operation[1]);
        const kv: KeyValue = { key: bytes(operation[1]), createRevision: 0, modRevision: revision, version: 0, value: new Uint8Array(), lease: 0n };
        events.push({ type: 'delete', kv, prevKv: previous });
      }
    }
    if (events.length === 0) return this.revision;
    this.revision = revision;
    const changes = { revision, events };
    this.history.push(changes);
    for (const listener of [...this.listeners]) listener(changes);
    return revision;
  }

  /** Forget the changes of revisions below `revision`, as a compaction does. */
  compact(revision: number): void {
    if (revision <= this.compacted) return; // etcd refuses to compact backwards
    this.compacted = revision;
    this.history = this.history.filter((changes) => changes.revision >= revision);
  }

  /** Jump to another store state, as a follower installing a snapshot does. */
  restoreTo(revision: number, compacted: number): void {
    this.revision = revision;
    this.compacted = compacted;
    this.history = this.history.filter((changes) => changes.revision >= compacted && changes.revision <= revision);
  }
}

/** Every response the stream has now. */
export function drain(stream: WatchStream): WatchResponse[] {
  const responses: WatchResponse[] = [];
  for (let response = stream.take(); response !== undefined; response = stream.take()) responses.push(response);
  return responses;
}

/** A response as a stable one-line string, for readable expectations. */
export function render(response: WatchResponse): string {
  switch (response.kind) {
    case 'created':
      return `created id=${response.watchId} rev=${response.revision}`;
    case 'create-refused':
      return `refused id=${response.watchId} rev=${response.revision} reason="${response.cancelReason}"`;
    case 'events': {
      const events = response.events.map((e) => {
        const prev = e.prevKv === null ? '' : ` prev=${text(e.prevKv.value)}`;
        return e.type === 'put' ? `put ${text(e.kv.key)}=${text(e.kv.value)}@${e.kv.modRevision}${prev}` : `del ${text(e.kv.key)}@${e.kv.modRevision}${prev}`;
      });
      return `events id=${response.watchId} rev=${response.revision}${response.fragment ? ' fragment' : ''} [${events.join(', ')}]`;
    }
    case 'progress':
      return `progress id=${response.watchId} rev=${response.revision}`;
    case 'canceled':
      return `canceled id=${response.watchId} rev=${response.revision}`;
    case 'compacted':
      return `compacted id=${response.watchId} rev=${response.revision} compact=${response.compactRevision}`;
  }
}

export function drainRendered(stream: WatchStream): string[] {
  return drain(stream).map(render);
}
