/**
 * The auth store's rules, in process: which key ranges a role's permissions cover (a
 * prefix, "from key", a union of neighbours, not across a gap), etcd's refusals when auth
 * is on, password hashes that never hold the password, tokens that expire unused, and the
 * KV state machine checking a client's writes when it applies them and carrying the auth
 * store through a snapshot.
 */
import { AuthStore, covers, hashPassword, TokenStore, verifyPassword } from '../../../kv/auth/index.js';
import type { AuthRequest, Permission } from '../../../kv/auth/index.js';
import { encodeCommand } from '../../../kv/server/commands.js';
import type { KvCommand } from '../../../kv/server/commands.js';
import { KvStateMachine } from '../../../kv/server/kv-state-machine.js';

const B = (text: string) => Buffer.from(text, 'latin1');
const perm = (permType: Permission['permType'], key: string, rangeEnd = ''): Permission => ({ permType, key: B(key), rangeEnd: B(rangeEnd) });
const prefixEnd = (prefix: string) => B(prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1));

describe('key-range permissions', () => {
  const prefix = { permType: 'READ', key: B('/ro/'), rangeEnd: prefixEnd('/ro/') } as const;

  test('a prefix covers its keys and its sub-ranges, nothing outside', () => {
    expect(covers([prefix], 'read', B('/ro/a'), B(''))).toBe(true);
    expect(covers([prefix], 'read', B('/ro/'), prefixEnd('/ro/'))).toBe(true);
    expect(covers([prefix], 'read', B('/ro/a'), B('/ro/b'))).toBe(true);
    expect(covers([prefix], 'read', B('/'), prefixEnd('/'))).toBe(false);
    expect(covers([prefix], 'read', B('/other'), B(''))).toBe(false);
    expect(covers([prefix], 'write', B('/ro/a'), B(''))).toBe(false);
  });

  test('"from key" covers everything after its key, READWRITE both ways', () => {
    const fromKey = perm('READWRITE', '/z', '\0');
    expect(covers([fromKey], 'write', B('/zz'), B(''))).toBe(true);
    expect(covers([fromKey], 'read', B('/z'), B('\0'))).toBe(true);
    expect(covers([fromKey], 'read', B('/y'), B('\0'))).toBe(false);
  });

  test('neighbouring permissions cover a range together; a gap between them does not', () => {
    const touching = [perm('WRITE', 'a', 'c'), perm('WRITE', 'c', 'e')];
    expect(covers(touching, 'write', B('b'), B('d'))).toBe(true);
    const gap = [perm('WRITE', 'a', 'c'), perm('WRITE', 'd', 'e')];
    expect(covers(gap, 'write', B('b'), B('d'))).toBe(false);
    // A single-key permission is the key alone.
    expect(covers([perm('WRITE', 'k1')], 'write', B('k1'), B(''))).toBe(true);
    expect(covers([perm('WRITE', 'k1')], 'write', B('k1'), B('k2'))).toBe(false);
  });
});

