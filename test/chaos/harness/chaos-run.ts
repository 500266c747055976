/**
 * One chaos run of the real Balsa KV server (what `npm run chaos` does): start a cluster
 * of `balsa kv serve` processes behind fault-injecting peer proxies, run the register,
 * acknowledged-write, lease and watch workloads while the planned faults go on, heal,
 * read the final state, then judge:
 *
 * - the register history, by the linearizability checker (`test/support/linearizability`);
 * - acknowledged unique writes, none of which may be missing;
 * - the watchers' logs (`checkWatchLogs`) and the leases (`checkLeases`).
 *
 * The seed is printed first and drives the fault schedule and every client's choices
 * (the interleaving is the machine's). Every process, proxy and the temporary directory
 * are gone when `run` returns, whatever happened; `killNow` is for a process exiting in a
 * hurry.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSeededRandom } from '../../../raft/index.js';
import type { WireObject } from '../../../kv/server/etcd-proto.js';
import { SYNC_DELAY_FILE_ENV, UNSAFE_FOLLOWER_READS_ENV, UNSAFE_FOLLOWER_READS_VALUE } from '../../../kv/server/testing-knobs.js';
import { checkLinearizable, HistoryRecorder, renderResult } from '../../support/linearizability/index.js';
import type { LinearizabilityResult } from '../../support/linearizability/index.js';
import { AckWorkload } from './ack-workload.js';
import type { AckVerdict } from './ack-workload.js';
import { ChaosCluster, SYNC_DELAY_FILE } from './chaos-cluster.js';
import type { ChaosOptions } from './chaos-options.js';
import { FaultInjector } from './fault-injector.js';
import { describeFault, planFaults } from './fault-schedule.js';
import { PREFIXES, rangePrefix } from './keys.js';
import { checkLeases } from './lease-check.js';
import { LeaseWorkload } from './lease-workload.js';
import { RangeWatcher } from './range-watcher.js';
import { RegisterWorkload } from './register-workload.js';
import { checkWatchLogs } from './watch-check.js';

/** The run's sizes and patience, in one place. */
export const CHAOS_LIMITS = {
  keySlots: 6,
  opsPerKey: 150,
  ackClients: 2,
  leaseClients: 2,
  watchersPerPrefix: 3,
  /** A client's deadline per request, in ms. */
  requestTimeoutMs: 4_000,
  /** Heal: how long every member has to answer a linearizable read again, in ms. */
  healthyWithinMs: 90_000,
  /** How long after the last lease's TTL its keys may take to vanish, in ms. */
  leaseGraceMs: 30_000,
  /** How long watchers have to reach the final revision, in ms. */
  catchUpMs: 60_000,
  /** The linearizability check's time budget, in ms. */
  checkBudgetMs: 120_000,
  progressEveryMs: 10_000,
  /** Anomalies printed per kind (the count is always printed). */
  anomaliesShown: 20,
} as const;

export interface ChaosResult {
  /** 0 linearizable and nothing lost; 1 an anomaly, an undecided check, or a cluster that did not recover; 130 interrupted. */
  readonly exitCode: number;
  /** The last line printed. */
  readonly verdict: string;
  readonly operations: number;
  readonly faults: number;
  readonly linearizability?: LinearizabilityResult;
}

export class ChaosRun {
  private readonly origin = performance.now();
  private cluster: ChaosCluster | undefined;
  private dir: string | undefined;
  private readonly watchers: RangeWatcher[] = [];

  constructor(
    private readonly options: ChaosOptions,
    private readonly write: (line: string) => void,
  ) {}

  /** The run's clock: ms since it began. */
  nowMs(): number {
    return performance.now() - this.origin;
  }

