/**
 * Multi-process Raft clusters for Jest: `raft/testing/process-cluster.ts` (the processes),
 * a `ClusterClient` and load generators, with the checks every fault test ends with (all
 * members converged; no acknowledged write lost; no member crashed) and the guarantees a
 * test run needs: every cluster is disposed (processes killed, temporary directories
 * removed) even when a test fails or times out, and a failure carries the harness's
 * narration and the tail of every member's log.
 *
 * Needs `dist/` (Jest's global setup builds it; by hand: `npx tsc -p tsconfig.build.json`).
 * `BALSA_KEEP_CLUSTER_DIRS=1` keeps the directories (data and logs) for a post-mortem.
 */
import { ClusterClient } from '../../raft/testing/cluster-client.js';
import type { Convergence } from '../../raft/testing/cluster-client.js';
import { ClusterLoad } from '../../raft/testing/cluster-load.js';
import type { ClusterLoadOptions } from '../../raft/testing/cluster-load.js';
import { ProcessCluster } from '../../raft/testing/process-cluster.js';
import type { ProcessClusterOptions } from '../../raft/testing/process-cluster.js';

/** Core tick of test clusters: an election timeout of 0.5–1 s. */
export const TEST_TICK_MS = 50;
/** The nodes' request timeout; the client waits a little longer for an answer. */
export const TEST_REQUEST_TIMEOUT_MS = 4_000;
/** A leader agreed by a majority must appear within this long after a fault. */
export const LEADER_TIMEOUT_MS = 20_000;
/** Members must converge within this long once the load stops and faults are healed. */
export const CONVERGE_TIMEOUT_MS = 40_000;

export type TestClusterOptions = Omit<ProcessClusterOptions, 'log'>;

/** What the harness and the test did, with seconds since the cluster started. */
class Narration {
  readonly lines: string[] = [];
  private readonly began = Date.now();

  add(line: string): void {
    this.lines.push(`${((Date.now() - this.began) / 1000).toFixed(2)}s ${line}`);
  }
}

export class TestCluster {
  /** The members the test believes are in the configuration (updated by `addMember`/`removeMember`). */
  readonly members = new Set<number>();
  private loads = 0;
  private disposed = false;

  private constructor(
    readonly processes: ProcessCluster,
    readonly client: ClusterClient,
    private readonly narration: Narration,
  ) {
    for (const member of processes.members()) this.members.add(member.id);
  }

  static async start(options: TestClusterOptions): Promise<TestCluster> {
    const narration = new Narration();
    const processes = await ProcessCluster.start({
      tickMs: TEST_TICK_MS,
      requestTimeoutMs: TEST_REQUEST_TIMEOUT_MS,
      ...options,
      log: (line) => narration.add(line),
    });
    const client = new ClusterClient({
      endpoints: () => processes.members().filter((m) => m.httpAddress !== ''),
      requestTimeoutMs: TEST_REQUEST_TIMEOUT_MS + 1_000,
    });
    const cluster = new TestCluster(processes, client, narration);
    openClusters.add(cluster);
    return cluster;
  }

  /** Add a line to the narration printed on failure. */
  note(line: string): void {
    this.narration.add(line);
  }

  /** A load of `writers` concurrent writers with write ids unique in this cluster. */
  load(options: Omit<ClusterLoadOptions, 'prefix'>): ClusterLoad {
    return new ClusterLoad(this.client, { ...options, prefix: `load${++this.loads}` });
  }

  /** The agreed leader (not one of `exclude`). */
  async leader(exclude: readonly number[] = []): Promise<number> {
    const { id, term } = await this.client.leader(LEADER_TIMEOUT_MS, exclude);
    this.note(`leader is ${id} at term ${term}`);
    return id;
  }

  /** A member of the configuration other than `not`, running. */
  follower(not: number): number {
    const candidates = [...this.members].filter((id) => id !== not && this.processes.member(id).state === 'running');
    if (candidates.length === 0) throw new Error(`no running member other than ${not}`);
    return candidates[0]!;
  }

