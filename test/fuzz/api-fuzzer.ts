/**
 * A seeded fuzzer of the API server's two front-ends (issue 12, hostile input): HTTP
 * requests in Kubernetes' URL layout and gRPC calls of `balsa.v1.Objects`, built from
 * mutated paths, query parameters, methods, headers, JSON bodies (truncated, deeply nested,
 * huge, type-confused in every field of a Pod, Deployment, Service and ConfigMap, NUL bytes,
 * lone surrogates) and raw protobuf bytes (truncated, bit-flipped, wrong wire types,
 * oversized).
 *
 * Case `n` of seed `s` is built from its own generator (seeded by `s` and `n`), so one case
 * is replayed from the pair alone (`runApiFuzz({ seed, firstCase: n, cases: 1 })`).
 *
 * The oracle per case: the server answers before a deadline (no hang); an HTTP answer is a
 * 2xx (valid by chance) or a 4xx with a JSON `Status` body whose code is the HTTP code,
 * never a 5xx; a gRPC answer is OK or a status other than INTERNAL, UNKNOWN and
 * DEADLINE_EXCEEDED; a rejected request leaves the store's revision where it was; and after
 * every batch the server still answers `/healthz` and a gRPC Get.
 */
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { objectsService } from '../../control-plane/apiserver/balsa-proto.js';
import { EtcdClient } from '../../kv/client/etcd-client.js';
import type { WireObject } from '../../kv/server/etcd-proto.js';

/** Past this an answer (headers, or a whole error body) counts as a hang. */
export const CASE_DEADLINE_MS = 15_000;
/** Cases between two liveness checks. */
export const BATCH_CASES = 25;
/** The HTTP body limit the server documents (Kubernetes' 3 MiB). */
export const HTTP_BODY_LIMIT_BYTES = 3 * 1024 * 1024;
/** The gRPC receive limit the server documents. */
export const GRPC_MESSAGE_LIMIT_BYTES = 4 * 1024 * 1024;
/** `balsa server` without its scheduler and controllers: nothing but the fuzzer writes, so a changed revision is the fuzzer's doing. */
export const FUZZ_SERVER_FLAGS = ['--scheduler=false', '--controllers=none'];
/** The namespace the fuzzer's fixtures live in. */
export const FUZZ_NAMESPACE = 'default';

/** A small, fast, seedable generator (mulberry32): uniform in [0, 1). */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, below). */
  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** The generator of case `caseNumber` of `seed`: independent of every other case. */
export function caseRng(seed: number, caseNumber: number): Rng {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (caseNumber + 0x85ebca6b), 0xc2b2ae35) >>> 0;
  h ^= h >>> 13;
  return new Rng(h);
}

// ---------------------------------------------------------------------------------------
// Fixtures: valid objects, created before the run, that mutated requests aim at.

const LABELS = { app: 'fuzz', tier: 'web' };

export function fixtures(): Record<string, { path: string; object: Record<string, unknown> }> {
  const podTemplate = {
    metadata: { labels: { ...LABELS } },
    spec: {
      containers: [
        {
          name: 'main',
          image: 'busybox:1.36',
          command: ['sleep', '3600'],
          args: ['--flag'],
          ports: [{ containerPort: 8080, protocol: 'TCP', name: 'http' }],
          env: [{ name: 'MODE', value: 'fuzz' }],
          resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
          readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 5 },
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 10,
      nodeSelector: { disk: 'ssd' },
    },
  };
  return {
    pods: { path: `/api/v1/namespaces/${FUZZ_NAMESPACE}/pods`, object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'fz-pod', namespace: FUZZ_NAMESPACE, labels: { ...LABELS }, annotations: { note: 'x' } }, spec: podTemplate.spec } },
    deployments: {
      path: `/apis/apps/v1/namespaces/${FUZZ_NAMESPACE}/deployments`,
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'fz-deploy', namespace: FUZZ_NAMESPACE, labels: { ...LABELS } },
        spec: { replicas: 2, selector: { matchLabels: { ...LABELS } }, template: podTemplate, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } } },
      },
    },
    services: {
      path: `/api/v1/namespaces/${FUZZ_NAMESPACE}/services`,
      object: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'fz-svc', namespace: FUZZ_NAMESPACE },
        spec: { selector: { ...LABELS }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], type: 'ClusterIP' },
      },
    },
    configmaps: {
      path: `/api/v1/namespaces/${FUZZ_NAMESPACE}/configmaps`,
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fz-cm', namespace: FUZZ_NAMESPACE }, data: { 'a.conf': 'x=1', b: 'two' }, binaryData: { bin: 'AAEC' } },
    },
  };
}

