/**
 * `fetch` for a server whose certificate a private CA signed, or that asks for a client
 * certificate: Node's fetch takes neither, so the request goes over node:https and its
 * answer is handed back as a web `Response` (the body a stream, read as it arrives).
 */
import https from 'node:https';
import { Readable } from 'node:stream';

/** PEM: the CA that verifies the server, and a client certificate and key to present. */
export interface TlsMaterial {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** `fetch` over node:https with a CA and a client certificate; failures carry their cause as fetch's do. */
export function httpsFetch(url: string, init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }, tls: TlsMaterial): Promise<Response> {
  return new Promise((resolve, reject) => {
    const request = https.request(url, {
      method: init.method,
      headers: init.headers,
      ...(init.signal !== undefined ? { signal: init.signal } : {}),
      ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
      ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
      ...(tls.key !== undefined ? { key: tls.key } : {}),
    });
    request.once('response', (answer) => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(answer.headers)) if (typeof value === 'string') headers.set(name, value);
      const status = answer.statusCode ?? 500;
      const body = status === 204 || status === 304 ? null : (Readable.toWeb(answer) as ReadableStream<Uint8Array>);
      resolve(new Response(body, { status, statusText: answer.statusMessage ?? '', headers }));
    });
    request.once('error', (error) => {
      if (init.signal?.aborted === true) reject(init.signal.reason ?? error);
      else reject(Object.assign(new Error('fetch failed'), { cause: error }));
    });
    request.end(init.body);
  });
}

