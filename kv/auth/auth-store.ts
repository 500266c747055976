/**
 * The auth store: users, roles, their key-range permissions and whether auth is on, with
 * etcd 3.4's rules. It is replicated state: changed only by `apply` (from a Raft entry,
 * in log order, the same on every member), taken whole into the KV's snapshots, and every
 * change bumps its revision. What varies between members (a password's salt and hash, a
 * token's random prefix, the time) is decided before proposing and travels in the request.
 *
 * Rules (etcd 3.4's):
 * - While auth is off, anyone may do anything; turning it on needs the user `root` with
 *   the role `root`; while it is on, users and roles may be changed only by a user with
 *   the role `root`, who may also do everything else; the root user, its root role and
 *   the root role cannot be removed then ("invalid auth management").
 * - A user may read its own record and the roles it holds; listing needs root.
 * - A key request is allowed when the user's roles' permissions of the right type cover
 *   every key it touches (`permissions.ts`). No user given: "user name is empty"; a user
 *   that no longer exists: "permission denied".
 */
import { AuthError } from './errors.js';
import { comparePermissions, covers, sameKeys } from './permissions.js';
import type { Access, Permission } from './permissions.js';
import { ROOT_ROLE, ROOT_USER } from './constants.js';

export interface UserRecord {
  readonly name: string;
  /** `password.ts`'s hash; null for a user added with no password (it cannot authenticate by password). */
  readonly passwordHash: string | null;
  /** Sorted, no duplicates. */
  readonly roles: readonly string[];
  /** Added with `no_password`: a later password change keeps it so (etcd keeps the option). */
  readonly noPassword: boolean;
}

export interface RoleRecord {
  readonly name: string;
  /** Sorted by key, then range end; no two with the same keys. */
  readonly permissions: readonly Permission[];
}

/** A change to the auth store, as proposed through Raft (passwords already hashed). */
export type AuthRequest =
  | { readonly op: 'enable' }
  | { readonly op: 'disable' }
  /** A user proved its password on the proposing member: a token `<tokenPrefix>.<index>` is assigned when applied. */
  | { readonly op: 'authenticate'; readonly name: string; readonly tokenPrefix: string; readonly issuedAtMs: number }
  | { readonly op: 'userAdd'; readonly name: string; readonly passwordHash: string | null }
  | { readonly op: 'userDelete'; readonly name: string }
  | { readonly op: 'userChangePassword'; readonly name: string; readonly passwordHash: string }
  | { readonly op: 'userGrantRole'; readonly user: string; readonly role: string }
  | { readonly op: 'userRevokeRole'; readonly name: string; readonly role: string }
  | { readonly op: 'roleAdd'; readonly name: string }
  | { readonly op: 'roleDelete'; readonly role: string }
  | { readonly op: 'roleGrantPermission'; readonly name: string; readonly permission: Permission }
  | { readonly op: 'roleRevokePermission'; readonly role: string; readonly key: Uint8Array; readonly rangeEnd: Uint8Array };

/** What applying a request did beside changing the store: a token assigned, a user's tokens void. */
export type AuthEffect =
  | { readonly kind: 'none' }
  | { readonly kind: 'tokenAssigned'; readonly token: string; readonly user: string; readonly issuedAtMs: number }
  | { readonly kind: 'userTokensVoid'; readonly user: string }
  | { readonly kind: 'allTokensVoid' };

/** The store in a snapshot (plain data; msgpack keeps bytes as bytes). */
export interface AuthSnapshot {
  readonly enabled: boolean;
  readonly revision: number;
  readonly users: readonly UserRecord[];
  readonly roles: readonly RoleRecord[];
}

const NONE: AuthEffect = { kind: 'none' };

export class AuthStore {
  private enabled = false;
  /** Bumped by every change (etcd's auth revision). */
  private authRevision = 0;
  private users = new Map<string, UserRecord>();
  private roles = new Map<string, RoleRecord>();

  get isEnabled(): boolean {
    return this.enabled;
  }

  get revision(): number {
    return this.authRevision;
  }

