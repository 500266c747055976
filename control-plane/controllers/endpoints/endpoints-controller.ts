/**
 * The endpoints controller: for every Service with a selector, an Endpoints object of the
 * same name listing the selected pods' addresses and ports (see `endpoint-subsets.ts`),
 * which the service proxies read. Level-triggered: a key is a Service's `namespace/name`;
 * a change of a Service, of a pod it selects (or selected) or of its Endpoints queues it, and
 * `reconcile` rewrites the Endpoints from the caches when, and only when, they differ.
 *
 * The Endpoints carries the Service's labels (and `service.kubernetes.io/headless` for a
 * headless Service, as Kubernetes labels it) and an owner reference to the Service, so that
 * it goes with the Service even when this controller is not running (the garbage collector
 * follows the reference); this controller also deletes it as soon as the Service is gone,
 * as Kubernetes' does. Endpoints of a Service without a selector belong to whoever wrote
 * them and are left alone.
 */
import { resourceByName } from '../../api/resources.js';
import { labelSelectorFromObject, matchesLabels } from '../../api/selectors.js';
import type { ApiObject, OwnerReference } from '../../api/types.js';
import { jsonEqual } from '../../api/json-values.js';
import { ApiError } from '../../apiserver/errors.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { Informer } from '../../client/informer.js';
import { objectKey, splitKey } from '../../client/informer.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { WorkQueueOptions } from '../../client/work-queue.js';
import type { Controller, ControllerContext } from '../controller.js';
import { WorkAfterSync } from '../controller.js';
import { endpointSubsets, isHeadless, isPodReady, podIP } from './endpoint-subsets.js';
import type { EndpointSubset } from './endpoint-subsets.js';

const ENDPOINTS = resourceByName('endpoints')!;

/** The label Kubernetes puts on the Endpoints of a headless Service. */
export const HEADLESS_SERVICE_LABEL = 'service.kubernetes.io/headless';
export const ENDPOINTS_CONTROLLER_COMPONENT = 'endpoint-controller';

export interface EndpointsControllerOptions {
  /** Services reconciled at once (default 4). */
  readonly workers?: number;
  /** The work queue's retry back-off and rate limit (default: the WorkQueue's). */
  readonly queue?: WorkQueueOptions;
}

export class EndpointsController implements Controller {
  readonly name = 'endpoints';
  private context: ControllerContext | null = null;
  private services: Informer | null = null;
  private pods: Informer | null = null;
  private endpoints: Informer | null = null;
  private recorder: EventRecorder | null = null;
  private readonly queue: WorkQueue;
  private readonly work = new WorkAfterSync();

  constructor(private readonly options: EndpointsControllerOptions = {}) {
    this.queue = new WorkQueue(options.queue);
  }

  async start(context: ControllerContext): Promise<void> {
    this.queue.instrument(context.queueMetrics?.('endpoint'));
    if (this.context !== null) throw new Error('the endpoints controller was already started');
    this.context = context;
    this.recorder = context.recorder(ENDPOINTS_CONTROLLER_COMPONENT);
    const services = (this.services = context.informers.informer('services'));
    const pods = (this.pods = context.informers.informer('pods'));
    const endpoints = (this.endpoints = context.informers.informer('endpoints'));
    services.on({
      add: (service) => this.queue.add(objectKey(service)),
      update: (_old, service) => this.queue.add(objectKey(service)),
      delete: (service) => this.queue.add(objectKey(service)),
    });
    pods.on({
      add: (pod) => this.enqueueServicesOf(pod),
      update: (old, pod) => {
        if (endpointFacts(old) === endpointFacts(pod)) return;
        // Labels may have changed: the Services that selected the old pod must drop it.
        this.enqueueServicesOf(old);
        this.enqueueServicesOf(pod);
      },
      delete: (pod) => this.enqueueServicesOf(pod),
    });
    // Someone else changed or deleted an Endpoints: put it right.
    endpoints.on({
      update: (_old, current) => this.queue.add(objectKey(current)),
      delete: (gone) => this.queue.add(objectKey(gone)),
    });
    this.work.start([services, pods, endpoints], () =>
      this.queue.run(this.options.workers ?? 4, (key) => this.reconcile(key), (key, error) => context.log(`endpoints ${key}: ${(error as Error).message}`)),
    );
  }

  async stop(): Promise<void> {
    this.queue.shutdown();
    await this.work.stop();
  }

