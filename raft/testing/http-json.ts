/**
 * A small JSON-over-HTTP client for talking to `cluster-node.ts` processes: keep-alive
 * connections (one agent per client), a deadline on every request, and the body parsed
 * whatever the status code (the node's errors are JSON too).
 */
import http from 'node:http';
import { parseLoopbackAddress } from './tcp-proxy.js';

export interface JsonResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
}

/** The request got no complete answer within its deadline; its outcome is unknown. */
export class HttpTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly address: string,
    readonly path: string,
    readonly timeoutMs: number,
  ) {
    super(`no answer from ${address}${path} within ${timeoutMs} ms`);
    this.name = 'HttpTimeoutError';
  }
}

export interface JsonHttpClientOptions {
  /** Sockets per member at most (default 64). */
  readonly maxSocketsPerHost?: number;
}

export class JsonHttpClient {
  private readonly agent: http.Agent;

  constructor(options: JsonHttpClientOptions = {}) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSocketsPerHost ?? 64 });
  }

  /**
   * Send `body` (as JSON, when given) to `http://address/path`. Rejects on network errors
   * (with Node's error code, e.g. `ECONNREFUSED`) and with `HttpTimeoutError` past `timeoutMs`.
   */
  request<T = unknown>(address: string, method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number): Promise<JsonResponse<T>> {
    const { host, port } = parseLoopbackAddress(address);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          host,
          port,
          method,
          path,
          agent: this.agent,
          headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': payload.byteLength },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', (error) => finish(error));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            try {
              finish(null, { status: response.statusCode ?? 0, body: (text === '' ? null : JSON.parse(text)) as T });
            } catch (error) {
              finish(new Error(`bad JSON from ${address}${path} (status ${response.statusCode}): ${text.slice(0, 200)}`, { cause: error }));
            }
          });
        },
      );
      let settled = false;
      const timer = setTimeout(() => {
        finish(new HttpTimeoutError(address, path, timeoutMs));
        request.destroy();
      }, timeoutMs);
      const finish = (error: Error | null, response?: JsonResponse<T>): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error !== null) reject(error);
        else resolve(response!);
      };
      request.on('error', (error) => finish(error));
      request.end(payload);
    });
  }

  /** Close every idle connection; requests in flight finish. */
  close(): void {
    this.agent.destroy();
  }
}