  /**
   * Applies `request` made by `requester` (null: no user given); `index` is its Raft
   * entry's. Throws `AuthError` when etcd refuses it, having changed nothing.
   */
  apply(request: AuthRequest, requester: string | null, index: number): AuthEffect {
    if (request.op === 'authenticate') return this.authenticate(request, index);
    this.checkAdmin(requester);
    switch (request.op) {
      case 'enable':
        return this.enable();
      case 'disable':
        if (!this.enabled) return NONE;
        this.enabled = false;
        this.bump();
        return { kind: 'allTokensVoid' };
      case 'userAdd':
        if (request.name === '') throw new AuthError('USER_EMPTY');
        if (this.users.has(request.name)) throw new AuthError('USER_ALREADY_EXISTS');
        this.users.set(request.name, { name: request.name, passwordHash: request.passwordHash, roles: [], noPassword: request.passwordHash === null });
        return this.bump();
      case 'userDelete': {
        if (this.enabled && request.name === ROOT_USER) throw new AuthError('INVALID_AUTH_MANAGEMENT');
        this.user(request.name);
        this.users.delete(request.name);
        this.bump();
        return { kind: 'userTokensVoid', user: request.name };
      }
      case 'userChangePassword': {
        const user = this.user(request.name);
        this.users.set(user.name, { ...user, passwordHash: request.passwordHash });
        this.bump();
        return { kind: 'userTokensVoid', user: user.name };
      }
      case 'userGrantRole': {
        const user = this.user(request.user);
        // The root role need not exist to be granted (etcd's exception).
        if (request.role !== ROOT_ROLE && !this.roles.has(request.role)) throw new AuthError('ROLE_NOT_FOUND');
        if (user.roles.includes(request.role)) return NONE;
        this.users.set(user.name, { ...user, roles: [...user.roles, request.role].sort() });
        return this.bump();
      }
      case 'userRevokeRole': {
        if (this.enabled && request.name === ROOT_USER && request.role === ROOT_ROLE) throw new AuthError('INVALID_AUTH_MANAGEMENT');
        const user = this.user(request.name);
        if (!user.roles.includes(request.role)) throw new AuthError('ROLE_NOT_GRANTED');
        this.users.set(user.name, { ...user, roles: user.roles.filter((r) => r !== request.role) });
        return this.bump();
      }
      case 'roleAdd':
        if (request.name === '') throw new AuthError('ROLE_EMPTY');
        if (this.roles.has(request.name)) throw new AuthError('ROLE_ALREADY_EXISTS');
        this.roles.set(request.name, { name: request.name, permissions: [] });
        return this.bump();
      case 'roleDelete': {
        if (this.enabled && request.role === ROOT_ROLE) throw new AuthError('INVALID_AUTH_MANAGEMENT');
        this.role(request.role);
        this.roles.delete(request.role);
        // Its holders lose it (etcd 3.4 revokes it from every user).
        for (const user of this.users.values()) {
          if (user.roles.includes(request.role)) this.users.set(user.name, { ...user, roles: user.roles.filter((r) => r !== request.role) });
        }
        return this.bump();
      }
      case 'roleGrantPermission': {
        const role = this.role(request.name);
        const others = role.permissions.filter((p) => !sameKeys(p, request.permission));
        this.roles.set(role.name, { ...role, permissions: [...others, request.permission].sort(comparePermissions) });
        return this.bump();
      }
      case 'roleRevokePermission': {
        const role = this.role(request.role);
        const kept = role.permissions.filter((p) => !sameKeys(p, request));
        if (kept.length === role.permissions.length) throw new AuthError('PERMISSION_NOT_GRANTED');
        this.roles.set(role.name, { ...role, permissions: kept });
        return this.bump();
      }
      default: {
        const unknown: never = request;
        throw new Error(`unknown auth request ${JSON.stringify(unknown)}`);
      }
    }
  }

  // ---- Checks, at request time or when applying ----

  /** Refuses (etcd's errors) unless auth is off or `user` holds the root role. */
  checkAdmin(user: string | null): void {
    if (!this.enabled) return;
    if (user === null) throw new AuthError('USER_EMPTY');
    const record = this.users.get(user);
    if (record === undefined) throw new AuthError('USER_NOT_FOUND');
    if (!record.roles.includes(ROOT_ROLE)) throw new AuthError('PERMISSION_DENIED');
  }

