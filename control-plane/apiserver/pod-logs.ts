/**
 * The `pods/log` subresource: `GET /api/v1/namespaces/{ns}/pods/{name}/log` streams a
 * container's log from the node agent of the pod's node, as Kubernetes' API server streams
 * it from the kubelet. The options are Kubernetes' `PodLogOptions` (`container`, `follow`,
 * `previous`, `tailLines`, `limitBytes`); the container is checked against the pod's spec
 * here, with Kubernetes' messages, before the agent is asked.
 *
 * The agent is found through the Node object: its `InternalIP` (else `ExternalIP`) address
 * and `status.daemonEndpoints.kubeletEndpoint.Port`. Its answer is copied to the client as it
 * arrives (`text/plain`, chunked); a follow lasts until the agent ends it (the container
 * exited, the agent stopped) or the client goes, which aborts the request to the agent.
 * The agent's 400 and 404 become the same code with the agent's message; an agent that
 * cannot be reached is 503.
 *
 * Differences from Kubernetes, on purpose: a pod not yet bound to a node is 400
 * (`pod NAME does not have a host assigned`, Kubernetes' words for exec and attach) rather
 * than an empty 200; `timestamps`, `sinceSeconds` and `sinceTime` are refused with 400
 * since the agent's log files carry no times (Kubernetes would honour them).
 * Only the HTTP front-end serves logs: the gRPC API has no log call.
 *
 * When the API server serves TLS, it reaches the agents over HTTPS: it verifies the agent's
 * certificate with its trusted CA and presents its own certificate (which must be of the
 * group `system:masters`, as `balsa up` makes it), as kube-apiserver uses its
 * kubelet-client certificate.
 */
import http from 'node:http';
import https from 'node:https';
import type { ResourceInfo } from '../api/resources.js';
import { resourceByName } from '../api/resources.js';
import type { ApiObject } from '../api/types.js';
import { invalidStatus } from '../api/field-errors.js';
import type { FieldError } from '../api/field-errors.js';
import { ApiError } from './errors.js';
import type { Registry } from './registry.js';

/** The agent port used when a Node does not publish one (Kubernetes' kubelet port, the agent's default). */
export const DEFAULT_AGENT_PORT = 10250;
/** Connecting to the agent and getting its answer's headers may take this long; then 503. */
export const AGENT_RESPONSE_TIMEOUT_MS = 10_000;
/** At most this much of an agent's error answer becomes the message. */
export const AGENT_ERROR_BODY_BYTES_MAX = 16 * 1024;

const PODS: ResourceInfo = resourceByName('pods')!;
const NODES: ResourceInfo = resourceByName('nodes')!;

/** The API server's identity towards agents, and the CA it verifies them with (PEM). */
export interface AgentClientTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer;
}

/** `PodLogOptions`, as the query string gives them. */
export interface PodLogOptions {
  /** Absent: the pod's only container. */
  readonly container?: string;
  readonly follow: boolean;
  readonly previous: boolean;
  /** Only the last this many lines; all when absent. */
  readonly tailLines?: number;
  /** Stop after this many bytes; no limit when absent. */
  readonly limitBytes?: number;
}

/** Query flags that Kubernetes reads as booleans (`strconv.ParseBool`). */
function booleanParameter(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  if (value === null || value === '') return false;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw ApiError.badRequest(`${name} must be true or false, got "${value}"`);
}

function integerParameter(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw ApiError.badRequest(`${name} must be an integer, got "${value}"`);
  return Number(value);
}

/**
 * The options of a log request: 400 for what does not parse or is not supported, 422 for
 * values Kubernetes' validation refuses (`tailLines` below 0, `limitBytes` below 1).
 */
