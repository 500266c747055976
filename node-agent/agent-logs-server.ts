/**
 * The agent's own HTTP server, on the node's IP: `GET /containerLogs/<namespace>/<pod>/<container>`
 * serves a container's log file (`?tailLines=N` for the last N lines, `?follow=true` to keep
 * streaming while the attempt runs, `?previous=true` for the attempt before), as the
 * kubelet's endpoint of the same path does for `kubectl logs`. Unknown pods and containers
 * are 404, `previous` without an earlier attempt is 400, each with a plain-text message.
 *
 * The file reader is injected (`LogReader`); `readLocalLog` is a minimal one until the
 * logs package's reader (rotation-aware) replaces it.
 */
import { open, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOG_FOLLOW_POLL_MS, LOG_TAIL_LINES_MAX } from './constants.js';

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
}

export class AgentLogsServer {
  private readonly streams = new Set<AbortController>();

  private constructor(
    private readonly server: Server,
    private readonly options: AgentLogsServerOptions,
  ) {}

  static async start(options: AgentLogsServerOptions): Promise<AgentLogsServer> {
    const server = createServer();
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
    return `http://${host}:${this.port}`;
  }

  /** Ends followed streams and closes the server. */
  async stop(): Promise<void> {
    for (const stream of this.streams) stream.abort();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://agent');
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
      const reader = this.options.reader ?? readLocalLog;
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

/** A minimal reader: the file (or its last lines), then what is appended while following. */
export async function* readLocalLog(path: string, options: LogReadOptions): AsyncGenerator<Uint8Array> {
  let offset = 0;
  const size = (await stat(path).catch(() => undefined))?.size ?? 0;
  if (size > 0) {
    const whole = await readRange(path, 0, size);
    offset = size;
    yield options.tailLines === undefined ? whole : lastLines(whole, options.tailLines);
  }
  while (options.follow && !options.signal.aborted) {
    await sleep(LOG_FOLLOW_POLL_MS, undefined, { signal: options.signal }).catch(() => {});
    const now = (await stat(path).catch(() => undefined))?.size ?? 0;
    if (now < offset) offset = 0; // Rotated or truncated: start over from the new file's beginning.
    if (now > offset) {
      const chunk = await readRange(path, offset, now);
      offset = now;
      yield chunk;
    }
  }
}

async function readRange(path: string, start: number, end: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(end - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The last `count` lines of `text` (a final line without a newline counts as one). */
function lastLines(text: Buffer, count: number): Buffer {
  if (count === 0) return Buffer.alloc(0);
  let position = text.length;
  if (position > 0 && text[position - 1] === 0x0a) position--;
  for (let seen = 0; position > 0; position--) {
    if (text[position - 1] === 0x0a && ++seen === count) break;
  }
  return text.subarray(position);
}
