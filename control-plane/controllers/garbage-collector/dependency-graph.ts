/**
 * The garbage collector's picture of who owns whom: a node per object uid, with the owner
 * references the object carries and the uids of the objects that name it as an owner. An
 * owner named by a reference but not (or no longer) observed is kept as a "virtual" node,
 * so that its dependents can be found when the collector decides it is gone.
 *
 * Identity is the uid, never the name: an object deleted and created again under the same
 * name is another node, and the references to the old one do not point at it.
 *
 * Pure bookkeeping, no I/O: the collector feeds it informer events and reads it to decide
 * what to check against the API server.
 */
import { resourceForKind } from '../../api/resources.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { ApiObject, OwnerReference } from '../../api/types.js';

export const FOREGROUND_DELETION_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

/** Where to find an object: its resource (undefined for a kind this server does not serve), namespace, name and uid. */
export interface ObjectRef {
  readonly info: ResourceInfo | undefined;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly uid: string;
}

export interface GraphNode {
  readonly uid: string;
  ref: ObjectRef;
  /** Seen by an informer; false for an owner only known from its dependents' references. */
  observed: boolean;
  /** The object's owner references as last observed. */
  owners: readonly OwnerReference[];
  /** Uids of the observed objects that reference this one. */
  readonly dependents: Set<string>;
  /** Marked for deletion (`deletionTimestamp`), waiting for finalizers or a grace period. */
  beingDeleted: boolean;
  /** Marked for deletion with the `foregroundDeletion` finalizer: its dependents go first. */
  deletingDependents: boolean;
  /** Marked for deletion with the `orphan` finalizer: its dependents are to be let go. */
  orphaning: boolean;
}

/**
 * Where an owner reference of a dependent in `namespace` points: owners of a namespaced kind
 * live in the dependent's namespace, cluster-scoped ones in none. Undefined info when the
 * kind is not served (nothing can be said about such an owner).
 */
export function ownerRef(reference: OwnerReference, namespace: string | undefined): ObjectRef {
  const info = resourceForKind(reference.apiVersion, reference.kind);
  return { info, namespace: info?.namespaced === true ? namespace : undefined, name: reference.name, uid: reference.uid };
}

export function hasFinalizer(object: ApiObject, finalizer: string): boolean {
  return (object.metadata.finalizers ?? []).includes(finalizer);
}

export class DependencyGraph {
  private readonly nodes = new Map<string, GraphNode>();

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  get size(): number {
    return this.nodes.size;
  }

  /** The observed dependents of `uid`. */
  dependents(uid: string): GraphNode[] {
    const node = this.nodes.get(uid);
    if (node === undefined) return [];
    return [...node.dependents].map((dependent) => this.nodes.get(dependent)).filter((dependent): dependent is GraphNode => dependent?.observed === true);
  }

  /** Takes in an added or changed object; returns its node and the owner references it had before. */
  observe(info: ResourceInfo, object: ApiObject): { node: GraphNode; previousOwners: readonly OwnerReference[] } {
    const meta = object.metadata;
    const uid = meta.uid!;
    let node = this.nodes.get(uid);
    if (node === undefined) {
      node = { uid, ref: objectRef(info, object), observed: true, owners: [], dependents: new Set(), beingDeleted: false, deletingDependents: false, orphaning: false };
      this.nodes.set(uid, node);
    }
    node.ref = objectRef(info, object);
    node.observed = true;
    node.beingDeleted = meta.deletionTimestamp !== undefined;
    node.deletingDependents = node.beingDeleted && hasFinalizer(object, FOREGROUND_DELETION_FINALIZER);
    node.orphaning = node.beingDeleted && hasFinalizer(object, ORPHAN_FINALIZER);
    const previousOwners = node.owners;
    const owners = meta.ownerReferences ?? [];
    node.owners = owners;
    const still = new Set(owners.map((reference) => reference.uid));
    for (const reference of previousOwners) if (!still.has(reference.uid)) this.unlink(reference.uid, uid);
    for (const reference of owners) {
      let owner = this.nodes.get(reference.uid);
      if (owner === undefined) {
        owner = { uid: reference.uid, ref: ownerRef(reference, meta.namespace), observed: false, owners: [], dependents: new Set(), beingDeleted: false, deletingDependents: false, orphaning: false };
        this.nodes.set(reference.uid, owner);
      }
      owner.dependents.add(uid);
    }
    return { node, previousOwners };
  }

  /**
   * Forgets a deleted object: it no longer depends on its owners; it stays as a virtual node
   * while objects still name it as their owner. Returns its node as it was, or undefined.
   */
  forget(uid: string): GraphNode | undefined {
    const node = this.nodes.get(uid);
    if (node === undefined || !node.observed) return undefined;
    for (const reference of node.owners) this.unlink(reference.uid, uid);
    const gone: GraphNode = { ...node, dependents: new Set(node.dependents) };
    if (node.dependents.size === 0) {
      this.nodes.delete(uid);
    } else {
      node.observed = false;
      node.owners = [];
      node.beingDeleted = false;
      node.deletingDependents = false;
      node.orphaning = false;
    }
    return gone;
  }

  private unlink(ownerUid: string, dependentUid: string): void {
    const owner = this.nodes.get(ownerUid);
    if (owner === undefined) return;
    owner.dependents.delete(dependentUid);
    if (!owner.observed && owner.dependents.size === 0) this.nodes.delete(ownerUid);
  }
}

function objectRef(info: ResourceInfo, object: ApiObject): ObjectRef {
  return { info, namespace: object.metadata.namespace, name: object.metadata.name!, uid: object.metadata.uid! };
}
