/**
 * An `httpGet` attempt, as the kubelet makes it: a GET on a fresh connection (no
 * keep-alive), `HTTPS` without verifying the certificate (a pod's certificate is rarely
 * valid for the node's address), `kube-probe/` as the user agent and `*\/*` as `Accept`
 * unless the probe's own headers say otherwise. A status of 200-399 is a success; the
 * body is read, up to `HTTP_PROBE_BODY_BYTES_MAX`, before the status is judged, so a
 * server that sends its headers and then stalls times out like one that never answers.
 *
 * Redirects are not followed: a 3xx answer is itself a success (the kubelet follows
 * redirects on the same host and judges the last answer; a probe endpoint that redirects
 * is rare, and following would only matter for one that redirects to a failing page).
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

export function probeHttp(request: HttpProbeRequest, context: AttemptContext): Promise<ProbeResult> {
  const url = `${request.scheme === 'HTTPS' ? 'https' : 'http'}://${joinHostPort(request.host, request.port)}${request.path}`;
  // The kubelet's wording (Go's http.Client): operators search Events for it.
  const timedOut = (): ProbeResult => failure(`Get ${JSON.stringify(url)}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)`);
  return runWithDeadline(context, (signal) => get(request, url, signal), timedOut);
}

function get(request: HttpProbeRequest, url: string, signal: AbortSignal): Promise<ProbeResult> {
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
    client.on('error', (error) => resolve(failure(`Get ${JSON.stringify(url)}: ${error.message}`)));
    client.on('response', (response) => {
      const status = response.statusCode ?? 0;
      let bytes = 0;
      const judge = (): void => {
        resolve(status >= 200 && status < 400 ? SUCCESS : failure(`HTTP probe failed with statuscode: ${status}`));
      };
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes >= HTTP_PROBE_BODY_BYTES_MAX) judge();
      });
      response.on('end', judge);
      response.on('error', (error) => resolve(failure(`Get ${JSON.stringify(url)}: ${error.message}`)));
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
