/**
 * What authorization judges a request by, as Kubernetes' `authorizer.Attributes`: the user,
 * the verb, and either the resource (API group, resource, subresource, namespace, name) or,
 * for everything else (`/healthz`, `/version`, discovery), the path.
 *
 * Verbs, from the HTTP method and the URL as Kubernetes maps them: GET of an object `get`,
 * of a collection `list`, either with `?watch=1` `watch`; POST `create`; PUT `update`;
 * PATCH `patch`; DELETE of an object `delete`, of a collection `deletecollection`. A
 * subresource keeps the verb (`update` of `pods/status`, `create` of `pods/binding`, `get`
 * of `pods/log`). The gRPC methods map one to one (`UpdateStatus` is `update` of `status`,
 * `Bind` is `create` of `pods/binding`).
 */
import type { ResourceInfo } from '../../api/resources.js';
import { ApiError, qualifiedResource } from '../errors.js';
import type { UserInfo } from './user-info.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface ResourceAttributes {
  readonly info: ResourceInfo;
  readonly subresource?: string;
  /** Undefined for cluster-scoped kinds and requests across every namespace. */
  readonly namespace?: string;
  /** Undefined for collections (list, watch, create, deletecollection). */
  readonly name?: string;
  /** A list's or watch's field selector (the node restriction reads `spec.nodeName` and `metadata.name` from it). */
  readonly fieldSelector?: string;
}

export interface RequestAttributes {
  readonly user: UserInfo;
  /** A resource verb, or the lower-case HTTP method for a non-resource path (`get`). */
  readonly verb: string;
  readonly resource?: ResourceAttributes;
  /** The path of a non-resource request. */
  readonly path?: string;
}

/** The verb of an HTTP request on a resource URL; undefined for a method Kubernetes serves no verb for. */
export function httpVerb(method: string, named: boolean, watch: boolean): Verb | undefined {
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watch) return 'watch';
      return named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return undefined;
  }
}

/**
 * The namespace of a request as Kubernetes' RequestInfo gives it: the URL's, and for a
 * Namespace object itself (`/api/v1/namespaces/team`, its `status` and `finalize`) its own
 * name — so that a RoleBinding in "team" can let a user read "team", and a refusal says
 * `in the namespace "team"`.
 */
export function requestNamespace(info: ResourceInfo, namespace: string | undefined, name: string | undefined): string | undefined {
  if (namespace === undefined && name !== undefined && info.group === '' && info.plural === 'namespaces') return name;
  return namespace;
}

/** `pods/log` or `pods`: how a rule and a message name the resource. */
export function resourceWithSubresource(resource: ResourceAttributes): string {
  return resource.subresource === undefined ? resource.info.plural : `${resource.info.plural}/${resource.subresource}`;
}

/**
 * 403 with Kubernetes' message: `pods "x" is forbidden: User "alice" cannot get resource
 * "pods" in API group "" in the namespace "default"` (`at the cluster scope` without a
 * namespace; `forbidden: User "u" cannot get path "/x"` for a non-resource path), and
 * `: <reason>` after it when the authorizer gave one.
 */
export function forbiddenError(attributes: RequestAttributes, reason = ''): ApiError {
  const user = attributes.user.name;
  const resource = attributes.resource;
  const suffix = reason === '' ? '' : `: ${reason}`;
  if (resource === undefined) {
    return new ApiError('Forbidden', `forbidden: User "${user}" cannot ${attributes.verb} path "${attributes.path ?? ''}"${suffix}`, {});
  }
  const scope = resource.namespace === undefined ? 'at the cluster scope' : `in the namespace "${resource.namespace}"`;
  const why = `User "${user}" cannot ${attributes.verb} resource "${resourceWithSubresource(resource)}" in API group "${resource.info.group}" ${scope}${suffix}`;
  const qualified = qualifiedResource(resource.info);
  const name = resource.name ?? '';
  const message = name === '' ? `${qualified} is forbidden: ${why}` : `${qualified} "${name}" is forbidden: ${why}`;
  return new ApiError('Forbidden', message, { name, group: resource.info.group, kind: resource.info.plural });
}
