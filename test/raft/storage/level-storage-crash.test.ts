/**
 * Crash safety of `LevelStorage`, for real: the writer program
 * (raft/testing/storage-crash-writer.ts, compiled to dist/ by Jest's global setup) writes
 * to a directory as fast as it can and is killed with SIGKILL at a random moment, again
 * and again on the same directory. After each kill the directory is opened here and must
 * hold a consistent log (contiguous indexes, non-decreasing terms, every entry's payload
 * and every snapshot's data as written, the commit index within the log) and exactly the
 * state after one of the writes between the last acknowledged one and the last one
 * called: nothing acknowledged is lost, nothing is half-applied.
 *
 * `BALSA_CRASH_KILLS` sets the number of kills (default 25), for a longer run:
 * `BALSA_CRASH_KILLS=500 npm run jest -- test/raft/storage/level-storage-crash`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSeededRandom } from '../../../raft/core/random.js';
import { LevelStorage, SNAPSHOT_DIRECTORY } from '../../../raft/storage/level-storage.js';
import { SnapshotFiles } from '../../../raft/storage/snapshot-files.js';
import {
  describeStorage,
  entryPayload,
  entryType,
  snapshotConfState,
  snapshotPayload,
} from '../../../raft/testing/storage-crash-writer.js';
import type { CrashWriterLine, CrashWriterState } from '../../../raft/testing/storage-crash-writer.js';

const WRITER = join(process.cwd(), 'dist/raft/testing/storage-crash-writer.js');
const KILLS = Number(process.env['BALSA_CRASH_KILLS'] ?? 25);
/** The seed of this test's choices (when to kill) and, plus the round, of each writer run. */
const SEED = Number(process.env['BALSA_CRASH_SEED'] ?? 20_240_601);
/** Kill after this many acknowledged writes at most (at least 1), then after up to KILL_DELAY_MS_MAX more. */
const ACKS_BEFORE_KILL_MAX = 120;
const KILL_DELAY_MS_MAX = 10;
/** A writer that has not been killed by then has stalled. */
const ROUND_TIMEOUT_MS = 30_000;
/** Jest's limit for the whole run: a round takes about half a second on a 2-core machine. */
const TEST_TIMEOUT_MS = Math.max(120_000, KILLS * 3_000);

/** What one writer run printed before it was killed. */
interface RunOutput {
  readonly open: CrashWriterState | null;
  /** The state after write n, n ≥ 1, for every write called. */
  readonly intents: ReadonlyMap<number, CrashWriterState>;
  readonly lastAck: number;
  readonly lastIntent: number;
  readonly signal: NodeJS.Signals | null;
  readonly exitCode: number | null;
  readonly stderr: string;
}

const children = new Set<ChildProcess>();
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'balsa-crash-'));
});

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Run the writer on `dir` and kill it once `acksBeforeKill` writes are acknowledged and `delayMs` more passed. */
function runAndKill(seed: number, acksBeforeKill: number, delayMs: number): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, '--dir', dir, '--seed', String(seed), '--max-seconds', '60'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let open: CrashWriterState | null = null;
    const intents = new Map<number, CrashWriterState>();
    let lastAck = 0;
    let lastIntent = 0;
    let pending = '';
    let stderr = '';
    let killScheduled = false;
    let protocolError: Error | null = null;
    const timeout = setTimeout(() => {
      protocolError ??= new Error(`writer not killed within ${ROUND_TIMEOUT_MS} ms (acks: ${lastAck})`);
      child.kill('SIGKILL');
    }, ROUND_TIMEOUT_MS);

    const handle = (line: CrashWriterLine): void => {
      if ('open' in line) {
        open = line.open;
      } else if ('intent' in line) {
        if (line.intent !== lastIntent + 1) protocolError ??= new Error(`intent ${line.intent} after ${lastIntent}`);
        lastIntent = line.intent;
        intents.set(line.intent, line.state);
      } else {
        // Acknowledgements come in call order, each after its intent.
        if (line.ack !== lastAck + 1 || line.ack > lastIntent) protocolError ??= new Error(`ack ${line.ack} after ${lastAck}`);
        lastAck = line.ack;
        if (lastAck >= acksBeforeKill && !killScheduled) {
          killScheduled = true;
          setTimeout(() => child.kill('SIGKILL'), delayMs);
        }
      }
    };

    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (text: string) => {
      pending += text;
      const lines = pending.split('\n');
      // A line cut by the kill has no newline yet: keep it back (it is never completed).
      pending = lines.pop()!;
      for (const line of lines) handle(JSON.parse(line) as CrashWriterLine);
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      stderr += text;
    });
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      clearTimeout(timeout);
      children.delete(child);
      if (protocolError !== null) reject(protocolError);
      else resolve({ open, intents, lastAck, lastIntent, signal, exitCode, stderr });
    });
  });
}

