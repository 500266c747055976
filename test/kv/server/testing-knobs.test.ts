/**
 * The testing knobs of `balsa kv serve` (`kv/server/testing-knobs.ts`) cannot be turned on
 * by accident: they are `BALSA_TESTING_*` variables, the one that breaks linearizability
 * takes a single exact value and refuses to start on any other (exit status 2, the
 * variable named), and a member with a knob set warns at start. The slow-disk knob delays
 * when a synced write is durable, not when reads see it, and follows its file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryType } from '../../../raft/core/types.js';
import { MemoryStorage } from '../../../raft/storage/memory-storage.js';
import { KvConfigError, parseKvServerConfig } from '../../../kv/server/config.js';
import { serverOptionsFromConfig } from '../../../kv/server/server-options.js';
import {
  SYNC_DELAY_FILE_ENV,
  SYNC_DELAY_MAX_MS,
  UNSAFE_FOLLOWER_READS_ENV,
  UNSAFE_FOLLOWER_READS_VALUE,
  testingKnobWarnings,
  syncDelayMsOf,
  testingKnobsFromEnv,
  withSyncDelay,
} from '../../../kv/server/testing-knobs.js';

describe('knobs from the environment', () => {
  test('none set: none on; a production environment never has them', () => {
    expect(testingKnobsFromEnv({})).toBeUndefined();
    expect(testingKnobsFromEnv({ [UNSAFE_FOLLOWER_READS_ENV]: '', ETCD_NAME: 'x' })).toBeUndefined();
    const config = parseKvServerConfig(['--name', 'm1'], {}).config;
    expect(serverOptionsFromConfig(config, {}).testing).toBeUndefined();
  });

  test('unsafe follower reads: only the exact value turns them on', () => {
    expect(testingKnobsFromEnv({ [UNSAFE_FOLLOWER_READS_ENV]: UNSAFE_FOLLOWER_READS_VALUE })).toEqual({ unsafeFollowerReads: true });
    for (const value of ['1', 'true', 'yes', 'serve-stale-reads ']) {
      const refuse = () => testingKnobsFromEnv({ [UNSAFE_FOLLOWER_READS_ENV]: value });
      expect(refuse).toThrow(KvConfigError);
      expect(refuse).toThrow(`invalid value "${value}" for ${UNSAFE_FOLLOWER_READS_ENV}: a testing knob that breaks linearizability, enabled only by the value "${UNSAFE_FOLLOWER_READS_VALUE}"`);
    }
  });

  test('the options carry the knobs, and each knob set has its warning', () => {
    const config = parseKvServerConfig(['--name', 'm1'], {}).config;
    const env = { [UNSAFE_FOLLOWER_READS_ENV]: UNSAFE_FOLLOWER_READS_VALUE, [SYNC_DELAY_FILE_ENV]: 'delay-ms' };
    const testing = serverOptionsFromConfig(config, env).testing;
    expect(testing).toEqual({ unsafeFollowerReads: true, syncDelayFile: 'delay-ms' });
    expect(testingKnobWarnings(testing)).toEqual([
      `TESTING KNOB ${UNSAFE_FOLLOWER_READS_ENV}: followers serve linearizable reads without ReadIndex; reads may be stale`,
      `TESTING KNOB ${SYNC_DELAY_FILE_ENV}: storage syncs are delayed by the milliseconds in delay-ms`,
    ]);
  });

  test('balsa kv serve refuses to start with a wrong value, naming the variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'balsa-knob-'));
    try {
      const run = spawnSync(process.execPath, [join(process.cwd(), 'dist/cmd/balsa.js'), 'kv', 'serve', '--name', 'm1', '--data-dir', join(dir, 'm1')], {
        env: { ...process.env, [UNSAFE_FOLLOWER_READS_ENV]: '1' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(`balsa kv serve: invalid value "1" for ${UNSAFE_FOLLOWER_READS_ENV}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the slow-disk knob', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'balsa-knob-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const entry = (index: number) => ({ term: 1, index, type: EntryType.Normal, data: Uint8Array.of(index) });

  test('without it, the storage is the one given', () => {
    const storage = new MemoryStorage([1]);
    expect(withSyncDelay(storage, undefined, dir)).toBe(storage);
    expect(withSyncDelay(storage, { unsafeFollowerReads: true }, dir)).toBe(storage);
  });

  test('a write is read at once but durable only after the delay in the file (relative to the data directory)', async () => {
    writeFileSync(join(dir, 'delay-ms'), '1000\n');
    const storage = withSyncDelay(new MemoryStorage([1]), { unsafeFollowerReads: false, syncDelayFile: 'delay-ms' }, dir);
    let durable = false;
    const save = Promise.resolve(storage.save([entry(1)], null)).then(() => (durable = true));
    expect(storage.lastIndex()).toBe(1);
    // The memory storage's own write is done by the next turn of the event loop; the delay is not.
    await new Promise((resolve) => setImmediate(resolve));
    expect(durable).toBe(false);
    await save;
    expect(durable).toBe(true);
  });

  test('the file: missing, empty or not a positive integer means no delay; too long a delay is capped', () => {
    const file = join(dir, 'delay-ms');
    expect(syncDelayMsOf(file)).toBe(0);
    for (const [text, ms] of [['', 0], ['slow', 0], ['-5', 0], ['1.5', 0], ['250\n', 250], [' 30 ', 30], ['99999999', SYNC_DELAY_MAX_MS]] as const) {
      writeFileSync(file, text);
      expect(syncDelayMsOf(file)).toBe(ms);
    }
  });
});
