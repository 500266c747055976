/**
 * Testing knobs of `balsa kv serve`: ways to make a member misbehave on purpose, so that
 * fault-injection tests (`npm run chaos`) can slow its disk and can prove that their
 * checker catches a broken server. **For tests only: never set them in production.**
 *
 * They are environment variables, not flags (no etcd command line can name them), all
 * named `BALSA_TESTING_*`, and a member that has one prints a warning naming it at start.
 * The one that breaks correctness takes only one exact value, so that it cannot be turned
 * on by a stray `=1` or `=true`; any other value refuses to start.
 *
 * - `BALSA_TESTING_UNSAFE_FOLLOWER_READS=serve-stale-reads`: a follower answers
 *   linearizable reads (Range without `serializable`, lease TTLs, ...) from its own state
 *   without a ReadIndex barrier (Raft thesis §6.4 skipped), so it may answer stale. The
 *   leader still confirms its leadership. Breaks linearizability by design.
 * - `BALSA_TESTING_SYNC_DELAY_FILE=PATH`: each synced storage write (entries and hard
 *   state, snapshots) becomes durable no sooner than as many milliseconds as the file holds (a decimal
 *   integer; missing, empty or 0: no delay). A relative path is taken from the member's
 *   data directory. The file is re-read at most every `SYNC_DELAY_REREAD_MS`, so a test
 *   slows a running member's disk down and back up by writing it.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { HardState, Entry, Snapshot, SnapshotMetadata } from '../../raft/index.js';
import type { InitialState, SnapshotReader, WritableLogStorage } from '../../raft/index.js';
import { KvConfigError } from './config.js';

export const UNSAFE_FOLLOWER_READS_ENV = 'BALSA_TESTING_UNSAFE_FOLLOWER_READS';
/** The only value that turns unsafe follower reads on. */
export const UNSAFE_FOLLOWER_READS_VALUE = 'serve-stale-reads';
export const SYNC_DELAY_FILE_ENV = 'BALSA_TESTING_SYNC_DELAY_FILE';
/** How stale the sync delay read from its file may be, in ms. */
export const SYNC_DELAY_REREAD_MS = 100;
/** The longest sync delay honoured, in ms (a test asking for more gets this). */
export const SYNC_DELAY_MAX_MS = 10_000;

export interface TestingKnobs {
  /** Followers skip the ReadIndex barrier of linearizable reads. */
  readonly unsafeFollowerReads: boolean;
  /** The file holding the sync delay in ms (absolute, or relative to the data directory). */
  readonly syncDelayFile?: string;
}

/** The knobs `env` sets, or undefined when it sets none. Refuses an unsafe-reads value other than the exact one. */
export function testingKnobsFromEnv(env: Readonly<Record<string, string | undefined>>): TestingKnobs | undefined {
  const reads = env[UNSAFE_FOLLOWER_READS_ENV] ?? '';
  if (reads !== '' && reads !== UNSAFE_FOLLOWER_READS_VALUE) {
    throw new KvConfigError(
      'INVALID_VALUE',
      `invalid value "${reads}" for ${UNSAFE_FOLLOWER_READS_ENV}: a testing knob that breaks linearizability, enabled only by the value "${UNSAFE_FOLLOWER_READS_VALUE}"`,
    );
  }
  const syncDelayFile = env[SYNC_DELAY_FILE_ENV] ?? '';
  if (reads === '' && syncDelayFile === '') return undefined;
  return { unsafeFollowerReads: reads !== '', ...(syncDelayFile === '' ? {} : { syncDelayFile }) };
}

/** One line per knob set, for the member to print at start. */
export function testingKnobWarnings(knobs: TestingKnobs | undefined): string[] {
  if (knobs === undefined) return [];
  const warnings: string[] = [];
  if (knobs.unsafeFollowerReads) warnings.push(`TESTING KNOB ${UNSAFE_FOLLOWER_READS_ENV}: followers serve linearizable reads without ReadIndex; reads may be stale`);
  if (knobs.syncDelayFile !== undefined) warnings.push(`TESTING KNOB ${SYNC_DELAY_FILE_ENV}: storage syncs are delayed by the milliseconds in ${knobs.syncDelayFile}`);
  return warnings;
}

/** `storage` with its synced writes delayed as the knob's file says, or `storage` itself without the knob. */
export function withSyncDelay(storage: WritableLogStorage, knobs: TestingKnobs | undefined, dataDir: string): WritableLogStorage {
  if (knobs?.syncDelayFile === undefined) return storage;
  const file = isAbsolute(knobs.syncDelayFile) ? knobs.syncDelayFile : join(dataDir, knobs.syncDelayFile);
  return new SyncDelayedStorage(storage, file);
}

/** Reads the delay file (at most every `SYNC_DELAY_REREAD_MS`); each synced write resolves no sooner than that delay. */
class SyncDelayedStorage implements WritableLogStorage {
  private delayMs = 0;
  private readAtMs = -Infinity;

  constructor(
    private readonly inner: WritableLogStorage,
    private readonly file: string,
  ) {}

  initialState(): InitialState {
    return this.inner.initialState();
  }
  entries(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    return this.inner.entries(lo, hi, maxSizeBytes);
  }
  term(index: number): number {
    return this.inner.term(index);
  }
  firstIndex(): number {
    return this.inner.firstIndex();
  }
  lastIndex(): number {
    return this.inner.lastIndex();
  }
  snapshotMetadata(): SnapshotMetadata {
    return this.inner.snapshotMetadata();
  }
  openSnapshot(): SnapshotReader {
    return this.inner.openSnapshot();
  }
  // The write is called at once (reads reflect it, as the contract says); only its
  // durability, the promise the driver waits for, comes late: a slow sync.
  async save(entries: readonly Entry[], hardState: HardState | null): Promise<void> {
    await Promise.all([this.inner.save(entries, hardState), this.delay()]);
  }
  async applySnapshot(snapshot: Snapshot): Promise<void> {
    await Promise.all([this.inner.applySnapshot(snapshot), this.delay()]);
  }
  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    await Promise.all([this.inner.saveSnapshot(snapshot), this.delay()]);
  }
  compact(compactIndex: number): void | Promise<void> {
    return this.inner.compact(compactIndex);
  }
  close(): void | Promise<void> {
    return this.inner.close();
  }

  private async delay(): Promise<void> {
    const now = Date.now();
    if (now - this.readAtMs >= SYNC_DELAY_REREAD_MS) {
      this.readAtMs = now;
      this.delayMs = syncDelayMsOf(this.file);
    }
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
  }
}

/** The delay the knob's file asks for, in ms: 0 when it is missing or holds no positive integer; at most `SYNC_DELAY_MAX_MS`. */
export function syncDelayMsOf(file: string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return 0; // no file: no delay
  }
  const ms = Number(text);
  return Number.isSafeInteger(ms) && ms > 0 ? Math.min(ms, SYNC_DELAY_MAX_MS) : 0;
}
