/**
 * The node's presence in the API: registers the Node (labels, taints, capacity,
 * addresses, the agent's endpoint), renews its heartbeat Lease `kube-node-lease/<node>`,
 * and posts its conditions — at once when they change, else every report interval — as
 * Kubernetes' kubelet does. The node lifecycle controller marks a silent node `Unknown` and
 * never marks it Ready again: after the API was unreachable, the first successful renewal
 * posts the status at once, so the node comes back Ready without waiting for the interval.
 */
import { resourceByName } from '../control-plane/api/resources.js';
import type { ApiObject } from '../control-plane/api/types.js';
import { ApiError } from '../control-plane/apiserver/errors.js';
import type { GrpcApiClient } from '../control-plane/client/grpc-api-client.js';
import { microTime } from '../control-plane/client/leader-election.js';
import { NODE_LEASE_NAMESPACE, nodeConditions } from '../control-plane/controllers/node-lifecycle/node-health.js';
import { LEASE_DURATION_SECONDS, LEASE_RENEW_INTERVAL_MS, NODE_STATUS_REPORT_INTERVAL_MS, NODE_STATUS_UPDATE_INTERVAL_MS } from './constants.js';
import { DEFAULT_PRESSURE_THRESHOLDS, measurePressure, nodeConditionsNow, nodeInfo, sameConditions } from './node-conditions.js';
import type { NodeResources, PressureThresholds } from './node-conditions.js';

const NODES = resourceByName('nodes')!;
const LEASES = resourceByName('leases')!;

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface NodeRegistrationOptions {
  readonly client: GrpcApiClient;
  readonly nodeName: string;
  readonly nodeIp: string;
  /** The agent's HTTP port (logs), published as `status.daemonEndpoints.kubeletEndpoint.Port`. */
  readonly agentPort: number;
  /** Labels on top of `kubernetes.io/hostname`, `kubernetes.io/os` and `kubernetes.io/arch`. */
  readonly labels: Readonly<Record<string, string>>;
  /** Taints the node is registered with (added when missing; others' taints are left alone). */
  readonly taints: readonly Taint[];
  /** Capacity; allocatable is the same (nothing is reserved for the system). */
  readonly resources: NodeResources;
  readonly runtimeName: string;
  readonly dataDir: string;
  readonly agentVersion: string;
  readonly thresholds?: PressureThresholds;
  readonly leaseRenewIntervalMs?: number;
  readonly statusUpdateIntervalMs?: number;
  readonly statusReportIntervalMs?: number;
  readonly log: (line: string) => void;
}

