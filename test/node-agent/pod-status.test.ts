/**
 * The container statuses the agent reports carry what Kubernetes' do, plus Balsa's two
 * extensions: the host ports the pod's container ports were given, and a note when the
 * host could not enforce the container's limits.
 */
import { computePodStatus } from '../../node-agent/pod-status.js';
import type { ContainerView } from '../../node-agent/pod-status.js';
import type { ContainerInfo } from '../../node-agent/runtime/container-runtime.js';

const PORTS = [{ name: 'http', containerPort: 8080, hostPort: 31007, protocol: 'TCP' as const }];

function running(limitsNote?: string): ContainerInfo {
  return {
    id: 'c1', podUid: 'u1', podNamespace: 'default', podName: 'web-1', containerName: 'web', attempt: 0, image: 'web:1',
    state: 'running', startedAtMs: Date.parse('2026-12-02T05:00:00Z'), ports: PORTS, logPath: '/tmp/x.log',
    ...(limitsNote !== undefined ? { limitsNote } : {}),
  };
}

function statusOf(current: ContainerInfo): Record<string, unknown> {
  const view: ContainerView = { name: 'web', image: 'web:1', current, restartCount: 0, ready: true, started: true, ports: PORTS };
  const status = computePodStatus({
    current: {}, readinessGates: [], initContainers: [], containers: [view], initialized: true, initFailed: false, terminating: false,
    runtimeName: 'process', nodeIp: '127.0.0.2', now: new Date('2026-12-02T05:00:01Z'),
  });
  return (status.containerStatuses as Record<string, unknown>[])[0]!;
}

test('a running container: Kubernetes fields, its host ports, and no limits note when the limits were enforced', () => {
  const status = statusOf(running());
  expect(status).toMatchObject({
    name: 'web', image: 'web:1', containerID: 'process://c1', ready: true, started: true, restartCount: 0,
    state: { running: { startedAt: '2026-12-02T05:00:00Z' } },
    ports: [{ name: 'http', containerPort: 8080, hostPort: 31007, protocol: 'TCP' }],
  });
  expect(status).not.toHaveProperty('limitsNote');
});

test('limits the host could not enforce are noted in the container status', () => {
  const note = 'limits not enforced: cgroup v2 has no "memory" controller';
  expect(statusOf(running(note)).limitsNote).toBe(note);
});
