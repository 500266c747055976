/**
 * Secrets encrypted at rest, over a real Balsa KV with API servers in-process: what the KV
 * holds (etcd's client reads it raw) is Kubernetes' aesgcm format and never the plaintext;
 * every read path (get, list, watch from the cache and from the KV, HTTP and gRPC, an
 * update's retry after a concurrent write) gives the plaintext back; key rotation (a new
 * key first, rewrite, drop the old key) keeps everything readable; a value under a key the
 * server lacks is a 500 naming that key and nothing secret; a server without a key file
 * stores plaintext as before.
 */
import { jest } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdClient } from '../../../kv/client/etcd-client.js';
import { resourceByName } from '../../../control-plane/api/resources.js';
import type { ApiObject } from '../../../control-plane/api/types.js';
import { ApiServer } from '../../../control-plane/apiserver/api-server.js';
import type { ApiServerOptions } from '../../../control-plane/apiserver/api-server.js';
import { ApiError } from '../../../control-plane/apiserver/errors.js';
import { AESGCM_NONCE_BYTES, AESGCM_PREFIX, AESGCM_TAG_BYTES, EncryptionConfigError, SecretEncryption } from '../../../control-plane/apiserver/secret-encryption.js';
import { encodeObject } from '../../../control-plane/apiserver/stored-objects.js';
import { tableHeader, tableRows } from '../../../control-plane/api/table-columns.js';
import { apiServerCommand } from '../../../control-plane/cli/server-command.js';
import { GrpcApiClient } from '../../../control-plane/client/grpc-api-client.js';
import type { WatchEvent } from '../../../control-plane/api/types.js';
import { apiCall, HttpWatch } from '../../support/api-http.js';
import { eventually } from '../../support/eventually.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

const SECRETS = resourceByName('secrets')!;
const KEY1 = { name: 'key1', secret: Buffer.alloc(32, 1).toString('base64') };
const KEY2 = { name: 'key2', secret: Buffer.alloc(32, 2).toString('base64') };
/** What each test stores: it and its base64 must never appear in the KV. */
const PLAINTEXT = 'hunter2-correct-horse-battery';
const PLAINTEXT_BASE64 = Buffer.from(PLAINTEXT).toString('base64');

let dir: string;
let cluster: KvCluster;
let kv: EtcdClient;
const servers: ApiServer[] = [];
const clients: GrpcApiClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'balsa-secret-encryption-'));
  cluster = await startKvCluster({ members: 1, dir });
  kv = new EtcdClient(cluster.clientEndpoints);
});

afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all(servers.map((server) => server.stop()));
  kv?.close();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Each test stores under a KV prefix of its own, so that no test reads another's values (some are unreadable on purpose). */
let prefix = '/registry';
let testCount = 0;
beforeEach(() => {
  prefix = `/enc${++testCount}`;
});

let fileCount = 0;
/** Writes a key file (JSON, or YAML when asked) and loads it as the server would. */
async function keyFile(config: unknown, yaml?: string): Promise<SecretEncryption> {
  const path = join(dir, `keys-${++fileCount}.${yaml === undefined ? 'json' : 'yaml'}`);
  await writeFile(path, yaml ?? JSON.stringify(config));
  return SecretEncryption.fromFile(path);
}

/** An API server over the shared KV, ready, with its HTTP base URL and a gRPC client. */
async function startApi(options: Partial<ApiServerOptions> = {}): Promise<{ api: ApiServer; base: string; grpc: GrpcApiClient }> {
  const api = await ApiServer.start({ kvEndpoints: cluster.clientEndpoints, httpPort: 0, grpcPort: 0, prefix, ...options });
  servers.push(api);
  const base = api.http.url;
  await eventually(async () => expect((await apiCall(base, 'GET', '/readyz')).status).toBe(200));
  const grpc = new GrpcApiClient(api.grpc.address);
  clients.push(grpc);
  return { api, base, grpc };
}

let namespaceCount = 0;
async function freshNamespace(base: string): Promise<string> {
  const name = `enc${++namespaceCount}`;
  expect((await apiCall(base, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } })).status).toBe(201);
  return name;
}

function secret(name: string, value = PLAINTEXT): ApiObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name }, type: 'Opaque', data: { password: Buffer.from(value).toString('base64') } };
}

function passwordOf(object: object): string {
  return Buffer.from((object as { data: { password: string } }).data.password, 'base64').toString('utf8');
}

