/**
 * The API server's limits as clients meet them, over one KV member: a write past the
 * mutating in-flight limit is 429 with Kubernetes' Status and Retry-After and changes
 * nothing, while reads go on; a client past its watch limit is refused more watches (on
 * HTTP and gRPC alike) but not its other requests, and another client's watches are its
 * own; a connection past the cap is answered 429 and closed; a client past its rate is
 * refused with the wait in Retry-After; the gRPC front-end announces
 * its stream limit; and Balsa's own clients (the gRPC client, the CLI's) wait out a 429
 * and get through once the server has room.
 *
 * A request is held in flight by uploading its body slowly: the server admits it, then
 * waits for the rest.
 */
import http from 'node:http';
import http2 from 'node:http2';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { resourceByName } from '../../../control-plane/api/resources.js';
import type { ApiObject } from '../../../control-plane/api/types.js';
import { ApiServer } from '../../../control-plane/apiserver/api-server.js';
import { objectsService } from '../../../control-plane/apiserver/balsa-proto.js';
import { ApiError } from '../../../control-plane/apiserver/errors.js';
import { ApiGrpcServer, STATUS_METADATA_KEY } from '../../../control-plane/apiserver/grpc-server.js';
import { RequestGuard } from '../../../control-plane/apiserver/auth/request-guard.js';
import { ApiHttpServer } from '../../../control-plane/apiserver/http-server.js';
import { RequestLimits, TOO_MANY_REQUESTS_MESSAGE } from '../../../control-plane/apiserver/request-limits.js';
import { ApiClient } from '../../../control-plane/cli/api-client.js';
import { GrpcApiClient } from '../../../control-plane/client/grpc-api-client.js';
import { apiCall, HttpWatch } from '../../support/api-http.js';
import type { ParsedJson } from '../../support/api-http.js';
import { eventually } from '../../support/eventually.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

const CONFIGMAPS = resourceByName('configmaps')!;
const STREAMS = 7;

let dir: string;
let cluster: KvCluster;
let api: ApiServer;
let base: string;
let grpcClient: GrpcApiClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'balsa-request-limits-'));
  cluster = await startKvCluster({ members: 1, dir });
  api = await ApiServer.start({
    kvEndpoints: cluster.clientEndpoints,
    httpPort: 0,
    grpcPort: 0,
    requestLimits: { maxRequestsInflight: 50, maxMutatingRequestsInflight: 1, maxWatchesPerClient: 2, maxRequestsPerSecondPerClient: 0, maxRequestBurstPerClient: 0 },
    maxConcurrentStreams: STREAMS,
  });
  base = api.http.url;
  grpcClient = new GrpcApiClient(api.grpc.address);
  await eventually(async () => expect((await apiCall(base, 'GET', '/readyz')).status).toBe(200));
});

afterAll(async () => {
  grpcClient?.close();
  await api?.stop();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: ParsedJson;
}

function answerOf(response: http.IncomingMessage): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.once('error', reject);
    response.once('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: ParsedJson = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Not JSON: the text.
      }
      resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
    });
  });
}

/** A request with `localAddress` (another loopback address is another client), an optional agent and bearer token. */
function call(url: string, method: string, path: string, options: { body?: unknown; localAddress?: string; agent?: http.Agent | false; token?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const text = options.body === undefined ? undefined : JSON.stringify(options.body);
    const request = http.request(`${url}${path}`, {
      method,
      ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
      ...(options.agent !== undefined ? { agent: options.agent } : {}),
      headers: {
        ...(text === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) }),
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      },
    });
    request.once('response', (response) => answerOf(response).then(resolve, reject));
    request.once('error', reject);
    request.end(text);
  });
}

/** A create whose body is sent but for its last byte until `finish()`: in flight until then. */
function heldCreate(namespace: string, name: string): { finish(): Promise<Answer> } {
  const text = JSON.stringify(configMap(name));
  const request = http.request(`${base}/api/v1/namespaces/${namespace}/configmaps`, {
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    request.once('response', (response) => answerOf(response).then(resolve, reject));
    request.once('error', reject);
  });
  request.write(text.slice(0, -1));
  return {
    finish: () => {
      request.end(text.slice(-1));
      return answer;
    },
  };
}

function configMap(name: string): ApiObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } } as ApiObject;
}

/** Once the held create is in flight (the only write): another is refused. */
async function untilWritesRefused(namespace: string): Promise<Answer> {
  await eventually(async () => expect(api.limits.inflight.mutating).toBe(1), undefined, 20);
  const answer = await call(base, 'POST', `/api/v1/namespaces/${namespace}/configmaps`, { body: configMap('probe') });
  expect(answer.status).toBe(429);
  return answer;
}

function expectTooManyRequests(answer: Answer, message: string): void {
  expect(answer.status).toBe(429);
  expect(answer.headers['retry-after']).toBe('1');
  expect(answer.body).toEqual({
    apiVersion: 'v1',
    kind: 'Status',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'TooManyRequests',
    details: { retryAfterSeconds: 1 },
    code: 429,
  });
}

