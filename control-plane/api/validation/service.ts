/**
 * Service and Endpoints rules. A Service names a stable address (`spec.clusterIP`) and
 * ports, and selects the pods that serve them; the endpoints controller writes the
 * selected pods' addresses into the Endpoints object of the same name, which proxies read.
 */
import { dns1123LabelErrors, dns1123SubdomainErrors } from '../names.js';
import {
  checkLabels,
  checkName,
  checkOneOf,
  checkPortNumber,
  checkPortNumberOrName,
  child,
  duplicate,
  forbidden,
  immutable,
  invalid,
  isAbsent,
  readInteger,
  readRecord,
  readRecordList,
  readRequiredString,
  readString,
  required,
} from './checks.js';
import type { Errors, Json } from './checks.js';
import { isIPAddress, checkIPAddress } from './ip.js';
import { PROTOCOLS } from './pod.js';

export const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;
/** Kubernetes' default node port range. */
export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;
const SESSION_AFFINITIES = ['ClientIP', 'None'];

export function validateServiceSpec(specValue: unknown, errors: Errors): void {
  const spec = readRecord(errors, specValue, 'spec') ?? {};
  const type = checkOneOf(errors, spec.type, 'spec.type', SERVICE_TYPES);
  checkOneOf(errors, spec.sessionAffinity, 'spec.sessionAffinity', SESSION_AFFINITIES);
  checkLabels(errors, spec.selector, 'spec.selector');

  const clusterIP = readString(errors, spec.clusterIP, 'spec.clusterIP');
  if (clusterIP !== undefined && clusterIP !== '' && clusterIP !== 'None' && !isIPAddress(clusterIP)) {
    invalid(errors, 'spec.clusterIP', clusterIP, "must be empty, 'None', or a valid IP address");
  }

  if (type === 'ExternalName') {
    const externalName = readRequiredString(errors, spec.externalName, 'spec.externalName');
    // A fully qualified name may end in a dot.
    if (externalName !== undefined) {
      checkName(errors, 'spec.externalName', externalName.replace(/\.$/, ''), dns1123SubdomainErrors);
    }
  }

  const ports = readRecordList(errors, spec.ports, 'spec.ports');
  // An ExternalName Service is a DNS alias, with nothing to forward; every other type forwards ports.
  if (type !== 'ExternalName' && (isAbsent(spec.ports) || (Array.isArray(spec.ports) && spec.ports.length === 0))) {
    required(errors, 'spec.ports');
  }
  validateServicePorts(ports, type ?? 'ClusterIP', errors);
}

function validateServicePorts(ports: { item: Json; path: string }[], type: string, errors: Errors): void {
  const names = new Set<string>();
  const portsSeen = new Set<string>();
  const nodePortsSeen = new Set<string>();
  for (const { item: port, path } of ports) {
    checkPortName(port.name, child(path, 'name'), ports.length, names, errors);
    const protocol = checkOneOf(errors, port.protocol, child(path, 'protocol'), PROTOCOLS) ?? 'TCP';
    const number = checkPortNumber(errors, port.port, child(path, 'port'));
    if (number !== undefined) {
      const identity = `${number}/${protocol}`;
      if (portsSeen.has(identity)) duplicate(errors, path, identity);
      portsSeen.add(identity);
    }
    if (!isAbsent(port.targetPort) && port.targetPort !== 0 && port.targetPort !== '') {
      checkPortNumberOrName(errors, port.targetPort, child(path, 'targetPort'));
    }
    const nodePort = readInteger(errors, port.nodePort, child(path, 'nodePort'));
    if (nodePort === undefined || nodePort === 0) continue;
    if (type === 'ClusterIP' || type === 'ExternalName') {
      forbidden(errors, child(path, 'nodePort'), `may not be used when \`type\` is '${type}'`);
    } else if (nodePort < NODE_PORT_MIN || nodePort > NODE_PORT_MAX) {
      invalid(
        errors,
        child(path, 'nodePort'),
        nodePort,
        `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}`,
      );
    } else {
      const identity = `${nodePort}/${protocol}`;
      if (nodePortsSeen.has(identity)) duplicate(errors, child(path, 'nodePort'), nodePort);
      nodePortsSeen.add(identity);
    }
  }
}

