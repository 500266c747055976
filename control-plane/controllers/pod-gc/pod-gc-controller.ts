/**
 * Pod garbage collection, as Kubernetes' pod GC controller does it, in periodic passes over
 * the pod cache:
 * - **terminated pods** (phase Succeeded or Failed) beyond `terminatedPodThreshold` are
 *   deleted, evicted ones first, then oldest first (by creation time), so that finished
 *   pods do not pile up forever;
 * - **orphaned pods**, bound to a node that does not exist, are force-deleted (grace 0: no
 *   agent will confirm) once the node has been missing for `orphanQuarantineSeconds` on this
 *   controller's clock and the API server confirms it is gone (a node registering just now
 *   may not be in the cache yet);
 * - **unscheduled pods being deleted** are removed (grace 0: nothing runs them);
 * - **terminating pods on out-of-service nodes** (a not-Ready node tainted
 *   `node.kubernetes.io/out-of-service:NoExecute` by its operator) are force-deleted.
 *
 * One key (`pods`) runs a pass; it is queued every `periodMs` and when a pod terminates, a
 * pod is marked for deletion, or a node goes.
 */
import { resourceByName } from '../../api/resources.js';
import type { ApiObject } from '../../api/types.js';
import { jsonEqual } from '../../api/json-values.js';
import { ApiError } from '../../apiserver/errors.js';
import type { Informer } from '../../client/informer.js';
import { objectKey } from '../../client/informer.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { WorkQueueOptions } from '../../client/work-queue.js';
import type { Controller, ControllerContext } from '../controller.js';
import { WorkAfterSync } from '../controller.js';

const NODES = resourceByName('nodes')!;
const PODS = resourceByName('pods')!;
const PASS_KEY = 'pods';

export const OUT_OF_SERVICE_TAINT_KEY = 'node.kubernetes.io/out-of-service';

export const POD_GC_DEFAULTS = {
  /** Kubernetes' `--terminated-pod-gc-threshold`. */
  terminatedPodThreshold: 12_500,
  /** Kubernetes' pod GC period. */
  periodMs: 20_000,
  /** Kubernetes' quarantine before an orphaned pod is deleted. */
  orphanQuarantineSeconds: 40,
  /** Deletes in flight at once during a pass. */
  deleteConcurrency: 8,
} as const;

export interface PodGcControllerOptions {
  /** Terminated pods kept at most; 0 or less: keep them all (default 12,500). */
  readonly terminatedPodThreshold?: number;
  /** A pass runs at least this often (default 20 s). */
  readonly periodMs?: number;
  /** How long a pod's node must have been missing before the pod is force-deleted (default 40 s). */
  readonly orphanQuarantineSeconds?: number;
  readonly queue?: WorkQueueOptions;
}

export class PodGcController implements Controller {
  readonly name = 'podgc';
  private readonly settings: Required<Omit<PodGcControllerOptions, 'queue'>>;
  private readonly queue: WorkQueue;
  private context: ControllerContext | null = null;
  private pods: Informer | null = null;
  private nodes: Informer | null = null;
  /** Pod uid → when (this clock, ms) it was first seen bound to a missing node. */
  private readonly orphanClocks = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private readonly work = new WorkAfterSync();

  constructor(options: PodGcControllerOptions = {}) {
    this.settings = {
      terminatedPodThreshold: options.terminatedPodThreshold ?? POD_GC_DEFAULTS.terminatedPodThreshold,
      periodMs: options.periodMs ?? POD_GC_DEFAULTS.periodMs,
      orphanQuarantineSeconds: options.orphanQuarantineSeconds ?? POD_GC_DEFAULTS.orphanQuarantineSeconds,
    };
    if (!(this.settings.periodMs > 0)) throw new RangeError('periodMs must be > 0');
    if (!(this.settings.orphanQuarantineSeconds >= 0)) throw new RangeError('orphanQuarantineSeconds must be ≥ 0');
    this.queue = new WorkQueue(options.queue);
  }

  async start(context: ControllerContext): Promise<void> {
    this.queue.instrument(context.queueMetrics?.('podgc'));
    if (this.context !== null) throw new Error('the pod GC controller was already started');
    this.context = context;
    const pods = (this.pods = context.informers.informer('pods'));
    const nodes = (this.nodes = context.informers.informer('nodes'));
    const pass = (): void => this.queue.add(PASS_KEY);
    pods.on({
      add: (pod) => {
        if (isTerminated(pod) || pod.metadata.deletionTimestamp !== undefined) pass();
      },
      update: (old, pod) => {
        if (isTerminated(pod) !== isTerminated(old) || pod.metadata.deletionTimestamp !== old.metadata.deletionTimestamp) pass();
      },
    });
    nodes.on({
      delete: pass,
      update: (old, node) => {
        if (!jsonEqual(old.spec?.taints, node.spec?.taints)) pass();
      },
    });
    this.work.start([pods, nodes], () => {
      pass();
      this.timer = setInterval(pass, this.settings.periodMs);
      return this.queue.run(1, () => this.reconcile(), (_key, error) => context.log(`pod GC: ${(error as Error).message}`));
    });
  }

