/**
 * How a blue-green rollout steers traffic: the active (and preview) Service's selector
 * carries `pod-template-hash` of the version it serves, as Argo Rollouts pins its Services.
 * Pods of both versions carry the Deployment's labels, so without the pin a Service would
 * select both; with it, exactly one. The switch is one update of the Service (conditional
 * on the resourceVersion it was decided from), so no reader ever sees a selector of both
 * versions, or of none.
 */
import type { ApiObject } from '../api/types.js';
import { POD_TEMPLATE_HASH_LABEL } from '../controllers/deployment/constants.js';
import type { Pod } from '../controllers/replicaset/workload-objects.js';

type EndpointAddress = { targetRef?: { kind?: string; name?: string } };
type EndpointSubset = { addresses?: EndpointAddress[]; notReadyAddresses?: EndpointAddress[] };

/** The Service's selector, `{}` when it has none. */
export function serviceSelector(service: ApiObject): Record<string, string> {
  return ((service.spec as { selector?: Record<string, string> } | undefined)?.selector ?? {}) as Record<string, string>;
}

/** The `pod-template-hash` the Service is pinned to; undefined when it is not pinned. */
export function pinnedHash(service: ApiObject): string | undefined {
  return serviceSelector(service)[POD_TEMPLATE_HASH_LABEL];
}

/** A copy of `service` whose selector is pinned to `hash` (its other selector terms kept). */
export function pinnedTo(service: ApiObject, hash: string): ApiObject {
  const copy = structuredClone(service);
  const spec = (copy.spec ?? {}) as { selector?: Record<string, string> };
  spec.selector = { ...(spec.selector ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  copy.spec = spec;
  return copy;
}

/**
 * Whether the Service's Endpoints have followed its pin to `hash`: every address listed
 * (ready or not) is a pod of that version, and at least `minimumReady` pods are ready. Pods not
 * in the cache count as another version's: the answer errs on "not yet".
 */
export function endpointsFollow(endpoints: ApiObject | undefined, pods: readonly Pod[], hash: string, minimumReady: number): boolean {
  if (endpoints === undefined) return minimumReady === 0;
  const hashByName = new Map(pods.map((pod) => [pod.metadata.name, pod.metadata.labels?.[POD_TEMPLATE_HASH_LABEL]]));
  const subsets = ((endpoints as { subsets?: EndpointSubset[] }).subsets ?? []) as EndpointSubset[];
  const ready = new Set<string>();
  for (const subset of subsets) {
    for (const [list, isReady] of [[subset.addresses ?? [], true], [subset.notReadyAddresses ?? [], false]] as const) {
      for (const address of list) {
        const name = address.targetRef?.kind === 'Pod' ? address.targetRef.name : undefined;
        if (name === undefined || hashByName.get(name) !== hash) return false;
        if (isReady) ready.add(name);
      }
    }
  }
  return ready.size >= minimumReady;
}
