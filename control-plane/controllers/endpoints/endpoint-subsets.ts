/**
 * What a Service's Endpoints should say, computed from the Service and its pods alone (no
 * I/O): each selected pod's address, ready or not, with the ports the Service's
 * `targetPort`s resolve to on that pod, grouped into subsets of addresses that share the
 * same port set, as Kubernetes' endpoints controller and its "repack" step do.
 *
 * The output is canonical (addresses sorted by IP then pod, ports by name, number and
 * protocol, subsets by their ports), so that equal inputs give equal JSON and the
 * controller can tell "nothing changed" by comparing values.
 */
import type { ApiObject } from '../../api/types.js';

export interface EndpointTargetRef {
  kind: 'Pod';
  namespace: string;
  name: string;
  uid: string;
}

export interface EndpointAddress {
  ip: string;
  /** The pod's `spec.hostname`, when its `spec.subdomain` is the Service's name. */
  hostname?: string;
  nodeName?: string;
  targetRef: EndpointTargetRef;
}

export interface EndpointPort {
  /** The Service port's name (absent when the Service has a single unnamed port). */
  name?: string;
  /** The port on the pod the Service port resolved to. */
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

interface ServicePort {
  name?: unknown;
  port?: unknown;
  targetPort?: unknown;
  protocol?: unknown;
  appProtocol?: unknown;
}

interface ContainerPort {
  name?: unknown;
  containerPort?: unknown;
  protocol?: unknown;
}

/** A pod in phase Succeeded or Failed: its containers are done and will not serve again. */
export function isPodTerminal(pod: ApiObject): boolean {
  const phase = (pod.status as { phase?: unknown } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Whether the pod's `Ready` condition is `True` (what its node agent's readiness probes decided). */
export function isPodReady(pod: ApiObject): boolean {
  const conditions = (pod.status as { conditions?: unknown } | undefined)?.conditions;
  if (!Array.isArray(conditions)) return false;
  return conditions.some((condition: { type?: unknown; status?: unknown }) => condition?.type === 'Ready' && condition.status === 'True');
}

/** The pod's primary IP (`status.podIP`, else the first of `status.podIPs`), or '' when it has none yet. */
export function podIP(pod: ApiObject): string {
  const status = (pod.status ?? {}) as { podIP?: unknown; podIPs?: unknown };
  if (typeof status.podIP === 'string' && status.podIP !== '') return status.podIP;
  if (Array.isArray(status.podIPs)) {
    const first = (status.podIPs[0] as { ip?: unknown } | undefined)?.ip;
    if (typeof first === 'string') return first;
  }
  return '';
}

/**
 * The port a Service port forwards to on this pod: a numeric `targetPort` as it is; a named
 * one looked up among the pod's containers' ports (same name and protocol); undefined when
 * the pod has no such port (the pod is then left out of this port's endpoints). Then, when
 * the node agent reported a host port for that container port (Balsa's agents give each
 * pod's container ports host ports of their own on the node's IP, listed in
 * `status.containerStatuses[].ports`), that host port: it is where the pod listens.
 */
export function resolveTargetPort(pod: ApiObject, servicePort: ServicePort): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  const protocol = typeof servicePort.protocol === 'string' ? servicePort.protocol : 'TCP';
  let containerPort: number | undefined;
  if (typeof target === 'number') containerPort = target;
  else if (typeof target === 'string' && target !== '') containerPort = namedContainerPort(pod, target, protocol);
  return containerPort === undefined ? undefined : (reportedHostPort(pod, containerPort, protocol) ?? containerPort);
}

function namedContainerPort(pod: ApiObject, name: string, protocol: string): number | undefined {
  const containers = pod.spec?.containers;
  if (!Array.isArray(containers)) return undefined;
  for (const container of containers as { ports?: unknown }[]) {
    if (!Array.isArray(container?.ports)) continue;
    for (const port of container.ports as ContainerPort[]) {
      if (port?.name === name && (port.protocol ?? 'TCP') === protocol && typeof port.containerPort === 'number') return port.containerPort;
    }
  }
  return undefined;
}

/** The host port the node agent reported for a container port of this pod, if any. */
function reportedHostPort(pod: ApiObject, containerPort: number, protocol: string): number | undefined {
  const statuses = (pod.status as { containerStatuses?: unknown } | undefined)?.containerStatuses;
  if (!Array.isArray(statuses)) return undefined;
  for (const status of statuses as { ports?: unknown }[]) {
    if (!Array.isArray(status?.ports)) continue;
    for (const port of status.ports as { containerPort?: unknown; hostPort?: unknown; protocol?: unknown }[]) {
      if (port?.containerPort === containerPort && (port.protocol ?? 'TCP') === protocol && typeof port.hostPort === 'number') return port.hostPort;
    }
  }
  return undefined;
}

/** Whether the Service is headless (`clusterIP: None`): its Endpoints carry a label saying so. */
export function isHeadless(service: ApiObject): boolean {
  return service.spec?.clusterIP === 'None';
}

/**
 * The subsets of the Service's Endpoints, given the pods its selector matched (in its
 * namespace). A pod is left out when it is terminal or has no IP yet; it is listed under
 * `notReadyAddresses` when it is not Ready or is being deleted (so that proxies stop
 * sending it new connections while it drains), unless the Service publishes not-ready
 * addresses (`spec.publishNotReadyAddresses`), in which case every listed pod is ready.
 */
export function endpointSubsets(service: ApiObject, pods: readonly ApiObject[]): EndpointSubset[] {
  const spec = service.spec ?? {};
  const publishNotReady = spec.publishNotReadyAddresses === true;
  const servicePorts = Array.isArray(spec.ports) ? (spec.ports as ServicePort[]) : [];
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const pod of pods) {
    const ip = podIP(pod);
    if (isPodTerminal(pod) || ip === '') continue;
    const ready = publishNotReady || (isPodReady(pod) && pod.metadata.deletionTimestamp === undefined);
    const ports = resolvedPorts(pod, servicePorts);
    // A pod that serves none of the Service's ports is no endpoint of it; a headless
    // Service without ports still lists its pods (DNS names them).
    if (ports.length === 0 && !(servicePorts.length === 0 && isHeadless(service))) continue;
    const key = JSON.stringify(ports);
    let group = groups.get(key);
    if (group === undefined) {
      group = { ports, ready: [], notReady: [] };
      groups.set(key, group);
    }
    (ready ? group.ready : group.notReady).push(endpointAddress(service, pod, ip));
  }
  return [...groups.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([, group]) => {
      const subset: EndpointSubset = {};
      if (group.ready.length > 0) subset.addresses = group.ready.sort(compareAddresses);
      if (group.notReady.length > 0) subset.notReadyAddresses = group.notReady.sort(compareAddresses);
      if (group.ports.length > 0) subset.ports = group.ports;
      return subset;
    });
}