/** The log reads back whole and well-formed: indexes, terms, payloads, snapshot data. */
function checkConsistent(storage: LevelStorage): void {
  const first = storage.firstIndex();
  const last = storage.lastIndex();
  expect(first).toBeGreaterThanOrEqual(1);
  expect(last).toBeGreaterThanOrEqual(first - 1);
  const entries = storage.entries(first, last + 1, Number.MAX_SAFE_INTEGER);
  expect(entries).toHaveLength(last - first + 1);
  let previousTerm = storage.term(first - 1);
  entries.forEach((entry, i) => {
    expect(entry.index).toBe(first + i);
    expect(storage.term(entry.index)).toBe(entry.term);
    if (entry.term < previousTerm) throw new Error(`term ${entry.term} at ${entry.index} after term ${previousTerm}`);
    previousTerm = entry.term;
    if (entry.type !== entryType(entry.index)) throw new Error(`entry ${entry.index} has type ${entry.type}`);
    expect(entry.data).toEqual(entryPayload(entry.index, entry.term));
  });

  const { hardState } = storage.initialState();
  expect(hardState.commit).toBeLessThanOrEqual(last);
  expect(hardState.term).toBeGreaterThanOrEqual(previousTerm);

  const metadata = storage.snapshotMetadata();
  expect(metadata.index).toBeGreaterThanOrEqual(first - 1);
  expect(metadata.index).toBeLessThanOrEqual(last);
  if (metadata.index > 0) expect(storage.term(metadata.index)).toBe(metadata.term);
  expect(metadata.confState).toEqual(snapshotConfState(metadata.index));
  expect(storage.initialState().confState).toEqual(metadata.confState);
  const reader = storage.openSnapshot();
  try {
    expect(reader.metadata).toEqual(metadata);
    expect(readSnapshot(reader)).toEqual(snapshotPayload(metadata.index, metadata.term));
  } finally {
    reader.close();
  }
  // Open removed every other file: temporary ones, unrecorded ones, superseded ones.
  const expectedFiles = metadata.index === 0 ? [] : [SnapshotFiles.fileName(metadata.index, metadata.term)];
  expect(readdirSync(join(dir, SNAPSHOT_DIRECTORY))).toEqual(expectedFiles);
}

function readSnapshot(reader: ReturnType<LevelStorage['openSnapshot']>): Uint8Array {
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (;;) {
    const chunk = reader.read(offset, 16 * 1024);
    parts.push(chunk.data.slice());
    offset += chunk.data.byteLength;
    if (chunk.done) break;
  }
  const data = new Uint8Array(offset);
  let at = 0;
  for (const part of parts) {
    data.set(part, at);
    at += part.byteLength;
  }
  return data;
}

/** Which write's state the storage holds, among those the kill may have left; -1 if none. */
/**
 * The write whose state the storage holds. The commit index may lag the write's (a write
 * that only moves the commit index is not made durable at once, as etcd does), but never
 * below what was already found on disk, nor below the snapshot, nor above the write's.
 */
function matchingWrite(found: CrashWriterState, output: RunOutput, floor: number): number {
  const withoutCommit = (state: CrashWriterState) => JSON.stringify({ ...state, hardState: { ...state.hardState, commit: 0 } });
  const same = (state: CrashWriterState | null | undefined): boolean => {
    if (state === null || state === undefined || withoutCommit(state) !== withoutCommit(found)) return false;
    const commit = found.hardState.commit;
    return commit <= Math.max(state.hardState.commit, state.snapshotIndex) && commit >= Math.min(state.hardState.commit, Math.max(floor, state.snapshotIndex));
  };
  for (let n = output.lastAck; n <= output.lastIntent; n++) {
    if (same(n === 0 ? output.open : output.intents.get(n))) return n;
  }
  return -1;
}

describe('LevelStorage under SIGKILL', () => {
  it(`keeps a consistent log and every acknowledged write through ${KILLS} kills`, async () => {
    const random = createSeededRandom(SEED);
    let recovered: CrashWriterState | null = null;
    let killsInFlight = 0;
    for (let round = 0; round < KILLS; round++) {
      const acksBeforeKill = 1 + random.int(ACKS_BEFORE_KILL_MAX);
      const output = await runAndKill(SEED + round, acksBeforeKill, random.int(KILL_DELAY_MS_MAX + 1));
      const context = `BALSA_CRASH_SEED=${SEED} round ${round} (writer seed ${SEED + round}, killed after ack ${output.lastAck}, last intent ${output.lastIntent})`;
      if (output.signal !== 'SIGKILL') throw new Error(`${context}: writer exited on its own (${output.exitCode}): ${output.stderr}`);
      expect(output.lastAck).toBeGreaterThanOrEqual(acksBeforeKill);
      if (output.lastIntent > output.lastAck) killsInFlight++;
      // The writer found what the previous round left and the test checked.
      if (recovered !== null) expect({ round, open: output.open }).toEqual({ round, open: recovered });

      const storage = await LevelStorage.open({ dir }).catch((error: unknown) => {
        throw new Error(`${context}: the directory does not open: ${String(error)}`);
      });
      try {
        try {
          checkConsistent(storage);
        } catch (error) {
          throw new Error(`${context}: inconsistent log: ${(error as Error).message}`);
        }
        const found = describeStorage(storage);
        const write = matchingWrite(found, output, recovered?.hardState.commit ?? 0);
        if (write < 0) {
          throw new Error(`${context}: the storage holds ${JSON.stringify(found)}, the state after none of writes ${output.lastAck}..${output.lastIntent}: ${JSON.stringify(output.intents.get(output.lastAck))}`);
        }
        recovered = found;
      } finally {
        await storage.close();
      }
    }
    // The test itself: kills landed while writes were in flight, not only between them.
    expect(killsInFlight).toBeGreaterThan(0);
  }, TEST_TIMEOUT_MS);
});