// ---------------------------------------------------------------------------------------
// JSON mutations.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path (list of keys/indexes) into `value`, the root included. */
function paths(value: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  // A value nested deeper than any real field is a mutation already: not walked into.
  if (prefix.length >= 12) return out;
  if (Array.isArray(value)) value.forEach((item, index) => paths(item, [...prefix, index], out));
  else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) paths(item, [...prefix, key], out);
  return out;
}

/** `root` with the value at `path` replaced (`undefined`: removed); copies only along the path. */
function withAt(root: Json, path: readonly (string | number)[], value: Json | undefined): Json | undefined {
  if (path.length === 0) return value;
  const [key, ...rest] = path;
  if (Array.isArray(root)) {
    const copy = [...root];
    const child = withAt(copy[key as number]!, rest, value);
    if (child === undefined) copy.splice(key as number, 1);
    else copy[key as number] = child;
    return copy;
  }
  const copy = { ...(root as Record<string, Json>) };
  const child = withAt(copy[key as string]!, rest, value);
  if (child === undefined) delete copy[key as string];
  else copy[key as string] = child;
  return copy;
}

function nested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

function nestedValue(depth: number): Json {
  let value: Json = 'leaf';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

const STRANGE_STRINGS = ['', ' ', '\u0000', 'a\u0000b', '\ud800', '\u202e', '😀', '..', '../..', '/', 'A'.repeat(300), 'x'.repeat(70_000), '-1', '1e309', 'NaN', 'null', '{}', '[]', 'UPPER', 'a b', 'a/b', '%2F', '\n', 'default'];

/** A value of some JSON type, often not the one a field wants. */
function confusedValue(rng: Rng): Json {
  switch (rng.int(12)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, 3]);
    case 3:
      return rng.pick(STRANGE_STRINGS);
    case 4:
      return [];
    case 5:
      return [rng.pick(STRANGE_STRINGS), 1, null, {}];
    case 6:
      return {};
    case 7:
      return { [rng.pick(STRANGE_STRINGS)]: rng.pick([1, true, null, [], {}]) };
    case 8:
      return nestedValue(rng.pick([50, 500, 2000]));
    case 9:
      return '3';
    case 10:
      return { name: 1, value: [], port: '80' };
    default:
      return rng.pick(['Always', 'TCP', 'ClusterIP', 'RollingUpdate', '100m', '64Mi']);
  }
}

/** A JSON body made from `base`: type-confused fields, removed fields, or broken text. */
export function mutatedJson(rng: Rng, base: Json): Buffer {
  let value = base;
  const rounds = 1 + rng.int(3);
  for (let round = 0; round < rounds; round++) {
    const all = paths(value);
    const path = rng.pick(all);
    value = withAt(value, path, rng.chance(0.15) && path.length > 0 ? undefined : confusedValue(rng)) ?? null;
  }
  let text = JSON.stringify(value);
  switch (rng.int(10)) {
    case 0:
      text = text.slice(0, rng.int(text.length));
      break;
    case 1:
      text = nested(rng.pick([1000, 20_000, 200_000]), rng.chance(0.5) ? 'array' : 'object');
      break;
    case 2:
      text = rng.pick(['null', '1', '"s"', '[]', 'true', '[{}]', '{"kind":1}', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"x":1}}}', '\u0000', '\ufeff{}']);
      break;
    case 3: {
      const at = rng.int(text.length);
      text = text.slice(0, at) + rng.pick(['\u0000', '\\u0000', '\ud800', ',', '}', '"', '\\']) + text.slice(at);
      break;
    }
    default:
      break;
  }
  return Buffer.from(text, 'utf8');
}