export function parsePodLogOptions(podName: string, query: URLSearchParams): PodLogOptions {
  const tailLines = integerParameter(query, 'tailLines');
  const limitBytes = integerParameter(query, 'limitBytes');
  const follow = booleanParameter(query, 'follow');
  const previous = booleanParameter(query, 'previous');
  if (booleanParameter(query, 'timestamps')) throw ApiError.badRequest('timestamps are not supported: the node agent keeps no time for each log line');
  for (const name of ['sinceSeconds', 'sinceTime']) {
    if ((query.get(name) ?? '') !== '') throw ApiError.badRequest(`${name} is not supported: the node agent keeps no time for each log line`);
  }
  const errors: FieldError[] = [];
  if (tailLines !== undefined && tailLines < 0) errors.push({ field: 'tailLines', type: 'Invalid', value: tailLines, detail: 'must be greater than or equal to 0' });
  if (limitBytes !== undefined && limitBytes < 1) errors.push({ field: 'limitBytes', type: 'Invalid', value: limitBytes, detail: 'must be greater than 0' });
  if (errors.length > 0) throw ApiError.fromStatus(invalidStatus('PodLogOptions', '', podName, errors));
  const container = query.get('container') ?? '';
  return {
    ...(container === '' ? {} : { container }),
    follow,
    previous,
    ...(tailLines === undefined ? {} : { tailLines }),
    ...(limitBytes === undefined ? {} : { limitBytes }),
  };
}

function containerNames(pod: ApiObject, list: 'containers' | 'initContainers'): string[] {
  const containers = pod.spec?.[list];
  if (!Array.isArray(containers)) return [];
  return containers.map((container) => String((container as { name?: unknown }).name ?? ''));
}

/**
 * The container whose log is asked for, by Kubernetes' rules: the one named (an app or init
 * container of the pod), or the pod's only app container; else 400 with Kubernetes' message.
 */
export function logContainer(pod: ApiObject, requested: string | undefined): string {
  const name = pod.metadata.name ?? '';
  const containers = containerNames(pod, 'containers');
  const initContainers = containerNames(pod, 'initContainers');
  if (requested !== undefined) {
    if (!containers.includes(requested) && !initContainers.includes(requested)) throw ApiError.badRequest(`container ${requested} is not valid for pod ${name}`);
    return requested;
  }
  if (containers.length === 1) return containers[0]!;
  if (containers.length === 0) throw ApiError.badRequest(`a container name must be specified for pod ${name}`);
  let message = `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`;
  if (initContainers.length > 0) message += ` or one of the init containers: [${initContainers.join(' ')}]`;
  throw ApiError.badRequest(message);
}

/** `http://10.0.0.7:10250`: where the agent of `node` listens. 503 when the node publishes no address. */
export function agentBaseUrl(node: ApiObject, scheme: 'http' | 'https' = 'http'): string {
  const status = (node.status ?? {}) as { addresses?: unknown; daemonEndpoints?: { kubeletEndpoint?: { Port?: unknown } } };
  const addresses = Array.isArray(status.addresses) ? (status.addresses as { type?: unknown; address?: unknown }[]) : [];
  const pick = (type: string): string | undefined => {
    const found = addresses.find((entry) => entry.type === type && typeof entry.address === 'string' && entry.address !== '');
    return found?.address as string | undefined;
  };
  const address = pick('InternalIP') ?? pick('ExternalIP');
  if (address === undefined) {
    throw new ApiError('ServiceUnavailable', `node "${node.metadata.name ?? ''}" has no InternalIP or ExternalIP address: its node agent cannot be reached`);
  }
  const port = status.daemonEndpoints?.kubeletEndpoint?.Port;
  const agentPort = typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536 ? port : DEFAULT_AGENT_PORT;
  return `${scheme}://${address.includes(':') ? `[${address}]` : address}:${agentPort}`;
}

/** The agent's URL of the log asked for (Kubernetes' `LogLocation`). */
function agentLogUrl(base: string, pod: ApiObject, container: string, options: PodLogOptions): string {
  const path = [pod.metadata.namespace ?? '', pod.metadata.name ?? '', container].map(encodeURIComponent).join('/');
  const query = new URLSearchParams();
  if (options.follow) query.set('follow', 'true');
  if (options.previous) query.set('previous', 'true');
  if (options.tailLines !== undefined) query.set('tailLines', String(options.tailLines));
  if (options.limitBytes !== undefined) query.set('limitBytes', String(options.limitBytes));
  const text = query.toString();
  return `${base}/containerLogs/${path}${text === '' ? '' : `?${text}`}`;
}

/**
 * Answers `GET .../pods/{name}/log`: checks the options, the pod, its container and its
 * node, then streams the agent's answer to `response`. Errors before the first byte are
 * thrown as `ApiError`s (the front-end answers them as a Status); a failure after it cuts
 * the response short, so that the client sees the stream broke rather than ended.
 */
