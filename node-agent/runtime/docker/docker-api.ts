/**
 * A small client of the Docker Engine API over its unix socket, with `node:http` (no
 * dependency): JSON requests, and the long-lived responses the runtime reads as streams
 * (`wait`, `logs?follow`, an exec's output). Every path is pinned to `DOCKER_API_VERSION`.
 *
 * The client owns its HTTP agent and every stream it opened: `close()` ends them all, so a
 * closed runtime holds no socket.
 */
import { Agent, request } from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { DOCKER_API_VERSION, ERROR_BODY_MAX_BYTES, REQUEST_TIMEOUT_MS } from './constants.js';

/** A query string's values; undefined entries are left out. */
export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

/** A response of the daemon that is not a success, or no response at all (`status` 0: the socket refused or broke). */
export class DockerApiError extends Error {
  override readonly name = 'DockerApiError';
  /** The HTTP status (404 no such container or image, 409 conflict, 400 bad parameter, 500 daemon error); 0 when the daemon did not answer. */
  readonly status: number;

  constructor(status: number, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
  }
}

export interface RequestOptions {
  readonly query?: Query;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Abandons the request after this many ms; default `REQUEST_TIMEOUT_MS`. 0: never (a stream). */
  readonly timeoutMs?: number;
}

export class DockerApi {
  readonly socketPath: string;
  private readonly agent = new Agent({ keepAlive: true });
  private readonly open = new Set<ClientRequest>();
  private closed = false;

  constructor(socketPath: string) {
    this.socketPath = socketPath;
  }

  /** The JSON answer of a request (undefined for an empty body); a status ≥ 400 rejects with `DockerApiError`. */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.stream(method, path, { timeoutMs: REQUEST_TIMEOUT_MS, ...options });
    const text = await readBody(response, Number.POSITIVE_INFINITY);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /**
   * The response of a request, to be read as a stream; a status ≥ 400 rejects with
   * `DockerApiError` carrying the daemon's message. The request counts as open until the
   * response ends or `close()`.
   */
  stream(method: string, path: string, options: RequestOptions = {}): Promise<IncomingMessage> {
    if (this.closed) return Promise.reject(new DockerApiError(0, 'the Docker API client is closed'));
    const body = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    return new Promise((resolve, reject) => {
      const req = request({
        socketPath: this.socketPath,
        agent: this.agent,
        method,
        path: `/v${DOCKER_API_VERSION}${path}${queryString(options.query)}`,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': body.length },
      });
      this.open.add(req);
      req.once('close', () => this.open.delete(req));
      const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
      if (timeoutMs > 0) {
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      }
      req.once('error', (error: NodeJS.ErrnoException) => {
        reject(new DockerApiError(0, `the Docker daemon at ${this.socketPath} did not answer ${method} ${path}: ${error.message}`, { cause: error }));
      });
      req.once('response', (response) => {
        const status = response.statusCode ?? 0;
        if (status < 400) {
          resolve(response);
          return;
        }
        readBody(response, ERROR_BODY_MAX_BYTES).then(
          (text) => reject(new DockerApiError(status, daemonMessage(text) || `${method} ${path}: HTTP ${status}`)),
          (error: Error) => reject(new DockerApiError(status, `${method} ${path}: HTTP ${status} (${error.message})`)),
        );
      });
      req.end(body);
    });
  }

  /** Ends every open request and stream and the idle connections. */
  close(): void {
    this.closed = true;
    for (const req of this.open) req.destroy();
    this.open.clear();
    this.agent.destroy();
  }
}

function queryString(query: Query | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** The body of a response as text, at most `maxBytes` of it (the rest is read and dropped). */
async function readBody(response: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    if (bytes >= maxBytes) continue;
    chunks.push(chunk);
    bytes += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, maxBytes);
}

/** The `message` of the daemon's error body (`{"message": "..."}`), or the body itself. */
function daemonMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON: the text is the message.
  }
  return text.trim();
}

/** Whether the daemon's event log holds an `oom` event of container `id` since `sinceMs` (epoch ms). */
export async function oomEventLogged(api: DockerApi, id: string, sinceMs: number): Promise<boolean> {
  const response = await api.stream('GET', '/events', {
    query: {
      since: Math.floor(sinceMs / 1000) - 1,
      // Now: the log so far, then the answer ends.
      until: (Date.now() / 1000).toFixed(3),
      filters: JSON.stringify({ container: [id], event: ['oom'] }),
    },
  });
  let text = '';
  for await (const chunk of response) text += (chunk as Buffer).toString('utf8');
  return text.split('\n').some((line) => line.trim() !== '' && (JSON.parse(line) as { Action?: string }).Action === 'oom');
}