// ---------------------------------------------------------------------------------------
// HTTP cases.

export interface HttpCase {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer | undefined;
}

const PREFIXES = ['/api/v1', '/apis/apps/v1', '/apis/coordination.k8s.io/v1', '/apis/apps/v2', '/apis/nope/v1', '/api/v2', '/api', '/apis', '/apis/apps', ''];
const PLURALS = ['pods', 'deployments', 'services', 'configmaps', 'namespaces', 'nodes', 'secrets', 'events', 'leases', 'replicasets', 'endpoints', 'podz', 'Pods', '', '%70ods', 'pods%2Fstatus'];
const SUBRESOURCES = ['status', 'binding', 'log', 'scale', 'exec', 'finalize', '', 'status/extra', '%00'];
const NAMESPACES = [FUZZ_NAMESPACE, 'kube-system', 'missing-ns', '', '..', '%2e%2e', 'A'.repeat(300), '%00', '%ZZ', 'default%2Fpods'];
const NAMES = ['fz-pod', 'fz-deploy', 'fz-svc', 'fz-cm', 'default', 'nope', '..', '.', '%2e%2e', 'a%2Fb', '%00', '%ZZ', '%', 'x'.repeat(64 * 1024), 'UPPER', '😀', '%F0%9F%98%80', '%C0%AF', '%ED%A0%80'];
const QUERY_KEYS = ['limit', 'watch', 'resourceVersion', 'labelSelector', 'fieldSelector', 'timeoutSeconds', 'continue', 'gracePeriodSeconds', 'propagationPolicy', 'follow', 'tailLines', 'container', 'sinceSeconds', 'limitBytes', 'previous', 'timestamps', 'dryRun', 'allowWatchBookmarks'];
const QUERY_VALUES = ['-1', '0', '1', 'true', 'maybe', 'abc', '', '99999999999999999999', '1e3', '0x10', '%00', '%ZZ', 'app=fuzz', 'app in (fuzz,web)', 'app notin ()', '!!!', 'a=b=c', 'metadata.name=fz-pod', 'spec.nodeName!=', 'x'.repeat(100_000), 'eyJ9', 'Orphan', 'Sideways', '2', '86400000'];
const CONTENT_TYPES = ['application/json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json', 'application/apply-patch+yaml', 'text/plain', 'application/json; charset=utf-16', 'application/merge-patch+json; charset=utf-8', '', ';', 'application/json;;;', '*/*'];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'FUZZ'];

function encodeQueryValue(rng: Rng, value: string): string {
  // Sometimes raw (a broken escape stays broken), usually encoded.
  return value.startsWith('%') || rng.chance(0.2) ? value.replace(/[^\x21-\x7e]/gu, percentEncoded) : percentEncoded(value);
}

/** `text` percent-encoded as UTF-8 (a lone surrogate as the WTF-8 bytes, which no server should accept as text). */
function percentEncoded(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
}

