/**
 * When each pod of a Deployment was first seen created, bound to a node, Running and Ready,
 * in milliseconds after a start mark (`performance.now()` when `balsa apply` was spawned),
 * from a watch on the pods matching the Deployment's selector. The watch is opened (from
 * a list's resourceVersion) before the mark, so that no event is missed; when it ends (the
 * API server closed it, 410 Expired), the pods are listed again and a new watch starts from
 * there, the list standing in for the events missed in between.
 */
import { performance } from 'node:perf_hooks';
import { resourceByName } from '../../control-plane/api/resources.js';
import type { ApiObject } from '../../control-plane/api/types.js';
import type { ApiWatch, GrpcApiClient } from '../../control-plane/client/grpc-api-client.js';

const PODS = resourceByName('pods')!;
/** How long to wait before listing again after a watch ended (the API server may be busy). */
const REWATCH_DELAY_MS = 100;

/** One pod's first sightings, in ms after the start mark (null: not seen so yet). */
export interface PodSightings {
  readonly name: string;
  node: string | null;
  createdMs: number;
  scheduledMs: number | null;
  runningMs: number | null;
  readyMs: number | null;
  /** Deleted, or being deleted (it no longer counts towards the replicas). */
  gone: boolean;
}

function isReady(pod: ApiObject): boolean {
  const conditions = (pod.status?.conditions ?? []) as { type?: string; status?: string }[];
  return conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True');
}

export class PodTimeline {
  private readonly pods = new Map<string, PodSightings>();
  /** Which pods are Ready at the latest event (a pod can lose readiness; its first Ready time stays). */
  private readonly readyNow = new Set<string>();
  private watch: ApiWatch | null = null;
  private cancelled = false;
  private startMark = 0;
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly client: GrpcApiClient,
    private readonly namespace: string,
    private readonly labelSelector: string,
  ) {}

  /** Lists and watches the pods matching `labelSelector` in `namespace`; call `markStart()` next. */
  static async open(client: GrpcApiClient, namespace: string, labelSelector: string): Promise<PodTimeline> {
    const timeline = new PodTimeline(client, namespace, labelSelector);
    await timeline.listAndWatch();
    return timeline;
  }

  /** Times are counted from now on. */
  markStart(): void {
    this.startMark = performance.now();
  }

  /** Ms since the start mark. */
  elapsedMs(): number {
    return performance.now() - this.startMark;
  }

  /** Every pod seen, in the order first seen. */
  sightings(): PodSightings[] {
    return [...this.pods.values()];
  }

  /** Pods not deleted that are Ready now. */
  readyCount(): number {
    return this.sightings().filter((pod) => !pod.gone && this.readyNow.has(pod.name)).length;
  }

  /** Until `readyCount()` reaches `count`; false after `timeoutMs`. */
  async untilReady(count: number, timeoutMs: number): Promise<boolean> {
    if (this.readyCount() >= count) return true;
    let timer: NodeJS.Timeout | undefined;
    let waiter: (() => void) | undefined;
    const done = await Promise.race([
      new Promise<boolean>((resolve) => {
        waiter = () => {
          if (this.readyCount() >= count) resolve(true);
        };
        this.waiters.add(waiter);
      }),
      // Unreferenced: a caller that gave up waiting (its command failed) does not wait for it to exit.
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs).unref())),
    ]);
    clearTimeout(timer);
    this.waiters.delete(waiter!);
    return done;
  }

  cancel(): void {
    this.cancelled = true;
    this.watch?.cancel();
    this.watch = null;
  }

  private async listAndWatch(): Promise<void> {
    const listed = await this.client.list(PODS, this.namespace, { labelSelector: this.labelSelector });
    if (this.cancelled) return;
    const present = new Set<string>();
    for (const pod of listed.items) {
      present.add(pod.metadata.name!);
      this.observe(pod, false);
    }
    // What the list no longer holds was deleted while no watch was open.
    for (const pod of this.pods.values()) if (!present.has(pod.name)) this.observe(null, true, pod.name);
    this.watch = this.client.watch(
      PODS,
      this.namespace,
      { labelSelector: this.labelSelector, resourceVersion: listed.metadata.resourceVersion },
      (event) => {
        if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') this.observe(event.object as ApiObject, event.type === 'DELETED');
      },
      () => {
        this.watch = null;
        this.rewatch();
      },
    );
  }

  /** List and watch again after a pause, and again after that if the list fails. */
  private rewatch(): void {
    if (this.cancelled) return;
    setTimeout(() => void this.listAndWatch().catch(() => this.rewatch()), REWATCH_DELAY_MS);
  }

  private observe(pod: ApiObject | null, deleted: boolean, knownName?: string): void {
    const name = pod?.metadata.name ?? knownName!;
    const at = this.elapsedMs();
    let seen = this.pods.get(name);
    if (seen === undefined) {
      if (pod === null) return;
      seen = { name, node: null, createdMs: at, scheduledMs: null, runningMs: null, readyMs: null, gone: false };
      this.pods.set(name, seen);
    }
    if (pod !== null) {
      const node = (pod.spec?.nodeName as string | undefined) ?? '';
      if (node !== '' && seen.scheduledMs === null) {
        seen.node = node;
        seen.scheduledMs = at;
      }
      if (pod.status?.phase === 'Running' && seen.runningMs === null) seen.runningMs = at;
      const ready = isReady(pod);
      if (ready && seen.readyMs === null) seen.readyMs = at;
      if (ready) this.readyNow.add(name);
      else this.readyNow.delete(name);
    }
    if (deleted || pod?.metadata.deletionTimestamp !== undefined) {
      seen.gone = true;
      this.readyNow.delete(name);
    }
    for (const waiter of this.waiters) waiter();
  }
}