describe('the auth store', () => {
  let index = 0;
  const apply = (store: AuthStore, request: AuthRequest, requester: string | null = null) => store.apply(request, requester, ++index);
  const refusal = (run: () => unknown): string => {
    try {
      run();
    } catch (error) {
      return `${(error as { grpcCode: number }).grpcCode} ${(error as Error).message}`;
    }
    return 'OK';
  };

  test("turning auth on needs root with the root role; then only root manages, and root can't be removed", () => {
    const store = new AuthStore();
    expect(refusal(() => apply(store, { op: 'enable' }))).toBe('9 etcdserver: root user does not exist');
    apply(store, { op: 'userAdd', name: 'root', passwordHash: 'h' });
    expect(refusal(() => apply(store, { op: 'enable' }))).toBe('9 etcdserver: root user does not have root role');
    apply(store, { op: 'userGrantRole', user: 'root', role: 'root' });
    const before = store.revision;
    apply(store, { op: 'enable' });
    expect(store.revision).toBe(before + 1);
    apply(store, { op: 'userAdd', name: 'alice', passwordHash: 'h' }, 'root');
    expect(refusal(() => apply(store, { op: 'roleAdd', name: 'r' }))).toBe('3 etcdserver: user name is empty');
    expect(refusal(() => apply(store, { op: 'roleAdd', name: 'r' }, 'alice'))).toBe('7 etcdserver: permission denied');
    expect(refusal(() => apply(store, { op: 'userDelete', name: 'root' }, 'root'))).toBe('3 etcdserver: invalid auth management');
    expect(refusal(() => apply(store, { op: 'userRevokeRole', name: 'root', role: 'root' }, 'root'))).toBe('3 etcdserver: invalid auth management');
    expect(refusal(() => apply(store, { op: 'userAdd', name: 'alice', passwordHash: 'h' }, 'root'))).toBe('9 etcdserver: user name already exists');
    expect(refusal(() => apply(store, { op: 'userGrantRole', user: 'alice', role: 'nope' }, 'root'))).toBe('9 etcdserver: role name not found');
    // A refused change changed nothing.
    expect(store.userNames('root')).toEqual(['alice', 'root']);
  });

  test('a user may read its own record and its roles, not the lists', () => {
    const store = new AuthStore();
    apply(store, { op: 'userAdd', name: 'root', passwordHash: 'h' });
    apply(store, { op: 'userGrantRole', user: 'root', role: 'root' });
    apply(store, { op: 'userAdd', name: 'alice', passwordHash: 'h' });
    apply(store, { op: 'roleAdd', name: 'r' });
    apply(store, { op: 'userGrantRole', user: 'alice', role: 'r' });
    apply(store, { op: 'enable' });
    expect(store.userGet('alice', 'alice').roles).toEqual(['r']);
    expect(store.roleGet('r', 'alice').name).toBe('r');
    expect(refusal(() => store.roleGet('root', 'alice'))).toBe('7 etcdserver: permission denied');
    expect(refusal(() => store.userNames('alice'))).toBe('7 etcdserver: permission denied');
  });
});

test('a password hash holds neither the password nor anything that matches another', async () => {
  const hash = await hashPassword('s3cret-pw');
  expect(hash).not.toContain('s3cret-pw');
  expect(await hashPassword('s3cret-pw')).not.toBe(hash);
  expect(await verifyPassword('s3cret-pw', hash)).toBe(true);
  expect(await verifyPassword('s3cret-px', hash)).toBe(false);
});

test('a token lives while it is used, and is forgotten a TTL after its last use', () => {
  let now = 1_000;
  const tokens = new TokenStore({ now: () => now, ttlMs: 300_000 });
  tokens.assign('abc.5', 'alice', now);
  now += 200_000;
  expect(tokens.lookup('abc.5')).toBe('alice');
  now += 200_000;
  expect(tokens.lookup('abc.5')).toBe('alice');
  now += 300_000;
  expect(tokens.lookup('abc.5')).toBeNull();
  // A token replayed from the log after its TTL ran out is not assigned again.
  tokens.assign('old.1', 'alice', now - 400_000);
  expect(tokens.lookup('old.1')).toBeNull();
});

