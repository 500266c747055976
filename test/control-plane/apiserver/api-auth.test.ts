/**
 * The API server secured as `balsa up` runs it: TLS on both front-ends with a CA that signs
 * the clients' certificates, bearer tokens from a token file, and RBAC. Over HTTPS and gRPC:
 * no credentials get 403 (and the public health and version paths still answer), a bad
 * token 401 `Unauthorized`, a user bound to a Role acts in its namespace only and gets
 * Kubernetes' exact 403 elsewhere, a certificate's CN and O are the user and groups, and a
 * node agent's identity reaches only its own node's pods and Node.
 */
import https from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceByName } from '../../../control-plane/api/resources.js';
import type { ApiObject } from '../../../control-plane/api/types.js';
import { ApiServer } from '../../../control-plane/apiserver/api-server.js';
import { parseTokenFile } from '../../../control-plane/apiserver/auth/token-file.js';
import type { ApiError } from '../../../control-plane/apiserver/errors.js';
import { GrpcApiClient } from '../../../control-plane/client/grpc-api-client.js';
import { createCertificateAuthority, issueClientCertificate, issueServerCertificate } from '../../../kv/security/pki.js';
import type { CertificateAndKey } from '../../../kv/security/pki.js';
import { eventually } from '../../support/eventually.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

const PODS = resourceByName('pods')!;
const NODES = resourceByName('nodes')!;
const NAMESPACES = resourceByName('namespaces')!;
const TOKENS = parseTokenFile(['alice-token,alice,1001,"developers"', 'node1-token,system:node:n1,,system:nodes', 'node2-token,system:node:n2,,system:nodes'].join('\n'));

let dir: string;
let cluster: KvCluster;
let api: ApiServer;
let ca: CertificateAndKey;
let admin: CertificateAndKey;
const clients: GrpcApiClient[] = [];

interface Answer {
  readonly status: number;
  readonly body: { [key: string]: unknown; message?: string; reason?: string };
}