/** The pod's endpoint ports, one per Service port that resolves on it, in canonical order. */
function resolvedPorts(pod: ApiObject, servicePorts: readonly ServicePort[]): EndpointPort[] {
  const ports: EndpointPort[] = [];
  for (const servicePort of servicePorts) {
    const number = resolveTargetPort(pod, servicePort);
    if (number === undefined) continue;
    const port: EndpointPort = { port: number, protocol: typeof servicePort.protocol === 'string' ? servicePort.protocol : 'TCP' };
    if (typeof servicePort.name === 'string' && servicePort.name !== '') port.name = servicePort.name;
    if (typeof servicePort.appProtocol === 'string' && servicePort.appProtocol !== '') port.appProtocol = servicePort.appProtocol;
    ports.push(port);
  }
  return ports.sort((a, b) => compareText(a.name ?? '', b.name ?? '') || a.port - b.port || compareText(a.protocol, b.protocol));
}

function endpointAddress(service: ApiObject, pod: ApiObject, ip: string): EndpointAddress {
  const meta = pod.metadata;
  const address: EndpointAddress = {
    ip,
    targetRef: { kind: 'Pod', namespace: meta.namespace ?? '', name: meta.name ?? '', uid: meta.uid ?? '' },
  };
  const hostname = pod.spec?.hostname;
  // As Kubernetes: a pod is named in the Service's DNS only when its subdomain is the Service.
  if (typeof hostname === 'string' && hostname !== '' && pod.spec?.subdomain === service.metadata.name) address.hostname = hostname;
  const nodeName = pod.spec?.nodeName;
  if (typeof nodeName === 'string' && nodeName !== '') address.nodeName = nodeName;
  return address;
}

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return compareText(a.ip, b.ip) || compareText(a.targetRef.name, b.targetRef.name) || compareText(a.targetRef.uid, b.targetRef.uid);
}

/** Code-unit order, the same on every machine (unlike `localeCompare`). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