  /** Start member `id` with `--join` and add it through the leader; resolves once it is a voter. */
  async addMember(id: number): Promise<void> {
    const member = await this.processes.startJoiner(id, [...this.members]);
    await this.client.addMember(id, member.advertisedAddress);
    this.members.add(id);
    this.note(`member ${id} added`);
  }

  /** Remove member `id` through the leader, then stop its process. */
  async removeMember(id: number): Promise<void> {
    await this.client.removeMember(id);
    this.members.delete(id);
    this.note(`member ${id} removed`);
    await this.processes.stop(id);
  }

  /**
   * The end of every fault test: every member of the configuration converges (same applied
   * index and state digest), each holds every acknowledged write, and no member process
   * exited unless the test made it.
   */
  async expectConsistent(acknowledged: Iterable<string>): Promise<Convergence> {
    const ids = [...this.members].sort((a, b) => a - b);
    const convergence = await this.client.waitConverged(ids, CONVERGE_TIMEOUT_MS);
    this.note(`converged at applied ${convergence.appliedIndex}, ${convergence.writes} writes, digest ${convergence.digest.slice(0, 12)}`);
    const acked = [...acknowledged];
    for (const id of ids) {
      const missing = await this.client.missingWrites(id, acked);
      if (missing.length > 0) {
        throw new Error(`member ${id} lost ${missing.length} of ${acked.length} acknowledged writes, e.g. ${missing.slice(0, 5).join(', ')}`);
      }
    }
    expect(convergence.writes).toBeGreaterThanOrEqual(acked.length);
    this.expectNoCrashes();
    return convergence;
  }

  /**
   * Read `key` on member `id` (started before `whilePending` runs, answered after): a
   * linearizable read never returns `staleValue`, overwritten by an acknowledged write
   * before the read began. Failing (a timeout, a 503) is allowed; a stale answer is not.
   */
  async expectNoStaleRead(id: number, key: string, staleValue: string, whilePending: () => void | Promise<void> = () => undefined): Promise<void> {
    const read = this.client.readFrom(id, key).then(
      (result) => ({ value: result.value, detail: `value ${JSON.stringify(result.value)} at index ${result.index}` }),
      (error: Error) => ({ value: undefined, detail: `error ${error.message}` }),
    );
    await whilePending();
    const outcome = await read;
    this.note(`read of ${key} on member ${id}: ${outcome.detail}`);
    if (outcome.value === staleValue) throw new Error(`stale read on member ${id}: ${key} = ${JSON.stringify(staleValue)}, overwritten before the read began`);
  }

  expectNoCrashes(): void {
    const crashes = this.processes.exitLog().filter((exit) => exit.unexpected);
    if (crashes.length > 0) throw new Error(`member processes exited on their own: ${JSON.stringify(crashes)}`);
  }

  /** The narration and every member's log tail. */
  describe(): string {
    return `harness (${this.processes.rootDir}):\n${this.narration.lines.join('\n')}\n${this.processes.describe(30)}`;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    openClusters.delete(this);
    this.client.close();
    await this.processes.dispose();
  }
}

const openClusters = new Set<TestCluster>();

// A test that timed out may still hold a cluster: whatever is left is disposed when the file ends.
afterAll(async () => {
  await Promise.all([...openClusters].map((cluster) => cluster.dispose()));
});

/**
 * Run `body` on a fresh cluster and dispose of it however `body` ends; a failure's
 * message gains the narration and the members' log tails.
 */
export async function withCluster(options: TestClusterOptions, body: (cluster: TestCluster) => Promise<void>): Promise<void> {
  const cluster = await TestCluster.start(options);
  try {
    await body(cluster);
  } catch (error) {
    if (error instanceof Error) error.message += `\n\n${cluster.describe()}`;
    throw error;
  } finally {
    await cluster.dispose();
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