/** One HTTPS request verified against the CA, with a token or a client certificate. */
function call(method: string, path: string, auth: { token?: string; cert?: CertificateAndKey } = {}, body?: unknown): Promise<Answer> {
  const url = new URL(path, api.http.url);
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      {
        method,
        ca: ca.certPem,
        ...(auth.cert !== undefined ? { cert: auth.cert.certPem, key: auth.cert.keyPem } : {}),
        headers: { ...(auth.token !== undefined ? { authorization: `Bearer ${auth.token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Answer['body'];
          try {
            parsed = JSON.parse(text) as Answer['body'];
          } catch {
            parsed = { text };
          }
          resolve({ status: response.statusCode ?? 0, body: parsed });
        });
      },
    );
    request.on('error', reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Creates, as the admin, a RoleBinding (in "team") or a ClusterRoleBinding of `role` to `subject`. */
async function bind(kind: 'RoleBinding' | 'ClusterRoleBinding', name: string, role: { kind: string; name: string }, subject: { kind: string; name: string }): Promise<void> {
  const path = kind === 'RoleBinding' ? '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings' : '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings';
  const binding = { apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...role }, subjects: [subject] };
  expect((await call('POST', path, { cert: admin }, binding)).status).toBe(201);
}

function grpcClient(credentials: { token?: string; cert?: CertificateAndKey }): GrpcApiClient {
  const client = new GrpcApiClient(api.grpc.address, {
    ca: Buffer.from(ca.certPem),
    ...(credentials.token !== undefined ? { token: credentials.token } : {}),
    ...(credentials.cert !== undefined ? { cert: Buffer.from(credentials.cert.certPem), key: Buffer.from(credentials.cert.keyPem) } : {}),
  });
  clients.push(client);
  return client;
}

async function grpcError(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    return error as ApiError;
  }
  throw new Error('expected the call to fail');
}

function pod(name: string, nodeName?: string): ApiObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...(nodeName !== undefined ? { nodeName } : {}) } };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'balsa-api-auth-'));
  ca = await createCertificateAuthority();
  const [server, adminCert] = await Promise.all([
    issueServerCertificate(ca, { commonName: 'balsa-apiserver', groups: ['system:masters'], ipAddresses: ['127.0.0.1'] }),
    issueClientCertificate(ca, { user: 'admin', groups: ['system:masters'] }),
  ]);
  admin = adminCert;
  cluster = await startKvCluster({ members: 1, dir });
  api = await ApiServer.start({
    kvEndpoints: cluster.clientEndpoints,
    httpPort: 0,
    grpcPort: 0,
    tls: { cert: Buffer.from(server.certPem), key: Buffer.from(server.keyPem), clientCa: Buffer.from(ca.certPem) },
    tokens: TOKENS,
    authorizationMode: 'RBAC',
  });
  await eventually(async () => expect((await call('GET', '/readyz')).status).toBe(200));
  // alice may edit in "team" only, through the default `edit` ClusterRole bound by a RoleBinding there.
  expect((await call('POST', '/api/v1/namespaces', { cert: admin }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } })).status).toBe(201);
  await bind('RoleBinding', 'alice-edit', { kind: 'ClusterRole', name: 'edit' }, { kind: 'User', name: 'alice' });
}, 120_000);

afterAll(async () => {
  for (const client of clients) client.close();
  await api?.stop();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('HTTPS', () => {
  test('no credentials: the public paths answer, resources are 403 for system:anonymous', async () => {
    expect((await call('GET', '/healthz')).status).toBe(200);
    expect((await call('GET', '/version')).status).toBe(200);
    const refused = await call('GET', '/api/v1/namespaces/default/pods');
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe('pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"');
    const discovery = await call('GET', '/api/v1');
    expect(discovery.status).toBe(403);
    expect(discovery.body.message).toBe('forbidden: User "system:anonymous" cannot get path "/api/v1"');
  });

  test('a bad token is 401 Unauthorized, even on a public path', async () => {
    for (const path of ['/api/v1/namespaces/default/pods', '/healthz']) {
      const answer = await call('GET', path, { token: 'not-a-token' });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', message: 'Unauthorized', code: 401 });
    }
  });

  test('a token user bound to edit in one namespace creates there and is refused elsewhere with the exact message', async () => {
    const created = await call('POST', '/api/v1/namespaces/team/configmaps', { token: 'alice-token' }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { a: '1' } });
    expect(created.status).toBe(201);
    expect((await call('GET', '/api/v1/namespaces/team/configmaps/settings', { token: 'alice-token' })).status).toBe(200);
    const elsewhere = await call('GET', '/api/v1/namespaces/default/pods/x', { token: 'alice-token' });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body).toMatchObject({
      reason: 'Forbidden',
      code: 403,
      message: 'pods "x" is forbidden: User "alice" cannot get resource "pods" in API group "" in the namespace "default"',
      details: { name: 'x', kind: 'pods' },
    });
    const clusterScoped = await call('GET', '/api/v1/nodes', { token: 'alice-token' });
    expect(clusterScoped.body.message).toBe('nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope');
    // edit does not manage roles: that is admin's.
    const roles = await call('GET', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings', { token: 'alice-token' });
    expect(roles.body.message).toBe('rolebindings.rbac.authorization.k8s.io is forbidden: User "alice" cannot list resource "rolebindings" in API group "rbac.authorization.k8s.io" in the namespace "team"');
    // A Namespace object is in its own namespace (Kubernetes' RequestInfo): her RoleBinding in
    // "team" lets her read "team" itself, not another namespace, nor the list of them.
    expect((await call('GET', '/api/v1/namespaces/team', { token: 'alice-token' })).body).toMatchObject({ kind: 'Namespace', metadata: { name: 'team' } });
    const other = await call('GET', '/api/v1/namespaces/default', { token: 'alice-token' });
    expect(other.body.message).toBe('namespaces "default" is forbidden: User "alice" cannot get resource "namespaces" in API group "" in the namespace "default"');
    const all = await call('GET', '/api/v1/namespaces', { token: 'alice-token' });
    expect(all.body.message).toBe('namespaces is forbidden: User "alice" cannot list resource "namespaces" in API group "" at the cluster scope');
  });

  test('a client certificate names the user (CN) and groups (O); a Role with resourceNames allows just those', async () => {
    const bob = await issueClientCertificate(ca, { user: 'bob', groups: ['readers'] });
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'settings-reader' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'], verbs: ['get'] }],
    };
    expect((await call('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles', { cert: admin }, role)).status).toBe(201);
    await bind('RoleBinding', 'readers', { kind: 'Role', name: 'settings-reader' }, { kind: 'Group', name: 'readers' });
    await eventually(async () => expect((await call('GET', '/api/v1/namespaces/team/configmaps/settings', { cert: bob })).status).toBe(200));
    const list = await call('GET', '/api/v1/namespaces/team/configmaps', { cert: bob });
    expect(list.body.message).toBe('configmaps is forbidden: User "bob" cannot list resource "configmaps" in API group "" in the namespace "team"');
  });

  test('a binding to a role that does not exist says so after the refusal', async () => {
    await bind('ClusterRoleBinding', 'carol-missing', { kind: 'ClusterRole', name: 'no-such-role' }, { kind: 'User', name: 'carol' });
    const carol = await issueClientCertificate(ca, { user: 'carol' });
    await eventually(async () => {
      const answer = await call('GET', '/api/v1/namespaces', { cert: carol });
      expect(answer.body.message).toBe('namespaces is forbidden: User "carol" cannot list resource "namespaces" in API group "" at the cluster scope: RBAC: clusterrole.rbac.authorization.k8s.io "no-such-role" not found');
    });
  });

  test('RBAC objects are validated with Kubernetes\' messages', async () => {
    const answer = await call('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', { cert: admin }, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'bad' },
      rules: [{ apiGroups: [''], resources: ['pods'] }],
    });
    expect(answer.status).toBe(422);
    expect(answer.body.message).toBe('ClusterRole.rbac.authorization.k8s.io "bad" is invalid: rules[0].verbs: Required value: verbs must contain at least one value');
  });
});

describe('gRPC', () => {
  test('no credentials is PERMISSION_DENIED, a bad token UNAUTHENTICATED, each with the Status', async () => {
    const anonymous = await grpcError(grpcClient({}).list(PODS, 'default'));
    expect(anonymous.reason).toBe('Forbidden');
    expect(anonymous.message).toBe('pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"');
    const bad = await grpcError(grpcClient({ token: 'wrong' }).get(PODS, 'default', 'x'));
    expect(bad.reason).toBe('Unauthorized');
    expect(bad.message).toBe('Unauthorized');
  });

  test('the token user is allowed in its namespace only; a certificate in system:masters everywhere', async () => {
    const alice = grpcClient({ token: 'alice-token' });
    await alice.create(PODS, 'team', pod('web'));
    expect((await alice.list(PODS, 'team')).items.map((item) => item.metadata.name)).toContain('web');
    const refused = await grpcError(alice.delete(PODS, 'default', 'web'));
    expect(refused.reason).toBe('Forbidden');
    expect(refused.message).toBe('pods "web" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "default"');
    expect((await alice.get(NAMESPACES, undefined, 'team')).metadata.name).toBe('team');
    expect((await grpcError(alice.get(NAMESPACES, undefined, 'default'))).reason).toBe('Forbidden');
    expect((await grpcClient({ cert: admin }).list(NODES, undefined)).kind).toBe('NodeList');
  });

  test('a node agent reaches its own pods and Node only', async () => {
    const adminClient = grpcClient({ cert: admin });
    const node1 = grpcClient({ token: 'node1-token' });
    const node2 = grpcClient({ token: 'node2-token' });
    await node1.create(NODES, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    await node2.create(NODES, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' } });
    const foreignNode = await grpcError(node1.create(NODES, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n3' } }));
    expect(foreignNode.message).toBe('nodes is forbidden: User "system:node:n1" cannot create resource "nodes" in API group "" at the cluster scope: node \'n1\' can only create its own Node');
    await adminClient.create(PODS, 'default', pod('on-n1', 'n1'));
    await adminClient.create(PODS, 'default', pod('on-n2', 'n2'));

    // Its own pods: listed by node, read, status written.
    const mine = await node1.list(PODS, undefined, { fieldSelector: 'spec.nodeName=n1' });
    expect(mine.items.map((item) => item.metadata.name)).toEqual(['on-n1']);
    const own = await node1.get(PODS, 'default', 'on-n1');
    await node1.updateStatus(PODS, { ...own, status: { ...own.status, phase: 'Running' } });
    const all = await grpcError(node1.list(PODS, undefined));
    expect(all.message).toBe('pods is forbidden: User "system:node:n1" cannot list resource "pods" in API group "" at the cluster scope: node \'n1\' can only list pods with spec.nodeName=n1');

    // Another node's pod: not read, not deleted, its status not written.
    const message = (verb: string): string =>
      `pods "on-n2" is forbidden: User "system:node:n1" cannot ${verb} resource "pods${verb === 'update' ? '/status' : ''}" in API group "" in the namespace "default": no relationship found between node 'n1' and this object`;
    expect((await grpcError(node1.get(PODS, 'default', 'on-n2'))).message).toBe(message('get'));
    expect((await grpcError(node1.delete(PODS, 'default', 'on-n2'))).message).toBe(message('delete'));
    const foreign = await adminClient.get(PODS, 'default', 'on-n2');
    expect((await grpcError(node1.updateStatus(PODS, { ...foreign, status: { phase: 'Failed' } }))).message).toBe(message('update'));
    expect((await adminClient.get(PODS, 'default', 'on-n2')).metadata.deletionTimestamp).toBeUndefined();

    // Another Node: not updated; its own: updated.
    const n2 = await node1.get(NODES, undefined, 'n2');
    const refused = await grpcError(node1.update(NODES, { ...n2, metadata: { ...n2.metadata, labels: { hijacked: 'yes' } } }));
    expect(refused.message).toBe('nodes "n2" is forbidden: User "system:node:n1" cannot update resource "nodes" in API group "" at the cluster scope: node \'n1\' cannot modify node \'n2\'');
    const n1 = await node1.get(NODES, undefined, 'n1');
    await node1.update(NODES, { ...n1, metadata: { ...n1.metadata, labels: { mine: 'yes' } } });
    expect((await adminClient.get(NODES, undefined, 'n2')).metadata.labels).toBeUndefined();
  });
});
