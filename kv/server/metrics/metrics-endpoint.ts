/**
 * `GET /metrics`: a registry in Prometheus' text format, as etcd serves it on its client
 * URLs. The KV's client port hands it HTTP/1.1 connections (`http2-front/`, route `http1`);
 * the API server and the agent answer the same path on their own HTTP servers.
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
 * An HTTP/1.1 server (not listening: connections are given to it) that serves `registry`
 * at `/metrics` and answers 404 elsewhere, 405 to methods other than GET and HEAD.
 */
export function metricsHttpServer(registry: Registry): Server {
  return createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const answer = (code: number, text: string): void => {
      response.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
      response.end(text);
    };
    if (path !== '/metrics') return answer(404, `404 page not found (this port serves etcd's gRPC API, and GET /metrics)\n`);
    if (request.method !== 'GET' && request.method !== 'HEAD') return answer(405, 'Method Not Allowed\n');
    answerMetrics(registry, request, response).catch((error: unknown) => answer(500, `collecting the metrics failed: ${(error as Error).message}\n`));
  });
}
