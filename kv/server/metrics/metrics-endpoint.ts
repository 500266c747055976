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

/**
 * etcd's health check (`GET /health`, etcd 3.4): `{"health":"true"}`, or 503 and
 * `{"health":"false"}` (and a newline), from `check` (no alarm raised, a leader known, a linearizable read
 * answered in time).
 */
export type HealthCheck = () => Promise<boolean>;

/**
 * The requests an HTTP/1.1 server of the member answers: `/metrics` (the scrape of
 * `registry`; GET and HEAD) and `/health` (GET), 404 elsewhere, 405 to other methods.
 */
export function metricsRequestHandler(registry: Registry, health: HealthCheck): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const answer = (code: number, text: string, headers: Record<string, string> = {}): void => {
      response.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
      response.end(text);
    };
    if (path === '/health') {
      if (request.method !== 'GET') return answer(405, 'Method Not Allowed\n', { Allow: 'GET' });
      // etcd writes the unhealthy answer with Go's http.Error: a newline after it.
      const unhealthy = (): void => answer(503, '{"health":"false"}\n', { 'X-Content-Type-Options': 'nosniff' });
      health().then((healthy) => (healthy ? answer(200, '{"health":"true"}') : unhealthy()), unhealthy);
      return;
    }
    if (path !== '/metrics') return answer(404, `404 page not found (this port serves etcd's gRPC API, GET /metrics and GET /health)\n`);
    if (request.method !== 'GET' && request.method !== 'HEAD') return answer(405, 'Method Not Allowed\n');
    answerMetrics(registry, request, response).catch((error: unknown) => answer(500, `collecting the metrics failed: ${(error as Error).message}\n`));
  };
}

/** An HTTP/1.1 server (not listening: the client port hands it its HTTP/1.1 connections) answering as `metricsRequestHandler`. */
export function metricsHttpServer(registry: Registry, health: HealthCheck): Server {
  return createServer(metricsRequestHandler(registry, health));
}