export function httpCase(rng: Rng, caseNumber: number): HttpCase {
  const bases = fixtures();
  const resource = rng.pick(Object.keys(bases));
  const base = bases[resource]!;
  let path: string;
  if (rng.chance(0.4)) {
    // A fixture's own URL, so that the body or query is what is hostile.
    path = rng.chance(0.5) ? base.path : `${base.path}/${base.object.metadata && (base.object.metadata as { name: string }).name}`;
    if (rng.chance(0.2)) path += `/${rng.pick(SUBRESOURCES)}`;
  } else {
    const parts = [rng.pick(PREFIXES)];
    if (rng.chance(0.6)) parts.push('namespaces', rng.pick(NAMESPACES));
    parts.push(rng.pick(PLURALS));
    if (rng.chance(0.6)) parts.push(rng.pick(NAMES));
    if (rng.chance(0.3)) parts.push(rng.pick(SUBRESOURCES));
    if (rng.chance(0.05)) parts.push('extra', 'segments');
    path = parts.join('/').replace(/\/{2,}/g, rng.chance(0.5) ? '/' : '//');
  }
  // Raw non-ASCII in a path is refused by the client library: percent-encode it (the server sees the UTF-8).
  path = path.replace(/[^\x21-\x7e]/gu, percentEncoded);
  if (rng.chance(0.6)) {
    const count = 1 + rng.int(4);
    const query: string[] = [];
    for (let i = 0; i < count; i++) query.push(`${rng.pick(QUERY_KEYS)}=${encodeQueryValue(rng, rng.pick(QUERY_VALUES))}`);
    path += `?${query.join('&')}`;
  }
  const method = rng.chance(0.1) ? rng.pick(METHODS) : rng.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
  const headers: Record<string, string> = {};
  if (rng.chance(0.85)) headers['content-type'] = method === 'PATCH' && rng.chance(0.6) ? 'application/merge-patch+json' : rng.pick(CONTENT_TYPES);
  let body: Buffer | undefined;
  if (method !== 'GET' && method !== 'HEAD' || rng.chance(0.05)) {
    const object = structuredClone(base.object) as Record<string, Json>;
    // Creates name their object after the case, so that a valid-by-chance create succeeds once.
    if (method === 'POST' && rng.chance(0.5)) (object.metadata as Record<string, Json>).name = `fz-${caseNumber}`;
    const roll = rng.int(20);
    if (roll === 0) body = Buffer.alloc(HTTP_BODY_LIMIT_BYTES + 1 + rng.int(1024), 0x20);
    else if (roll === 1) body = Buffer.from(JSON.stringify({ ...object, data: { big: 'x'.repeat(HTTP_BODY_LIMIT_BYTES - 1024 - rng.int(4096)) } }));
    else if (roll === 2) body = Buffer.alloc(0);
    else if (roll === 3) body = Buffer.from(Array.from({ length: 1 + rng.int(256) }, () => rng.int(256)));
    else if (roll === 4) body = Buffer.from(JSON.stringify({ kind: 'Binding', apiVersion: 'v1', metadata: { name: rng.pick(NAMES) }, target: confusedValue(rng) }));
    else if (roll === 5) body = Buffer.from(JSON.stringify(rng.pick([{ metadata: { labels: { app: confusedValue(rng) } } }, { spec: confusedValue(rng) }, { metadata: confusedValue(rng) }, { status: confusedValue(rng) }])));
    else body = mutatedJson(rng, object as Json);
  }
  return { method, path, headers, body };
}

// ---------------------------------------------------------------------------------------
// gRPC cases.

export interface GrpcCase {
  readonly method: string;
  readonly bytes: Buffer;
  /** How the bytes were made (for a finding's report). */
  readonly how: string;
}

const GRPC_METHODS = ['Get', 'List', 'Create', 'Update', 'UpdateStatus', 'Patch', 'Delete', 'Bind', 'Watch'];

function grpcRef(rng: Rng, resource: string, withName: boolean): WireObject {
  const groups: Record<string, string> = { deployments: 'apps' };
  if (rng.chance(0.6)) {
    const name = { pods: 'fz-pod', deployments: 'fz-deploy', services: 'fz-svc', configmaps: 'fz-cm' }[resource]!;
    return { group: groups[resource] ?? '', version: 'v1', resource, namespace: FUZZ_NAMESPACE, ...(withName ? { name } : {}) };
  }
  const ref: WireObject = {};
  if (rng.chance(0.7)) ref.group = rng.pick(['', 'apps', 'nope', 'coordination.k8s.io', '\u0000', 'A'.repeat(300)]);
  if (rng.chance(0.7)) ref.version = rng.pick(['v1', '', 'v2', '\ud800']);
  if (rng.chance(0.8)) ref.resource = rng.pick(PLURALS);
  if (rng.chance(0.7)) ref.namespace = decodeLoosely(rng.pick(NAMESPACES));
  if (rng.chance(0.7)) ref.name = decodeLoosely(rng.pick(NAMES));
  return ref;
}