export async function servePodLog(
  registry: Registry,
  namespace: string,
  name: string,
  query: URLSearchParams,
  response: http.ServerResponse,
  agentTls?: AgentClientTls,
): Promise<void> {
  const options = parsePodLogOptions(name, query);
  const pod = await registry.get(PODS, namespace, name);
  const container = logContainer(pod, options.container);
  const nodeName = typeof pod.spec?.nodeName === 'string' ? pod.spec.nodeName : '';
  if (nodeName === '') throw ApiError.badRequest(`pod ${name} does not have a host assigned`);
  const node = await registry.get(NODES, undefined, nodeName);
  const base = agentBaseUrl(node, agentTls === undefined ? 'http' : 'https');
  // The client going away ends the request to the agent, whatever stage it is at.
  const upstream = new AbortController();
  const onClose = (): void => upstream.abort();
  response.once('close', onClose);
  try {
    const agent = await openAgentLog(agentLogUrl(base, pod, container, options), nodeName, base, upstream.signal, agentTls);
    if (agent === null) return;
    await copyLog(agent, response, options.limitBytes);
  } finally {
    response.off('close', onClose);
    upstream.abort();
  }
}

/** The agent's 200 answer, ready to read; null when `signal` aborted first. Its error answers and failures are thrown as `ApiError`s. */
async function openAgentLog(url: string, nodeName: string, base: string, signal: AbortSignal, tls: AgentClientTls | undefined): Promise<http.IncomingMessage | null> {
  // A tagged answer rather than `instanceof Error`: node:http's errors may come from another realm (under a test VM).
  const answer = await new Promise<{ answered: http.IncomingMessage } | { error: Error }>((resolve) => {
    const request = tls === undefined ? http.get(url, { signal }) : https.get(url, { signal, cert: tls.cert, key: tls.key, ca: tls.ca });
    const timer = setTimeout(() => request.destroy(new Error(`no answer within ${AGENT_RESPONSE_TIMEOUT_MS / 1000}s`)), AGENT_RESPONSE_TIMEOUT_MS);
    request.once('response', (answered) => {
      clearTimeout(timer);
      resolve({ answered });
    });
    // `on`, not `once`: the request may report a second error (the socket breaking mid-log), which the log copy handles.
    request.on('error', (error) => {
      clearTimeout(timer);
      resolve({ error });
    });
  });
  if (signal.aborted) {
    if ('answered' in answer) answer.answered.destroy();
    return null;
  }
  if ('error' in answer) {
    throw new ApiError('ServiceUnavailable', `the node agent of node "${nodeName}" cannot be reached at ${base}: ${answer.error.message}`);
  }
  const agent = answer.answered;
  if (agent.statusCode === 200) return agent;
  const text = (await readLimited(agent, AGENT_ERROR_BODY_BYTES_MAX)).trim();
  const code = agent.statusCode ?? 0;
  if (code === 400) throw ApiError.badRequest(text);
  if (code === 404) throw new ApiError('NotFound', text);
  throw new ApiError('InternalError', `the node agent of node "${nodeName}" answered HTTP ${code}: ${text}`);
}

/** Up to `limit` bytes of `message` as text; the rest is dropped. */
async function readLimited(message: http.IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of message) {
      const bytes = chunk as Buffer;
      chunks.push(bytes.subarray(0, limit - size));
      size += Math.min(bytes.length, limit - size);
      if (size >= limit) break;
    }
  } catch {
    // A broken error answer: what came of it is still the best message there is.
  } finally {
    message.destroy();
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Copies the agent's log to the client, at most `limitBytes`, at the pace the client reads. */
async function copyLog(agent: http.IncomingMessage, response: http.ServerResponse, limitBytes: number | undefined): Promise<void> {
  response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache, private' });
  // A follow may stay silent for long: the client should know at once that the log is coming.
  response.flushHeaders();
  let remaining = limitBytes ?? Infinity;
  try {
    for await (const chunk of agent) {
      const bytes = (chunk as Buffer).subarray(0, remaining === Infinity ? undefined : remaining);
      remaining -= bytes.length;
      if (!response.write(bytes)) await drained(response);
      if (remaining <= 0 || response.destroyed) break;
    }
  } catch (error) {
    if (response.destroyed) return;
    // The agent's stream broke (not ended): cut ours short too, rather than end it as if complete.
    response.destroy(error as Error);
    return;
  } finally {
    agent.destroy();
  }
  if (!response.destroyed) response.end();
}

function drained(response: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.once('drain', done);
    response.once('close', done);
  });
}
