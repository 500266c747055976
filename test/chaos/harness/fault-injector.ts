/**
 * Carries out planned faults on a `ChaosCluster`, one at a time: resolve the targets
 * ("the leader" is whoever leads now), inject, hold, heal, and say so in the run's output.
 * A fault that the cluster refuses (a removal that would leave it unhealthy, a transfer to
 * a member still catching up) is reported and skipped; one that the harness cannot carry
 * out, or a member that does not come back, fails the run.
 */
import { EtcdCallError } from '../../support/etcd-grpc.js';
import { ADMIN_TIMEOUT_MS } from './chaos-cluster.js';
import type { ChaosCluster } from './chaos-cluster.js';
import { describeFault, FAULT_KINDS } from './fault-schedule.js';
import type { Fault, FaultKind, PlannedFault, Target } from './fault-schedule.js';

export interface FaultInjectorOptions {
  readonly cluster: ChaosCluster;
  readonly print: (line: string) => void;
  /** The highest revision the store may be compacted at now (every watcher has passed it). */
  readonly compactableRevision: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export class FaultInjector {
  /** Faults carried out (not refused), per kind. */
  readonly injected = new Map<FaultKind, number>(FAULT_KINDS.map((kind) => [kind, 0]));
  refused = 0;
  private readonly paused = new Set<number>();
  private readonly slowed = new Set<number>();

  constructor(private readonly options: FaultInjectorOptions) {}

  get total(): number {
    let total = 0;
    for (const count of this.injected.values()) total += count;
    return total;
  }

  async inject(planned: PlannedFault): Promise<void> {
    const { print } = this.options;
    print(`fault #${planned.index}: ${describeFault(planned.fault)}`);
    try {
      const done = await this.run(planned.fault);
      this.injected.set(planned.fault.kind, this.injected.get(planned.fault.kind)! + 1);
      print(`fault #${planned.index} done: ${done}`);
    } catch (error) {
      if (!(error instanceof EtcdCallError)) throw new Error(`fault #${planned.index} (${describeFault(planned.fault)}): ${(error as Error).message}`);
      this.refused++;
      print(`fault #${planned.index} not carried out: ${error.message}`);
    }
  }

  /** Undo whatever is still in effect: continue paused members, restore links and disks, restart the dead. */
  async healAll(): Promise<void> {
    const { cluster } = this.options;
    for (const slot of this.paused) cluster.signal(slot, 'SIGCONT');
    this.paused.clear();
    cluster.network.heal();
    for (const slot of this.slowed) await cluster.setSyncDelay(slot, 0);
    this.slowed.clear();
    for (const slot of cluster.slotList()) if (!cluster.running(slot)) await cluster.restart(slot);
  }

  private async run(fault: Fault): Promise<string> {
    const { cluster, sleep } = this.options;
    switch (fault.kind) {
      case 'kill': {
        const slot = await this.resolve(fault.target);
        const name = cluster.nameOf(slot);
        await cluster.kill(slot);
        await sleep(fault.holdMs);
        await cluster.restart(slot);
        return `${name} killed, restarted`;
      }
      case 'pause': {
        const slot = await this.resolve(fault.target);
        cluster.signal(slot, 'SIGSTOP');
        this.paused.add(slot);
        await sleep(fault.holdMs);
        cluster.signal(slot, 'SIGCONT');
        this.paused.delete(slot);
        return `${cluster.nameOf(slot)} stopped, continued`;
      }
      case 'slowdisk': {
        const slot = await this.resolve(fault.target);
        await cluster.setSyncDelay(slot, fault.delayMs);
        this.slowed.add(slot);
        await sleep(fault.holdMs);
        await cluster.setSyncDelay(slot, 0);
        this.slowed.delete(slot);
        return `${cluster.nameOf(slot)}'s syncs slowed, restored`;
      }
      case 'partition':
      case 'oneway': {
        const minority = await this.resolveAll(fault.minority);
        const rest = cluster.slotList().filter((slot) => !minority.includes(slot));
        for (const a of minority.map((s) => cluster.nameOf(s))) {
          for (const b of rest.map((s) => cluster.nameOf(s))) {
            if (fault.kind === 'partition' || fault.direction === 'out') cluster.network.cutLink(a, b);
            if (fault.kind === 'partition' || fault.direction === 'in') cluster.network.cutLink(b, a);
          }
        }
        const cut = cluster.network.cutLinks().join(' ');
        await sleep(fault.holdMs);
        cluster.network.heal();
        return `links ${cut} cut, restored`;
      }
      case 'transfer': {
        const leader = await this.leader();
        const others = cluster.slotList().filter((slot) => slot !== leader && cluster.running(slot));
        if (others.length === 0) return 'no other member running; no transfer';
        const target = others[fault.pick % others.length]!;
        const targetId = await cluster.memberId(target);
        if (targetId === undefined) return `${cluster.nameOf(target)} did not answer; no transfer`;
        await cluster.client(leader).call('Maintenance', 'MoveLeader', { targetID: targetId }, 4 * ADMIN_TIMEOUT_MS);
        return `leadership moved from ${cluster.nameOf(leader)} to ${cluster.nameOf(target)}`;
      }
      case 'membership': {
        const slot = await this.resolve(fault.target);
        const via = cluster.slotList().find((s) => s !== slot && cluster.running(s));
        if (via === undefined) return 'no other member running; nothing replaced';
        return await cluster.replace(slot, via);
      }
      case 'compact': {
        const revision = this.options.compactableRevision();
        if (revision < 2) return 'nothing to compact yet';
        const via = cluster.slotList().find((s) => cluster.running(s));
        if (via === undefined) return 'no member running; nothing compacted';
        await cluster.client(via).call('KV', 'Compact', { revision }, 4 * ADMIN_TIMEOUT_MS);
        return `compacted at revision ${revision}`;
      }
      default: {
        const unknown: never = fault;
        throw new Error(`unknown fault ${JSON.stringify(unknown)}`);
      }
    }
  }

  private async resolve(target: Target): Promise<number> {
    return target.kind === 'leader' ? this.leader() : target.slot;
  }

  private async resolveAll(targets: readonly Target[]): Promise<number[]> {
    const slots: number[] = [];
    for (const target of targets) {
      const slot = await this.resolve(target);
      if (!slots.includes(slot)) slots.push(slot);
    }
    return slots;
  }

  /** The leader's slot; waits a little for one to be elected (slot 0 if none shows up). */
  private async leader(): Promise<number> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const slot = await this.options.cluster.leaderSlot();
      if (slot !== undefined) return slot;
      await this.options.sleep(300);
    }
    this.options.print('no leader found: aiming at slot 0');
    return 0;
  }
}
