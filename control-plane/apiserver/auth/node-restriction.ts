/**
 * What a node agent (`system:node:<name>` in `system:nodes`) may touch, beyond the kinds
 * the `system:node` role grants: only what concerns its own node, as Kubernetes' Node
 * authorizer and NodeRestriction admission have it.
 * - pods: read those bound to it (a list or watch must select `spec.nodeName=<own>`, a get
 *   must name one bound to it); update the status of, and delete, only those; never create
 *   or bind one.
 * - its own Node (create, update, patch, and its status) and its own Lease (in any
 *   namespace; the agent's is in `kube-node-lease`); it may read every Node.
 * - ConfigMaps and Secrets: only those a pod bound to it refers to (`pod-references.ts`),
 *   by name: a get, or a list/watch in their namespace selecting `metadata.name=<name>`.
 * Everything else the role grants (Events, Services, Endpoints) is not narrowed.
 *
 * Pods are read from an informer over the registry, indexed by node; a pod not (yet) in it
 * is read from the store, so that a cache a moment behind never lets a node at another's pod.
 */
import { podReferences } from '../../api/pod-references.js';
import { resourceByName } from '../../api/resources.js';
import type { ApiObject } from '../../api/types.js';
import { Informer } from '../../client/informer.js';
import type { InformerSource } from '../../client/informer.js';
import type { ResourceAttributes } from './request-attributes.js';

const PODS = resourceByName('pods')!;

/** Reads one pod from the store; undefined when it does not exist. */
export type PodReader = (namespace: string, name: string) => Promise<ApiObject | undefined>;

/** Kubernetes' node authorizer's words for a refused object. */
function noRelationship(node: string): string {
  return `no relationship found between node '${node}' and this object`;
}

function boundNode(pod: ApiObject | undefined): string | undefined {
  const node = pod?.spec?.nodeName;
  return typeof node === 'string' && node !== '' ? node : undefined;
}

/** The `field=value` terms of a field selector (`spec.nodeName=n1,status.phase!=Failed`). */
function selectorEquals(selector: string | undefined, field: string): string | undefined {
  for (const term of (selector ?? '').split(',')) {
    const match = /^\s*([^=!\s]+)\s*==?\s*(.*?)\s*$/.exec(term);
    if (match !== null && match[1] === field) return match[2];
  }
  return undefined;
}

export class NodeRestriction {
  private readonly pods: Informer;

  constructor(
    source: InformerSource,
    private readonly readPod: PodReader,
    log?: (line: string) => void,
  ) {
    this.pods = new Informer(source, PODS, log === undefined ? {} : { log });
  }

  start(): Promise<void> {
    return this.pods.start();
  }

  get synced(): boolean {
    return this.pods.hasSynced;
  }

  stop(): void {
    this.pods.stop();
  }

  /** Why node `node` may not do `verb` on `resource`; undefined when it may (the RBAC role then decides). */
  async check(node: string, verb: string, resource: ResourceAttributes): Promise<string | undefined> {
    const { info, subresource, namespace, name } = resource;
    if (info.group === '' && info.plural === 'pods') return this.checkPod(node, verb, resource);
    if (info.group === '' && info.plural === 'nodes') {
      if (verb === 'get' || verb === 'list' || verb === 'watch') return undefined;
      // A create names the node in its body: the front-end checks it with `checkCreatedName`.
      if (verb === 'create' && subresource === undefined) return undefined;
      return name === node && verb !== 'delete' && verb !== 'deletecollection' ? undefined : `node '${node}' cannot modify node '${name ?? ''}'`;
    }
    if (info.group === 'coordination.k8s.io' && info.plural === 'leases') {
      if (verb === 'create') return undefined;
      return name === node ? undefined : `node '${node}' can only access its own lease`;
    }
    if (info.group === '' && (info.plural === 'secrets' || info.plural === 'configmaps')) {
      const wanted = name ?? ((verb === 'list' || verb === 'watch') ? selectorEquals(resource.fieldSelector, 'metadata.name') : undefined);
      if (namespace === undefined || wanted === undefined || subresource !== undefined) return noRelationship(node);
      return this.referencedFromNode(node, namespace, info.plural, wanted) ? undefined : noRelationship(node);
    }
    return undefined;
  }

  /** A node may create only its own Node and its own Lease. */
  checkCreatedName(node: string, resource: ResourceAttributes, createdName: string): string | undefined {
    const plural = resource.info.plural;
    if ((plural === 'nodes' || plural === 'leases') && createdName !== node) return `node '${node}' can only create its own ${plural === 'nodes' ? 'Node' : 'Lease'}`;
    return undefined;
  }

  private async checkPod(node: string, verb: string, resource: ResourceAttributes): Promise<string | undefined> {
    const { subresource, namespace, name } = resource;
    if (verb === 'list' || verb === 'watch') {
      if (name === undefined && selectorEquals(resource.fieldSelector, 'spec.nodeName') === node) return undefined;
      if (name !== undefined && namespace !== undefined && (await this.podNode(namespace, name)) === node) return undefined;
      return `node '${node}' can only ${verb} pods with spec.nodeName=${node}`;
    }
    const allowed = (verb === 'get' && subresource === undefined) || (verb === 'delete' && subresource === undefined) || ((verb === 'update' || verb === 'patch') && subresource === 'status');
    if (!allowed) return `node '${node}' can only read, delete and update the status of pods bound to it`;
    if (namespace === undefined || name === undefined) return noRelationship(node);
    const bound = await this.podNode(namespace, name);
    // A pod that does not exist concerns nobody: the request goes on to its 404.
    if (bound === null) return undefined;
    return bound === node ? undefined : noRelationship(node);
  }

  /** The node of a pod: from the cache, else the store; null when there is no such pod. */
  private async podNode(namespace: string, name: string): Promise<string | undefined | null> {
    const cached = this.pods.getByName(namespace, name);
    if (cached !== undefined) return boundNode(cached) ?? (await this.readBound(namespace, name));
    return this.readBound(namespace, name);
  }

  private async readBound(namespace: string, name: string): Promise<string | undefined | null> {
    const pod = await this.readPod(namespace, name);
    return pod === undefined ? null : boundNode(pod);
  }

  private referencedFromNode(node: string, namespace: string, plural: 'secrets' | 'configmaps', name: string): boolean {
    for (const pod of this.pods.list(namespace)) {
      if (boundNode(pod) !== node) continue;
      const references = podReferences(pod);
      if ((plural === 'secrets' ? references.secrets : references.configMaps).has(name)) return true;
    }
    return false;
  }
}
