/**
 * The cluster a chaos run drives: real `balsa kv serve` processes (`startKvCluster`) with
 * a fault-injecting proxy in front of every peer port (`PeerNetwork`), seen as *slots*: a
 * slot is a member position, taken over by the fresh member that replaces a removed one.
 * Clients and faults name slots; this maps them to processes, endpoints and member ids.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';
import { EtcdCallError, EtcdGrpcClient } from '../../support/etcd-grpc.js';
import type { WireObject } from '../../../kv/server/etcd-proto.js';
import { PeerNetwork } from './peer-network.js';

/** The sync delay file of the slow-disk knob, relative to each member's data directory. */
export const SYNC_DELAY_FILE = 'chaos-sync-delay-ms';
/** How long an administrative call (status, membership) may take, in ms. */
export const ADMIN_TIMEOUT_MS = 3_000;
/** How long a removed member may take to stop by itself, in ms. */
const REMOVED_EXIT_MS = 20_000;

export interface ChaosClusterOptions {
  readonly members: number;
  readonly dir: string;
  /** Environment for every member (testing knobs). */
  readonly env: Readonly<Record<string, string>>;
}

export class ChaosCluster {
  /** kv-cluster member index of each slot. */
  private readonly slots: number[];
  private readonly clients = new Map<string, EtcdGrpcClient>();
  /** Member id (decimal) by kv-cluster index, once learnt. */
  private readonly memberIds = new Map<number, string>();

  private constructor(
    readonly cluster: KvCluster,
    readonly network: PeerNetwork,
    private readonly dir: string,
  ) {
    this.slots = cluster.members.map((_, i) => i);
  }

  static async start(options: ChaosClusterOptions): Promise<ChaosCluster> {
    let cluster: KvCluster;
    const network = new PeerNetwork();
    try {
      cluster = await startKvCluster({
        members: options.members,
        dir: options.dir,
        env: options.env,
        advertisePeer: (name, listen) => network.proxyFor(name, listen),
        onSpawn: (name, pid) => network.spawned(name, pid),
      });
    } catch (error) {
      await network.close();
      throw error;
    }
    return new ChaosCluster(cluster, network, options.dir);
  }

  get size(): number {
    return this.slots.length;
  }

  nameOf(slot: number): string {
    return this.cluster.members[this.slots[slot]!]!.name;
  }

  /** A client of the member in `slot` now (cached per endpoint). */
  client(slot: number): EtcdGrpcClient {
    const endpoint = this.cluster.clientEndpoints[this.slots[slot]!]!;
    let client = this.clients.get(endpoint);
    if (client === undefined) {
      client = new EtcdGrpcClient(endpoint);
      this.clients.set(endpoint, client);
    }
    return client;
  }

  running(slot: number): boolean {
    return !this.cluster.exited(this.slots[slot]!);
  }

  /** The slot's member id (decimal, as the wire has it), asked of the member itself once. */
  async memberId(slot: number): Promise<string | undefined> {
    const index = this.slots[slot]!;
    const known = this.memberIds.get(index);
    if (known !== undefined) return known;
    const status = await this.status(slot);
    const id = (status?.header as WireObject | undefined)?.memberId as string | undefined;
    if (id !== undefined) this.memberIds.set(index, id);
    return id;
  }

  /** The slot whose member the running members name as leader (the most of them), if any. */
  async leaderSlot(): Promise<number | undefined> {
    const answers = await Promise.all(this.slotList().map((slot) => (this.running(slot) ? this.status(slot) : undefined)));
    const votes = new Map<string, number>();
    for (const answer of answers) {
      const leader = answer?.leader as string | undefined;
      if (leader !== undefined && leader !== '0') votes.set(leader, (votes.get(leader) ?? 0) + 1);
    }
    const [leaderId] = [...votes].sort((a, b) => b[1] - a[1])[0] ?? [];
    if (leaderId === undefined) return undefined;
    for (const slot of this.slotList()) if ((await this.memberId(slot).catch(() => undefined)) === leaderId) return slot;
    return undefined;
  }

  slotList(): number[] {
    return this.slots.map((_, slot) => slot);
  }

  signal(slot: number, signal: NodeJS.Signals): boolean {
    return this.cluster.signal(this.slots[slot]!, signal);
  }

  async kill(slot: number): Promise<void> {
    this.signal(slot, 'SIGKILL');
    await this.cluster.waitForExit(this.slots[slot]!, 10_000);
  }

  /** Start the slot's member again on its data directory; resolves once it answers. */
  async restart(slot: number): Promise<void> {
    await this.cluster.restartMember(this.slots[slot]!);
  }

  /** Delay the slot member's storage syncs by `delayMs` (0: none), through the slow-disk knob's file. */
  async setSyncDelay(slot: number, delayMs: number): Promise<void> {
    await writeFile(join(this.dir, `${this.nameOf(slot)}.etcd`, SYNC_DELAY_FILE), `${delayMs}\n`);
  }