describe('in flight', () => {
  test('a write past the mutating limit is 429 with Retry-After and changes nothing; reads go on; writes resume once it ends', async () => {
    const held = heldCreate('default', 'held');
    const refused = await untilWritesRefused('default');
    expectTooManyRequests(refused, TOO_MANY_REQUESTS_MESSAGE);
    expect((await call(base, 'GET', '/api/v1/namespaces/default/configmaps/probe')).status).toBe(404);
    expect((await call(base, 'GET', '/api/v1/namespaces/default/configmaps')).status).toBe(200);
    expect((await held.finish()).status).toBe(201);
    expect((await call(base, 'POST', '/api/v1/namespaces/default/configmaps', { body: configMap('after') })).status).toBe(201);
  });

  test('gRPC: RESOURCE_EXHAUSTED with the Status; the components\' client and the CLI wait it out and get through', async () => {
    const held = heldCreate('default', 'held-grpc');
    await untilWritesRefused('default');
    const Objects = grpc.makeGenericClientConstructor(objectsService(), 'Objects');
    const raw = new Objects(api.grpc.address, grpc.credentials.createInsecure());
    const create = (raw as unknown as { Create: (request: object, callback: (error: grpc.ServiceError | null) => void) => void }).Create.bind(raw);
    const error = await new Promise<grpc.ServiceError | null>((resolve) =>
      create({ ref: { version: 'v1', resource: 'configmaps', namespace: 'default' }, object: Buffer.from(JSON.stringify(configMap('raw'))) }, resolve),
    );
    raw.close();
    expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(error?.details).toBe(TOO_MANY_REQUESTS_MESSAGE);
    const status = JSON.parse(error!.metadata.get(STATUS_METADATA_KEY)[0]!.toString()) as ParsedJson;
    expect(status).toMatchObject({ reason: 'TooManyRequests', code: 429, details: { retryAfterSeconds: 1 } });

    // The components' client, refused at least once, gets through once there is room.
    let refusedBefore = api.limits.refused;
    const viaGrpc = grpcClient.create(CONFIGMAPS, 'default', configMap('via-grpc'));
    await eventually(async () => expect(api.limits.refused).toBeGreaterThan(refusedBefore));
    expect((await held.finish()).status).toBe(201);
    expect((await viaGrpc).metadata.name).toBe('via-grpc');
    // The CLI's too.
    const heldAgain = heldCreate('default', 'held-cli');
    await untilWritesRefused('default');
    refusedBefore = api.limits.refused;
    const viaCli = new ApiClient(base).create(CONFIGMAPS, 'default', configMap('via-cli'));
    await eventually(async () => expect(api.limits.refused).toBeGreaterThan(refusedBefore));
    expect((await heldAgain.finish()).status).toBe(201);
    expect((await viaCli).metadata.name).toBe('via-cli');
    expect((await call(base, 'GET', '/api/v1/namespaces/default/configmaps/raw')).status).toBe(404);
  });
});

describe('watches per client', () => {
  test('past its limit a client is refused more watches (HTTP and gRPC), not its other requests; another client is unaffected', async () => {
    const watches = [new HttpWatch(base, '/api/v1/namespaces/default/configmaps?watch=1'), new HttpWatch(base, '/api/v1/namespaces/default/pods?watch=1')];
    try {
      await eventually(async () => expect(watches.map((watch) => watch.status)).toEqual([200, 200]));
      const refused = await call(base, 'GET', '/api/v1/namespaces/default/configmaps?watch=1');
      expectTooManyRequests(refused, 'too many watches: this client has 2 open, the most the server allows per client (--max-watches-per-client); end some before starting more');
      const grpcRefusal = await new Promise<ApiError>((resolve) => grpcClient.watch(CONFIGMAPS, 'default', {}, () => {}, resolve));
      expect(grpcRefusal.reason).toBe('TooManyRequests');
      expect(grpcRefusal.message).toBe(refused.body.message);

      expect((await call(base, 'GET', '/api/v1/namespaces/default/configmaps')).status).toBe(200);
      expect((await grpcClient.get(CONFIGMAPS, 'default', 'after')).metadata.name).toBe('after');
      const other = await new Promise<http.IncomingMessage>((resolve, reject) => {
        http.get(`${base}/api/v1/namespaces/default/configmaps?watch=1`, { localAddress: '127.0.0.2', agent: false }, resolve).once('error', reject);
      });
      expect(other.statusCode).toBe(200);
      other.destroy();

      watches.pop()!.stop();
      await eventually(async () => {
        const again = new HttpWatch(base, '/api/v1/namespaces/default/configmaps?watch=1');
        watches.push(again);
        await eventually(async () => expect(again.status).not.toBe(0));
        expect(again.status).toBe(200);
      });
    } finally {
      for (const watch of watches) watch.stop();
    }
  });
});

