/**
 * `node dist/raft/testing/storage-crash-writer.js --dir <dir> --seed <n> [--max-seconds <s>]`:
 * the program the storage crash test (test/raft/storage/level-storage-crash.test.ts)
 * kills with SIGKILL at random moments. It opens a `LevelStorage` in `dir`, continues
 * from whatever state it finds there, and writes without end, driven by a seeded PRNG:
 * batches of entries (with or without a hard state), suffixes overwritten at a higher
 * term (a follower's log truncated by a new leader, §5.3), hard state changes, snapshots
 * taken then compacted, and snapshots received from a leader. Up to four writes are in
 * flight at once.
 *
 * Every line it prints is JSON, written synchronously (so that none is lost in a buffer
 * when the process is killed, and they arrive in order):
 * - `{"open":STATE}`: the state found at open.
 * - `{"intent":n,"op":"...","state":STATE}`: write n was called; STATE is what the
 *   storage holds once it is durable. Printed before the write can reach the disk.
 * - `{"ack":n}`: write n's promise resolved: it is durable.
 * So after a kill, the storage must hold the STATE of one write between the last
 * acknowledged and the last intended (the open state counting as write 0).
 *
 * Entry payloads, snapshot data and snapshot memberships are functions of index and
 * term (exported here, for the test to check what it reads back).
 */
import { realpathSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { assert } from '../core/errors.js';
import { createSeededRandom } from '../core/random.js';
import type { SeededRandom } from '../core/random.js';
import { EntryType } from '../core/types.js';
import type { ConfState, Entry, HardState, Snapshot } from '../core/types.js';
import { LevelStorage } from '../storage/level-storage.js';
import type { LogStorage } from '../storage/log-storage.js';

/** What a storage holds, in a few fields: equal summaries mean equal logs (up to hash collisions). */
export interface CrashWriterState {
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly lastTerm: number;
  /** Hash of the compaction point and of every (index, term) after it. */
  readonly logHash: string;
  readonly hardState: HardState;
  readonly snapshotIndex: number;
  readonly snapshotTerm: number;
}

export type CrashWriterLine =
  | { readonly open: CrashWriterState }
  | { readonly intent: number; readonly op: string; readonly state: CrashWriterState }
  | { readonly ack: number };

/** Writes in flight at most (the window is drawn per run from 1 up to this). */
const IN_FLIGHT_MAX = 4;
/** Entries per batch at most. */
const BATCH_ENTRIES_MAX = 8;
/** Snapshot data size at most. */
export const SNAPSHOT_BYTES_MAX = 96 * 1024;
/** Entry payload size at most. */
const ENTRY_BYTES_MAX = 64;
/** Past this many entries after the compaction point, the writer snapshots and compacts. */
const LOG_ENTRIES_SOFT_MAX = 400;
/** Entries kept before a snapshot's index when compacting, at most. */
const TRAILING_ENTRIES_MAX = 10;
/** The writer stops on its own after this long, so that it cannot outlive a lost parent. */
const DEFAULT_MAX_SECONDS = 120;

/** The membership of the snapshot at `index`; at 0, the initial voters only. */
export function snapshotConfState(index: number): ConfState {
  if (index === 0) return { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [] };
  const voters = index % 4 === 0 ? [1, 2, 3, 4, 5] : [1, 2, 3];
  return { voters, learners: index % 3 === 0 ? [6] : [], votersOutgoing: index % 7 === 0 ? [1, 2, 3] : [], learnersNext: [] };
}

/** The data of the snapshot at `index` of `term`: 0 to SNAPSHOT_BYTES_MAX pseudo-random bytes. */
export function snapshotPayload(index: number, term: number): Uint8Array {
  const random = createSeededRandom(index * 7919 + term * 104_729);
  const sizeBytes = index % 5 === 0 ? 0 : random.int(SNAPSHOT_BYTES_MAX + 1);
  const data = new Uint8Array(sizeBytes);
  for (let i = 0; i < sizeBytes; i++) data[i] = random.int(256);
  return data;
}

export function entryType(index: number): EntryType {
  return index % 11 === 0 ? EntryType.ConfChange : EntryType.Normal;
}

/** The payload of the entry at `index` of `term`. */
export function entryPayload(index: number, term: number): Uint8Array {
  const sizeBytes = (index * 31 + term * 17) % (ENTRY_BYTES_MAX + 1);
  return Uint8Array.from({ length: sizeBytes }, (_, i) => (index + term * 3 + i) % 256);
}

export function makeEntry(index: number, term: number): Entry {
  return { index, term, type: entryType(index), data: entryPayload(index, term) };
}

/** The summary of what `storage` reports through its read side. */
export function describeStorage(storage: LogStorage): CrashWriterState {
  const first = storage.firstIndex();
  const last = storage.lastIndex();
  const terms = storage.entries(first, last + 1, Number.MAX_SAFE_INTEGER).map((entry) => entry.term);
  const snapshot = storage.snapshotMetadata();
  return summarize(first - 1, storage.term(first - 1), terms, storage.initialState().hardState, snapshot.index, snapshot.term);
}

function summarize(
  offset: number,
  offsetTerm: number,
  terms: readonly number[],
  hardState: HardState,
  snapshotIndex: number,
  snapshotTerm: number,
): CrashWriterState {
  // Two 32-bit FNV-1a-style lanes over the compaction point and each (index, term).
  let a = 0x811c9dc5;
  let b = 0x01000193;
  const mix = (value: number): void => {
    a = Math.imul(a ^ (value >>> 0), 0x01000193) >>> 0;
    b = Math.imul(b ^ ((value / 0x1_0000_0000) >>> 0) ^ a, 0x5bd1e995) >>> 0;
  };
  mix(offset);
  mix(offsetTerm);
  terms.forEach((term, i) => {
    mix(offset + 1 + i);
    mix(term);
  });
  return {
    firstIndex: offset + 1,
    lastIndex: offset + terms.length,
    lastTerm: terms.length === 0 ? offsetTerm : terms[terms.length - 1]!,
    logHash: a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0'),
    hardState: { term: hardState.term, vote: hardState.vote, commit: hardState.commit },
    snapshotIndex,
    snapshotTerm,
  };
}

/**
 * The writer's own model of what it wrote, kept apart from the storage under test: after
 * every call the storage's reads must agree with it.
 */
class Model {
  private offset: number;
  private offsetTerm: number;
  /** Terms of the entries after the compaction point. */
  private terms: number[];
  hardState: HardState;
  snapshotIndex: number;
  snapshotTerm: number;

  constructor(storage: LogStorage) {
    this.offset = storage.firstIndex() - 1;
    this.offsetTerm = storage.term(this.offset);
    this.terms = storage.entries(this.offset + 1, storage.lastIndex() + 1, Number.MAX_SAFE_INTEGER).map((e) => e.term);
    this.hardState = storage.initialState().hardState;
    this.snapshotIndex = storage.snapshotMetadata().index;
    this.snapshotTerm = storage.snapshotMetadata().term;
  }

  get firstIndex(): number {
    return this.offset + 1;
  }

  get lastIndex(): number {
    return this.offset + this.terms.length;
  }

  termAt(index: number): number {
    return index === this.offset ? this.offsetTerm : this.terms[index - this.offset - 1]!;
  }

  /** Entries from `from` on replace everything after `from - 1`. */
  append(from: number, terms: readonly number[]): void {
    this.terms.length = from - this.offset - 1;
    this.terms.push(...terms);
  }

  compact(index: number): void {
    this.offsetTerm = this.termAt(index);
    this.terms = this.terms.slice(index - this.offset);
    this.offset = index;
  }

  installSnapshot(index: number, term: number): void {
    this.offset = index;
    this.offsetTerm = term;
    this.terms = [];
    this.snapshotIndex = index;
    this.snapshotTerm = term;
  }

  state(): CrashWriterState {
    return summarize(this.offset, this.offsetTerm, this.terms, this.hardState, this.snapshotIndex, this.snapshotTerm);
  }
}

/** One write: its name for the output, and the call (which updates the model as it goes). */
interface Write {
  readonly op: string;
  readonly run: () => Promise<void>;
}

/** Choose the next write from the model's state. */
function nextWrite(random: SeededRandom, storage: LevelStorage, model: Model): Write {
  const { hardState } = model;
  const logEntries = model.lastIndex - model.firstIndex + 1;
  if (hardState.term === 0) return setHardState(storage, model, { term: 1, vote: 1, commit: hardState.commit });
  if (model.snapshotIndex > hardState.commit) {
    // A received snapshot is followed by the commit index catching up with it.
    return setHardState(storage, model, { ...hardState, commit: model.snapshotIndex });
  }
  if (logEntries > LOG_ENTRIES_SOFT_MAX && hardState.commit > model.snapshotIndex) return saveSnapshot(random, storage, model);
  if (logEntries > LOG_ENTRIES_SOFT_MAX && model.firstIndex <= model.snapshotIndex) return compact(random, storage, model);
  const roll = random.int(100);
  if (roll < 50) return appendBatch(random, storage, model);
  if (roll < 62) return overwriteSuffix(random, storage, model);
  if (roll < 80) return advanceHardState(random, storage, model);
  if (roll < 88 && hardState.commit > model.snapshotIndex) return saveSnapshot(random, storage, model);
  if (roll < 94 && model.firstIndex <= model.snapshotIndex) return compact(random, storage, model);
  if (roll < 97) return installSnapshot(random, storage, model);
  return appendBatch(random, storage, model);
}

function termsOf(count: number, term: number): number[] {
  return Array.from({ length: count }, () => term);
}

function entriesFrom(from: number, terms: readonly number[]): Entry[] {
  return terms.map((term, i) => makeEntry(from + i, term));
}

/** Entries at the current term after the last one, sometimes with a commit advance. */
function appendBatch(random: SeededRandom, storage: LevelStorage, model: Model): Write {
  const from = model.lastIndex + 1;
  const terms = termsOf(1 + random.int(BATCH_ENTRIES_MAX), model.hardState.term);
  const hardState = random.chance(0.5) ? { ...model.hardState, commit: commitUpTo(random, model, model.lastIndex) } : null;
  model.append(from, terms);
  if (hardState !== null) model.hardState = hardState;
  return { op: hardState === null ? 'append' : 'append+hard-state', run: () => storage.save(entriesFrom(from, terms), hardState) };
}

/** A new leader's entries replace an uncommitted suffix, with the new term in the same save. */
function overwriteSuffix(random: SeededRandom, storage: LevelStorage, model: Model): Write {
  const floor = Math.max(model.hardState.commit, model.snapshotIndex, model.firstIndex - 1) + 1;
  const from = floor + random.int(model.lastIndex + 2 - floor);
  const term = model.hardState.term + 1;
  const terms = termsOf(1 + random.int(BATCH_ENTRIES_MAX), term);
  const hardState = { term, vote: 1 + random.int(5), commit: model.hardState.commit };
  model.append(from, terms);
  model.hardState = hardState;
  return { op: 'overwrite', run: () => storage.save(entriesFrom(from, terms), hardState) };
}

/** The commit index moves on, sometimes with a new term (an election). */
function advanceHardState(random: SeededRandom, storage: LevelStorage, model: Model): Write {
  const election = random.chance(0.3);
  const hardState = {
    term: model.hardState.term + (election ? 1 : 0),
    vote: election ? 1 + random.int(5) : model.hardState.vote,
    commit: commitUpTo(random, model, model.lastIndex),
  };
  return setHardState(storage, model, hardState);
}

function setHardState(storage: LevelStorage, model: Model, hardState: HardState): Write {
  model.hardState = hardState;
  return { op: 'hard-state', run: () => storage.setHardState(hardState) };
}

/** A commit index in [commit, limit], biased towards the limit. */
function commitUpTo(random: SeededRandom, model: Model, limit: number): number {
  const commit = model.hardState.commit;
  return limit <= commit ? commit : limit - random.int(Math.min(4, limit - commit + 1));
}

/** The application snapshots at a committed index (`RawNode.createSnapshot`). */
function saveSnapshot(random: SeededRandom, storage: LevelStorage, model: Model): Write {
  const index = model.hardState.commit - random.int(Math.min(3, model.hardState.commit - model.snapshotIndex));
  const term = model.termAt(index);
  model.snapshotIndex = index;
  model.snapshotTerm = term;
  return { op: 'save-snapshot', run: () => storage.saveSnapshot(snapshotAt(index, term)) };
}

/** Compaction up to the snapshot, keeping a few trailing entries. */
function compact(random: SeededRandom, storage: LevelStorage, model: Model): Write {
  const lowest = model.firstIndex;
  const index = Math.max(lowest, model.snapshotIndex - random.int(TRAILING_ENTRIES_MAX + 1));
  model.compact(index);
  return { op: 'compact', run: () => storage.compact(index) };
}

/** A leader's snapshot beyond the commit index replaces the log (beyond its end, or inside it). */
function installSnapshot(random: SeededRandom, storage: LevelStorage, model: Model): Write {
  const floor = Math.max(model.hardState.commit, model.snapshotIndex) + 1;
  const index = floor + random.int(model.lastIndex + 20 - floor);
  const term = model.hardState.term;
  model.installSnapshot(index, term);
  return { op: 'apply-snapshot', run: () => storage.applySnapshot(snapshotAt(index, term)) };
}

function snapshotAt(index: number, term: number): Snapshot {
  return { metadata: { index, term, confState: snapshotConfState(index) }, data: snapshotPayload(index, term) };
}

/** One line to stdout, synchronously (retrying if the pipe is full and non-blocking). */
function printLine(line: CrashWriterLine): void {
  const bytes = Buffer.from(`${JSON.stringify(line)}\n`);
  let written = 0;
  while (written < bytes.byteLength) {
    try {
      written += writeSync(1, bytes, written, bytes.byteLength - written);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}

function sameState(a: CrashWriterState, b: CrashWriterState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function run(dir: string, seed: number, maxSeconds: number): Promise<void> {
  const random = createSeededRandom(seed);
  const storage = await LevelStorage.open({ dir, initialVoters: snapshotConfState(0).voters });
  const model = new Model(storage);
  printLine({ open: model.state() });
  const window = 1 + random.int(IN_FLIGHT_MAX);
  const inFlight: Array<Promise<void>> = [];
  const started = Date.now();
  for (let n = 1; Date.now() - started < maxSeconds * 1000; n++) {
    while (inFlight.length >= window) await inFlight.shift();
    const write = nextWrite(random, storage, model);
    const written = write.run();
    const state = model.state();
    const seen = describeStorage(storage);
    assert(sameState(state, seen), () => `write ${n} (${write.op}): storage reads ${JSON.stringify(seen)}, model ${JSON.stringify(state)}`);
    printLine({ intent: n, op: write.op, state });
    inFlight.push(written.then(() => printLine({ ack: n })));
  }
  await Promise.all(inFlight);
  await storage.close();
}

function isMain(): boolean {
  const script = process.argv[1];
  return script !== undefined && import.meta.url === pathToFileURL(realpathSync(script)).href;
}

if (isMain()) {
  const { values } = parseArgs({
    options: { dir: { type: 'string' }, seed: { type: 'string' }, 'max-seconds': { type: 'string' } },
    strict: true,
  });
  const seed = Number(values.seed);
  const maxSeconds = values['max-seconds'] === undefined ? DEFAULT_MAX_SECONDS : Number(values['max-seconds']);
  if (values.dir === undefined || !Number.isSafeInteger(seed) || !(maxSeconds > 0)) {
    process.stderr.write('usage: storage-crash-writer --dir <dir> --seed <integer> [--max-seconds <s>]\n');
    process.exitCode = 2;
  } else {
    await run(values.dir, seed, maxSeconds);
  }
}