describe('the KV state machine with auth on', () => {
  let index = 0;
  const entries = (...commands: KvCommand[]) => commands.map((c) => ({ index: ++index, term: 1, data: encodeCommand(c) }));
  const root = { user: 'root' };
  const alice = { user: 'alice' };
  const setUp = (): KvStateMachine => {
    const machine = new KvStateMachine({ now: () => 0, minLeaseTtlSeconds: 2 });
    const auth = (request: AuthRequest): KvCommand => ({ kind: 'auth', request, requester: root });
    const results = machine.apply(
      entries(
        auth({ op: 'userAdd', name: 'root', passwordHash: 'h' }),
        auth({ op: 'userGrantRole', user: 'root', role: 'root' }),
        auth({ op: 'userAdd', name: 'alice', passwordHash: 'h' }),
        auth({ op: 'roleAdd', name: 'ro' }),
        auth({ op: 'roleGrantPermission', name: 'ro', permission: { permType: 'READ', key: B('/ro/'), rangeEnd: prefixEnd('/ro/') } }),
        auth({ op: 'roleGrantPermission', name: 'ro', permission: perm('WRITE', '/w') }),
        auth({ op: 'userGrantRole', user: 'alice', role: 'ro' }),
        auth({ op: 'enable' }),
        { kind: 'put', request: { key: B('/ro/a'), value: B('1') }, requester: root },
      ),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    return machine;
  };

  test("a client's writes are checked when applied: refused ones change nothing; the member's own are not checked", () => {
    const machine = setUp();
    const revision = machine.store.revision;
    const [denied, noUser, txnDenied, allowed, memberOwn] = machine.apply(
      entries(
        { kind: 'put', request: { key: B('/ro/a'), value: B('2') }, requester: alice },
        { kind: 'put', request: { key: B('/w'), value: B('2') }, requester: { user: null } },
        {
          kind: 'txn',
          // Writable, but the compare reads outside the user's range.
          request: { compare: [{ target: 'version', range: { key: B('/other'), end: B('') }, result: 'equal', version: 0 }], success: [{ op: 'put', key: B('/w'), value: B('t') }], failure: [] },
          requester: alice,
        },
        { kind: 'put', request: { key: B('/w'), value: B('ok') }, requester: alice },
        { kind: 'put', request: { key: B('/anything'), value: B('m') } },
      ),
    );
    expect(denied).toEqual({ ok: false, failure: { grpcCode: 7, message: 'etcdserver: permission denied' }, revision });
    expect(noUser).toMatchObject({ ok: false, failure: { grpcCode: 3, message: 'etcdserver: user name is empty' } });
    expect(txnDenied).toMatchObject({ ok: false, failure: { grpcCode: 7, message: 'etcdserver: permission denied' } });
    expect(allowed).toMatchObject({ ok: true, kind: 'put' });
    expect(memberOwn).toMatchObject({ ok: true, kind: 'put' });
    expect(machine.store.revision).toBe(revision + 2);
  });

  test('a snapshot carries users, roles, permissions and the enabled state', async () => {
    const machine = setUp();
    const copy = new KvStateMachine({ now: () => 0, minLeaseTtlSeconds: 2 });
    copy.restore(await machine.snapshot());
    expect(copy.auth.isEnabled).toBe(true);
    expect(copy.auth.revision).toBe(machine.auth.revision);
    expect(copy.auth.userGet('alice', 'root').roles).toEqual(['ro']);
    expect(() => copy.auth.checkAccess('alice', 'read', B('/ro/a'), B(''))).not.toThrow();
    expect(() => copy.auth.checkAccess('alice', 'write', B('/ro/a'), B(''))).toThrow('etcdserver: permission denied');
  });

  test('an authenticate entry assigns its token on the member that applies it', () => {
    const machine = setUp();
    const [result] = machine.apply(entries({ kind: 'auth', request: { op: 'authenticate', name: 'alice', tokenPrefix: 'abcdef', issuedAtMs: 0 }, requester: { user: null } }));
    expect(result).toMatchObject({ ok: true, kind: 'auth', token: `abcdef.${index}` });
    expect(machine.tokens.lookup(`abcdef.${index}`)).toBe('alice');
    // A new password voids the user's tokens.
    machine.apply(entries({ kind: 'auth', request: { op: 'userChangePassword', name: 'alice', passwordHash: 'h2' }, requester: root }));
    expect(machine.tokens.lookup(`abcdef.${index - 1}`)).toBeNull();
  });
});
