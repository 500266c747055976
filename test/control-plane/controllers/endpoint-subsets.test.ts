/**
 * Which port of a pod a Service port reaches: the spec's container port by number or name,
 * and, when the pod's node agent reported one, the host port it gave that container port
 * (Balsa's agents run every pod of a node on the node's IP, each container port on a host
 * port of its own). The endpoints controller publishes that port.
 */
import type { ApiObject } from '../../../control-plane/api/types.js';
import { endpointSubsets, resolveTargetPort } from '../../../control-plane/controllers/endpoints/endpoint-subsets.js';

function pod(name: string, reported: { containerPort: number; hostPort: number; protocol?: string }[] | undefined): ApiObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { nodeName: 'n1', containers: [{ name: 'web', image: 'web:1', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] }] },
    status: {
      phase: 'Running',
      podIP: '127.0.0.2',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'web', ready: true, ...(reported !== undefined ? { ports: reported.map((port) => ({ protocol: 'TCP', ...port })) } : {}) }],
    },
  };
}

test('a named or numeric target port resolves to the host port the agent reported for it', () => {
  const withHostPorts = pod('a', [{ containerPort: 8080, hostPort: 31001 }, { containerPort: 53, hostPort: 31002, protocol: 'UDP' }]);
  expect(resolveTargetPort(withHostPorts, { port: 80, targetPort: 'http' })).toBe(31001);
  expect(resolveTargetPort(withHostPorts, { port: 80, targetPort: 8080 })).toBe(31001);
  expect(resolveTargetPort(withHostPorts, { port: 53, targetPort: 'dns', protocol: 'UDP' })).toBe(31002);
  // The protocol must match too: TCP 53 was not given a host port.
  expect(resolveTargetPort(withHostPorts, { port: 53, targetPort: 53 })).toBe(53);
  expect(resolveTargetPort(withHostPorts, { port: 80, targetPort: 'metrics' })).toBeUndefined();
});

test('without reported host ports (another runtime, or not started yet) the container port is used', () => {
  expect(resolveTargetPort(pod('b', undefined), { port: 80, targetPort: 'http' })).toBe(8080);
});

test('pods of one node on different host ports are separate subsets of the Endpoints', () => {
  const service: ApiObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] } };
  const subsets = endpointSubsets(service, [pod('a', [{ containerPort: 8080, hostPort: 31001 }]), pod('b', [{ containerPort: 8080, hostPort: 31005 }])]);
  expect(subsets.map((subset) => ({ ports: subset.ports?.map((port) => port.port), pods: subset.addresses?.map((address) => address.targetRef?.name) }))).toEqual([
    { ports: [31001], pods: ['a'] },
    { ports: [31005], pods: ['b'] },
  ]);
});
