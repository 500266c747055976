/**
 * Watching a namespace's pods as a checker outside the code under test: every change
 * arrives in revision order, so the set kept here is the namespace's pods exactly as they
 * were at each revision, and `onChange` can check an invariant at every one of them
 * ("never more than 5 pods", "at least 3 ready") instead of at the moments a test polls.
 */
import { resourceByName } from '../../../../control-plane/api/resources.js';
import type { ApiObject } from '../../../../control-plane/api/types.js';
import type { GrpcApiClient } from '../../../../control-plane/client/grpc-api-client.js';

const PODS = resourceByName('pods')!;

export interface PodWatch {
  /** The pods as of the last event. */
  pods(): ApiObject[];
  /** Errors the watch ended with (a test should expect none). */
  readonly errors: string[];
  stop(): void;
}

/** Pods that count: not marked for deletion and not finished. */
export function livePods(pods: readonly ApiObject[]): ApiObject[] {
  return pods.filter((pod) => {
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    return pod.metadata.deletionTimestamp === undefined && phase !== 'Succeeded' && phase !== 'Failed';
  });
}

/**
 * Watches `namespace`'s pods (the current ones first, as ADDED) and calls `onChange` with
 * all of them after each event. Resolves once the watch is open.
 */
export async function watchPods(client: GrpcApiClient, namespace: string, onChange: (pods: ApiObject[]) => void = () => {}): Promise<PodWatch> {
  const list = await client.list(PODS, namespace);
  const pods = new Map<string, ApiObject>(list.items.map((pod) => [pod.metadata.name!, pod]));
  const errors: string[] = [];
  onChange([...pods.values()]);
  const watch = client.watch(
    PODS,
    namespace,
    { resourceVersion: list.metadata.resourceVersion ?? '' },
    (event) => {
      if (event.type === 'BOOKMARK' || event.type === 'ERROR') return;
      const pod = event.object as ApiObject;
      if (event.type === 'DELETED') pods.delete(pod.metadata.name!);
      else pods.set(pod.metadata.name!, pod);
      onChange([...pods.values()]);
    },
    (error) => errors.push(error.message),
  );
  return { pods: () => [...pods.values()], errors, stop: () => watch.cancel() };
}