  async run(signal?: AbortSignal): Promise<ChaosResult> {
    const { options } = this;
    this.write(`chaos: seed ${options.seed}`);
    this.write(
      `chaos: ${options.members} members, ${options.durationMs / 1000} s, ${options.clients} register clients, faults: ${options.faults.join(',') || 'none'}` +
        (options.unsafeFollowerReads ? ' — TESTING KNOB: followers serve linearizable reads without ReadIndex' : ''),
    );
    const plan = planFaults({ seed: options.seed, durationMs: options.durationMs, members: options.members, kinds: options.faults });
    this.write(`chaos: fault schedule (${plan.length} faults if none overruns):`);
    for (const planned of plan) this.write(`  #${planned.index} at ~${(planned.plannedAtMs / 1000).toFixed(1)}s: ${describeFault(planned.fault)}`);
    try {
      return await this.runCluster(plan, signal);
    } catch (error) {
      if (this.cluster !== undefined && signal?.aborted !== true) {
        this.print('the cluster now:');
        for (const line of await this.cluster.diagnose().catch((e: Error) => [`(no diagnosis: ${e.message})`])) this.write(`  ${line}`);
      }
      const interrupted = signal?.aborted === true;
      const verdict = interrupted ? 'chaos: interrupted' : `chaos: FAILED: ${(error as Error).message}`;
      this.write(verdict);
      return { exitCode: interrupted ? 130 : 1, verdict, operations: 0, faults: 0 };
    } finally {
      await this.cleanUp();
    }
  }

  /** Kill every member at once and remove the directory, synchronously (for a process about to exit). */
  killNow(): void {
    const cluster = this.cluster;
    if (cluster !== undefined) for (let i = 0; i < cluster.cluster.members.length; i++) cluster.cluster.signal(i, 'SIGKILL');
    if (this.dir !== undefined && !this.options.keepDir) rmSync(this.dir, { recursive: true, force: true });
  }

  private print(line: string): void {
    this.write(`[${(this.nowMs() / 1000).toFixed(1).padStart(6)}s] ${line}`);
  }

