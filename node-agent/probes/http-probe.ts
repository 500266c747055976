/**
 * An `httpGet` attempt, as the kubelet makes it: a GET on a fresh connection (no
 * keep-alive), `HTTPS` without verifying the certificate (a pod's certificate is rarely
 * valid for the node's address), `kube-probe/` as the user agent and `*\/*` as `Accept`
 * unless the probe's own headers say otherwise. A status of 200-399 is a success; the
 * body is read, up to `HTTP_PROBE_BODY_BYTES_MAX`, before the status is judged, so a
 * server that sends its headers and then stalls times out like one that never answers.
 *
 * Redirects are followed as the kubelet follows them: to the same host (any port, any
 * scheme), at most `HTTP_PROBE_MAX_REDIRECTS` times, judging the last answer (`stopped
 * after 10 redirects` past that); a redirect to another host is not followed and the 3xx
 * answer itself is the (successful) result, as the kubelet does not follow probes off
 * the node's pod.
 */
import http from 'node:http';
import https from 'node:https';
import { HTTP_PROBE_BODY_BYTES_MAX, PROBE_USER_AGENT } from './constants.js';
import { joinHostPort } from './probe-port.js';
import { failure, runWithDeadline, SUCCESS } from './probe-result.js';
import type { AttemptContext, ProbeResult } from './probe-result.js';
import type { ProbeHeader } from './probe-spec.js';

export interface HttpProbeRequest {
  readonly host: string;
  /** The port of the node, already resolved through the container's port mappings. */
  readonly port: number;
  readonly path: string;
  readonly scheme: 'HTTP' | 'HTTPS';
  readonly headers: readonly ProbeHeader[];
}

/** Redirects followed at most (Go's http.Client default, which the kubelet keeps). */
export const HTTP_PROBE_MAX_REDIRECTS = 10;

const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

export function probeHttp(request: HttpProbeRequest, context: AttemptContext): Promise<ProbeResult> {
  const url = probeUrl(request);
  // The kubelet's wording (Go's http.Client): operators search Events for it.
  const timedOut = (): ProbeResult => failure(`Get ${JSON.stringify(url)}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)`);
  return runWithDeadline(context, (signal) => follow(request, signal), timedOut);
}

function probeUrl(request: HttpProbeRequest): string {
  return `${request.scheme === 'HTTPS' ? 'https' : 'http'}://${joinHostPort(request.host, request.port)}${request.path}`;
}

/** GETs `request`, then each same-host `Location` it is sent to, up to the limit. */
async function follow(request: HttpProbeRequest, signal: AbortSignal): Promise<ProbeResult> {
  let current = request;
  for (let redirects = 0; ; redirects++) {
    const answer = await get(current, probeUrl(current), signal);
    if (answer.location === undefined) return answer.result;
    let next: URL;
    try {
      next = new URL(answer.location, probeUrl(current));
    } catch {
      return answer.result;
    }
    const hostname = next.hostname.replace(/^\[|\]$/g, '');
    // Off the pod's host (or to a scheme a probe cannot speak): the redirect itself is the answer.
    if (hostname !== request.host || (next.protocol !== 'http:' && next.protocol !== 'https:')) return answer.result;
    if (redirects + 1 > HTTP_PROBE_MAX_REDIRECTS) return failure(`Get ${JSON.stringify(next.href)}: stopped after ${HTTP_PROBE_MAX_REDIRECTS} redirects`);
    const scheme = next.protocol === 'https:' ? 'HTTPS' : 'HTTP';
    current = { ...current, scheme, port: next.port === '' ? (scheme === 'HTTPS' ? 443 : 80) : Number(next.port), path: `${next.pathname}${next.search}` };
  }
}

/** One GET: its result, and where a 3xx answer points (when it says). */
function get(request: HttpProbeRequest, url: string, signal: AbortSignal): Promise<{ result: ProbeResult; location?: string }> {
  return new Promise((resolve) => {
    const options: https.RequestOptions = {
      host: request.host,
      port: request.port,
      path: request.path,
      method: 'GET',
      headers: requestHeaders(request.headers),
      agent: false,
      // No verification, as the kubelet: the probe asks whether the server answers, not who it is.
      rejectUnauthorized: false,
    };
    const client = request.scheme === 'HTTPS' ? https.request(options) : http.request(options);
    // The deadline aborts the signal once the attempt is decided, whoever decided it.
    signal.addEventListener('abort', () => client.destroy(), { once: true });
    client.on('error', (error) => resolve({ result: failure(`Get ${JSON.stringify(url)}: ${error.message}`) }));
    client.on('response', (response) => {
      const status = response.statusCode ?? 0;
      let bytes = 0;
      const location = REDIRECT_CODES.has(status) ? response.headers.location : undefined;
      const judge = (): void => {
        const result = status >= 200 && status < 400 ? SUCCESS : failure(`HTTP probe failed with statuscode: ${status}`);
        resolve(location === undefined ? { result } : { result, location });
      };
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes >= HTTP_PROBE_BODY_BYTES_MAX) judge();
      });
      response.on('end', judge);
      response.on('error', (error) => resolve({ result: failure(`Get ${JSON.stringify(url)}: ${error.message}`) }));
    });
    client.end();
  });
}

/** The probe's headers over the defaults, names compared without case; a repeated name sends every value. */
function requestHeaders(headers: readonly ProbeHeader[]): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = { 'user-agent': PROBE_USER_AGENT, accept: '*/*' };
  const given = new Map<string, string[]>();
  for (const header of headers) {
    const name = header.name.toLowerCase();
    given.set(name, [...(given.get(name) ?? []), header.value]);
  }
  for (const [name, values] of given) result[name] = values.length === 1 ? values[0]! : values;
  return result;
}
