/**
 * An agent that crashed and came back: it re-adopts the containers of pods still bound to
 * it (same container, no restart, restart counts continued, exits still acted on) and
 * removes the containers of pods deleted while it was away.
 */
import { eventually } from '../support/eventually.js';
import { PODS, boundPod, condition, containerStatus, startAgentHarness } from './support/agent-harness.js';
import type { AgentHarness } from './support/agent-harness.js';


let harness: AgentHarness;

beforeAll(async () => {
  harness = await startAgentHarness();
});

afterAll(async () => {
  await harness?.stop();
});

test('a restarted agent keeps running containers as they are and cleans up after deleted pods', async () => {
  const { plane, runtime, probers } = harness;
  const namespace = await plane.namespace('restart');
  await plane.client.create(PODS, namespace, boundPod('keep', harness.nodeName, { containers: [{ name: 'app', image: 'app:1', ports: [{ containerPort: 80 }] }] }));
  await plane.client.create(PODS, namespace, boundPod('gone', harness.nodeName, { containers: [{ name: 'app', image: 'app:1' }] }));
  const first = await eventually(async () => {
    const info = runtime.latest('keep', 'app');
    if (info?.state !== 'running') throw new Error('not running');
    return info;
  });
  // One restart first, so that the restart count has something to continue from.
  runtime.exit(first.id, 1);
  const kept = await eventually(async () => {
    const info = runtime.latest('keep', 'app');
    if (info?.state !== 'running' || info.attempt !== 1) throw new Error('not restarted');
    return info;
  });
  const gone = await eventually(async () => {
    const info = runtime.latest('gone', 'app');
    if (info?.state !== 'running') throw new Error('not running');
    return info;
  });
  probers.latest('app');
  const hostPort = runtime.spec(kept.id).ports[0]!.hostPort;
  const startsBefore = runtime.starts().length;
  const probersBefore = probers.probers.length;

  // The agent dies; meanwhile `gone` is force-deleted.
  await harness.restartAgent();
  await plane.client.delete(PODS, namespace, 'gone', { gracePeriodSeconds: 0 });

  await eventually(async () => expect(runtime.calls).toContainEqual({ kind: 'remove', id: gone.id }));
  expect(runtime.calls).toContainEqual(expect.objectContaining({ kind: 'stop', id: gone.id }));
  // The adopted container gets a prober again; once it says ready, the pod is Ready, with the same container.
  await eventually(async () => expect(probers.probers.length).toBeGreaterThan(probersBefore));
  probers.probers.at(-1)!.listener.readinessChanged(true);
  const pod = await eventually(async () => {
    const current = await plane.client.get(PODS, namespace, 'keep');
    expect(condition(current, 'Ready')).toBe('True');
    return current;
  });
  expect(containerStatus(pod, 'app')).toMatchObject({ containerID: `process://${kept.id}`, restartCount: 1, ports: [{ containerPort: 80, hostPort, protocol: 'TCP' }] });
  expect(runtime.starts().length).toBe(startsBefore);
  expect(runtime.latest('keep', 'app')).toMatchObject({ id: kept.id, state: 'running' });

  // The new agent acts on the adopted container's exit: attempt 2, same host port.
  runtime.exit(kept.id, 1);
  const next = await eventually(async () => {
    const info = runtime.latest('keep', 'app');
    if (info?.state !== 'running' || info.attempt !== 2) throw new Error('not restarted by the new agent');
    return info;
  });
  expect(runtime.spec(next.id).ports[0]!.hostPort).toBe(hostPort);
  await eventually(async () => expect(containerStatus(await plane.client.get(PODS, namespace, 'keep'), 'app').restartCount).toBe(2));
});