  /** Refuses unless auth is off or `user` may `access` every key of `[key, rangeEnd)` (range-request encoding). */
  checkAccess(user: string | null, access: Access, key: Uint8Array, rangeEnd: Uint8Array): void {
    if (!this.enabled) return;
    if (user === null) throw new AuthError('USER_EMPTY');
    const record = this.users.get(user);
    if (record === undefined) throw new AuthError('PERMISSION_DENIED');
    if (record.roles.includes(ROOT_ROLE)) return;
    const permissions = record.roles.flatMap((name) => this.roles.get(name)?.permissions ?? []);
    if (!covers(permissions, access, key, rangeEnd)) throw new AuthError('PERMISSION_DENIED');
  }

  /** The record a password is checked against; refuses as `Authenticate` does when there is none. */
  credentialsOf(name: string): { readonly passwordHash: string } {
    if (!this.enabled) throw new AuthError('AUTH_NOT_ENABLED');
    const user = this.users.get(name);
    if (user === undefined) throw new AuthError('AUTH_FAILED');
    if (user.noPassword || user.passwordHash === null) throw new AuthError('NO_PASSWORD_USER');
    return { passwordHash: user.passwordHash };
  }

  // ---- Reads (UserGet, RoleGet, lists): the requester's rights are checked here ----

  /** A user's roles: for root, or for the user itself. */
  userGet(name: string, requester: string | null): UserRecord {
    if (requester !== name) this.checkAdmin(requester);
    return this.user(name);
  }

  /** A role's permissions: for root, or for a holder of the role. */
  roleGet(name: string, requester: string | null): RoleRecord {
    const holds = requester !== null && (this.users.get(requester)?.roles.includes(name) ?? false);
    if (!holds) this.checkAdmin(requester);
    return this.role(name);
  }

  userNames(requester: string | null): string[] {
    this.checkAdmin(requester);
    return [...this.users.keys()].sort();
  }

  roleNames(requester: string | null): string[] {
    this.checkAdmin(requester);
    return [...this.roles.keys()].sort();
  }

  // ---- Snapshots ----

  snapshot(): AuthSnapshot {
    const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    return { enabled: this.enabled, revision: this.authRevision, users: [...this.users.values()].sort(byName), roles: [...this.roles.values()].sort(byName) };
  }

  restore(snapshot: AuthSnapshot | undefined): void {
    this.enabled = snapshot?.enabled ?? false;
    this.authRevision = snapshot?.revision ?? 0;
    this.users = new Map((snapshot?.users ?? []).map((u) => [u.name, u]));
    this.roles = new Map((snapshot?.roles ?? []).map((r) => [r.name, r]));
  }

  // ---- Plumbing ----

  private enable(): AuthEffect {
    if (this.enabled) return NONE;
    const root = this.users.get(ROOT_USER);
    if (root === undefined) throw new AuthError('ROOT_USER_NOT_EXIST');
    if (!root.roles.includes(ROOT_ROLE)) throw new AuthError('ROOT_ROLE_NOT_EXIST');
    this.enabled = true;
    return this.bump();
  }

  private authenticate(request: Extract<AuthRequest, { op: 'authenticate' }>, index: number): AuthEffect {
    if (!this.enabled) throw new AuthError('AUTH_NOT_ENABLED');
    // Deleted between the password check and now.
    if (!this.users.has(request.name)) throw new AuthError('AUTH_FAILED');
    return { kind: 'tokenAssigned', token: `${request.tokenPrefix}.${index}`, user: request.name, issuedAtMs: request.issuedAtMs };
  }

  private user(name: string): UserRecord {
    const user = this.users.get(name);
    if (user === undefined) throw new AuthError('USER_NOT_FOUND');
    return user;
  }

  private role(name: string): RoleRecord {
    const role = this.roles.get(name);
    if (role === undefined) throw new AuthError('ROLE_NOT_FOUND');
    return role;
  }

  private bump(): AuthEffect {
    this.authRevision++;
    return NONE;
  }
}
