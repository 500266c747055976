/**
 * Shorthands for the MVCC store tests: string keys and values as bytes, etcd's range
 * encodings, and a store whose leases are a plain set.
 */
import { MvccStore } from '../../../kv/mvcc/index.js';
import type { KeyRange, KeyValue, MvccStoreOptions, RevisionChanges } from '../../../kv/mvcc/index.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

export function text(value: Uint8Array): string {
  return decoder.decode(value);
}

/** The single key `k`. */
export function key(k: string): KeyRange {
  return { key: bytes(k), end: new Uint8Array(0) };
}

/** [from, to). */
export function between(from: string, to: string): KeyRange {
  return { key: bytes(from), end: bytes(to) };
}

/** Every key starting with `p` (etcd's prefix: the last byte plus one as the end). */
export function prefix(p: string): KeyRange {
  const end = bytes(p);
  end[end.length - 1]! += 1;
  return { key: bytes(p), end };
}

/** Every key ≥ `k` (range_end "\0"). */
export function fromKey(k: string): KeyRange {
  return { key: bytes(k), end: Uint8Array.of(0) };
}

/** Every key (key and range_end both "\0"). */
export function allKeys(): KeyRange {
  return { key: Uint8Array.of(0), end: Uint8Array.of(0) };
}

export function keysOf(kvs: readonly KeyValue[]): string[] {
  return kvs.map((kv) => text(kv.key));
}

/** A key-value as plain data, for readable equality checks. */
export function plain(kv: KeyValue | null): Record<string, unknown> | null {
  if (kv === null) return null;
  return {
    key: text(kv.key),
    value: text(kv.value),
    create: kv.createRevision,
    mod: kv.modRevision,
    version: kv.version,
    lease: kv.lease,
  };
}

/** Revision changes as `revision: type key=value ...` lines. */
export function describeChanges(changes: readonly RevisionChanges[]): string[] {
  return changes.map(
    (c) => `${c.revision}: ${c.events.map((e) => `${e.type} ${text(e.kv.key)}${e.type === 'put' ? `=${text(e.kv.value)}` : ''}`).join(', ')}`,
  );
}

/** A store with leases `leases` granted (more can be added to the returned set). */
export function storeWithLeases(leases: Iterable<bigint> = [], options: MvccStoreOptions = {}): { store: MvccStore; granted: Set<bigint> } {
  const granted = new Set(leases);
  return { store: new MvccStore({ ...options, leaseExists: (lease) => granted.has(lease) }), granted };
}

export function put(store: MvccStore, k: string, value: string, lease?: bigint): number {
  return store.put({ key: bytes(k), value: bytes(value), ...(lease === undefined ? {} : { lease }) }).revision;
}

export function del(store: MvccStore, range: KeyRange): number {
  return store.deleteRange({ range }).deleted;
}

/** The value of `k` at `revision` (0: current), or null. */
export function valueAt(store: MvccStore, k: string, revision = 0): string | null {
  const kv = store.range(key(k), { revision }).kvs[0];
  return kv === undefined ? null : text(kv.value);
}

/** The error `action` throws; fails the test if it throws nothing. */
export function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, none was thrown');
}
