/**
 * The state machine of `cluster-node.ts`: a map of registers (key → last value written)
 * that also remembers the id of every write it applied, so that a test can prove no
 * acknowledged write was lost, and a digest over its whole state, so that a test can
 * prove every member converged to the same state.
 *
 * A write is JSON `{"key", "value", "writeId"}`. Applying it stores the value and records
 * the write id (a write applied twice, because a client retried it, is recorded once).
 * Its result is the entry's log index.
 */
import { createHash } from 'node:crypto';
import { pack, unpack } from 'msgpackr';
import type { AppliedEntry, StateMachine } from '../node.js';
import { REGISTER_KEY_BYTES_MAX, REGISTER_VALUE_BYTES_MAX, REGISTER_WRITE_ID_BYTES_MAX } from './constants.js';

export interface RegisterWrite {
  readonly key: string;
  readonly value: string;
  readonly writeId: string;
}

export interface RegisterWriteResult {
  /** The log index the write was applied at. */
  readonly index: number;
}

export interface RegisterDigest {
  /** Index of the last entry this machine applied (or restored). */
  readonly lastIndex: number;
  /** SHA-256 (hex) over the registers in key order and the write ids in sorted order. */
  readonly digest: string;
  readonly keys: number;
  readonly writes: number;
  /** Snapshots restored by this process (its own at start, or one received from the leader); not hashed. */
  readonly restores: number;
}

/** Why a write is malformed, or null when it is well formed. */
export function checkRegisterWrite(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return 'the body must be a JSON object {key, value, writeId}';
  const write = value as Record<string, unknown>;
  const fields: [string, number][] = [
    ['key', REGISTER_KEY_BYTES_MAX],
    ['value', REGISTER_VALUE_BYTES_MAX],
    ['writeId', REGISTER_WRITE_ID_BYTES_MAX],
  ];
  for (const [field, maxBytes] of fields) {
    const text = write[field];
    if (typeof text !== 'string') return `${field} must be a string`;
    if (field !== 'value' && text.length === 0) return `${field} must not be empty`;
    if (Buffer.byteLength(text) > maxBytes) return `${field} is longer than ${maxBytes} bytes`;
  }
  return null;
}

export function encodeRegisterWrite(write: RegisterWrite): Uint8Array {
  return Buffer.from(JSON.stringify({ key: write.key, value: write.value, writeId: write.writeId }));
}

/** The write an entry carries, or null for data that is not a well-formed write. */
export function decodeRegisterWrite(data: Uint8Array): RegisterWrite | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    return null;
  }
  return checkRegisterWrite(parsed) === null ? (parsed as RegisterWrite) : null;
}

interface SnapshotForm {
  readonly lastIndex: number;
  readonly registers: [string, string][];
  readonly writeIds: string[];
}

export class RegisterMachine implements StateMachine<RegisterWriteResult> {
  private registers = new Map<string, string>();
  /** Every write id applied, in the order first applied. */
  private writeIds: string[] = [];
  private seenWriteIds = new Set<string>();
  private lastIndex = 0;
  /** Entries applied that were not well-formed writes (none when every write came through the HTTP API). */
  private malformed = 0;
  private restores = 0;

  /** `onRestore` hears of every snapshot restored (for logging). */
  constructor(private readonly onRestore: (index: number, bytes: number) => void = () => undefined) {}

  apply(entries: readonly AppliedEntry[]): RegisterWriteResult[] {
    return entries.map((entry) => {
      if (entry.index <= this.lastIndex) throw new Error(`register machine: entry ${entry.index} applied after ${this.lastIndex}`);
      this.lastIndex = entry.index;
      const write = decodeRegisterWrite(entry.data);
      if (write === null) {
        this.malformed++;
        return { index: entry.index };
      }
      this.registers.set(write.key, write.value);
      if (!this.seenWriteIds.has(write.writeId)) {
        this.seenWriteIds.add(write.writeId);
        this.writeIds.push(write.writeId);
      }
      return { index: entry.index };
    });
  }

  snapshot(): Uint8Array {
    const form: SnapshotForm = { lastIndex: this.lastIndex, registers: [...this.registers], writeIds: this.writeIds };
    return pack(form);
  }

  restore(data: Uint8Array, metadata: { readonly index: number; readonly term: number }): void {
    const form = unpack(data) as SnapshotForm;
    if (!Array.isArray(form.registers) || !Array.isArray(form.writeIds) || typeof form.lastIndex !== 'number') {
      throw new Error(`register machine: snapshot at ${metadata.index} is malformed`);
    }
    this.registers = new Map(form.registers);
    this.writeIds = [...form.writeIds];
    this.seenWriteIds = new Set(form.writeIds);
    // The snapshot was taken after applying up to its index; entries after `form.lastIndex`
    // up to it were conf changes or no-ops, which the machine never sees.
    this.lastIndex = metadata.index;
    this.restores++;
    this.onRestore(metadata.index, data.byteLength);
  }

  get(key: string): string | undefined {
    return this.registers.get(key);
  }

  /** Every write id applied, each once, in the order first applied. */
  appliedWriteIds(): readonly string[] {
    return this.writeIds;
  }

  malformedEntries(): number {
    return this.malformed;
  }

  digest(): RegisterDigest {
    const hash = createHash('sha256');
    for (const key of [...this.registers.keys()].sort()) hash.update(`${JSON.stringify(key)}=${JSON.stringify(this.registers.get(key))}\n`);
    hash.update('--\n');
    for (const writeId of [...this.writeIds].sort()) hash.update(`${JSON.stringify(writeId)}\n`);
    return {
      lastIndex: this.lastIndex,
      digest: hash.digest('hex'),
      keys: this.registers.size,
      writes: this.writeIds.length,
      restores: this.restores,
    };
  }
}