  async stop(): Promise<void> {
    this.queue.shutdown();
    await this.work.stop();
    // After the work ended: the timer is set when the work starts.
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass: terminated pods over the threshold, orphaned pods, unscheduled and out-of-service terminating pods. */
  async reconcile(): Promise<void> {
    const pods = this.pods!.list();
    await this.deleteAll(this.terminatedOverThreshold(pods), 'terminated pod over the threshold');
    await this.deleteAll(await this.orphaned(pods), 'pod of a node that no longer exists');
    await this.deleteAll(
      pods.filter((pod) => !isBound(pod) && pod.metadata.deletionTimestamp !== undefined && !(pod.metadata.deletionGracePeriodSeconds === 0 && (pod.metadata.finalizers ?? []).length > 0)),
      'unscheduled terminating pod',
    );
    await this.deleteAll(
      pods.filter((pod) => isBound(pod) && pod.metadata.deletionTimestamp !== undefined && this.isOutOfService(String(pod.spec!.nodeName))),
      'terminating pod on an out-of-service node',
    );
  }

  /** The terminated pods beyond the threshold, in deletion order: evicted first, then oldest. */
  private terminatedOverThreshold(pods: readonly ApiObject[]): ApiObject[] {
    const threshold = this.settings.terminatedPodThreshold;
    if (threshold <= 0) return [];
    const terminated = pods.filter((pod) => isTerminated(pod) && pod.metadata.deletionTimestamp === undefined);
    if (terminated.length <= threshold) return [];
    const evicted = (pod: ApiObject): number => ((pod.status as { reason?: unknown } | undefined)?.reason === 'Evicted' ? 0 : 1);
    terminated.sort(
      (a, b) =>
        evicted(a) - evicted(b) ||
        compareText(a.metadata.creationTimestamp ?? '', b.metadata.creationTimestamp ?? '') ||
        compareText(objectKey(a), objectKey(b)),
    );
    return terminated.slice(0, terminated.length - threshold);
  }

  /** The pods whose node has been missing past the quarantine and that the API server confirms is gone. */
  private async orphaned(pods: readonly ApiObject[]): Promise<ApiObject[]> {
    const nowMs = this.context!.now().getTime();
    const candidates: ApiObject[] = [];
    const seen = new Set<string>();
    let nextDueMs = Infinity;
    for (const pod of pods) {
      if (!isBound(pod) || this.nodes!.getByName(undefined, String(pod.spec!.nodeName)) !== undefined) continue;
      const uid = pod.metadata.uid!;
      seen.add(uid);
      const since = this.orphanClocks.get(uid) ?? nowMs;
      this.orphanClocks.set(uid, since);
      if (nowMs - since >= this.settings.orphanQuarantineSeconds * 1000) candidates.push(pod);
      else nextDueMs = Math.min(nextDueMs, since + this.settings.orphanQuarantineSeconds * 1000);
    }
    if (nextDueMs !== Infinity) this.queue.addAfter(PASS_KEY, nextDueMs - nowMs + 1);
    for (const uid of [...this.orphanClocks.keys()]) if (!seen.has(uid)) this.orphanClocks.delete(uid);
    const gone = new Map<string, boolean>();
    const orphans: ApiObject[] = [];
    for (const pod of candidates) {
      const nodeName = String(pod.spec!.nodeName);
      if (!gone.has(nodeName)) gone.set(nodeName, await this.nodeIsGone(nodeName));
      if (gone.get(nodeName) === true) orphans.push(pod);
    }
    return orphans;
  }

  private async nodeIsGone(name: string): Promise<boolean> {
    try {
      await this.context!.client.get(NODES, undefined, name);
      return false;
    } catch (error) {
      if (error instanceof ApiError && error.reason === 'NotFound') return true;
      throw error;
    }
  }

  private isOutOfService(nodeName: string): boolean {
    const node = this.nodes!.getByName(undefined, nodeName);
    if (node === undefined) return false;
    const taints = Array.isArray(node.spec?.taints) ? (node.spec.taints as { key?: string; effect?: string }[]) : [];
    const conditions = (node.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions ?? [];
    const ready = conditions.find((condition) => condition.type === 'Ready')?.status === 'True';
    return !ready && taints.some((taint) => taint.key === OUT_OF_SERVICE_TAINT_KEY && taint.effect === 'NoExecute');
  }

  /** Force-deletes the pods (uid precondition: never another pod of the same name), a few at a time. */
  private async deleteAll(pods: readonly ApiObject[], why: string): Promise<void> {
    const context = this.context!;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < pods.length) {
        const pod = pods[next++]!;
        try {
          await context.client.delete(PODS, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid! } });
          this.orphanClocks.delete(pod.metadata.uid!);
          context.log(`pod GC: deleted ${why} ${objectKey(pod)}`);
        } catch (error) {
          // NotFound: already gone; Conflict: the name is another pod's now.
          if (!(error instanceof ApiError && (error.reason === 'NotFound' || error.reason === 'Conflict'))) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(POD_GC_DEFAULTS.deleteConcurrency, pods.length) }, worker));
  }
}

function isTerminated(pod: ApiObject): boolean {
  const phase = (pod.status as { phase?: unknown } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

function isBound(pod: ApiObject): boolean {
  const nodeName = pod.spec?.nodeName;
  return typeof nodeName === 'string' && nodeName !== '';
}

/** Code-unit order, the same on every machine. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