describe('connections and streams', () => {
  test('a connection past the cap is answered 429 and closed; one is admitted once another closes', async () => {
    const capped = await ApiHttpServer.start({ registry: api.registry, port: 0, maxConnections: 1 });
    const first = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await call(capped.url, 'GET', '/version', { agent: first })).status).toBe(200);
      const refused = await call(capped.url, 'GET', '/version', { agent: false });
      expectTooManyRequests(refused, 'too many connections: the server has 1 open, the most it allows (--api-max-connections)');
      expect(refused.headers.connection).toBe('close');
      expect((await call(capped.url, 'GET', '/healthz', { agent: false })).status).toBe(200);
      first.destroy();
      await eventually(async () => expect((await call(capped.url, 'GET', '/version', { agent: false })).status).toBe(200));
    } finally {
      first.destroy();
      await capped.stop();
    }
  });

  test('rate per client: past its burst a client is refused with the seconds until a token is back; probes and other clients go on', async () => {
    const limits = new RequestLimits({ maxRequestsInflight: 0, maxMutatingRequestsInflight: 0, maxWatchesPerClient: 0, maxRequestsPerSecondPerClient: 0.01, maxRequestBurstPerClient: 2 });
    const rated = await ApiHttpServer.start({ registry: api.registry, port: 0, limits });
    try {
      expect((await call(rated.url, 'GET', '/version')).status).toBe(200);
      expect((await call(rated.url, 'GET', '/api/v1/namespaces')).status).toBe(200);
      const refused = await call(rated.url, 'GET', '/version');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(99);
      expect(refused.body).toMatchObject({ reason: 'TooManyRequests', message: TOO_MANY_REQUESTS_MESSAGE, code: 429 });
      expect((await call(rated.url, 'GET', '/readyz')).status).toBe(200);
      expect((await call(rated.url, 'GET', '/version', { localAddress: '127.0.0.2' })).status).toBe(200);
    } finally {
      await rated.stop();
    }
  });

  test('an authenticated client is its user: two users on one address have a bucket each, shared by both front-ends; anonymous requests are their address; a bad token is 401 and not counted', async () => {
    const limits = new RequestLimits({ maxRequestsInflight: 0, maxMutatingRequestsInflight: 0, maxWatchesPerClient: 0, maxRequestsPerSecondPerClient: 0.01, maxRequestBurstPerClient: 2 });
    const guard = new RequestGuard(api.registry, {
      tokens: new Map([
        ['alice-token', { name: 'alice', groups: [] }],
        ['bob-token', { name: 'bob', groups: [] }],
      ]),
    });
    const rated = await ApiHttpServer.start({ registry: api.registry, port: 0, limits, guard });
    const ratedGrpc = await ApiGrpcServer.start({ registry: api.registry, port: 0, limits, guard });
    const Objects = grpc.makeGenericClientConstructor(objectsService(), 'Objects');
    const raw = new Objects(ratedGrpc.address, grpc.credentials.createInsecure()) as unknown as {
      Get: (request: object, metadata: grpc.Metadata, callback: (error: grpc.ServiceError | null) => void) => void;
      close(): void;
    };
    const grpcGet = (token: string): Promise<number> => {
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${token}`);
      return new Promise((resolve) => raw.Get({ ref: { version: 'v1', resource: 'namespaces', name: 'default' } }, metadata, (error) => resolve(error?.code ?? grpc.status.OK)));
    };
    const statuses = async (count: number, options: { token?: string }): Promise<number[]> => {
      const seen: number[] = [];
      for (let i = 0; i < count; i++) seen.push((await call(rated.url, 'GET', '/version', options)).status);
      return seen;
    };
    try {
      expect(await statuses(3, { token: 'alice-token' })).toEqual([200, 200, 429]);
      // Bob on the same address has his own bucket, which his gRPC calls draw from too.
      expect(await statuses(1, { token: 'bob-token' })).toEqual([200]);
      expect(await grpcGet('bob-token')).toBe(grpc.status.OK);
      expect(await grpcGet('bob-token')).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(await statuses(1, { token: 'bob-token' })).toEqual([429]);
      // Bad credentials are refused before the limits, and cost the address nothing.
      expect(await statuses(3, { token: 'made-up' })).toEqual([401, 401, 401]);
      expect(await grpcGet('made-up')).toBe(grpc.status.UNAUTHENTICATED);
      expect(await statuses(3, {})).toEqual([200, 200, 429]);
    } finally {
      raw.close();
      await ratedGrpc.stop();
      await rated.stop();
    }
  });

  test('the gRPC front-end announces its stream limit (SETTINGS_MAX_CONCURRENT_STREAMS)', async () => {
    const session = http2.connect(`http://${api.grpc.address}`);
    try {
      const settings = await new Promise<http2.Settings>((resolve, reject) => {
        session.once('remoteSettings', resolve);
        session.once('error', reject);
      });
      expect(settings.maxConcurrentStreams).toBe(STREAMS);
    } finally {
      session.close();
    }
  });
});
