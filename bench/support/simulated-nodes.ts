/**
 * Nodes without machines, for the scheduler benchmark: each is registered through the API
 * server as a node agent would register it (a Node with `Ready=True`, its capacity and
 * allocatable, the hostname and zone labels) and heartbeats as a kubelet does, by renewing
 * its Lease in `kube-node-lease` every `heartbeatIntervalMs`. No process runs their pods.
 *
 * Heartbeats are spread evenly over the interval (node i renews at i/N of it), at most
 * `HEARTBEAT_CONCURRENCY` at a time, each a compare-and-swap on the lease's
 * resourceVersion; a conflict re-reads the lease and the next round renews it.
 */
import { resourceByName } from '../../control-plane/api/resources.js';
import type { ApiObject } from '../../control-plane/api/types.js';
import { ApiError } from '../../control-plane/apiserver/errors.js';
import type { GrpcApiClient } from '../../control-plane/client/grpc-api-client.js';
import { microTime } from '../../control-plane/client/leader-election.js';

const NODES = resourceByName('nodes')!;
const LEASES = resourceByName('leases')!;
const NAMESPACES = resourceByName('namespaces')!;

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** A kubelet's defaults: renew every 10 s, a lease of 40 s. */
export const HEARTBEAT_INTERVAL_MS = 10_000;
const LEASE_DURATION_SECONDS = 40;
/** Registrations and renewals in flight at once. */
const REGISTER_CONCURRENCY = 32;
const HEARTBEAT_CONCURRENCY = 16;
/** How often the heartbeat clock looks for nodes due. */
const HEARTBEAT_TICK_MS = 100;
/** Nodes are spread over this many zones (`topology.kubernetes.io/zone`). */
const ZONES = 10;

export interface SimulatedNodesOptions {
  readonly client: GrpcApiClient;
  readonly count: number;
  /** Node names are `<prefix>-<number>`. */
  readonly namePrefix: string;
  /** What each node offers (`cpu`, `memory`, `pods` quantities). */
  readonly allocatable: Readonly<Record<'cpu' | 'memory' | 'pods', string>>;
  readonly heartbeatIntervalMs?: number;
}

export interface HeartbeatStats {
  readonly renewed: number;
  readonly conflicts: number;
  readonly errors: number;
  /** Renewals skipped because the node's previous one was still in flight. */
  readonly skipped: number;
}

/** `count` items through `work`, `concurrency` at a time. */
export async function forEachLimited(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

export class SimulatedNodes {
  private readonly leases: (ApiObject | null)[];
  private readonly renewing: boolean[];
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private readonly pending = new Set<Promise<void>>();
  private nextIndex = 0;
  private roundStartMs = 0;
  private counters = { renewed: 0, conflicts: 0, errors: 0, skipped: 0 };

  private constructor(
    private readonly options: SimulatedNodesOptions,
    readonly names: readonly string[],
  ) {
    this.leases = names.map(() => null);
    this.renewing = names.map(() => false);
  }

  /** Registers every node and its lease (creating the lease namespace if missing). */
  static async register(options: SimulatedNodesOptions): Promise<SimulatedNodes> {
    const width = String(options.count).length;
    const names = Array.from({ length: options.count }, (_, i) => `${options.namePrefix}-${String(i).padStart(width, '0')}`);
    const nodes = new SimulatedNodes(options, names);
    await createIgnoringExisting(() => options.client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NODE_LEASE_NAMESPACE } }));
    await forEachLimited(names.length, REGISTER_CONCURRENCY, async (i) => {
      await createIgnoringExisting(() => options.client.create(NODES, undefined, nodes.nodeObject(i)));
      nodes.leases[i] = await options.client.create(LEASES, NODE_LEASE_NAMESPACE, nodes.leaseObject(i));
    });
    return nodes;
  }

  /** Starts renewing each node's lease every heartbeat interval. */
  startHeartbeats(): void {
    if (this.timer !== null) return;
    this.roundStartMs = Date.now();
    this.timer = setInterval(() => this.tick(), HEARTBEAT_TICK_MS);
  }

  /** Stops the heartbeats; waits for the renewals in flight. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await Promise.all([...this.pending]);
  }

  get heartbeats(): HeartbeatStats {
    return { ...this.counters };
  }

  private nodeObject(i: number): ApiObject {
    const name = this.names[i]!;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': `zone-${i % ZONES}` } },
      spec: {},
      status: {
        capacity: { ...this.options.allocatable },
        allocatable: { ...this.options.allocatable },
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'simulated node ready', lastHeartbeatTime: now, lastTransitionTime: now }],
        addresses: [{ type: 'Hostname', address: name }],
      },
    };
  }

  private leaseObject(i: number): ApiObject {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.names[i]!, namespace: NODE_LEASE_NAMESPACE },
      spec: { holderIdentity: this.names[i]!, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microTime(new Date()) },
    };
  }

  /** Renews the nodes due by now: node i is due at i/N of each interval. */
  private tick(): void {
    const interval = this.options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS;
    const count = this.names.length;
    const elapsed = Date.now() - this.roundStartMs;
    const due = Math.min(count, Math.floor((elapsed / interval) * count) + 1);
    while (this.nextIndex < due && this.inFlight < HEARTBEAT_CONCURRENCY) this.renew(this.nextIndex++);
    if (this.nextIndex >= count && elapsed >= interval) {
      this.nextIndex = 0;
      this.roundStartMs += interval;
    }
  }

  private renew(i: number): void {
    if (this.renewing[i]) {
      this.counters.skipped++;
      return;
    }
    this.renewing[i] = true;
    this.inFlight++;
    const work = this.renewOnce(i).finally(() => {
      this.renewing[i] = false;
      this.inFlight--;
      this.pending.delete(work);
    });
    this.pending.add(work);
  }

  private async renewOnce(i: number): Promise<void> {
    const { client } = this.options;
    try {
      const lease = this.leases[i] ?? (await client.get(LEASES, NODE_LEASE_NAMESPACE, this.names[i]!));
      const renewed = structuredClone(lease);
      renewed.spec = { ...renewed.spec, renewTime: microTime(new Date()) };
      this.leases[i] = await client.update(LEASES, renewed);
      this.counters.renewed++;
    } catch (error) {
      this.leases[i] = null;
      if (error instanceof ApiError && error.reason === 'Conflict') this.counters.conflicts++;
      else this.counters.errors++;
    }
  }
}

async function createIgnoringExisting(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    if (!(error instanceof ApiError && error.reason === 'AlreadyExists')) throw error;
  }
}