  private async runCluster(plan: ReturnType<typeof planFaults>, signal: AbortSignal | undefined): Promise<ChaosResult> {
    const { options } = this;
    const random = createSeededRandom(options.seed);
    const sleep = (ms: number) => abortableSleep(ms, signal);
    this.dir = await mkdtemp(join(tmpdir(), 'balsa-chaos-'));
    const env: Record<string, string> = { [SYNC_DELAY_FILE_ENV]: SYNC_DELAY_FILE };
    if (options.unsafeFollowerReads) env[UNSAFE_FOLLOWER_READS_ENV] = UNSAFE_FOLLOWER_READS_VALUE;
    const cluster = await ChaosCluster.start({ members: options.members, dir: this.dir, env });
    this.cluster = cluster;
    this.print(`cluster up: ${cluster.slotList().map((s) => cluster.nameOf(s)).join(', ')} in ${this.dir}`);

    const slots = () => cluster.size;
    const client = (slot: number) => cluster.client(slot);
    const emptyAt = await this.currentRevision(0);
    for (const prefix of [PREFIXES.register, PREFIXES.lease]) {
      for (let i = 0; i < CHAOS_LIMITS.watchersPerPrefix; i++) {
        const name = `watch:${prefix.split('/')[1]}#${i}`;
        this.watchers.push(new RangeWatcher({ name, prefix, emptyAtRevision: emptyAt, slots, client, random: random.fork(), nowMs: () => this.nowMs() }));
      }
    }
    for (const watcher of this.watchers) watcher.start();

    const recorder = new HistoryRecorder();
    const timeoutMs = CHAOS_LIMITS.requestTimeoutMs;
    const registers = new RegisterWorkload({
      clients: options.clients,
      keySlots: CHAOS_LIMITS.keySlots,
      opsPerKey: CHAOS_LIMITS.opsPerKey,
      timeoutMs,
      random: random.fork(),
      recorder,
      slots,
      client,
    });
    const acks = new AckWorkload({ clients: CHAOS_LIMITS.ackClients, timeoutMs, random: random.fork(), slots, client });
    const leases = new LeaseWorkload({ clients: CHAOS_LIMITS.leaseClients, timeoutMs, random: random.fork(), nowMs: () => this.nowMs(), slots, client });
    const workloads = [registers, acks, leases];
    const operations = () => workloads.reduce((sum, w) => sum + w.tally.total(), 0);
    for (const workload of workloads) workload.start();
    this.print('clients started');
    // The duration counts from here: clients and faults, not the cluster's start.
    const endMs = this.nowMs() + options.durationMs;

    const injector = new FaultInjector({
      cluster,
      print: (line) => this.print(line),
      compactableRevision: () => Math.min(...this.watchers.map((w) => w.log().covered)),
      sleep,
    });
    const progress = setInterval(() => this.print(`progress: ${operations()} operations, ${injector.total} faults`), CHAOS_LIMITS.progressEveryMs);
    try {
      for (const planned of plan) {
        await sleep(planned.gapMs);
        if (this.nowMs() >= endMs || signal?.aborted === true) break;
        await injector.inject(planned);
      }
      await sleep(endMs - this.nowMs());
    } finally {
      clearInterval(progress);
      await injector.healAll();
    }
    if (signal?.aborted === true) throw new Error('interrupted');
    this.print(`faults over (${injector.total} injected, ${injector.refused} refused by the cluster); healing`);
    await this.waitHealthy(cluster);
    for (const workload of workloads) await workload.stop();
    this.print(`clients stopped: ${operations()} operations`);

    // Final reads: every register key, then what the other workloads left.
    const keys = registers.keysUsed();
    for (let i = 0; i < keys.length; i++) await this.withRetries(() => registers.finalRead(keys[i]!, i % cluster.size));
    const ackVerdict = await this.withRetries(() => acks.verify(0));
    const leaseDeadline = this.nowMs() + leases.maxTtlSeconds() * 1000 + CHAOS_LIMITS.leaseGraceMs;
    let remaining = await this.withRetries(() => leases.remainingKeys(0));
    while (remaining.length > 0 && this.nowMs() < leaseDeadline) {
      await sleep(500);
      remaining = await this.withRetries(() => leases.remainingKeys(0));
    }
    const registerFinal = await this.withRetries(() => rangePrefix(cluster.client(0), PREFIXES.register));
    const leaseFinal = await this.withRetries(() => rangePrefix(cluster.client(0), PREFIXES.lease));
    const caughtUpBy = this.nowMs() + CHAOS_LIMITS.catchUpMs;
    const target = Math.max(registerFinal.revision, leaseFinal.revision);
    await Promise.all(this.watchers.map((w) => w.caughtUp(target, caughtUpBy)));
    for (const watcher of this.watchers) watcher.stop();
    const logs = this.watchers.map((w) => w.log());
    this.print(`watchers: ${logs.map((l) => `${l.name} ${l.events.length} events over ${l.streams} streams`).join('; ')}`);

    this.print(`checking ${recorder.history().length} register operations for linearizability`);
    const result = checkLinearizable(recorder.history(), { budget: { maxMilliseconds: CHAOS_LIMITS.checkBudgetMs } });
    const watchAnomalies = [
      ...checkWatchLogs({
        logs: logs.filter((l) => l.prefix === PREFIXES.register),
        acknowledged: registers.acknowledged,
        issuedValues: registers.issuedValues,
        final: registerFinal,
      }),
      ...checkWatchLogs({ logs: logs.filter((l) => l.prefix === PREFIXES.lease), acknowledged: leases.acknowledged, issuedValues: leases.issuedValues, final: leaseFinal }),
    ];
    const leaseAnomalies = checkLeases({ leases: leases.leases, logs: logs.filter((l) => l.prefix === PREFIXES.lease), remaining });
    const network = cluster.network.stats();
    this.print(`operations: ${workloads.map((w) => w.tally.render()).join(', ')}`);
    this.print(
      `faults: ${[...injector.injected].filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}; ` +
        `peer connections named ${network.connectionsNamed}, unnamed ${network.connectionsUnnamed}, bytes dropped ${network.bytesDropped}`,
    );
    this.print(`leases: ${leases.leases.length} granted, all keys gone: ${remaining.length === 0}`);
    return this.verdict(operations(), injector.total, result, ackVerdict, watchAnomalies, leaseAnomalies);
  }

