/**
 * A checker outside the code under test: watches kinds of one namespace and keeps every
 * version of every object it sees, stamped with its resourceVersion. The KV numbers every
 * write of every kind in one sequence, so a test can ask, after the fact, what one kind
 * looked like at the revision another changed ("were the new pods all Ready when the
 * Service switched?") without any timing.
 */
import type { ResourceInfo } from '../../../../control-plane/api/resources.js';
import type { ApiObject } from '../../../../control-plane/api/types.js';
import type { GrpcApiClient } from '../../../../control-plane/client/grpc-api-client.js';

export interface ObjectVersion {
  readonly revision: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: ApiObject;
}

export interface ObjectHistory {
  /** Every version seen of `info`'s objects, in revision order. */
  versions(info: ResourceInfo): ObjectVersion[];
  /** The objects of `info` as they were at `revision` (the deleted left out). */
  at(info: ResourceInfo, revision: number): ApiObject[];
  readonly errors: string[];
  stop(): void;
}

export async function watchHistory(client: GrpcApiClient, namespace: string, kinds: readonly ResourceInfo[]): Promise<ObjectHistory> {
  const byKind = new Map<string, ObjectVersion[]>();
  const errors: string[] = [];
  const cancels: (() => void)[] = [];
  for (const info of kinds) {
    const list = await client.list(info, namespace);
    const versions: ObjectVersion[] = list.items.map((object) => ({ revision: Number(object.metadata.resourceVersion), type: 'ADDED', object }));
    byKind.set(info.plural, versions);
    const watch = client.watch(
      info,
      namespace,
      { resourceVersion: list.metadata.resourceVersion ?? '' },
      (event) => {
        if (event.type === 'BOOKMARK' || event.type === 'ERROR') return;
        const object = event.object as ApiObject;
        versions.push({ revision: Number(object.metadata.resourceVersion), type: event.type, object });
      },
      (error) => errors.push(`${info.plural}: ${error.message}`),
    );
    cancels.push(() => watch.cancel());
  }
  const versions = (info: ResourceInfo): ObjectVersion[] => [...(byKind.get(info.plural) ?? [])].sort((a, b) => a.revision - b.revision);
  return {
    versions,
    at(info, revision) {
      const latest = new Map<string, ObjectVersion>();
      for (const version of versions(info)) if (version.revision <= revision) latest.set(version.object.metadata.name!, version);
      return [...latest.values()].filter((version) => version.type !== 'DELETED').map((version) => version.object);
    },
    errors,
    stop: () => cancels.forEach((cancel) => cancel()),
  };
}
