/**
 * The data folder of `balsa up`: `cluster.json` records the KV cluster it holds (its
 * member count and first KV port: the peer URLs its members know each other at), so that a
 * later `balsa up` starts the same cluster, and refuses flags that would make another; and
 * `up.pid` keeps two `balsa up`s off one folder.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_KV_PORT, DEFAULT_SERVERS } from './constants.js';
import { UpUsageError } from './up-flags.js';

/** What `cluster.json` holds. */
export interface StoredCluster {
  readonly servers: number;
  readonly kvPort: number;
}

/** The folder cannot be used as it is (another `up` on it, its data damaged): exit code 1. */
export class DataDirError extends Error {
  override readonly name = 'DataDirError';
}

const CLUSTER_FILE = 'cluster.json';
const LOCK_FILE = 'up.pid';

/**
 * The cluster to run in `dataDir`: the one it holds (flags that contradict it are an
 * `UpUsageError`), else the flags' (or the defaults). `existing` says whether it held one.
 */
export async function resolveCluster(dataDir: string, flags: { servers: number | undefined; kvPort: number | undefined }): Promise<StoredCluster & { existing: boolean }> {
  const stored = await readStoredCluster(dataDir);
  if (stored === undefined) return { servers: flags.servers ?? DEFAULT_SERVERS, kvPort: flags.kvPort ?? DEFAULT_KV_PORT, existing: false };
  const mismatch = [
    flags.servers !== undefined && flags.servers !== stored.servers ? `--servers ${flags.servers}` : undefined,
    flags.kvPort !== undefined && flags.kvPort !== stored.kvPort ? `--kv-port ${flags.kvPort}` : undefined,
  ].filter((text) => text !== undefined);
  if (mismatch.length > 0) {
    throw new UpUsageError(
      `${dataDir} holds a cluster of ${stored.servers} server(s) on KV ports from ${stored.kvPort}, which its members know each other by: ` +
        `${mismatch.join(' and ')} would make another; leave them out, or use another --data-dir for a new cluster`,
    );
  }
  return { ...stored, existing: true };
}

/** Records the cluster in `dataDir` (creating it) before its members first start. */
export async function storeCluster(dataDir: string, cluster: StoredCluster): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await writeFile(join(dataDir, CLUSTER_FILE), `${JSON.stringify({ servers: cluster.servers, kvPort: cluster.kvPort }, null, 2)}\n`);
}

/**
 * Checks that every member's data is there or none is: a member whose data was lost cannot
 * start again as a fresh member of the cluster (it would have forgotten what it voted and
 * acknowledged).
 */
export function checkMembersData(memberDataDirs: readonly string[]): void {
  const missing = memberDataDirs.filter((dir) => !existsSync(join(dir, 'member')));
  if (missing.length > 0 && missing.length < memberDataDirs.length) {
    throw new DataDirError(`the KV data of ${missing.join(', ')} is missing while the other members have theirs: such a member cannot rejoin; restore it, or start a new cluster with another --data-dir`);
  }
}

/** Takes the folder for this process; a `DataDirError` when a live `balsa up` has it. */
export async function lockDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const lockPath = join(dataDir, LOCK_FILE);
  try {
    const holder = Number((await readFile(lockPath, 'utf8')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
      throw new DataDirError(`another balsa up (pid ${holder}) is running on ${dataDir}`);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await writeFile(lockPath, `${process.pid}\n`);
}

export async function unlockDataDir(dataDir: string): Promise<void> {
  await rm(join(dataDir, LOCK_FILE), { force: true });
}

async function readStoredCluster(dataDir: string): Promise<StoredCluster | undefined> {
  let text: string;
  try {
    text = await readFile(join(dataDir, CLUSTER_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: Partial<StoredCluster> = {};
  try {
    parsed = JSON.parse(text) as Partial<StoredCluster>;
  } catch {
    // Reported below as damaged.
  }
  if (!Number.isInteger(parsed?.servers) || !Number.isInteger(parsed?.kvPort)) throw new DataDirError(`${join(dataDir, CLUSTER_FILE)} is damaged: it should hold {"servers": N, "kvPort": P}`);
  return { servers: parsed.servers!, kvPort: parsed.kvPort! };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