  private verdict(
    operations: number,
    faults: number,
    result: LinearizabilityResult,
    ack: AckVerdict,
    watchAnomalies: readonly string[],
    leaseAnomalies: readonly string[],
  ): ChaosResult {
    const problems: string[] = [];
    this.print(`linearizability: ${renderResult(result)}`);
    if (result.verdict !== 'linearizable') problems.push(result.verdict === 'unknown' ? 'linearizability undecided' : 'not linearizable');
    this.print(`acknowledged unique writes: ${ack.acknowledged}, lost ${ack.lost.length}; unknown-outcome writes that applied: ${ack.unknownApplied}`);
    if (ack.lost.length > 0) {
      problems.push(`${ack.lost.length} lost acknowledged writes`);
      this.print(`lost: ${ack.lost.slice(0, CHAOS_LIMITS.anomaliesShown).join(', ')}`);
    }
    if (ack.unexpected.length > 0) {
      problems.push(`${ack.unexpected.length} keys nobody wrote`);
      this.print(`unexpected keys: ${ack.unexpected.slice(0, CHAOS_LIMITS.anomaliesShown).join(', ')}`);
    }
    for (const [what, anomalies] of [
      ['watch', watchAnomalies],
      ['lease', leaseAnomalies],
    ] as const) {
      if (anomalies.length === 0) continue;
      problems.push(`${anomalies.length} ${what} anomalies`);
      this.print(`${what} anomalies (${anomalies.length}):`);
      for (const anomaly of anomalies.slice(0, CHAOS_LIMITS.anomaliesShown)) this.write(`  ${anomaly}`);
    }
    const verdict =
      problems.length === 0
        ? `chaos: linearizable, ${operations} ops, 0 lost acknowledged writes`
        : `chaos: FAILED: ${problems.join('; ')} (${operations} ops, ${faults} faults, seed ${this.options.seed})`;
    this.write(verdict);
    return { exitCode: problems.length === 0 ? 0 : 1, verdict, operations, faults, linearizability: result };
  }

  /** Until every member answers a linearizable read. */
  private async waitHealthy(cluster: ChaosCluster): Promise<void> {
    const deadline = this.nowMs() + CHAOS_LIMITS.healthyWithinMs;
    for (const slot of cluster.slotList()) {
      for (;;) {
        try {
          await cluster.client(slot).call('KV', 'Range', { key: Buffer.from('chaos/health') }, CHAOS_LIMITS.requestTimeoutMs);
          break;
        } catch (error) {
          if (this.nowMs() > deadline) throw new Error(`${cluster.nameOf(slot)} answers no linearizable read ${CHAOS_LIMITS.healthyWithinMs / 1000} s after the faults ended: ${(error as Error).message}`);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    }
    this.print('every member answers linearizable reads');
  }

  private async currentRevision(slot: number): Promise<number> {
    const response = await this.withRetries(() => this.cluster!.client(slot).call('KV', 'Range', { key: Buffer.from('chaos/') }, CHAOS_LIMITS.requestTimeoutMs));
    return Number((response.header as WireObject).revision);
  }

  /** After the faults: a call that fails is tried again a few times (the cluster has just healed). */
  private async withRetries<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (attempt >= 10) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  private async cleanUp(): Promise<void> {
    for (const watcher of this.watchers) watcher.stop();
    await this.cluster?.stop();
    this.cluster = undefined;
    if (this.dir !== undefined) {
      if (this.options.keepDir) this.write(`chaos: kept ${this.dir}`);
      else await rm(this.dir, { recursive: true, force: true });
      this.dir = undefined;
    }
  }
}

/** Sleeps `ms` (nothing when ≤ 0), or less when `signal` aborts. */
function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0 || signal?.aborted === true) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}