  /**
   * Remove the slot's member (through another member), wait for it to stop, and start a
   * fresh member (new name, data directory, ports and proxy) in its slot. Returns what
   * happened; throws `EtcdCallError` when the cluster refused the removal (nothing changed).
   */
  async replace(slot: number, via: number): Promise<string> {
    const id = await this.memberId(slot);
    if (id === undefined) throw new Error(`the member in slot ${slot} does not answer: not removing it`);
    const old = this.nameOf(slot);
    await this.retryUnknown(via, 'MemberRemove', { ID: id }, async () => !(await this.memberListed(via, id)));
    const exited = await this.cluster.waitForExit(this.slots[slot]!, REMOVED_EXIT_MS);
    if (!exited) await this.cluster.stopMember(this.slots[slot]!);
    const name = `m${this.cluster.members.length + 1}`;
    const fresh = await this.cluster.planMember(name);
    let response: WireObject | undefined;
    try {
      response = await this.retryUnknown(via, 'MemberAdd', { peerURLs: [fresh.peerUrl] }, async () =>
        (await this.memberList(via)).some((m) => (m.peerURLs as string[]).includes(fresh.peerUrl)),
      );
      const runningMembers = this.cluster.members.filter((_, i) => !this.cluster.exited(i));
      await this.cluster.startJoining(fresh, this.cluster.initialCluster([...runningMembers, fresh]));
    } catch (error) {
      // Not a refusal to pass over: the slot is empty now, and a healthy cluster must take a new member.
      throw new Error(`${old} was removed, but its replacement ${name} could not be added: ${(error as Error).message}`);
    }
    this.slots[slot] = this.cluster.members.length - 1;
    const newId = ((response?.member as WireObject | undefined)?.ID as string | undefined) ?? '?';
    return `${old} (id ${BigInt(id).toString(16)}) removed${exited ? '' : ' (stopped by us: it did not stop by itself)'}; ${name} (id ${newId === '?' ? '?' : BigInt(newId).toString(16)}) joined in its place`;
  }

  /** What each running member says of itself and of the membership: one line each, for a post-mortem. */
  async diagnose(): Promise<string[]> {
    const lines: string[] = [];
    for (let index = 0; index < this.cluster.members.length; index++) {
      const name = this.cluster.members[index]!.name;
      if (this.cluster.exited(index)) continue;
      const client = new EtcdGrpcClient(this.cluster.clientEndpoints[index]!);
      try {
        const status = await client.call('Maintenance', 'Status', {}, ADMIN_TIMEOUT_MS).catch((error: Error) => error);
        const members = await client.call('Cluster', 'MemberList', {}, ADMIN_TIMEOUT_MS).catch((error: Error) => error);
        const said =
          status instanceof Error
            ? `status: ${status.message}`
            : `member ${hex(status.header)} leader ${BigInt(status.leader as string).toString(16)} term ${String(status.raftTerm)} ` +
              `commit ${String(status.raftIndex)} applied ${String(status.raftAppliedIndex)}` +
              ((status.errors as string[]).length > 0 ? ` errors ${(status.errors as string[]).join('; ')}` : '');
        const listed =
          members instanceof Error
            ? `members: ${members.message}`
            : `members ${((members.members as WireObject[]) ?? []).map((m) => `${BigInt(m.ID as string).toString(16)}=${(m.name as string) || '(unstarted)'}${m.isLearner === true ? '(learner)' : ''}`).join(' ')}`;
        lines.push(`${name} (slot ${this.slots.indexOf(index)}): ${said}; ${listed}`);
      } finally {
        client.close();
      }
    }
    lines.push(`peer links cut: ${this.network.cutLinks().join(' ') || 'none'}`);
    return lines;
  }

  async stop(): Promise<void> {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
    await this.cluster.stop();
    await this.network.close();
  }

  private async status(slot: number): Promise<WireObject | undefined> {
    return this.client(slot)
      .call('Maintenance', 'Status', {}, ADMIN_TIMEOUT_MS)
      .catch(() => undefined);
  }

  private async memberList(via: number): Promise<WireObject[]> {
    const response = await this.client(via).call('Cluster', 'MemberList', {}, ADMIN_TIMEOUT_MS);
    return (response.members as WireObject[] | undefined) ?? [];
  }

  private async memberListed(via: number, id: string): Promise<boolean> {
    return (await this.memberList(via)).some((m) => m.ID === id);
  }

  /**
   * A membership call, retried while its outcome is unknown (a timeout, a dropped
   * connection) until `done` says it took effect; an answer from etcd that refuses it
   * is thrown.
   */
  private async retryUnknown(via: number, method: string, request: WireObject, done: () => Promise<boolean>): Promise<WireObject | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.client(via).call('Cluster', method, request, 3 * ADMIN_TIMEOUT_MS);
      } catch (error) {
        const refused = error instanceof EtcdCallError && error.details.startsWith('etcdserver: ') && !/timed out|leader changed|no leader/.test(error.details);
        // A refusal after an attempt of unknown outcome may be that attempt's success ("already exists").
        if ((attempt > 1 || !refused) && (await done().catch(() => false))) return undefined;
        if (refused || attempt >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
}

function hex(header: unknown): string {
  return BigInt(((header as WireObject | undefined)?.memberId as string | undefined) ?? '0').toString(16);
}
