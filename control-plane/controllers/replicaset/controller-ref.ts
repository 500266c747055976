/**
 * Controller references, and claiming objects the way Kubernetes' `ControllerRefManager`
 * does: a controller owns the objects whose controller reference (the owner reference with
 * `controller: true`) points at it, and keeps that set equal to what its selector matches:
 *
 * - an orphan (no controller) that matches is **adopted**: the controller's reference is
 *   added, unless the object or the controller is being deleted;
 * - an owned object that no longer matches is **released**: the reference is removed, so
 *   that another controller may adopt it;
 * - an object another controller owns is left alone, whatever its labels.
 *
 * Adopting and releasing are merge patches of `metadata.ownerReferences` that carry the
 * object's `uid` and `resourceVersion`, so that a concurrent change answers 409 and the next
 * sync decides again on fresh data instead of overwriting it. Used by the ReplicaSet
 * controller for pods and by the Deployment controller for ReplicaSets.
 */
import type { ResourceInfo } from '../../api/resources.js';
import type { LabelSelector } from '../../api/selectors.js';
import { matchesLabels } from '../../api/selectors.js';
import type { ApiObject, OwnerReference } from '../../api/types.js';
import { ApiError } from '../../apiserver/errors.js';
import type { GrpcApiClient } from '../../client/grpc-api-client.js';

/** The owner reference that marks the object's controller, if any. */
export function controllerRefOf(object: ApiObject): OwnerReference | undefined {
  return object.metadata.ownerReferences?.find((reference) => reference.controller === true);
}

/** A controller reference to `owner`, as Kubernetes' controllers set it. */
export function newControllerRef(owner: ApiObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    // The garbage collector's foreground deletion of the owner waits for this object.
    blockOwnerDeletion: true,
  };
}

/** Whether `object`'s controller is the object of this kind and uid. */
export function isControlledBy(object: ApiObject, owner: ApiObject): boolean {
  const reference = controllerRefOf(object);
  return reference !== undefined && reference.uid === owner.metadata.uid;
}

export interface ClaimContext {
  readonly client: GrpcApiClient;
  /** The kind of the objects claimed (`pods`, `replicasets`). */
  readonly info: ResourceInfo;
  readonly owner: ApiObject;
  /** The owner's selector, parsed. */
  readonly selector: LabelSelector;
  /**
   * Checks with a fresh read that the owner may adopt: it still exists with the same uid and
   * is not being deleted (its cached copy may be stale). Throws when not. Called at most once
   * per claim, before the first adoption.
   */
  readonly canAdopt: () => Promise<void>;
  /** Told of each adoption and release. */
  readonly log?: (line: string) => void;
}

/**
 * The candidates the owner controls once adoptions and releases are done (each as last
 * known: patched objects as the server returned them). `candidates` are objects of the
 * owner's namespace. Throws the first failure after trying every candidate, so that one
 * stubborn object does not keep the others from being claimed.
 */
export async function claimObjects<T extends ApiObject>(context: ClaimContext, candidates: readonly T[]): Promise<T[]> {
  const { owner, selector } = context;
  const ownerDeleting = owner.metadata.deletionTimestamp !== undefined;
  const claimed: T[] = [];
  const errors: unknown[] = [];
  let adoptable: Promise<void> | undefined;
  for (const object of candidates) {
    const reference = controllerRefOf(object);
    const matches = matchesLabels(selector, object.metadata.labels);
    try {
      if (reference !== undefined) {
        if (reference.uid !== owner.metadata.uid) continue;
        if (matches) claimed.push(object);
        // A controller being deleted keeps its objects: the garbage collector deals with them.
        else if (!ownerDeleting) await release(context, object);
        continue;
      }
      if (!matches || ownerDeleting || object.metadata.deletionTimestamp !== undefined) continue;
      if (object.metadata.namespace !== owner.metadata.namespace) continue;
      adoptable ??= context.canAdopt();
      await adoptable;
      const adopted = await adopt(context, object);
      if (adopted !== undefined) claimed.push(adopted);
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
  return claimed;
}

async function adopt<T extends ApiObject>(context: ClaimContext, object: T): Promise<T | undefined> {
  const others = (object.metadata.ownerReferences ?? []).filter((reference) => reference.uid !== context.owner.metadata.uid);
  const patch = {
    metadata: {
      ownerReferences: [...others, newControllerRef(context.owner)],
      uid: object.metadata.uid,
      resourceVersion: object.metadata.resourceVersion,
    },
  };
  try {
    const adopted = (await context.client.patch(context.info, object.metadata.namespace, object.metadata.name!, patch)) as T;
    context.log?.(`${context.owner.kind} ${describe(context.owner)} adopted ${context.info.singular} ${describe(object)}`);
    return adopted;
  } catch (error) {
    if (error instanceof ApiError && error.reason === 'NotFound') return undefined;
    throw error;
  }
}

async function release(context: ClaimContext, object: ApiObject): Promise<void> {
  const rest = (object.metadata.ownerReferences ?? []).filter((reference) => reference.uid !== context.owner.metadata.uid);
  const patch = {
    metadata: {
      ownerReferences: rest.length === 0 ? null : rest,
      uid: object.metadata.uid,
      resourceVersion: object.metadata.resourceVersion,
    },
  };
  try {
    await context.client.patch(context.info, object.metadata.namespace, object.metadata.name!, patch);
    context.log?.(`${context.owner.kind} ${describe(context.owner)} released ${context.info.singular} ${describe(object)}`);
  } catch (error) {
    if (error instanceof ApiError && error.reason === 'NotFound') return;
    throw error;
  }
}

function describe(object: ApiObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
}