function decodeLoosely(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** A plausible request of `method`, then (mostly) its bytes mutated. */
export function grpcCase(rng: Rng, caseNumber: number): GrpcCase {
  const definition = objectsService();
  const method = rng.pick(GRPC_METHODS);
  const bases = fixtures();
  const resource = rng.pick(Object.keys(bases));
  const object = structuredClone(bases[resource]!.object) as Record<string, Json>;
  if (method === 'Create' && rng.chance(0.5)) (object.metadata as Record<string, Json>).name = `fz-g${caseNumber}`;
  const body = (): Buffer => (rng.chance(0.8) ? mutatedJson(rng, object as Json) : Buffer.from(JSON.stringify(object)));
  const message: WireObject = { ref: rng.chance(0.1) ? {} : grpcRef(rng, resource, method !== 'List' && method !== 'Watch' && method !== 'Create') };
  switch (method) {
    case 'List':
      if (rng.chance(0.5)) message.labelSelector = rng.pick(QUERY_VALUES);
      if (rng.chance(0.5)) message.fieldSelector = rng.pick(QUERY_VALUES);
      if (rng.chance(0.5)) message.limit = rng.pick(['-1', '0', '3', '9223372036854775807', '-9223372036854775808']);
      if (rng.chance(0.3)) message.continue = rng.pick(QUERY_VALUES);
      break;
    case 'Watch':
      if (rng.chance(0.5)) message.labelSelector = rng.pick(QUERY_VALUES);
      if (rng.chance(0.5)) message.fieldSelector = rng.pick(QUERY_VALUES);
      if (rng.chance(0.6)) message.resourceVersion = rng.pick(['', '0', '1', 'abc', '-1', '99999999999', '1e3']);
      break;
    case 'Create':
    case 'Update':
    case 'UpdateStatus':
      message.object = body();
      break;
    case 'Patch':
      message.mergePatch = body();
      message.status = rng.chance(0.3);
      break;
    case 'Delete':
      if (rng.chance(0.4)) message.gracePeriodSeconds = rng.pick(['-1', '0', '30', '9223372036854775807']);
      if (rng.chance(0.4)) message.propagationPolicy = rng.pick(['Orphan', 'Background', 'Foreground', 'Sideways', '']);
      if (rng.chance(0.3)) message.preconditionUid = rng.pick(['', 'nope', '\u0000']);
      if (rng.chance(0.3)) message.preconditionResourceVersion = rng.pick(['', '1', 'abc']);
      break;
    case 'Bind':
      message.nodeName = rng.pick(['', 'node-1', '\u0000', 'A'.repeat(300), '../x']);
      break;
    default:
      break;
  }
  let bytes = definition[method]!.requestSerialize(message);
  let how = 'encoded';
  switch (rng.int(8)) {
    case 0:
      bytes = bytes.subarray(0, rng.int(bytes.length + 1));
      how = 'truncated';
      break;
    case 1: {
      bytes = Buffer.from(bytes);
      for (let flips = 1 + rng.int(4); flips > 0 && bytes.length > 0; flips--) bytes[rng.int(bytes.length)] ^= 1 << rng.int(8);
      how = 'bit-flipped';
      break;
    }
    case 2: {
      // A field with the wrong wire type: field 1 (ref, a message) as a varint, field 2 as a fixed64, ...
      const field = 1 + rng.int(5);
      const wireType = rng.pick([0, 1, 5, 3, 4, 6, 7]);
      bytes = Buffer.concat([Buffer.from([(field << 3) | wireType, 0x96, 0x01]), bytes]);
      how = `field ${field} as wire type ${wireType}`;
      break;
    }
    case 3:
      bytes = Buffer.from(Array.from({ length: rng.int(64) }, () => rng.int(256)));
      how = 'random bytes';
      break;
    case 4:
      // A length prefix that promises more than follows.
      bytes = Buffer.concat([bytes, Buffer.from([0x12, 0xff, 0xff, 0xff, 0x0f, 0x41])]);
      how = 'overlong length';
      break;
    case 5:
      if (rng.chance(0.3)) {
        bytes = Buffer.concat([bytes, Buffer.from([0xfa, 0x07]), encodeVarint(GRPC_MESSAGE_LIMIT_BYTES + 16), Buffer.alloc(GRPC_MESSAGE_LIMIT_BYTES + 16, 0x61)]);
        how = 'oversized';
      }
      break;
    default:
      break;
  }
  return { method, bytes, how };
}

function encodeVarint(value: number): Buffer {
  const out: number[] = [];
  while (value > 0x7f) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return Buffer.from(out);
}

// ---------------------------------------------------------------------------------------
// Sending and judging.

export interface FuzzTarget {
  /** `http://127.0.0.1:port` of the HTTP front-end. */
  readonly apiUrl: string;
  /** `127.0.0.1:port` of the gRPC front-end. */
  readonly grpcAddress: string;
  /** `http://127.0.0.1:port` of the KV the API server stores in (the nothing-changed check). */
  readonly kvEndpoint: string;
}

export interface FuzzFinding {
  readonly seed: number;
  readonly caseNumber: number;
  readonly front: 'http' | 'grpc' | 'liveness';
  /** The request, in short. */
  readonly request: string;
  /** What broke the oracle. */
  readonly problem: string;
}

export interface FuzzReport {
  readonly seed: number;
  readonly httpCases: number;
  readonly grpcCases: number;
  /** How many answers of each HTTP code / gRPC status name. */
  readonly answers: Record<string, number>;
  readonly findings: FuzzFinding[];
}

export interface FuzzRunOptions {
  readonly seed: number;
  readonly cases: number;
  /** The first case number (replaying one case: `firstCase: n, cases: 1`). */
  readonly firstCase?: number;
  /** Called after each batch with the cases done so far. */
  readonly progress?: (done: number, findings: number) => void;
}

interface HttpOutcome {
  readonly status: number;
  readonly contentType: string;
  /** The body of a non-2xx answer (a 2xx answer is not read: a watch or a follow stays open). */
  readonly body: string;
}

function sendHttp(apiUrl: string, request: HttpCase): Promise<HttpOutcome> {
  return new Promise((resolve, reject) => {
    const url = new URL(apiUrl);
    const headers = request.body === undefined ? request.headers : { ...request.headers, 'content-length': String(request.body.length) };
    const req = http.request({ host: url.hostname, port: url.port, method: request.method, path: request.path, headers, agent: false });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within ${CASE_DEADLINE_MS} ms`));
    }, CASE_DEADLINE_MS);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const contentType = String(response.headers['content-type'] ?? '');
      if (status >= 200 && status < 300) {
        clearTimeout(timer);
        response.destroy();
        req.destroy();
        resolve({ status, contentType, body: '' });
        return;
      }
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status, contentType, body: Buffer.concat(chunks).toString('utf8') });
      });
      response.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    req.end(request.body);
  });
}

/** What is wrong with an HTTP answer, or undefined when it meets the oracle. */
export function judgeHttp(request: HttpCase, outcome: HttpOutcome): string | undefined {
  if (outcome.status >= 200 && outcome.status < 300) return undefined;
  if (outcome.status >= 500 || outcome.status < 400) return `HTTP ${outcome.status}: ${outcome.body.slice(0, 300)}`;
  if (request.method === 'HEAD') return undefined;
  let status: { kind?: unknown; code?: unknown; message?: unknown; reason?: unknown };
  try {
    status = JSON.parse(outcome.body) as typeof status;
  } catch {
    return `HTTP ${outcome.status} with a body that is not JSON: ${outcome.body.slice(0, 300)}`;
  }
  if (status.kind !== 'Status' || status.code !== outcome.status || typeof status.message !== 'string' || typeof status.reason !== 'string') {
    return `HTTP ${outcome.status} with a body that is not its Status: ${outcome.body.slice(0, 300)}`;
  }
  if (/\n\s+at /.test(status.message)) return `HTTP ${outcome.status}: a stack trace in the message: ${status.message.slice(0, 300)}`;
  return undefined;
}

type GenericClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

function genericClient(address: string): GenericClient {
  const identity = (bytes: Buffer): Buffer => bytes;
  const definition = objectsService();
  const methods: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  for (const name of GRPC_METHODS) {
    methods[name] = { ...definition[name]!, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity };
  }
  const Client = grpc.makeGenericClientConstructor(methods, 'FuzzObjects');
  return new Client(address, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1, 'grpc.enable_channelz': 0 }) as unknown as GenericClient;
}

interface GrpcOutcome {
  readonly code: grpc.status;
  readonly details: string;
}

function sendGrpc(client: GenericClient, request: GrpcCase): Promise<GrpcOutcome> {
  const deadline = new Date(Date.now() + CASE_DEADLINE_MS);
  if (request.method === 'Watch') {
    return new Promise((resolve) => {
      const call = client.makeServerStreamRequest(`/balsa.v1.Objects/Watch`, (bytes: Buffer) => bytes, (bytes: Buffer) => bytes, request.bytes, new grpc.Metadata(), { deadline });
      let settled = false;
      // A first event means the watch is served: the case passed; stop it.
      call.on('data', () => {
        if (settled) return;
        settled = true;
        call.cancel();
        resolve({ code: grpc.status.OK, details: 'watching' });
      });
      call.on('error', (error: grpc.ServiceError) => {
        if (settled) return;
        settled = true;
        resolve({ code: error.code, details: error.details });
      });
      call.on('status', (status: grpc.StatusObject) => {
        if (settled) return;
        settled = true;
        resolve({ code: status.code, details: status.details });
      });
      // A watch of an empty selection sends nothing: served, not hung, once the call stays open this long.
      setTimeout(() => {
        if (settled) return;
        settled = true;
        call.cancel();
        resolve({ code: grpc.status.OK, details: 'watching (no events)' });
      }, 1_000);
    });
  }
  return new Promise((resolve) => {
    client.makeUnaryRequest(`/balsa.v1.Objects/${request.method}`, (bytes: Buffer) => bytes, (bytes: Buffer) => bytes, request.bytes, new grpc.Metadata(), { deadline }, (error: grpc.ServiceError | null) => {
      resolve(error === null ? { code: grpc.status.OK, details: '' } : { code: error.code, details: error.details });
    });
  });
}

/** What is wrong with a gRPC answer, or undefined when it meets the oracle. */
export function judgeGrpc(outcome: GrpcOutcome): string | undefined {
  if (outcome.code === grpc.status.DEADLINE_EXCEEDED) return `no answer within ${CASE_DEADLINE_MS} ms`;
  if (outcome.code === grpc.status.INTERNAL || outcome.code === grpc.status.UNKNOWN || outcome.code === grpc.status.UNAVAILABLE) {
    return `${grpc.status[outcome.code]}: ${outcome.details.slice(0, 300)}`;
  }
  if (/\n\s+at /.test(outcome.details)) return `a stack trace in the details: ${outcome.details.slice(0, 300)}`;
  return undefined;
}

function describeHttp(request: HttpCase): string {
  const body = request.body === undefined ? '' : ` body(${request.body.length} B)=${JSON.stringify(request.body.subarray(0, 160).toString('utf8'))}`;
  return `${request.method} ${request.path.slice(0, 200)} ${JSON.stringify(request.headers)}${body}`;
}

function isMutating(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD';
}

/** Creates the fixtures the cases aim at (an existing one is fine). */
export async function createFixtures(apiUrl: string): Promise<void> {
  for (const { path, object } of Object.values(fixtures())) {
    const response = await fetch(`${apiUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(object), signal: AbortSignal.timeout(20_000) });
    if (response.status !== 201 && response.status !== 409) throw new Error(`fixture ${path}: HTTP ${response.status}: ${await response.text()}`);
  }
}

/**
 * Runs `cases` cases of `seed` (alternating HTTP and gRPC), checking the server's liveness
 * after each batch. Findings are collected, never thrown.
 */
export async function runApiFuzz(target: FuzzTarget, options: FuzzRunOptions): Promise<FuzzReport> {
  const client = genericClient(target.grpcAddress);
  const kv = new EtcdClient([target.kvEndpoint]);
  const findings: FuzzFinding[] = [];
  const answers: Record<string, number> = {};
  let httpCases = 0;
  let grpcCases = 0;
  const count = (key: string): void => {
    answers[key] = (answers[key] ?? 0) + 1;
  };
  const revision = async (): Promise<number> => (await kv.range(Buffer.from([0]), { rangeEnd: Buffer.from([0]), countOnly: true })).revision;
  const first = options.firstCase ?? 0;
  try {
    for (let n = first; n < first + options.cases; n++) {
      const rng = caseRng(options.seed, n);
      const before = await revision();
      let rejected: boolean;
      let request: string;
      let front: 'http' | 'grpc';
      if (n % 2 === 0) {
        httpCases++;
        front = 'http';
        const made = httpCase(rng, n);
        request = describeHttp(made);
        let problem: string | undefined;
        let status = 0;
        try {
          const outcome = await sendHttp(target.apiUrl, made);
          status = outcome.status;
          count(`HTTP ${status}`);
          problem = judgeHttp(made, outcome);
        } catch (error) {
          // The server reads a body it refuses before answering (up to a limit past any case's size), so even an oversized upload gets its answer.
          count('HTTP failed');
          problem = `the request failed: ${(error as Error).message}`;
        }
        if (problem !== undefined) findings.push({ seed: options.seed, caseNumber: n, front, request, problem });
        rejected = !(status >= 200 && status < 300) || !isMutating(made.method);
      } else {
        grpcCases++;
        front = 'grpc';
        const made = grpcCase(rng, n);
        request = `${made.method} (${made.how}, ${made.bytes.length} B) ${made.bytes.length > 512 ? '' : made.bytes.toString('base64')}`;
        const outcome = await sendGrpc(client, made);
        count(`gRPC ${grpc.status[outcome.code]}`);
        const problem = judgeGrpc(outcome);
        if (problem !== undefined) findings.push({ seed: options.seed, caseNumber: n, front, request, problem });
        rejected = outcome.code !== grpc.status.OK || made.method === 'Get' || made.method === 'List' || made.method === 'Watch';
      }
      if (rejected) {
        const after = await revision();
        if (after !== before) findings.push({ seed: options.seed, caseNumber: n, front, request, problem: `a rejected or read-only request changed the store (revision ${before} → ${after})` });
      }
      if ((n - first + 1) % BATCH_CASES === 0 || n === first + options.cases - 1) {
        const problem = await liveness(target, client);
        if (problem !== undefined) {
          findings.push({ seed: options.seed, caseNumber: n, front: 'liveness', request: 'GET /healthz and gRPC Get namespaces/default', problem });
          break;
        }
        options.progress?.(n - first + 1, findings.length);
      }
    }
  } finally {
    client.close();
    kv.close();
  }
  return { seed: options.seed, httpCases, grpcCases, answers, findings };
}

async function liveness(target: FuzzTarget, client: GenericClient): Promise<string | undefined> {
  try {
    const health = await sendHttp(target.apiUrl, { method: 'GET', path: '/healthz', headers: {}, body: undefined });
    if (health.status !== 200) return `/healthz answered ${health.status}`;
  } catch (error) {
    return `/healthz did not answer: ${(error as Error).message}`;
  }
  const bytes = objectsService().Get!.requestSerialize({ ref: { version: 'v1', resource: 'namespaces', name: 'default' } });
  const outcome = await sendGrpc(client, { method: 'Get', bytes, how: 'valid' });
  if (outcome.code !== grpc.status.OK) return `gRPC Get of namespace default: ${grpc.status[outcome.code]} ${outcome.details}`;
  return undefined;
}
