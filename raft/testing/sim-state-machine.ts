/**
 * A node's application state: the client writes it has applied, in log order. Entries
 * carrying an id already applied are re-proposals of the same write and change nothing
 * (the first apply counts). The "state" a read returns is the applied index.
 *
 * The state also carries a running digest of everything applied (index, payload identity
 * and whether it was a first apply), so that two nodes' states at one index can be
 * compared in O(1); and it snapshots to, and restores from, a canonical encoding: the
 * same state always gives the same bytes.
 */
import type { Entry } from '../core/types.js';
import { NOOP_PAYLOAD, isConfChangePayload, payloadOf } from './command-codec.js';

export interface ApplyResult {
  readonly payload: number;
  /** True the first time this node applied a write with this id (in this incarnation). */
  readonly firstApply: boolean;
  /** The state's digest after this entry. */
  readonly digest: number;
}

/** What identifies a state: how far it has applied and the digest of what it applied. */
export interface StateSummary {
  readonly index: number;
  readonly digest: number;
}

/** Snapshot data that does not decode: the core handed out bytes this state machine never wrote. */
export class SnapshotDataError extends Error {
  constructor(detail: string) {
    super(`snapshot data: ${detail}`);
    this.name = 'SnapshotDataError';
  }
}

const MAGIC_0 = 0x53; // 'S'
const MAGIC_1 = 0x4d; // 'M'
const FORMAT_VERSION = 1;
const DIGEST_BYTES = 4;
const INITIAL_DIGEST = 0x2545f491;

export class SimStateMachine {
  appliedIndex = 0;
  digest = INITIAL_DIGEST;
  private readonly appliedIds = new Set<number>();
  /** The same ids, ascending (they arrive nearly in order, so keeping it sorted is cheap). */
  private readonly sortedIds: number[] = [];
  /**
   * The ids' encoding (ascending deltas) for the first `encodedIds` of them, kept between
   * snapshots: a node snapshotting every few entries re-encodes only the new ids.
   */
  private idsEncoding = new VarintWriter(64);
  private encodedIds = 0;

  /** The state a snapshot's data encodes; throws `SnapshotDataError` when it is not one. */
  static restore(data: Uint8Array): SimStateMachine {
    const reader = new VarintReader(data);
    if (data.byteLength < 3 || data[0] !== MAGIC_0 || data[1] !== MAGIC_1) throw new SnapshotDataError('bad magic');
    if (data[2] !== FORMAT_VERSION) throw new SnapshotDataError(`unknown version ${data[2]}`);
    reader.at = 3;
    const machine = new SimStateMachine();
    machine.appliedIndex = reader.varint();
    machine.digest = reader.uint32();
    const count = reader.varint();
    let id = 0;
    for (let i = 0; i < count; i++) {
      const delta = reader.varint();
      if (delta === 0) throw new SnapshotDataError('ids not strictly ascending');
      id += delta;
      machine.appliedIds.add(id);
      machine.sortedIds.push(id);
    }
    if (reader.at !== data.byteLength) throw new SnapshotDataError(`${data.byteLength - reader.at} trailing bytes`);
    return machine;
  }

  get summary(): StateSummary {
    return { index: this.appliedIndex, digest: this.digest };
  }

  apply(entry: Entry): ApplyResult {
    const payload = payloadOf(entry);
    this.appliedIndex = entry.index;
    const firstApply = payload !== NOOP_PAYLOAD && !isConfChangePayload(payload) && !this.appliedIds.has(payload);
    if (firstApply) this.addId(payload);
    this.digest = mix(mix(mix(this.digest, entry.index), payload), firstApply ? 1 : 2);
    return { payload, firstApply, digest: this.digest };
  }

  hasApplied(id: number): boolean {
    return this.appliedIds.has(id);
  }

  /** Ids of every write applied, ascending. */
  appliedWriteIds(): readonly number[] {
    return this.sortedIds;
  }

  /** The canonical encoding: magic, version, applied index, digest, then the ids as ascending deltas. */
  encode(): Uint8Array {
    const ids = this.sortedIds;
    for (let i = this.encodedIds; i < ids.length; i++) this.idsEncoding.varint(ids[i]! - (i === 0 ? 0 : ids[i - 1]!));
    this.encodedIds = ids.length;
    const header = new VarintWriter(24);
    header.byte(MAGIC_0);
    header.byte(MAGIC_1);
    header.byte(FORMAT_VERSION);
    header.varint(this.appliedIndex);
    header.uint32(this.digest);
    header.varint(ids.length);
    const head = header.view();
    const body = this.idsEncoding.view();
    const out = new Uint8Array(head.byteLength + body.byteLength);
    out.set(head);
    out.set(body, head.byteLength);
    return out;
  }

  private addId(id: number): void {
    this.appliedIds.add(id);
    const ids = this.sortedIds;
    if (ids.length === 0 || id > ids[ids.length - 1]!) {
      ids.push(id);
      return;
    }
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ids[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    ids.splice(lo, 0, id);
    if (lo < this.encodedIds) {
      // Inserted among the ids already encoded: encode them all again next time.
      this.idsEncoding = new VarintWriter(64);
      this.encodedIds = 0;
    }
  }
}

function mix(hash: number, value: number): number {
  let h = Math.imul(hash ^ (value | 0), 0x5bd1e995);
  h ^= h >>> 15;
  h = Math.imul(h ^ Math.floor(value / 0x1_0000_0000), 0x27d4eb2f);
  return (h ^ (h >>> 13)) >>> 0;
}

class VarintWriter {
  private bytes: Uint8Array;
  private length = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
  }

  byte(value: number): void {
    if (this.length === this.bytes.byteLength) {
      const grown = new Uint8Array(this.bytes.byteLength * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = value;
  }

  /** Unsigned LEB128 of a non-negative safe integer. */
  varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`varint of ${value}`);
    let rest = value;
    while (rest >= 0x80) {
      this.byte((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.byte(rest);
  }

  uint32(value: number): void {
    for (let shift = 24; shift >= 0; shift -= 8) this.byte((value >>> shift) & 0xff);
  }

  /** The bytes written so far (a view, valid until the next write). */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

class VarintReader {
  at = 0;

  constructor(private readonly bytes: Uint8Array) {}

  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (this.at >= this.bytes.byteLength) throw new SnapshotDataError('truncated');
      const byte = this.bytes[this.at++]!;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) break;
      scale *= 0x80;
      if (scale > Number.MAX_SAFE_INTEGER) throw new SnapshotDataError('varint too long');
    }
    return value;
  }

  uint32(): number {
    if (this.at + DIGEST_BYTES > this.bytes.byteLength) throw new SnapshotDataError('truncated');
    let value = 0;
    for (let i = 0; i < DIGEST_BYTES; i++) value = value * 256 + this.bytes[this.at++]!;
    return value;
  }
}
