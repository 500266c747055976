/**
 * What the proxy reads from a Service and its Endpoints (no I/O): the ports to listen on,
 * and for each port the ready endpoints (`ip:port`) to forward to.
 *
 * Balsa gives Services no cluster IP: each Service port is served on the node's own address
 * at the Service's `port` (and, for NodePort and LoadBalancer Services, at its `nodePort`).
 * An Endpoints port number is dialled as it is: in the process runtime it is the host port
 * the pod's container port was mapped to on the pod's node.
 */
import type { ApiObject } from '../../control-plane/api/types.js';
import type { EndpointPort, EndpointSubset } from '../../control-plane/controllers/endpoints/endpoint-subsets.js';
import { objectKey } from '../../control-plane/client/informer.js';
import { PROXY_AFFINITY_TIMEOUT_SECONDS_DEFAULT } from './constants.js';

/** The protocols the proxy forwards (Node has no SCTP sockets). */
export type ProxyProtocol = 'TCP' | 'UDP';

/** One endpoint a Service port forwards to. */
export interface Backend {
  readonly ip: string;
  readonly port: number;
}

/** One port of one Service, as the proxy serves it. */
export interface ServicePortSpec {
  /** `namespace/name:portName/PROTOCOL` (portName empty for an unnamed port): the key of its balancer. */
  readonly id: string;
  /** `namespace/name` of the Service (and of its Endpoints). */
  readonly serviceKey: string;
  /** The port's `name`, '' when unnamed. */
  readonly name: string;
  readonly protocol: ProxyProtocol;
  /** The Service's `port`: listened on at the node's address. */
  readonly port: number;
  /** The Service's `nodePort` (NodePort and LoadBalancer Services only): listened on too. */
  readonly nodePort?: number;
  /** With `sessionAffinity: ClientIP`, how long a client IP sticks to its endpoint (ms); null without affinity. */
  readonly affinityTimeoutMs: number | null;
}

/** The ports of a Service the proxy serves, and why it serves none or leaves some out. */
export interface ServicePlan {
  readonly ports: ServicePortSpec[];
  /** One line per port (or for the whole Service) not proxied, for the log. */
  readonly skipped: string[];
}

interface ServicePortFields {
  name?: unknown;
  port?: unknown;
  protocol?: unknown;
  nodePort?: unknown;
}

/** `ip:port`, with an IPv6 address in brackets. */
export function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** A backend's name in logs and affinity tables: its `ip:port`. */
export function backendName(backend: Backend): string {
  return hostPort(backend.ip, backend.port);
}

/**
 * The ports of `service` to proxy. ExternalName Services are DNS aliases and headless
 * Services (`clusterIP: None`) are reached at their pods' own addresses, so neither is
 * proxied (as kube-proxy); SCTP ports are left out with a reason.
 */
export function planService(service: ApiObject): ServicePlan {
  const serviceKey = objectKey(service);
  const spec = service.spec ?? {};
  if (spec.type === 'ExternalName') return { ports: [], skipped: [`${serviceKey}: an ExternalName Service is not proxied`] };
  if (spec.clusterIP === 'None') return { ports: [], skipped: [`${serviceKey}: a headless Service (clusterIP None) is not proxied`] };
  const withNodePort = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  const affinityTimeoutMs = spec.sessionAffinity === 'ClientIP' ? affinityTimeoutSeconds(spec) * 1000 : null;
  const ports: ServicePortSpec[] = [];
  const skipped: string[] = [];
  for (const raw of Array.isArray(spec.ports) ? (spec.ports as ServicePortFields[]) : []) {
    const name = typeof raw?.name === 'string' ? raw.name : '';
    const protocol = typeof raw?.protocol === 'string' ? raw.protocol : 'TCP';
    if (!isPortNumber(raw?.port)) {
      skipped.push(`${serviceKey}: port ${JSON.stringify(name)} has no valid port number`);
      continue;
    }
    if (protocol !== 'TCP' && protocol !== 'UDP') {
      skipped.push(`${serviceKey}: port ${raw.port}/${protocol} is not proxied (the proxy forwards TCP and UDP only)`);
      continue;
    }
    const port: ServicePortSpec = {
      id: `${serviceKey}:${name}/${protocol}`,
      serviceKey,
      name,
      protocol,
      port: raw.port,
      affinityTimeoutMs,
      ...(withNodePort && isPortNumber(raw.nodePort) ? { nodePort: raw.nodePort } : {}),
    };
    ports.push(port);
  }
  return { ports, skipped };
}

/**
 * The ready endpoints of `port` in `endpoints` (none without an Endpoints object), in the
 * Endpoints' order, each once. An endpoint port belongs to the Service port of the same
 * name and protocol; a Service with a single port also takes a subset's single port of its
 * protocol whatever its name (an Endpoints object written by hand may name it or not).
 * `notReadyAddresses` get no traffic.
 */
export function readyBackends(port: ServicePortSpec, servicePortCount: number, endpoints: ApiObject | undefined): Backend[] {
  const subsets = Array.isArray(endpoints?.subsets) ? (endpoints.subsets as EndpointSubset[]) : [];
  const backends: Backend[] = [];
  const seen = new Set<string>();
  for (const subset of subsets) {
    const number = matchingPort(port, servicePortCount, Array.isArray(subset?.ports) ? subset.ports : []);
    if (number === undefined || !Array.isArray(subset.addresses)) continue;
    for (const address of subset.addresses) {
      if (typeof address?.ip !== 'string' || address.ip === '') continue;
      const backend = { ip: address.ip, port: number };
      const name = backendName(backend);
      if (seen.has(name)) continue;
      seen.add(name);
      backends.push(backend);
    }
  }
  return backends;
}

function matchingPort(port: ServicePortSpec, servicePortCount: number, endpointPorts: readonly EndpointPort[]): number | undefined {
  const sameProtocol = endpointPorts.filter((candidate) => (candidate?.protocol ?? 'TCP') === port.protocol && isPortNumber(candidate.port));
  const named = sameProtocol.find((candidate) => (candidate.name ?? '') === port.name);
  if (named !== undefined) return named.port;
  if (servicePortCount === 1 && sameProtocol.length === 1) return sameProtocol[0]!.port;
  return undefined;
}

function affinityTimeoutSeconds(spec: Record<string, unknown>): number {
  const config = spec.sessionAffinityConfig as { clientIP?: { timeoutSeconds?: unknown } } | undefined;
  const seconds = config?.clientIP?.timeoutSeconds;
  return typeof seconds === 'number' && Number.isInteger(seconds) && seconds > 0 ? seconds : PROXY_AFFINITY_TIMEOUT_SECONDS_DEFAULT;
}

function isPortNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65_535;
}