/**
 * The cluster IP is the Service's identity on the network: clients and proxies have it
 * cached, so once allocated it stays. The registry carries the stored value into an
 * update that leaves the field out, as Kubernetes does, before this runs.
 */
export function validateServiceSpecUpdate(spec: unknown, oldSpec: unknown, errors: Errors): void {
  const clusterIP = readRecord([], spec, 'spec')?.clusterIP;
  const oldClusterIP = readRecord([], oldSpec, 'spec')?.clusterIP;
  if (typeof oldClusterIP === 'string' && oldClusterIP !== '' && clusterIP !== oldClusterIP) {
    immutable(errors, 'spec.clusterIP', clusterIP ?? '');
  }
}

/** Load-balancer addresses are IPs or DNS names. */
export function validateServiceStatus(value: unknown, errors: Errors): void {
  const status = readRecord(errors, value, 'status');
  if (status === undefined) return;
  const loadBalancer = readRecord(errors, status.loadBalancer, 'status.loadBalancer');
  if (loadBalancer === undefined) return;
  for (const { item, path } of readRecordList(errors, loadBalancer.ingress, 'status.loadBalancer.ingress')) {
    const ip = readString(errors, item.ip, child(path, 'ip'));
    if (ip !== undefined && ip !== '') checkIPAddress(errors, ip, child(path, 'ip'));
    const hostname = readString(errors, item.hostname, child(path, 'hostname'));
    if (hostname !== undefined && hostname !== '') checkName(errors, child(path, 'hostname'), hostname, dns1123SubdomainErrors);
  }
}

/** Each subset: addresses that are IPs, and ports that are named when there are several. */
export function validateEndpoints(obj: Json, errors: Errors): void {
  for (const { item: subset, path } of readRecordList(errors, obj.subsets, 'subsets')) {
    for (const list of ['addresses', 'notReadyAddresses']) {
      for (const { item: address, path: addressPath } of readRecordList(errors, subset[list], child(path, list))) {
        const ip = readRequiredString(errors, address.ip, child(addressPath, 'ip'));
        if (ip !== undefined) checkIPAddress(errors, ip, child(addressPath, 'ip'));
        const hostname = readString(errors, address.hostname, child(addressPath, 'hostname'));
        if (hostname !== undefined && hostname !== '') checkName(errors, child(addressPath, 'hostname'), hostname, dns1123LabelErrors);
        const nodeName = readString(errors, address.nodeName, child(addressPath, 'nodeName'));
        if (nodeName !== undefined && nodeName !== '') checkName(errors, child(addressPath, 'nodeName'), nodeName, dns1123SubdomainErrors);
        readRecord(errors, address.targetRef, child(addressPath, 'targetRef'));
      }
    }
    const ports = readRecordList(errors, subset.ports, child(path, 'ports'));
    const names = new Set<string>();
    for (const { item: port, path: portPath } of ports) {
      checkPortName(port.name, child(portPath, 'name'), ports.length, names, errors);
      checkPortNumber(errors, port.port, child(portPath, 'port'));
      checkOneOf(errors, port.protocol, child(portPath, 'protocol'), PROTOCOLS);
    }
  }
}

/**
 * A port's name: a DNS label, unique among the ports, and required when there are several,
 * since Endpoints and a pod's named `targetPort` tell them apart by name.
 */
function checkPortName(value: unknown, path: string, portCount: number, names: Set<string>, errors: Errors): void {
  const name = readString(errors, value, path);
  if (name === undefined || name === '') {
    if (portCount > 1 && (isAbsent(value) || name === '')) required(errors, path);
    return;
  }
  checkName(errors, path, name, dns1123LabelErrors);
  if (names.has(name)) duplicate(errors, path, name);
  names.add(name);
}
