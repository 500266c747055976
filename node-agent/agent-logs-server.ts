/**
 * The agent's own HTTP server, on the node's IP: `GET /containerLogs/<namespace>/<pod>/<container>`
 * serves a container's log file (`?tailLines=N` for the last N lines, `?follow=true` to keep
 * streaming while the attempt runs, `?previous=true` for the attempt before), as the
 * kubelet's endpoint of the same path does for `kubectl logs`. Unknown pods and containers
 * are 404, `previous` without an earlier attempt is 400, each with a plain-text message.
 *
 * Files are read with the logs package's `readLog` (rotation-aware: a tail spans the rotated
 * `.1` file, a follow survives a copy-truncate); tests may inject another `LogReader`.
 */
import { createServer } from 'node:http';
import type { Registry } from 'prom-client';
import { answerMetrics } from '../kv/server/metrics/metrics-endpoint.js';
import { createServer as createTlsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { ServingTls } from '../control-plane/apiserver/serving-tls.js';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOG_FOLLOW_POLL_MS, LOG_TAIL_LINES_MAX } from './constants.js';
import { readLog } from './logs/read-log.js';

export interface LogReadOptions {
  /** Only the last this many lines (all when absent). */
  readonly tailLines?: number;
  /** Keep reading what is appended, until `signal` aborts. */
  readonly follow: boolean;
  readonly signal: AbortSignal;
}

export type LogReader = (path: string, options: LogReadOptions) => AsyncIterable<Uint8Array>;

/** The log files of one container, as the agent knows them. */
export type ContainerLogs =
  | { readonly found: 'no-pod' }
  | { readonly found: 'no-container' }
  | {
      readonly found: 'container';
      /** The latest attempt's file, and whether the attempt still runs; absent before the first start. */
      readonly current?: { readonly path: string; readonly running: () => boolean };
      readonly previousPath?: string;
    };

export type LogSource = (namespace: string, pod: string, container: string) => ContainerLogs;

export interface AgentLogsServerOptions {
  readonly host: string;
  /** 0 = any free port. */
  readonly port: number;
  readonly source: LogSource;
  readonly reader?: LogReader;
  /** Served at `/metrics`, as the kubelet serves its own on its port (absent: no `/metrics`). */
  readonly metrics?: Registry;
  /**
   * Serve HTTPS with the node's certificate and take only clients with a certificate the CA
   * signed for the group `system:masters` (the API server's), as the kubelet takes only
   * the API server's kubelet-client certificate. Default: plain HTTP.
   */
  readonly tls?: ServingTls;
}

/** The group whose certificates may read logs from a TLS logs endpoint. */
const LOG_READER_GROUP = 'system:masters';

export class AgentLogsServer {
  private readonly streams = new Set<AbortController>();

  private constructor(
    private readonly server: Server,
    private readonly options: AgentLogsServerOptions,
  ) {}

  static async start(options: AgentLogsServerOptions): Promise<AgentLogsServer> {
    const tls = options.tls;
    const server = tls === undefined ? createServer() : createTlsServer({ cert: tls.cert, key: tls.key, ...(tls.clientCa !== undefined ? { ca: tls.clientCa } : {}), requestCert: true, rejectUnauthorized: true });
    const logs = new AgentLogsServer(server, options);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      logs.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) respond(response, 500, `reading the log failed: ${(error as Error).message}`);
        else response.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolve());
    });
    return logs;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `${this.options.tls === undefined ? 'http' : 'https'}://${host}:${this.port}`;
  }

  /** Ends followed streams and closes the server. */
  async stop(): Promise<void> {
    for (const stream of this.streams) stream.abort();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (this.options.tls !== undefined) {
      const organizations = (request.socket as TLSSocket).getPeerCertificate().subject?.O;
      const groups = organizations === undefined ? [] : typeof organizations === 'string' ? [organizations] : organizations;
      if (!groups.includes(LOG_READER_GROUP)) {
        respond(response, 403, `forbidden: only a client certificate of the group ${LOG_READER_GROUP} (the API server's) may read logs here`);
        return;
      }
    }
    const url = new URL(request.url ?? '/', 'http://agent');
    if (url.pathname === '/metrics' && this.options.metrics !== undefined && (request.method === 'GET' || request.method === 'HEAD')) {
      return answerMetrics(this.options.metrics, request, response);
    }
    const match = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (request.method !== 'GET' || match === null) {
      respond(response, 404, `not found: ${request.method} ${url.pathname} (GET /containerLogs/<namespace>/<pod>/<container>)`);
      return;
    }
    const [namespace, pod, container] = match.slice(1).map((part) => decodeURIComponent(part)) as [string, string, string];
    const follow = url.searchParams.get('follow') === 'true';
    const previous = url.searchParams.get('previous') === 'true';
    const tailText = url.searchParams.get('tailLines');
    if (tailText !== null && (!/^\d+$/.test(tailText) || Number(tailText) > LOG_TAIL_LINES_MAX)) {
      respond(response, 400, `tailLines must be an integer from 0 to ${LOG_TAIL_LINES_MAX}, got "${tailText}"`);
      return;
    }
    const logs = this.options.source(namespace, pod, container);
    if (logs.found === 'no-pod') {
      respond(response, 404, `pod "${pod}" in namespace "${namespace}" is not running on this node`);
      return;
    }
    if (logs.found === 'no-container') {
      respond(response, 404, `container "${container}" is not in pod "${pod}" (namespace "${namespace}")`);
      return;
    }
    if (previous && logs.previousPath === undefined) {
      respond(response, 400, `previous terminated container "${container}" in pod "${pod}" not found`);
      return;
    }
    if (!previous && logs.current === undefined) {
      respond(response, 400, `container "${container}" in pod "${pod}" is waiting to start`);
      return;
    }
    const path = previous ? logs.previousPath! : logs.current!.path;
    const running = previous ? () => false : logs.current!.running;
    const controller = new AbortController();
    this.streams.add(controller);
    response.on('close', () => controller.abort());
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    if (follow) void this.endWhenExited(running, controller);
    try {
      const reader = this.options.reader ?? readLog;
      for await (const chunk of reader(path, { ...(tailText !== null ? { tailLines: Number(tailText) } : {}), follow, signal: controller.signal })) {
        if (!response.write(chunk)) await new Promise((resolve) => response.once('drain', resolve));
      }
    } finally {
      this.streams.delete(controller);
      controller.abort();
      response.end();
    }
  }

  /** A followed attempt that exits ends its stream, once what it wrote last has been read. */
  private async endWhenExited(running: () => boolean, controller: AbortController): Promise<void> {
    while (!controller.signal.aborted && running()) await sleep(LOG_FOLLOW_POLL_MS).catch(() => {});
    await sleep(LOG_FOLLOW_POLL_MS * 2).catch(() => {});
    controller.abort();
  }
}

function respond(response: ServerResponse, code: number, message: string): void {
  response.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(`${message}\n`);
}
