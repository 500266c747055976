/**
 * A stand-in for node agents in controller tests: it watches pods (of one namespace, or
 * all), binds each unbound pod to its node, reports it `Running` and, when the test's
 * readiness rule says so (after an optional delay), `Ready`; and it finishes graceful
 * deletions at once (a delete with grace period 0, as an agent does once the containers
 * are gone). Pods the rule keeps unready are reported Running with `Ready: False`, so that
 * they stay unavailable for as long as the test wants.
 */
import { resourceByName } from '../../../../control-plane/api/resources.js';
import type { ApiObject } from '../../../../control-plane/api/types.js';
import { ApiError } from '../../../../control-plane/apiserver/errors.js';
import type { GrpcApiClient } from '../../../../control-plane/client/grpc-api-client.js';
import { Informer, objectKey } from '../../../../control-plane/client/informer.js';
import { WorkQueue } from '../../../../control-plane/client/work-queue.js';
import { TEST_QUEUE_OPTIONS } from './control-plane.js';

const PODS = resourceByName('pods')!;

type Json = Record<string, unknown>;
type Condition = { type: string; status: string; lastTransitionTime?: string };

export interface FakeNodeAgentOptions {
  /** Only this namespace's pods (default: every namespace). */
  readonly namespace?: string;
  /** The node pods are bound to (default `node-1`). */
  readonly nodeName?: string;
  /** Whether a pod becomes ready (default: every pod); `setReadiness` changes it later. */
  readonly readiness?: (pod: ApiObject) => boolean;
  /** How long after binding a pod is reported ready, in ms (default 0). */
  readonly readyDelayMs?: number;
  /** The IP reported for running pods (default none: such pods are nobody's endpoints). */
  readonly podIP?: string;
  /** Told about writes that failed (they are retried). */
  readonly log?: (line: string) => void;
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Whether the pod's Ready condition is True. */
export function isReady(pod: ApiObject): boolean {
  const conditions = ((pod.status as Json | undefined)?.conditions ?? []) as Condition[];
  return conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True');
}

export class FakeNodeAgent {
  private readonly informer: Informer;
  private readonly queue = new WorkQueue(TEST_QUEUE_OPTIONS);
  private readonly nodeName: string;
  private readiness: (pod: ApiObject) => boolean;
  /** When each pod was first seen bound (ms), for the ready delay. */
  private readonly boundAtMs = new Map<string, number>();
  private running: Promise<void> | null = null;

  private constructor(
    private readonly client: GrpcApiClient,
    private readonly options: FakeNodeAgentOptions,
  ) {
    this.nodeName = options.nodeName ?? 'node-1';
    this.readiness = options.readiness ?? (() => true);
    this.informer = new Informer(client, PODS, options.namespace === undefined ? {} : { namespace: options.namespace });
  }

  static async start(client: GrpcApiClient, options: FakeNodeAgentOptions = {}): Promise<FakeNodeAgent> {
    const agent = new FakeNodeAgent(client, options);
    agent.informer.on({
      add: (pod) => agent.queue.add(objectKey(pod)),
      update: (_old, pod) => agent.queue.add(objectKey(pod)),
      delete: (pod) => agent.boundAtMs.delete(objectKey(pod)),
    });
    await agent.informer.start();
    agent.running = agent.queue.run(4, (key) => agent.handle(key), (key, error) => options.log?.(`fake agent ${key}: ${(error as Error).message}`));
    return agent;
  }

  /**
   * Changes which pods are ready. Every pod is looked at again: a ready pod the new rule
   * refuses is reported unready (as after a failing readiness probe).
   */
  setReadiness(readiness: (pod: ApiObject) => boolean): void {
    this.readiness = readiness;
    for (const pod of this.informer.list()) this.queue.add(objectKey(pod));
  }

  async stop(): Promise<void> {
    this.informer.stop();
    this.queue.shutdown();
    await this.running;
  }

  private async handle(key: string): Promise<void> {
    const pod = this.informer.get(key);
    if (pod === undefined) return;
    const { namespace, name } = pod.metadata;
    const spec = (pod.spec ?? {}) as Json;
    const status = (pod.status ?? {}) as Json;
    try {
      if (pod.metadata.deletionTimestamp !== undefined) {
        // The containers are "stopped" at once: confirm, as an agent does, with grace 0.
        await this.client.delete(PODS, namespace, name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid! } });
        return;
      }
      if (typeof spec.nodeName !== 'string' || spec.nodeName === '') {
        await this.client.bind(namespace!, name!, this.nodeName);
        return;
      }
      if (spec.nodeName !== this.nodeName || status.phase === 'Succeeded' || status.phase === 'Failed') return;
      const boundAt = this.boundAtMs.get(key) ?? Date.now();
      this.boundAtMs.set(key, boundAt);
      const wantReady = this.readiness(pod);
      const waitMs = boundAt + (this.options.readyDelayMs ?? 0) - Date.now();
      if (wantReady && waitMs > 0 && !isReady(pod)) {
        this.queue.addAfter(key, waitMs);
        return;
      }
      if (status.phase === 'Running' && isReady(pod) === wantReady) return;
      await this.client.patch(PODS, namespace, name!, { status: this.runningStatus(pod, wantReady) }, true);
    } catch (error) {
      // Gone meanwhile, or already bound by someone else: the next event says what to do.
      if (error instanceof ApiError && (error.reason === 'NotFound' || error.reason === 'Conflict')) return;
      throw error;
    }
  }

  private runningStatus(pod: ApiObject, ready: boolean): Json {
    const now = timestamp(new Date());
    const status = (pod.status ?? {}) as Json;
    const conditions = ((status.conditions ?? []) as Condition[]).filter((condition) => condition.type !== 'Ready' && condition.type !== 'ContainersReady');
    const readyText = ready ? 'True' : 'False';
    conditions.push({ type: 'ContainersReady', status: readyText, lastTransitionTime: now }, { type: 'Ready', status: readyText, lastTransitionTime: now });
    const containers = (((pod.spec ?? {}) as Json).containers ?? []) as { name: string; image?: string }[];
    return {
      phase: 'Running',
      ...(this.options.podIP === undefined ? {} : { podIP: this.options.podIP, hostIP: this.options.podIP }),
      conditions,
      startTime: (status.startTime as string | undefined) ?? now,
      containerStatuses: containers.map((container) => ({
        name: container.name,
        image: container.image,
        ready,
        restartCount: 0,
        state: { running: { startedAt: now } },
      })),
    };
  }
}