  /**
   * Makes the Endpoints of the Service `key` (`namespace/name`) what its pods say, from the
   * caches; deletes it when the Service is gone. Throws (to be retried) when a write fails.
   */
  async reconcile(key: string): Promise<void> {
    const context = this.context!;
    const { namespace, name } = splitKey(key);
    const service = this.services!.get(key);
    if (service === undefined) {
      await this.deleteEndpoints(namespace, name);
      return;
    }
    const selector = serviceSelector(service);
    // No selector: the Endpoints are someone else's. Being deleted: writing them now would
    // only race the garbage collector removing them.
    if (selector === undefined || service.metadata.deletionTimestamp !== undefined) return;
    const matcher = labelSelectorFromObject({ matchLabels: selector });
    const pods = this.pods!.list(namespace).filter((pod) => matchesLabels(matcher, pod.metadata.labels));
    const subsets = endpointSubsets(service, pods);
    const labels = endpointsLabels(service);
    const current = this.endpoints!.get(key);
    if (current === undefined) {
      const created: ApiObject = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, labels, ownerReferences: [serviceOwnerReference(service)] } };
      if (subsets.length > 0) created.subsets = subsets;
      try {
        await context.client.create(ENDPOINTS, namespace, created);
      } catch (error) {
        // The namespace is being terminated: its Services are about to go, and so is this work.
        if (error instanceof ApiError && error.reason === 'Forbidden') return;
        throw error;
      }
      return;
    }
    const ownerReferences = withServiceOwner(current.metadata.ownerReferences ?? [], service);
    const currentSubsets = (current.subsets ?? []) as EndpointSubset[];
    if (jsonEqual(currentSubsets, subsets) && jsonEqual(current.metadata.labels ?? {}, labels) && jsonEqual(current.metadata.ownerReferences ?? [], ownerReferences)) return;
    const next: ApiObject = { ...current, metadata: { ...current.metadata, labels, ownerReferences } };
    if (subsets.length > 0) next.subsets = subsets;
    else delete next.subsets;
    try {
      // Compare-and-swap on the cached resourceVersion: a stale cache gets 409 and a retry.
      await context.client.update(ENDPOINTS, next);
    } catch (error) {
      if (!(error instanceof ApiError && error.reason === 'Conflict')) {
        void this.recorder!.record(service, 'Warning', 'FailedToUpdateEndpoint', `Failed to update endpoint ${key}: ${(error as Error).message}`);
      }
      throw error;
    }
  }

  private async deleteEndpoints(namespace: string | undefined, name: string): Promise<void> {
    if (this.endpoints!.getByName(namespace, name) === undefined) return;
    try {
      await this.context!.client.delete(ENDPOINTS, namespace, name);
    } catch (error) {
      if (!(error instanceof ApiError && error.reason === 'NotFound')) throw error;
    }
  }

  private enqueueServicesOf(pod: ApiObject): void {
    for (const service of this.services!.list(pod.metadata.namespace)) {
      const selector = serviceSelector(service);
      if (selector !== undefined && matchesLabels(labelSelectorFromObject({ matchLabels: selector }), pod.metadata.labels)) this.queue.add(objectKey(service));
    }
  }
}

/**
 * A Service's `spec.selector`, or undefined when it has none. An empty map counts as none:
 * it would select every pod of the namespace, which nobody means.
 */
function serviceSelector(service: ApiObject): Record<string, string> | undefined {
  const selector = service.spec?.selector;
  if (typeof selector !== 'object' || selector === null || Array.isArray(selector) || Object.keys(selector).length === 0) return undefined;
  return selector as Record<string, string>;
}

/** The Service's labels, and the headless label exactly when it is headless. */
function endpointsLabels(service: ApiObject): Record<string, string> {
  const labels = { ...(service.metadata.labels ?? {}) };
  if (isHeadless(service)) labels[HEADLESS_SERVICE_LABEL] = '';
  else delete labels[HEADLESS_SERVICE_LABEL];
  return labels;
}

function serviceOwnerReference(service: ApiObject): OwnerReference {
  return { apiVersion: 'v1', kind: 'Service', name: service.metadata.name!, uid: service.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/** The references, with the Service as their controller (replacing a reference to an older Service of the same name). */
function withServiceOwner(references: readonly OwnerReference[], service: ApiObject): OwnerReference[] {
  const others = references.filter((reference) => reference.controller !== true && reference.uid !== service.metadata.uid);
  return [...others, serviceOwnerReference(service)];
}

/** What of a pod its Endpoints depend on: an update that changes none of it changes no Endpoints. */
function endpointFacts(pod: ApiObject): string {
  const spec = pod.spec ?? {};
  const containers = Array.isArray(spec.containers) ? (spec.containers as { ports?: unknown }[]).map((container) => container?.ports ?? null) : null;
  return JSON.stringify([
    pod.metadata.labels ?? {},
    podIP(pod),
    isPodReady(pod),
    pod.metadata.deletionTimestamp ?? null,
    (pod.status as { phase?: unknown } | undefined)?.phase ?? null,
    spec.nodeName ?? null,
    spec.hostname ?? null,
    spec.subdomain ?? null,
    containers,
  ]);
}
