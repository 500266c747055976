/**
 * Who a request comes from, as Kubernetes' authenticators say it: a user name, an optional
 * uid, and groups. The well-known names below are Kubernetes' own, so that RBAC objects
 * written for Kubernetes mean the same here.
 */

export interface UserInfo {
  readonly name: string;
  readonly uid?: string;
  readonly groups: readonly string[];
}

/** A request without credentials. */
export const ANONYMOUS_USER = 'system:anonymous';
export const UNAUTHENTICATED_GROUP = 'system:unauthenticated';
/** Every user that presented valid credentials. */
export const AUTHENTICATED_GROUP = 'system:authenticated';
/** Allowed everything, whatever RBAC says (Kubernetes' superuser group). */
export const MASTERS_GROUP = 'system:masters';
/** The node agents' group; each agent is the user `system:node:<node name>`. */
export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';
/** The API server's in-process clients (scheduler, controllers, deployer) authenticate as this user, in `system:masters`. */
export const LOOPBACK_USER = 'system:apiserver';

export const ANONYMOUS: UserInfo = { name: ANONYMOUS_USER, groups: [UNAUTHENTICATED_GROUP] };

/** The node a user is the agent of (`system:node:n1` in `system:nodes` → `n1`), else undefined. */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.name.startsWith(NODE_USER_PREFIX)) return undefined;
  const name = user.name.slice(NODE_USER_PREFIX.length);
  return name === '' ? undefined : name;
}

/** `user` with `system:authenticated` added (every authenticator's result gets it, as Kubernetes' does). */
export function authenticated(user: UserInfo): UserInfo {
  return user.groups.includes(AUTHENTICATED_GROUP) ? user : { ...user, groups: [...user.groups, AUTHENTICATED_GROUP] };
}
