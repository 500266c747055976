/**
 * A container's probe as the prober uses it: read from the pod spec's JSON (already
 * validated by the API server and defaulted there, but read defensively: a field left out
 * takes Kubernetes' default here too, so a spec that skipped the API server's defaulting
 * still probes like the kubelet).
 */
import { PROBE_DEFAULTS } from './constants.js';
import type { ProbeKind } from './probe-types.js';

/** An HTTP header a probe sends (`httpGet.httpHeaders`). */
export interface ProbeHeader {
  readonly name: string;
  readonly value: string;
}

/** What one attempt does: the probe's single handler. */
export type ProbeHandler =
  | {
      readonly type: 'httpGet';
      /** The host to connect to; absent: the target's (the node's IP). */
      readonly host?: string;
      /** A number, or the name of one of the container's ports. */
      readonly port: number | string;
      /** Starts with `/`; may carry a query. */
      readonly path: string;
      readonly scheme: 'HTTP' | 'HTTPS';
      readonly headers: readonly ProbeHeader[];
    }
  | { readonly type: 'tcpSocket'; readonly host?: string; readonly port: number | string }
  | { readonly type: 'exec'; readonly command: readonly string[] }
  | { readonly type: 'grpc'; readonly port: number; /** The service name asked about; empty: the server as a whole. */ readonly service: string }
  /** A probe with no handler the prober knows: every attempt errors with `message` (never counted as a failure). */
  | { readonly type: 'invalid'; readonly message: string };

export interface ProbeSpec {
  readonly handler: ProbeHandler;
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

/** The pod spec's field of each probe kind. */
export const PROBE_FIELDS: Readonly<Record<ProbeKind, string>> = {
  startup: 'startupProbe',
  liveness: 'livenessProbe',
  readiness: 'readinessProbe',
};

/** The probe of `kind` of a container of the pod spec, or undefined when it has none. */
export function readContainerProbe(container: Readonly<Record<string, unknown>>, kind: ProbeKind): ProbeSpec | undefined {
  const value = container[PROBE_FIELDS[kind]];
  if (!isRecord(value)) return undefined;
  const spec: ProbeSpec = {
    handler: readHandler(value),
    initialDelaySeconds: integerAtLeast(value.initialDelaySeconds, 0, PROBE_DEFAULTS.initialDelaySeconds),
    periodSeconds: integerAtLeast(value.periodSeconds, 1, PROBE_DEFAULTS.periodSeconds),
    timeoutSeconds: integerAtLeast(value.timeoutSeconds, 1, PROBE_DEFAULTS.timeoutSeconds),
    successThreshold: integerAtLeast(value.successThreshold, 1, PROBE_DEFAULTS.successThreshold),
    failureThreshold: integerAtLeast(value.failureThreshold, 1, PROBE_DEFAULTS.failureThreshold),
  };
  // Liveness and startup decide on one success (the API server refuses anything else).
  return kind === 'readiness' ? spec : { ...spec, successThreshold: 1 };
}

function readHandler(probe: Readonly<Record<string, unknown>>): ProbeHandler {
  const { exec, httpGet, tcpSocket, grpc } = probe;
  if (isRecord(httpGet)) {
    const path = typeof httpGet.path === 'string' && httpGet.path !== '' ? httpGet.path : '/';
    return {
      type: 'httpGet',
      ...optionalHost(httpGet.host),
      port: readPort(httpGet.port),
      path: path.startsWith('/') ? path : `/${path}`,
      scheme: httpGet.scheme === 'HTTPS' ? 'HTTPS' : 'HTTP',
      headers: readHeaders(httpGet.httpHeaders),
    };
  }
  if (isRecord(tcpSocket)) return { type: 'tcpSocket', ...optionalHost(tcpSocket.host), port: readPort(tcpSocket.port) };
  if (isRecord(exec)) {
    const command = Array.isArray(exec.command) ? exec.command.filter((part): part is string => typeof part === 'string') : [];
    if (command.length === 0) return { type: 'invalid', message: 'exec probe has no command' };
    return { type: 'exec', command };
  }
  if (isRecord(grpc)) {
    const port = readPort(grpc.port);
    if (typeof port !== 'number') return { type: 'invalid', message: `grpc probe port must be a number, not ${JSON.stringify(grpc.port)}` };
    return { type: 'grpc', port, service: typeof grpc.service === 'string' ? grpc.service : '' };
  }
  return { type: 'invalid', message: 'probe has no handler (exec, httpGet, tcpSocket or grpc)' };
}

function readPort(value: unknown): number | string {
  return typeof value === 'number' || typeof value === 'string' ? value : '';
}

function optionalHost(value: unknown): { host?: string } {
  return typeof value === 'string' && value !== '' ? { host: value } : {};
}

function readHeaders(value: unknown): ProbeHeader[] {
  if (!Array.isArray(value)) return [];
  const headers: ProbeHeader[] = [];
  for (const header of value) {
    if (isRecord(header) && typeof header.name === 'string' && header.name !== '') {
      headers.push({ name: header.name, value: typeof header.value === 'string' ? header.value : '' });
    }
  }
  return headers;
}

function integerAtLeast(value: unknown, minimum: number, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= minimum ? value : fallback;
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