export class NodeRegistration {
  private readonly leaseRenewIntervalMs: number;
  private readonly statusUpdateIntervalMs: number;
  private readonly statusReportIntervalMs: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  /** Set when a write to the API failed: the next successful one is followed by a status post. */
  private unreachable = false;
  private lastStatusPostMs = 0;
  /** The heartbeat and status posts under way (`stop()` waits for them). */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: NodeRegistrationOptions) {
    this.leaseRenewIntervalMs = options.leaseRenewIntervalMs ?? LEASE_RENEW_INTERVAL_MS;
    this.statusUpdateIntervalMs = options.statusUpdateIntervalMs ?? NODE_STATUS_UPDATE_INTERVAL_MS;
    this.statusReportIntervalMs = options.statusReportIntervalMs ?? NODE_STATUS_REPORT_INTERVAL_MS;
  }

  /** Registers the node and posts its status (retrying until it works or `stop()`), then keeps the heartbeats going. */
  async start(): Promise<void> {
    for (let delayMs = 200; !this.stopped; delayMs = Math.min(delayMs * 2, 5_000)) {
      try {
        await this.register();
        await this.postStatus(true);
        await this.renewLease();
        break;
      } catch (error) {
        this.options.log(`node ${this.options.nodeName}: registration failed, retrying in ${delayMs} ms: ${(error as Error).message}`);
        await new Promise<void>((resolve) => this.after(delayMs, resolve));
      }
    }
    this.every(this.leaseRenewIntervalMs, () => this.heartbeat());
    this.every(this.statusUpdateIntervalMs, () => this.postStatus(false));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all(this.inFlight);
  }

  private async register(): Promise<void> {
    const { client, nodeName } = this.options;
    const labels = { ...this.defaultLabels(), ...this.options.labels };
    const taints = this.options.taints.map((taint) => ({ ...taint }));
    try {
      await client.create(NODES, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName, labels }, spec: taints.length > 0 ? { taints } : {} });
      this.options.log(`node ${nodeName}: registered`);
      return;
    } catch (error) {
      if (!(error instanceof ApiError && error.reason === 'AlreadyExists')) throw error;
    }
    // Registered before (an earlier run): bring labels and taints up to date, keep the rest.
    for (let attempt = 0; ; attempt++) {
      const node = await client.get(NODES, undefined, nodeName);
      const currentTaints = (Array.isArray(node.spec?.taints) ? node.spec.taints : []) as Taint[];
      const missing = taints.filter((taint) => !currentTaints.some((existing) => existing.key === taint.key && existing.effect === taint.effect));
      const currentLabels = node.metadata.labels ?? {};
      if (missing.length === 0 && Object.entries(labels).every(([key, value]) => currentLabels[key] === value)) return;
      try {
        await client.update(NODES, { ...node, metadata: { ...node.metadata, labels: { ...currentLabels, ...labels } }, spec: { ...node.spec, taints: [...currentTaints, ...missing] } });
        return;
      } catch (error) {
        if (!(error instanceof ApiError && error.reason === 'Conflict') || attempt >= 3) throw error;
      }
    }
  }

  private defaultLabels(): Record<string, string> {
    const info = nodeInfo(this.options.runtimeName, this.options.agentVersion);
    return { 'kubernetes.io/hostname': this.options.nodeName, 'kubernetes.io/os': info.operatingSystem!, 'kubernetes.io/arch': info.architecture! };
  }

  /** Renews the lease; after an outage, posts the status at once too. */
  private async heartbeat(): Promise<void> {
    const wasUnreachable = this.unreachable;
    await this.renewLease();
    if (wasUnreachable) await this.postStatus(true);
  }

  private async renewLease(): Promise<void> {
    const { client, nodeName } = this.options;
    const spec = { holderIdentity: nodeName, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microTime(new Date()) };
    try {
      let lease: ApiObject | undefined;
      try {
        lease = await client.get(LEASES, NODE_LEASE_NAMESPACE, nodeName);
      } catch (error) {
        if (!(error instanceof ApiError && error.reason === 'NotFound')) throw error;
      }
      if (lease === undefined) {
        await client.create(LEASES, NODE_LEASE_NAMESPACE, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: nodeName, namespace: NODE_LEASE_NAMESPACE }, spec });
      } else {
        await client.update(LEASES, { ...lease, spec: { ...lease.spec, ...spec } });
      }
      this.unreachable = false;
    } catch (error) {
      this.unreachable = true;
      throw error;
    }
  }

  /** Measures the conditions and posts the status when it changed, when `force`, or when the report interval has passed. */
  private async postStatus(force: boolean): Promise<void> {
    const { client, nodeName } = this.options;
    try {
      const readings = await measurePressure(this.options.dataDir);
      let node: ApiObject;
      try {
        node = await client.get(NODES, undefined, nodeName);
      } catch (error) {
        // Deleted while we ran (someone removed the node): register again.
        if (!(error instanceof ApiError && error.reason === 'NotFound')) throw error;
        await this.register();
        node = await client.get(NODES, undefined, nodeName);
      }
      const current = nodeConditions(node);
      const conditions = nodeConditionsNow(current, readings, this.options.thresholds ?? DEFAULT_PRESSURE_THRESHOLDS, new Date());
      const due = Date.now() - this.lastStatusPostMs >= this.statusReportIntervalMs;
      if (!force && !due && sameConditions(current, conditions) && !this.unreachable) return;
      const resources = { cpu: this.options.resources.cpu, memory: this.options.resources.memory, pods: String(this.options.resources.pods) };
      await client.updateStatus(NODES, {
        ...node,
        status: {
          ...node.status,
          capacity: resources,
          allocatable: resources,
          conditions,
          addresses: [
            { type: 'InternalIP', address: this.options.nodeIp },
            { type: 'Hostname', address: nodeName },
          ],
          daemonEndpoints: { kubeletEndpoint: { Port: this.options.agentPort } },
          nodeInfo: nodeInfo(this.options.runtimeName, this.options.agentVersion),
        },
      });
      this.lastStatusPostMs = Date.now();
      this.unreachable = false;
    } catch (error) {
      this.unreachable = true;
      throw error;
    }
  }

  /** Runs `task` every `intervalMs` (after the previous run ended); failures are logged and retried at the next tick. */
  private every(intervalMs: number, task: () => Promise<void>): void {
    const tick = (): void => {
      if (this.stopped) return;
      const run: Promise<void> = task()
        .catch((error: unknown) => this.options.log(`node ${this.options.nodeName}: ${(error as Error).message}`))
        .finally(() => {
          this.inFlight.delete(run);
          this.after(intervalMs, tick);
        });
      this.inFlight.add(run);
    };
    this.after(intervalMs, tick);
  }

  private after(delayMs: number, then: () => void): void {
    if (this.stopped) {
      then();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      then();
    }, delayMs);
    this.timers.add(timer);
  }
}
