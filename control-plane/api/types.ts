/**
 * The object model the API server stores and serves, in Kubernetes' shape: every object
 * has `apiVersion`, `kind`, `metadata`, and (most kinds) `spec` and `status`. The server
 * owns `uid`, `resourceVersion`, `generation`, `creationTimestamp` and
 * `deletionTimestamp`; clients own the rest of `metadata` and `spec`, and the component
 * that observes an object (node agent, controller) owns its `status`.
 *
 * Kind-specific fields are typed loosely here (`Record<string, unknown>`): the API server
 * checks them with the kind's validation (`validation.ts`), and the components that use a
 * kind declare the fields they read.
 */

/** Points from an object to the object that owns it (the garbage collector follows these). */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  /** A prefix the server completes with 5 random characters when `name` is empty. */
  generateName?: string;
  namespace?: string;
  /** Set by the server at create (nanoid); never changes. */
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** The KV mod revision of the stored object, as a decimal string. Opaque to clients. */
  resourceVersion?: string;
  /** Bumped by the server on every change to `spec` (not `status`, not `metadata`). */
  generation?: number;
  /** RFC 3339, second precision, UTC (`2026-12-02T01:47:50Z`). */
  creationTimestamp?: string;
  /** Set when deletion was asked and the object waits for finalizers (or a grace period). */
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

/** Any stored object. */
export interface ApiObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  /** Kinds without spec/status keep their content at the top level (ConfigMap `data`, Secret `data`, Event fields, Endpoints `subsets`). */
  [field: string]: unknown;
}

export interface ListMeta {
  /** The KV revision the list was read at: a watch from it sees every later change. */
  resourceVersion?: string;
  /** Opaque token for the next page (`?continue=`), present when more items remain. */
  continue?: string;
  /** Items left after this page, when known. */
  remainingItemCount?: number;
}

export interface ApiList<T extends ApiObject = ApiObject> {
  apiVersion: string;
  /** `<Kind>List`. */
  kind: string;
  metadata: ListMeta;
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One line of a watch stream. An `ERROR` event carries a `Status` as its object. */
export interface WatchEvent<T extends ApiObject = ApiObject> {
  type: WatchEventType;
  object: T | Status;
}

/** A field-level cause of a failure (`details.causes[]` of a Status). */
export interface StatusCause {
  /** `FieldValueRequired`, `FieldValueInvalid`, `FieldValueDuplicate`, `FieldValueNotSupported`, `FieldValueForbidden`, `FieldValueTooLong`, … */
  reason: string;
  message: string;
  /** JSON path of the field (`spec.containers[0].image`). */
  field: string;
}

/** Kubernetes' `Status`: the body of every error answer. */
export interface Status {
  apiVersion: 'v1';
  kind: 'Status';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message: string;
  /** `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, `Gone`, `BadRequest`, `MethodNotAllowed`, `Expired`, `InternalError`, `Timeout`, … */
  reason: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: StatusCause[];
    retryAfterSeconds?: number;
  };
  /** The HTTP status code. */
  code: number;
}
