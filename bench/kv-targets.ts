/**
 * The systems `bench/kv.ts` compares, each a 3-member cluster on 127.0.0.1 started and
 * stopped by the benchmark: Balsa KV (`balsa kv serve`, the compiled CLI, through
 * `kv/testing/kv-process-cluster.ts`) and etcd (Debian's `etcd-server`, through
 * `kv/testing/real-etcd.ts`), both with their default settings. A target gives its client
 * endpoints and its members' process ids, whose CPU time and memory the benchmark reads.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startKvCluster } from '../kv/testing/kv-process-cluster.js';
import { RealEtcd } from '../kv/testing/real-etcd.js';

export type TargetName = 'balsa' | 'etcd';

export const TARGET_NAMES: readonly TargetName[] = ['balsa', 'etcd'];

/** How a target is called in reports. */
export const TARGET_LABELS: Readonly<Record<TargetName, string>> = { balsa: 'Balsa', etcd: 'etcd' };

export interface KvTarget {
  readonly name: TargetName;
  /** What runs, with its version: `Balsa KV 0.1.0`, `etcd 3.4.23`. */
  readonly description: string;
  /** `host:port` of each member's client API. */
  readonly endpoints: readonly string[];
  /** The members' process ids (running ones). */
  pids(): number[];
  /** Stop every member (SIGTERM, then SIGKILL) and remove its data. Idempotent. */
  stop(): Promise<void>;
}

const MEMBERS = 3;

/** A 3-member Balsa KV cluster in a new directory under `parentDir`. */
export async function startBalsaTarget(parentDir: string, version: string, cpuProfDir?: string): Promise<KvTarget> {
  const dir = await mkdtemp(join(parentDir, 'balsa-kv-'));
  let cluster;
  try {
    cluster = await startKvCluster({ members: MEMBERS, dir, ...(cpuProfDir === undefined ? {} : { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] }) });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let stopped: Promise<void> | null = null;
  return {
    name: 'balsa',
    description: `Balsa KV ${version}`,
    endpoints: cluster.clientEndpoints,
    pids: () => cluster.pids(),
    stop: () =>
      (stopped ??= (async () => {
        await cluster.stop();
        await rm(dir, { recursive: true, force: true });
      })()),
  };
}

/** A 3-member etcd cluster of the binary at `etcd`, in a new directory under `parentDir`. */
export async function startEtcdTarget(etcd: string, parentDir: string): Promise<KvTarget> {
  const cluster = await RealEtcd.start({ etcd, members: MEMBERS, dir: parentDir });
  return {
    name: 'etcd',
    description: `etcd ${etcdVersion(etcd)}`,
    endpoints: cluster.clientEndpoints.map((url) => url.replace(/^http:\/\//, '')),
    pids: () => cluster.pids(),
    stop: () => cluster.stop('SIGTERM'),
  };
}

/** `3.4.23` from `etcd --version`'s first line, or `(unknown version)`. */
export function etcdVersion(etcd: string): string {
  try {
    const text = execFileSync(etcd, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    return /etcd Version:\s*(\S+)/.exec(text)?.[1] ?? '(unknown version)';
  } catch {
    return '(unknown version)';
  }
}
