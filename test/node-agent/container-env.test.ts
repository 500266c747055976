/**
 * The downward API's `resourceFieldRef`, as Kubernetes' kubelet resolves it: a container's
 * request or limit in units of the divisor, rounded up; a limit not set is the node's
 * allocatable amount, a request not set 0; another container named by `containerName`; and
 * what it cannot resolve is a CreateContainerConfigError.
 */
import type { ApiObject } from '../../control-plane/api/types.js';
import { resolveEnv } from '../../node-agent/container-env.js';
import type { PodFieldValues } from '../../node-agent/container-env.js';
import { AgentError } from '../../node-agent/errors.js';

type Json = Record<string, unknown>;

const FIELDS: PodFieldValues = { podIP: '127.0.0.1', hostIP: '127.0.0.1', nodeAllocatable: { cpu: '4', memory: '8Gi' } };
const NO_SOURCES = { configMap: () => undefined, secret: () => undefined };

function podWith(containers: Json[]): ApiObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers } };
}

function envOf(container: Json, pod: ApiObject = podWith([container])): Record<string, string> {
  return Object.fromEntries(resolveEnv(pod, container, NO_SOURCES, FIELDS).map(({ name, value }) => [name, value]));
}

const ref = (name: string, resourceFieldRef: Json): Json => ({ name, valueFrom: { resourceFieldRef } });

test('requests and limits in units of the divisor, rounded up; CPU in cores by default', () => {
  const container = {
    name: 'app',
    resources: { requests: { cpu: '250m', memory: '100Mi' }, limits: { cpu: '1500m', memory: '1Gi' } },
    env: [
      ref('CPU_LIMIT', { resource: 'limits.cpu' }),
      ref('CPU_LIMIT_MILLI', { resource: 'limits.cpu', divisor: '1m' }),
      ref('CPU_REQUEST', { resource: 'requests.cpu' }),
      ref('CPU_REQUEST_MILLI', { resource: 'requests.cpu', divisor: '1m' }),
      ref('MEMORY_LIMIT', { resource: 'limits.memory' }),
      ref('MEMORY_LIMIT_MI', { resource: 'limits.memory', divisor: '1Mi' }),
      ref('MEMORY_REQUEST_M', { resource: 'requests.memory', divisor: '1M' }),
      ref('ZERO_DIVISOR', { resource: 'limits.memory', divisor: '0' }),
    ],
  };
  expect(envOf(container)).toEqual({
    CPU_LIMIT: '2',
    CPU_LIMIT_MILLI: '1500',
    CPU_REQUEST: '1',
    CPU_REQUEST_MILLI: '250',
    MEMORY_LIMIT: String(2 ** 30),
    MEMORY_LIMIT_MI: '1024',
    // 100Mi is 104,857,600 bytes: 104.86 MB, rounded up.
    MEMORY_REQUEST_M: '105',
    ZERO_DIVISOR: String(2 ** 30),
  });
});

test("a limit the container does not set is the node's allocatable amount; a request it does not set is 0", () => {
  const container = {
    name: 'app',
    env: [
      ref('CPU_LIMIT', { resource: 'limits.cpu' }),
      ref('MEMORY_LIMIT_GI', { resource: 'limits.memory', divisor: '1Gi' }),
      ref('CPU_REQUEST', { resource: 'requests.cpu', divisor: '1m' }),
      ref('MEMORY_REQUEST', { resource: 'requests.memory' }),
    ],
  };
  expect(envOf(container)).toEqual({ CPU_LIMIT: '4', MEMORY_LIMIT_GI: '8', CPU_REQUEST: '0', MEMORY_REQUEST: '0' });
});

test("containerName reads another container's resources", () => {
  const sidecar = { name: 'sidecar', resources: { limits: { memory: '64Mi' } } };
  const app = { name: 'app', env: [ref('SIDECAR_MEMORY_MI', { containerName: 'sidecar', resource: 'limits.memory', divisor: '1Mi' })] };
  expect(envOf(app, podWith([app, sidecar]))).toEqual({ SIDECAR_MEMORY_MI: '64' });
});

test('what cannot be resolved is a CreateContainerConfigError naming the problem', () => {
  const failure = (entry: Json): AgentError => {
    try {
      envOf({ name: 'app', env: [entry] });
    } catch (error) {
      if (error instanceof AgentError) return error;
      throw error;
    }
    throw new Error('resolved');
  };
  const unsupported = failure(ref('X', { resource: 'limits.nvidia.com/gpu' }));
  expect(unsupported.code).toBe('CreateContainerConfigError');
  expect(unsupported.message).toContain('unsupported resourceFieldRef.resource: "limits.nvidia.com/gpu"');
  expect(failure(ref('X', { containerName: 'ghost', resource: 'limits.cpu' })).message).toContain('no container "ghost" in the pod');
  expect(failure(ref('X', { resource: 'limits.cpu', divisor: 'lots' })).message).toContain('resourceFieldRef limits.cpu');
  expect(failure(ref('X', { resource: 'limits.cpu', divisor: '-1' })).message).toContain('the divisor must be positive');
});
