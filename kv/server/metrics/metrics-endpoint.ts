/**
 * `GET /metrics`: a registry in Prometheus' text format, and `GET /health`, as etcd serves
 * them on its client URLs and its `--listen-metrics-urls`. The KV's client port hands it
 * HTTP/1.1 connections (`http2-front/`, route `http1`); the API server and the agent answer
 * `/metrics` on their own HTTP servers.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/** Answers a scrape of `registry` (a HEAD gets the headers alone). */
export async function answerMetrics(registry: Registry, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await registry.metrics();
  response.writeHead(200, { 'Content-Type': registry.contentType, 'Content-Length': Buffer.byteLength(body) });
  response.end(request.method === 'HEAD' ? undefined : body);
}

/** Whether the server is healthy (etcd's `/health`: no alarm raised, a leader known, a linearizable read answered in time). */
export type HealthCheck = () => Promise<boolean>;

/** The health path a metrics server answers beside `/metrics`, and how. */
export interface HealthEndpoint {
  readonly path: string;
  serve(request: IncomingMessage, response: ServerResponse): void;
}

type Answer = (response: ServerResponse, code: number, text: string, headers?: Record<string, string>) => void;

const answer: Answer = (response, code, text, headers = {}) => {
  response.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  response.end(text);
};

/**
 * etcd 3.4's `GET /health`: `{"health":"true"}`, or 503 and `{"health":"false"}` (and a
 * newline, as Go's http.Error writes it) when `check` says no; other methods 405.
 */
export function etcdHealth(check: HealthCheck): HealthEndpoint {
  return {
    path: '/health',
    serve(request, response) {
      if (request.method !== 'GET') return answer(response, 405, 'Method Not Allowed\n', { Allow: 'GET' });
      const unhealthy = (): void => answer(response, 503, '{"health":"false"}\n', { 'X-Content-Type-Options': 'nosniff' });
      check().then((healthy) => (healthy ? answer(response, 200, '{"health":"true"}') : unhealthy()), unhealthy);
    },
  };
}

/** A Kubernetes component's `GET /healthz`: `ok` while the process runs. */
export const HEALTHZ: HealthEndpoint = {
  path: '/healthz',
  serve(request, response) {
    if (request.method !== 'GET' && request.method !== 'HEAD') return answer(response, 405, 'Method Not Allowed\n');
    answer(response, 200, 'ok');
  },
};

/**
 * What a server that answers HTTP/1.1 for its metrics serves: `/metrics` (the scrape of
 * `registry`; GET and HEAD), `health`, and 404 elsewhere (`serves` says what the port is).
 */
export function metricsRequestHandler(registry: Registry, health: HealthEndpoint, serves: string): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === health.path) return health.serve(request, response);
    if (path !== '/metrics') return answer(response, 404, `404 page not found (this port serves ${serves}GET /metrics and GET ${health.path})\n`);
    if (request.method !== 'GET' && request.method !== 'HEAD') return answer(response, 405, 'Method Not Allowed\n');
    answerMetrics(registry, request, response).catch((error: unknown) => answer(response, 500, `collecting the metrics failed: ${(error as Error).message}\n`));
  };
}

/** The KV member's HTTP/1.1 server (not listening: the client port hands it its HTTP/1.1 connections; so do `--listen-metrics-urls`). */
export function metricsHttpServer(registry: Registry, health: HealthCheck): Server {
  return createServer(metricsRequestHandler(registry, etcdHealth(health), "etcd's gRPC API, "));
}
