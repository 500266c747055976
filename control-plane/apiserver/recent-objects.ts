/**
 * The latest state the registry saw of recently read or written keys, bounded and
 * least-recently-used. It only ever serves as a first guess for a write: every write
 * compares the key's mod revision in its transaction, so a guess that is out of date
 * (another API server wrote since) costs one failed attempt — whose failure branch brings
 * the current state — and never a wrong write. With it, creating a pod in a namespace this
 * server has seen, or binding a pod it has seen, is one KV transaction instead of a read
 * and a transaction.
 */
import type { KeyValue } from '../../kv/client/etcd-client.js';
import type { ApiObject } from '../api/types.js';

/** Keys remembered at most (the least recently used are forgotten first). */
export const RECENT_OBJECTS_MAX = 20_000;

/** A stored object and the key-value it was read from or written as. */
export interface Current {
  readonly object: ApiObject;
  readonly kv: KeyValue;
}

export class RecentObjects {
  private readonly entries = new Map<string, Current>();

  constructor(private readonly capacity: number = RECENT_OBJECTS_MAX) {}

  get(key: Buffer): Current | undefined {
    const name = key.toString('latin1');
    const entry = this.entries.get(name);
    if (entry === undefined) return undefined;
    // Most recently used last.
    this.entries.delete(name);
    this.entries.set(name, entry);
    return entry;
  }

  /** Notes `object` at `kv` as the key's latest state, unless a later one is known already. */
  remember(kv: KeyValue, object: ApiObject): Current {
    const name = kv.key.toString('latin1');
    const known = this.entries.get(name);
    if (known !== undefined && known.kv.modRevision > kv.modRevision) return known;
    const entry = { object, kv };
    this.entries.delete(name);
    this.entries.set(name, entry);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }

  delete(key: Buffer): void {
    this.entries.delete(key.toString('latin1'));
  }

  get size(): number {
    return this.entries.size;
  }
}
