/**
 * etcd's Auth service (etcd 3.4: no AuthStatus, which its etcdctl does not call). Changes
 * go through Raft as `auth` commands carrying who asked, and the state machine applies
 * etcd's rules there (`kv/auth/auth-store.ts`); passwords are hashed here, on the member
 * that received them, before proposing. Reads (UserGet, UserList, RoleGet, RoleList) are
 * served from this member's state after a linearizable read barrier, checked against the
 * caller's rights as etcd checks them.
 *
 * Authenticate checks the password against this member's replica (after a read barrier),
 * then proposes the token's assignment so that every member knows it (etcd 3.4 does the
 * same); a cost of a Raft round trip per login, as in etcd.
 */
import type * as grpc from '@grpc/grpc-js';
import { AuthError, hashPassword, newTokenPrefix, verifyPassword } from '../../auth/index.js';
import type { AuthRequest, Permission } from '../../auth/index.js';
import type { Requester } from '../commands.js';
import type { WireObject } from '../etcd-proto.js';
import type { KvServerContext } from '../server-context.js';
import { requesterOf, unary } from './handlers.js';
import type { UnaryCall } from './handlers.js';

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const bytes = (value: unknown): Uint8Array => (value instanceof Uint8Array ? new Uint8Array(value) : new Uint8Array(0));

export function authService(context: KvServerContext): grpc.UntypedServiceImplementation {
  /** Proposes the auth change `build` makes of the request, for its caller; answers a bare header. */
  const change = (build: (r: WireObject, requester: Requester) => AuthRequest | Promise<AuthRequest>) =>
    unary(context, async (r: WireObject, call: UnaryCall) => {
      const requester = requesterOf(context, call.metadata);
      const request = await build(r, requester);
      const result = await context.propose({ kind: 'auth', request, requester });
      return { header: context.header(result.kind === 'auth' ? result.revision : undefined) };
    });
  /** A read of the auth store by the caller, after a read barrier. */
  const read = (answer: (r: WireObject, requester: Requester) => WireObject) =>
    unary(context, async (r: WireObject, call: UnaryCall) => {
      const requester = requesterOf(context, call.metadata);
      await context.linearizable();
      return { header: context.header(), ...answer(r, requester) };
    });
  /** Refuses before the costly hashing a caller the state machine would refuse anyway. */
  const hashFor = (requester: Requester, password: string): Promise<string> => {
    context.machine.auth.checkAdmin(requester.user);
    return hashPassword(password);
  };

  return {
    AuthEnable: change(() => ({ op: 'enable' })),
    AuthDisable: change(() => ({ op: 'disable' })),
    Authenticate: unary(context, (r) => authenticate(context, text(r.name), text(r.password))),
    UserAdd: change(async (r, requester) => {
      const name = text(r.name);
      if (name === '') throw new AuthError('USER_EMPTY');
      const noPassword = (r.options as WireObject | null | undefined)?.noPassword === true;
      return { op: 'userAdd', name, passwordHash: noPassword ? null : await hashFor(requester, text(r.password)) };
    }),
    UserDelete: change((r) => ({ op: 'userDelete', name: text(r.name) })),
    UserChangePassword: change(async (r, requester) => ({ op: 'userChangePassword', name: text(r.name), passwordHash: await hashFor(requester, text(r.password)) })),
    UserGrantRole: change((r) => ({ op: 'userGrantRole', user: text(r.user), role: text(r.role) })),
    UserRevokeRole: change((r) => ({ op: 'userRevokeRole', name: text(r.name), role: text(r.role) })),
    RoleAdd: change((r) => ({ op: 'roleAdd', name: text(r.name) })),
    RoleDelete: change((r) => ({ op: 'roleDelete', role: text(r.role) })),
    RoleGrantPermission: change((r) => ({ op: 'roleGrantPermission', name: text(r.name), permission: permissionOf(r.perm) })),
    RoleRevokePermission: change((r) => ({ op: 'roleRevokePermission', role: text(r.role), key: bytes(r.key), rangeEnd: bytes(r.rangeEnd) })),
    UserGet: read((r, requester) => ({ roles: [...context.machine.auth.userGet(text(r.name), requester.user).roles] })),
    UserList: read((_r, requester) => ({ users: context.machine.auth.userNames(requester.user) })),
    RoleGet: read((r, requester) => {
      const role = context.machine.auth.roleGet(text(r.role), requester.user);
      return { perm: role.permissions.map((p) => ({ permType: p.permType, key: p.key, rangeEnd: p.rangeEnd })) };
    }),
    RoleList: read((_r, requester) => ({ roles: context.machine.auth.roleNames(requester.user) })),
  };
}

/** A hash no password matches, checked for an unknown user so that the answer takes as long as for a known one. */
let decoyHash: Promise<string> | undefined;

async function authenticate(context: KvServerContext, name: string, password: string): Promise<WireObject> {
  await context.linearizable();
  let passwordHash: string;
  try {
    ({ passwordHash } = context.machine.auth.credentialsOf(name));
  } catch (error) {
    if (error instanceof AuthError && error.code === 'AUTH_FAILED') {
      decoyHash ??= hashPassword(newTokenPrefix());
      await verifyPassword(password, await decoyHash);
    }
    throw error;
  }
  if (!(await verifyPassword(password, passwordHash))) throw new AuthError('AUTH_FAILED');
  const request: AuthRequest = { op: 'authenticate', name, tokenPrefix: newTokenPrefix(), issuedAtMs: Date.now() };
  const result = await context.propose({ kind: 'auth', request, requester: { user: null } });
  if (result.kind !== 'auth' || result.token === null) throw new Error(`an authenticate answered ${result.kind}`);
  return { header: context.header(result.revision), token: result.token };
}

/** An `authpb.Permission` from the wire (its bytes copied: they may share the request's buffer). */
function permissionOf(value: unknown): Permission {
  const perm = (value ?? {}) as WireObject;
  const type = perm.permType;
  const permType = type === 'READ' || type === 'WRITE' || type === 'READWRITE' || typeof type === 'number' ? type : 'READ';
  return { permType, key: bytes(perm.key), rangeEnd: bytes(perm.rangeEnd) };
}
