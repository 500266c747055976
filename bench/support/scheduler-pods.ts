/**
 * The pods of the scheduler benchmark: what each looks like (`POD_REQUESTS`, one of
 * `OWNERS` ReplicaSets as controller), creating them as fast as the API server takes them
 * (noting when each create was sent), watching for each to be seen bound, and checking at
 * the end, from the API, that every node holds no more than it offers.
 */
import { performance } from 'node:perf_hooks';
import { resourceByName } from '../../control-plane/api/resources.js';
import type { ApiObject } from '../../control-plane/api/types.js';
import { ApiError } from '../../control-plane/apiserver/errors.js';
import type { GrpcApiClient } from '../../control-plane/client/grpc-api-client.js';
import { memoryBytesOf, milliCpuOf } from '../../control-plane/scheduler/pod-info.js';
import { LatencyHistogram } from './latency-histogram.js';
import { forEachLimited } from './simulated-nodes.js';

export const NAMESPACE = 'bench';
const POD_PREFIX = 'bench-pod';
/** Pods are spread over this many owning ReplicaSets (the scheduler spreads each one's replicas). */
const OWNERS = 10;
export const POD_REQUESTS = { cpu: '100m', memory: '128Mi' } as const;
export const NODE_ALLOCATABLE = { cpu: '32', memory: '128Gi', pods: '110' } as const;
/** A failed create is tried again this many times (an AlreadyExists then means the first one landed). */
const CREATE_ATTEMPTS = 3;

const PODS = resourceByName('pods')!;

/** Read back from the API at the end. */
export interface PlacementCheck {
  /** Pods with a node. */
  readonly boundInApi: number;
  /** Nodes holding more pods, CPU or memory than they offer (must be 0). */
  readonly overcommittedNodes: number;
  readonly nodesUsed: number;
  readonly maxPodsOnANode: number;
}

export function podName(index: number, count: number): string {
  return `${POD_PREFIX}-${String(index).padStart(String(count).length, '0')}`;
}

export function podObject(index: number, count: number): ApiObject {
  const owner = index % OWNERS;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podName(index, count),
      namespace: NAMESPACE,
      labels: { app: `bench-${owner}` },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `bench-${owner}`, uid: `bench-replicaset-${owner}`, controller: true }],
    },
    spec: { containers: [{ name: 'app', image: 'bench/app:1', resources: { requests: { ...POD_REQUESTS } } }] },
  };
}

/** Watches the benchmark's pods and notes when each is first seen bound. */
export class BindingWatch {
  readonly boundAtMs: Float64Array;
  bound = 0;
  error: string | null = null;
  private readonly watch: { cancel(): void };
  private waiter: { count: number; resolve: () => void } | null = null;

  constructor(client: GrpcApiClient, resourceVersion: string, count: number) {
    this.boundAtMs = new Float64Array(count).fill(NaN);
    const prefixLength = POD_PREFIX.length + 1;
    this.watch = client.watch(
      PODS,
      NAMESPACE,
      { resourceVersion },
      (event) => {
        const object = event.object as ApiObject;
        if (event.type !== 'MODIFIED' && event.type !== 'ADDED') return;
        if (typeof object.spec?.nodeName !== 'string' || object.spec.nodeName === '') return;
        const index = Number(object.metadata.name!.slice(prefixLength));
        if (!(index >= 0 && index < count) || !Number.isNaN(this.boundAtMs[index]!)) return;
        this.boundAtMs[index] = performance.now();
        this.bound++;
        if (this.waiter !== null && this.bound >= this.waiter.count) this.waiter.resolve();
      },
      (error) => {
        this.error = error.message;
        this.waiter?.resolve();
      },
    );
  }

  /** Resolves once `count` pods were seen bound (or the watch broke), or after `timeoutMs`. */
  async until(count: number, timeoutMs: number): Promise<void> {
    if (this.bound >= count) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => (this.waiter = { count, resolve })),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
    this.waiter = null;
  }

  cancel(): void {
    this.watch.cancel();
  }
}

/** Pods with a node, and whether any node holds more than it offers (read back from the API). */
export async function checkPlacement(client: GrpcApiClient): Promise<PlacementCheck> {
  const perNode = new Map<string, { pods: number; milliCpu: number; memoryBytes: number }>();
  let boundInApi = 0;
  let token: string | undefined;
  do {
    const page = await client.list(PODS, NAMESPACE, { limit: 1000, ...(token !== undefined ? { continue: token } : {}) });
    for (const pod of page.items) {
      const node = pod.spec?.nodeName;
      if (typeof node !== 'string' || node === '') continue;
      boundInApi++;
      const sums = perNode.get(node) ?? { pods: 0, milliCpu: 0, memoryBytes: 0 };
      sums.pods++;
      sums.milliCpu += milliCpuOf(POD_REQUESTS.cpu);
      sums.memoryBytes += memoryBytesOf(POD_REQUESTS.memory);
      perNode.set(node, sums);
    }
    token = page.metadata.continue;
  } while (token !== undefined);
  const limits = { pods: Number(NODE_ALLOCATABLE.pods), milliCpu: milliCpuOf(NODE_ALLOCATABLE.cpu), memoryBytes: memoryBytesOf(NODE_ALLOCATABLE.memory) };
  let overcommittedNodes = 0;
  let maxPodsOnANode = 0;
  for (const sums of perNode.values()) {
    if (sums.pods > limits.pods || sums.milliCpu > limits.milliCpu || sums.memoryBytes > limits.memoryBytes) overcommittedNodes++;
    maxPodsOnANode = Math.max(maxPodsOnANode, sums.pods);
  }
  return { boundInApi, overcommittedNodes, nodesUsed: perNode.size, maxPodsOnANode };
}

/** Creates pods `0..count-1`, `concurrency` at a time, until `stopped()`; notes when each create was sent. */
export async function createPods(
  client: GrpcApiClient,
  count: number,
  concurrency: number,
  sentAtMs: Float64Array,
  stopped: () => boolean,
): Promise<{ created: number; errors: number; lastAckMs: number; latency: LatencyHistogram }> {
  const latency = new LatencyHistogram();
  let created = 0;
  let errors = 0;
  let lastAckMs = 0;
  await forEachLimited(count, concurrency, async (i) => {
    for (let attempt = 1; attempt <= CREATE_ATTEMPTS && !stopped(); attempt++) {
      const sent = performance.now();
      if (attempt === 1) sentAtMs[i] = sent;
      try {
        await client.create(PODS, NAMESPACE, podObject(i, count));
      } catch (error) {
        const landedBefore = attempt > 1 && error instanceof ApiError && error.reason === 'AlreadyExists';
        if (!landedBefore) {
          errors++;
          if (attempt < CREATE_ATTEMPTS) continue;
          return;
        }
      }
      lastAckMs = performance.now();
      latency.record(lastAckMs - sent);
      created++;
      return;
    }
  });
  return { created, errors, lastAckMs, latency };
}