/** The value the KV holds for a secret, as etcd's client reads it. */
async function rawValue(namespace: string, name: string): Promise<Buffer> {
  const result = await kv.range(Buffer.from(`${prefix}/secrets/${namespace}/${name}`));
  expect(result.kvs).toHaveLength(1);
  return result.kvs[0]!.value;
}

function expectEncryptedWith(raw: Buffer, keyName: string): void {
  expect(raw.subarray(0, AESGCM_PREFIX.length + keyName.length + 1).toString('latin1')).toBe(`${AESGCM_PREFIX}${keyName}:`);
  const text = raw.toString('latin1');
  expect(text).not.toContain(PLAINTEXT);
  expect(text).not.toContain(PLAINTEXT_BASE64);
  expect(text).not.toContain('"kind":"Secret"');
}

describe('the key file', () => {
  test('JSON and YAML are read; the first key encrypts', async () => {
    expect((await keyFile({ keys: [KEY2, KEY1] })).keys.map((key) => key.name)).toEqual(['key2', 'key1']);
    const fromYaml = await keyFile(undefined, `keys:\n  - name: key1\n    secret: ${KEY1.secret}\nidentity: true\n`);
    expect(fromYaml.keys.map((key) => key.name)).toEqual(['key1']);
    expect(fromYaml.identity).toBe(true);
  });

  test.each([
    ['no keys', { keys: [] }, '"keys" must be a non-empty list'],
    ['a key of 20 bytes', { keys: [{ name: 'k', secret: Buffer.alloc(20, 7).toString('base64') }] }, 'secret must be 16, 24 or 32 bytes, got 20'],
    ['a name with a colon', { keys: [{ name: 'a:b', secret: KEY1.secret }] }, "name must be a non-empty string without ':'"],
    ['a name used twice', { keys: [KEY1, { ...KEY2, name: 'key1' }] }, 'keys[1].name "key1" is used twice'],
    ['a secret that is not base64', { keys: [{ name: 'k', secret: 'not base64!' }] }, 'secret must be base64'],
  ])('%s is refused with a message that never shows a secret', async (_what, config, message) => {
    const error = await keyFile(config).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EncryptionConfigError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain(KEY1.secret);
  });

  test('balsa apiserver refuses a bad key file, and --rewrite-secrets without one, with exit 2 before starting', async () => {
    const bad = join(dir, 'bad-keys.json');
    await writeFile(bad, JSON.stringify({ keys: [{ name: 'k', secret: 'c2hvcnQ=' }] }));
    const errors: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((line: unknown) => void errors.push(String(line)));
    try {
      expect(await apiServerCommand(['--kv-endpoints', cluster.clientEndpoints[0]!, '--encryption-key-file', bad])).toBe(2);
      expect(await apiServerCommand(['--kv-endpoints', cluster.clientEndpoints[0]!, '--rewrite-secrets'])).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(errors[0]).toContain('--encryption-key-file: ');
    expect(errors[0]).toContain('secret must be 16, 24 or 32 bytes, got 5');
    expect(errors[1]).toContain('--rewrite-secrets needs --encryption-key-file');
  });
});

describe('with a key file', () => {
  test('the KV holds k8s:enc:aesgcm:v1:<key>: + 12-byte nonce + ciphertext + 16-byte tag, never the plaintext; get and list (HTTP and gRPC) give it back', async () => {
    const { base, grpc } = await startApi({ encryption: await keyFile({ keys: [KEY1] }) });
    const ns = await freshNamespace(base);
    const created = await apiCall(base, 'POST', `/api/v1/namespaces/${ns}/secrets`, secret('db'));
    expect(created.status).toBe(201);
    expect(passwordOf(created.body)).toBe(PLAINTEXT);

    const raw = await rawValue(ns, 'db');
    expectEncryptedWith(raw, 'key1');
    const json = encodeObject(created.body as ApiObject);
    expect(raw.length).toBe(`${AESGCM_PREFIX}key1:`.length + AESGCM_NONCE_BYTES + json.length + AESGCM_TAG_BYTES);
    // A random nonce per write: the same object written twice is stored differently.
    await apiCall(base, 'POST', `/api/v1/namespaces/${ns}/secrets`, secret('db2'));
    expect((await rawValue(ns, 'db2')).subarray(`${AESGCM_PREFIX}key1:`.length, `${AESGCM_PREFIX}key1:`.length + AESGCM_NONCE_BYTES)).not.toEqual(
      raw.subarray(`${AESGCM_PREFIX}key1:`.length, `${AESGCM_PREFIX}key1:`.length + AESGCM_NONCE_BYTES),
    );

    const got = await apiCall(base, 'GET', `/api/v1/namespaces/${ns}/secrets/db`);
    expect(got.status).toBe(200);
    expect(passwordOf(got.body)).toBe(PLAINTEXT);
    const listed = await apiCall(base, 'GET', `/api/v1/namespaces/${ns}/secrets`);
    expect(listed.body.items.map(passwordOf)).toEqual([PLAINTEXT, PLAINTEXT]);
    const everywhere = await apiCall(base, 'GET', `/api/v1/secrets`);
    expect(everywhere.status).toBe(200);
    expect(passwordOf(await grpc.get(SECRETS, ns, 'db'))).toBe(PLAINTEXT);
    expect((await grpc.list(SECRETS, ns)).items.map(passwordOf)).toEqual([PLAINTEXT, PLAINTEXT]);

    // `balsa get secrets` prints Kubernetes' columns: no value.
    const options = { info: SECRETS, wide: false, withNamespace: false, withKind: false, showLabels: false, now: new Date() };
    expect(tableHeader(options)).toEqual(['NAME', 'TYPE', 'DATA', 'AGE']);
    const rows = tableRows([got.body as ApiObject], options);
    expect(rows[0]!.slice(0, 3)).toEqual(['db', 'Opaque', '1']);
    expect(rows.flat().join(' ')).not.toContain(PLAINTEXT_BASE64);
  });

  test.each<[string, { watchCacheSize?: number }]>([
    ['from the watch cache', {}],
    ['from KV watches (no cache)', { watchCacheSize: 0 }],
  ])('watches %s (HTTP and gRPC) see the plaintext of ADDED, MODIFIED and DELETED', async (_how, options) => {
    const { api, base, grpc } = await startApi({ encryption: await keyFile({ keys: [KEY1] }), ...options });
    const ns = await freshNamespace(base);
    const path = `/api/v1/namespaces/${ns}/secrets`;
    const from = (await apiCall(base, 'GET', path)).body.metadata.resourceVersion as string;
    const http = new HttpWatch(base, `${path}?watch=1&resourceVersion=${from}`);
    const grpcEvents: WatchEvent[] = [];
    const grpcWatch = grpc.watch(SECRETS, ns, { resourceVersion: from }, (event) => grpcEvents.push(event), () => {});
    try {
      // Both served the way this case is about.
      await eventually(async () => expect(api.registry.watchCacheWatchers().get('secrets')).toBe(options.watchCacheSize === 0 ? undefined : 2));
      await apiCall(base, 'POST', path, secret('w'));
      await apiCall(base, 'PUT', `${path}/w`, secret('w', `${PLAINTEXT}-2`));
      await apiCall(base, 'DELETE', `${path}/w`);
      await eventually(async () => expect(http.events).toHaveLength(3));
      await eventually(async () => expect(grpcEvents).toHaveLength(3));
      const seen = (events: readonly { type: string; object: object }[]): string[] => events.map((event) => `${event.type} ${passwordOf(event.object)}`);
      const expected = [`ADDED ${PLAINTEXT}`, `MODIFIED ${PLAINTEXT}-2`, `DELETED ${PLAINTEXT}-2`];
      expect(seen(http.events)).toEqual(expected);
      expect(seen(grpcEvents)).toEqual(expected);
    } finally {
      http.stop();
      grpcWatch.cancel();
    }
  });

  test("an update whose remembered state is stale reads the other server's write (the failure branch) in the clear", async () => {
    const encryption = await keyFile({ keys: [KEY1] });
    const one = await startApi({ encryption });
    const two = await startApi({ encryption });
    const ns = await freshNamespace(one.base);
    const path = `/api/v1/namespaces/${ns}/secrets/s`;
    await apiCall(one.base, 'POST', `/api/v1/namespaces/${ns}/secrets`, { ...secret('s'), metadata: { name: 's', labels: { a: '1' } } });
    expect((await apiCall(two.base, 'GET', path)).status).toBe(200); // two remembers it
    expect((await apiCall(one.base, 'PATCH', path, { data: { other: 'b3RoZXI=' } }, 'application/merge-patch+json')).status).toBe(200);
    const patched = await apiCall(two.base, 'PATCH', path, { metadata: { labels: { b: '2' } } }, 'application/merge-patch+json');
    expect(patched.status).toBe(200);
    expect(patched.body.data).toEqual({ password: PLAINTEXT_BASE64, other: 'b3RoZXI=' });
    expect(patched.body.metadata.labels).toEqual({ a: '1', b: '2' });
    expectEncryptedWith(await rawValue(ns, 's'), 'key1');
  });
});

describe('key rotation', () => {
  test('a new key first reads the old values; updates and --rewrite-secrets move them to it; then the old key can go', async () => {
    const old = await startApi({ encryption: await keyFile({ keys: [KEY1] }) });
    const ns = await freshNamespace(old.base);
    const path = `/api/v1/namespaces/${ns}/secrets`;
    for (const name of ['a', 'b', 'c']) expect((await apiCall(old.base, 'POST', path, secret(name, `${PLAINTEXT}-${name}`))).status).toBe(201);

    // Step 1: key2 first, key1 still there.
    const logs: string[] = [];
    const rotating = await startApi({ encryption: await keyFile({ keys: [KEY2, KEY1] }), log: (line) => logs.push(line) });
    expect((await apiCall(rotating.base, 'GET', path)).body.items.map(passwordOf)).toEqual(['a', 'b', 'c'].map((name) => `${PLAINTEXT}-${name}`));
    expect((await apiCall(rotating.base, 'POST', path, secret('d', `${PLAINTEXT}-d`))).status).toBe(201);
    expectEncryptedWith(await rawValue(ns, 'd'), 'key2');
    // An update that changes nothing still rewrites a value under an old key (a `get -o json | replace`).
    const a = (await apiCall(rotating.base, 'GET', `${path}/a`)).body;
    const replaced = await apiCall(rotating.base, 'PUT', `${path}/a`, a);
    expect(replaced.status).toBe(200);
    expect(Number(replaced.body.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion));
    expectEncryptedWith(await rawValue(ns, 'a'), 'key2');
    expectEncryptedWith(await rawValue(ns, 'b'), 'key1');
    // And once under the first key, an unchanged update is no write.
    const again = await apiCall(rotating.base, 'PUT', `${path}/a`, replaced.body);
    expect(again.body.metadata.resourceVersion).toBe(replaced.body.metadata.resourceVersion);

    // Step 2: rewrite the rest (what --rewrite-secrets runs at start).
    const rewriter = await startApi({ encryption: await keyFile({ keys: [KEY2, KEY1] }), rewriteSecrets: true, log: (line) => logs.push(line) });
    await eventually(async () => expect(logs.some((line) => /rewrote \d+ secret\(s\) with the first encryption key/.test(line))).toBe(true));
    for (const name of ['a', 'b', 'c', 'd']) expectEncryptedWith(await rawValue(ns, name), 'key2');
    expect(await rewriter.api.registry.rewriteSecrets()).toBe(0);

    // Step 3: key1 dropped; everything still reads.
    const rotated = await startApi({ encryption: await keyFile({ keys: [KEY2] }) });
    expect((await apiCall(rotated.base, 'GET', path)).body.items.map(passwordOf)).toEqual(['a', 'b', 'c', 'd'].map((name) => `${PLAINTEXT}-${name}`));
    expect(passwordOf(await rotated.grpc.get(SECRETS, ns, 'b'))).toBe(`${PLAINTEXT}-b`);
  });
});

describe('a value the server cannot read', () => {
  test('a key not in the key file: get, list and watch answer 500 InternalError naming the key, nothing secret', async () => {
    const writer = await startApi({ encryption: await keyFile({ keys: [KEY1] }) });
    const reader = await startApi({ encryption: await keyFile({ keys: [KEY2] }) });
    const ns = await freshNamespace(writer.base);
    const path = `/api/v1/namespaces/${ns}/secrets`;
    const from = (await apiCall(reader.base, 'GET', path)).body.metadata.resourceVersion as string;
    const watch = new HttpWatch(reader.base, `${path}?watch=1&resourceVersion=${from}`);
    expect((await apiCall(writer.base, 'POST', path, secret('x'))).status).toBe(201);

    const expectSafe = (message: string): void => {
      expect(message).toContain(`${prefix}/secrets/${ns}/x`);
      expect(message).toContain('encrypted with key "key1": the encryption key file has no such key');
      expect(message).not.toContain(PLAINTEXT);
      expect(message).not.toContain(PLAINTEXT_BASE64);
      expect(message).not.toContain(KEY1.secret);
    };
    const got = await apiCall(reader.base, 'GET', `${path}/x`);
    expect(got.status).toBe(500);
    expect(got.body.reason).toBe('InternalError');
    expectSafe(got.body.message);
    const listed = await apiCall(reader.base, 'GET', path);
    expect(listed.status).toBe(500);
    expectSafe(listed.body.message);
    const grpcError = await reader.grpc.get(SECRETS, ns, 'x').catch((error: unknown) => error);
    expect(grpcError).toBeInstanceOf(ApiError);
    expect((grpcError as ApiError).reason).toBe('InternalError');
    expectSafe((grpcError as ApiError).message);
    await watch.ended;
    expect(watch.events).toHaveLength(1);
    expect(watch.events[0]!.type).toBe('ERROR');
    expect(watch.events[0]!.object.code).toBe(500);
    expectSafe(watch.events[0]!.object.message);
    // The value is left as it was.
    expectEncryptedWith(await rawValue(ns, 'x'), 'key1');
  });

  test('a value altered in the KV does not decrypt: 500, never garbage', async () => {
    const { base } = await startApi({ encryption: await keyFile({ keys: [KEY1] }) });
    const ns = await freshNamespace(base);
    await apiCall(base, 'POST', `/api/v1/namespaces/${ns}/secrets`, secret('t'));
    const raw = Buffer.from(await rawValue(ns, 't'));
    raw[raw.length - 20]! ^= 0x01;
    await kv.txn([], [{ put: { key: Buffer.from(`${prefix}/secrets/${ns}/t`), value: raw } }]);
    const got = await apiCall(base, 'GET', `/api/v1/namespaces/${ns}/secrets/t`);
    expect(got.status).toBe(500);
    expect(got.body.message).toContain('does not decrypt with key "key1"');
  });
});

describe('without a key file', () => {
  test('secrets are stored as plaintext (as before); an encrypted one is a 500 saying the server has no key file', async () => {
    const plain = await startApi();
    const ns = await freshNamespace(plain.base);
    const path = `/api/v1/namespaces/${ns}/secrets`;
    expect((await apiCall(plain.base, 'POST', path, secret('p'))).status).toBe(201);
    const raw = await rawValue(ns, 'p');
    expect(raw.toString('utf8').startsWith('{"apiVersion":"v1","kind":"Secret"')).toBe(true);
    expect(raw.toString('utf8')).toContain(PLAINTEXT_BASE64);
    expect(passwordOf((await apiCall(plain.base, 'GET', `${path}/p`)).body)).toBe(PLAINTEXT);

    const encrypting = await startApi({ encryption: await keyFile({ keys: [KEY1] }) });
    expect((await apiCall(encrypting.base, 'POST', path, secret('e'))).status).toBe(201);
    const refused = await apiCall(plain.base, 'GET', `${path}/e`);
    expect(refused.status).toBe(500);
    expect(refused.body.message).toContain('encrypted with key "key1": this API server has no encryption key file');
  });

  test('turning encryption on: plaintext written before reads only with "identity": true, and --rewrite-secrets encrypts it', async () => {
    const plain = await startApi();
    const ns = await freshNamespace(plain.base);
    const path = `/api/v1/namespaces/${ns}/secrets`;
    expect((await apiCall(plain.base, 'POST', path, secret('before'))).status).toBe(201);

    const strict = await startApi({ encryption: await keyFile({ keys: [KEY1] }) });
    const refused = await apiCall(strict.base, 'GET', `${path}/before`);
    expect(refused.status).toBe(500);
    expect(refused.body.message).toContain(`the value of ${prefix}/secrets/${ns}/before is not encrypted`);

    const lenient = await startApi({ encryption: await keyFile({ keys: [KEY1], identity: true }) });
    expect(passwordOf((await apiCall(lenient.base, 'GET', `${path}/before`)).body)).toBe(PLAINTEXT);
    expect(await lenient.api.registry.rewriteSecrets()).toBeGreaterThanOrEqual(1);
    expectEncryptedWith(await rawValue(ns, 'before'), 'key1');
    expect(passwordOf((await apiCall(strict.base, 'GET', `${path}/before`)).body)).toBe(PLAINTEXT);
  });
});
