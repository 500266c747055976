/**
 * Which port of the node a probe connects to. Containers listen on host ports the agent
 * allocated per pod (the process runtime cannot give each pod its own network namespace),
 * so a probe's port goes through the container's port mappings first:
 * - a name is the port of that name in the spec, reached at its host port;
 * - a number equal to a spec `containerPort` (TCP) is reached at that port's host port;
 * - any other number is used as is (a port the container opened without declaring it).
 */
import type { PortMapping } from '../runtime/container-runtime.js';

export type ResolvedPort = { readonly ok: true; readonly port: number } | { readonly ok: false; readonly message: string };

export function resolveProbePort(port: number | string, ports: readonly PortMapping[]): ResolvedPort {
  if (typeof port === 'string') {
    const named = port === '' ? undefined : ports.find((mapping) => mapping.name === port);
    if (named === undefined) {
      const names = ports.flatMap((mapping) => (mapping.name === undefined ? [] : [mapping.name]));
      return { ok: false, message: `couldn't find port: ${JSON.stringify(port)} among the container's named ports [${names.join(', ')}]` };
    }
    return { ok: true, port: named.hostPort };
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { ok: false, message: `invalid port number: ${port}` };
  // A container port may be declared once per protocol; probes are TCP.
  const mapped = ports.find((mapping) => mapping.containerPort === port && mapping.protocol === 'TCP')
    ?? ports.find((mapping) => mapping.containerPort === port);
  return { ok: true, port: mapped === undefined ? port : mapped.hostPort };
}

/** `host:port`, with an IPv6 host in brackets (as in URLs and Go's `net.JoinHostPort`). */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
