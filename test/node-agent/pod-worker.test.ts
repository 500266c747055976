/**
 * The pod worker against a real API server, with the fake runtime and prober: what a pod
 * bound to the node becomes (containers started in order with their environment, volumes
 * and host ports; Running and Ready), how containers are restarted per policy and backed
 * off, and how a deleted pod is taken down.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resourceByName } from '../../control-plane/api/resources.js';
import type { ApiObject } from '../../control-plane/api/types.js';
import { ApiError } from '../../control-plane/apiserver/errors.js';
import { podStatus as kubectlStatus, podReady } from '../../control-plane/api/table-columns.js';
import { podDirName } from '../../node-agent/pod-paths.js';
import { eventually } from '../support/eventually.js';
import { PODS, boundPod, condition, containerStatus, eventReasons, podStatus, startAgentHarness } from './support/agent-harness.js';
import type { AgentHarness } from './support/agent-harness.js';

const CONFIG_MAPS = resourceByName('configmaps')!;
const SECRETS = resourceByName('secrets')!;

type Json = Record<string, unknown>;

let harness: AgentHarness;

beforeAll(async () => {
  harness = await startAgentHarness();
});

afterAll(async () => {
  await harness?.stop();
});

async function getPod(namespace: string, name: string): Promise<ApiObject> {
  return harness.plane.client.get(PODS, namespace, name);
}

/** Waits until the pod's container `name` runs attempt `attempt`, and answers it. */
async function running(podName: string, container: string, attempt: number): Promise<string> {
  return eventually(async () => {
    const info = harness.runtime.latest(podName, container);
    if (info?.state !== 'running' || info.attempt !== attempt) throw new Error(`${container} attempt ${attempt} is not running: ${JSON.stringify(info)}`);
    return info.id;
  });
}

test('a bound pod runs its init container, then its container with env, volumes and host ports, and is Ready once its prober says so', async () => {
  const { plane, runtime, probers } = harness;
  const namespace = await plane.namespace('start');
  await plane.client.create(CONFIG_MAPS, namespace, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { greeting: 'hello', 'file.txt': 'one' } });
  await plane.client.create(SECRETS, namespace, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sec' }, data: { password: Buffer.from('s3cret').toString('base64') } });
  await plane.client.create(
    PODS,
    namespace,
    boundPod('web', harness.nodeName, {
      initContainers: [{ name: 'setup', image: 'setup:1', command: ['setup'] }],
      containers: [
        {
          name: 'web',
          image: 'web:1',
          command: ['serve'],
          args: ['--verbose'],
          ports: [{ name: 'http', containerPort: 8080 }],
          env: [
            { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'greeting' } } },
            { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'sec', key: 'password' } } },
            { name: 'MISSING', valueFrom: { secretKeyRef: { name: 'nope', key: 'x', optional: true } } },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
            { name: 'MESSAGE', value: '$(GREETING) world' },
          ],
          envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }],
          readinessProbe: { httpGet: { path: '/healthz', port: 'http' } },
          volumeMounts: [
            { name: 'config', mountPath: '/etc/config' },
            { name: 'creds', mountPath: '/creds', readOnly: true },
            { name: 'scratch', mountPath: '/scratch' },
          ],
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: 'cfg', items: [{ key: 'file.txt', path: 'sub/file.txt' }] } },
        { name: 'creds', secret: { secretName: 'sec', defaultMode: 0o400 } },
        { name: 'scratch', emptyDir: {} },
      ],
    }),
  );

  const setup = await running('web', 'setup', 0);
  await eventually(async () => expect(kubectlStatus(await getPod(namespace, 'web')).status).toBe('Init:0/1'));
  expect(runtime.latest('web', 'web')).toBeUndefined();
  runtime.exit(setup, 0);

  const web = await running('web', 'web', 0);
  const spec = runtime.spec(web);
  expect(spec.command).toEqual(['serve']);
  expect(spec.args).toEqual(['--verbose']);
  expect(spec.env).toEqual([
    { name: 'CFG_greeting', value: 'hello' },
    // Dots are allowed in variable names, as in Kubernetes.
    { name: 'CFG_file.txt', value: 'one' },
    { name: 'GREETING', value: 'hello' },
    { name: 'PASSWORD', value: 's3cret' },
    { name: 'POD_NAME', value: 'web' },
    { name: 'POD_IP', value: '127.0.0.1' },
    { name: 'NODE', value: harness.nodeName },
    { name: 'MESSAGE', value: 'hello world' },
  ]);
  const mounts = Object.fromEntries(spec.mounts.map((mount) => [mount.mountPath, mount]));
  expect(await readFile(join(mounts['/etc/config']!.hostPath, 'sub/file.txt'), 'utf8')).toBe('one');
  expect(await readFile(join(mounts['/creds']!.hostPath, 'password'), 'utf8')).toBe('s3cret');
  expect(mounts['/creds']!.readOnly).toBe(true);
  expect(spec.ports).toHaveLength(1);
  const hostPort = spec.ports[0]!.hostPort;
  expect(hostPort).toBeGreaterThan(0);
  expect(spec.logPath).toContain(join('pods', `${namespace}_web_`));

  let pod = await eventually(async () => {
    const current = await getPod(namespace, 'web');
    expect(podStatus(current).phase).toBe('Running');
    return current;
  });
  expect(kubectlStatus(pod).status).toBe('Running');
  expect(condition(pod, 'Ready')).toBe('False');
  expect(condition(pod, 'Initialized')).toBe('True');
  expect(podStatus(pod).podIP).toBe('127.0.0.1');
  expect(podStatus(pod).hostIP).toBe('127.0.0.1');
  expect(containerStatus(pod, 'web').ports).toEqual([{ name: 'http', containerPort: 8080, hostPort, protocol: 'TCP' }]);
  expect(containerStatus(pod, 'web').containerID).toBe(`process://${web}`);
  expect((containerStatus(pod, 'setup', 'initContainerStatuses').state as Json).terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });

  probers.latest('web').listener.readinessChanged(true);
  pod = await eventually(async () => {
    const current = await getPod(namespace, 'web');
    expect(condition(current, 'Ready')).toBe('True');
    return current;
  });
  expect(condition(pod, 'ContainersReady')).toBe('True');
  expect(podReady(pod)).toBe('1/1');
  expect(probers.latest('web').target.ports).toEqual([{ name: 'http', containerPort: 8080, hostPort, protocol: 'TCP' }]);

  // The ConfigMap changes: the projected file follows.
  const cfg = await plane.client.get(CONFIG_MAPS, namespace, 'cfg');
  await plane.client.update(CONFIG_MAPS, { ...cfg, data: { greeting: 'hello', 'file.txt': 'two' } });
  await eventually(async () => expect(await readFile(join(mounts['/etc/config']!.hostPath, 'sub/file.txt'), 'utf8')).toBe('two'));
  const reasons = (await eventReasons(plane, namespace, 'web')).map((event) => event.reason);
  expect(reasons).toEqual(expect.arrayContaining(['Created', 'Started']));
});

test('a container that keeps crashing is restarted with doubling back-off, shown as CrashLoopBackOff', async () => {
  const { plane, runtime } = harness;
  const namespace = await plane.namespace('crash');
  const created = await plane.client.create(PODS, namespace, boundPod('crash', harness.nodeName, { containers: [{ name: 'app', image: 'app:1' }] }));
  const messages: string[] = [];
  const statuses: string[] = [];
  const seen = new Set<string>();
  const watch = plane.client.watch(
    PODS,
    namespace,
    { name: 'crash', resourceVersion: created.metadata.resourceVersion! },
    (event) => {
      const pod = event.object as ApiObject;
      const waiting = ((containerStatus(pod, 'app').state as Json | undefined)?.waiting ?? {}) as Json;
      const key = `${String(waiting.message)}|${String(containerStatus(pod, 'app').restartCount)}`;
      if (typeof waiting.message === 'string' && !seen.has(key)) {
        seen.add(key);
        messages.push(waiting.message);
        statuses.push(kubectlStatus(pod).status);
      }
    },
    () => {},
  );
  try {
    for (let attempt = 0; attempt < 5; attempt++) runtime.exit(await running('crash', 'app', attempt), 1);
    await running('crash', 'app', 5);
    const suffix = `restarting failed container=app pod=crash_${namespace}(${created.metadata.uid})`;
    // The first restart is immediate; then 400 ms, doubling, capped at 1.6 s.
    await eventually(async () => expect(messages).toEqual([`back-off 400ms ${suffix}`, `back-off 800ms ${suffix}`, `back-off 1.6s ${suffix}`, `back-off 1.6s ${suffix}`]));
    expect(statuses.every((status) => status === 'CrashLoopBackOff')).toBe(true);
    const pod = await eventually(async () => {
      const current = await getPod(namespace, 'crash');
      expect(containerStatus(current, 'app').restartCount).toBe(5);
      return current;
    });
    expect(kubectlStatus(pod)).toEqual({ status: 'Running', restarts: 5 });
    expect((containerStatus(pod, 'app').lastState as Json).terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect((await eventReasons(plane, namespace, 'crash')).map((event) => event.reason)).toContain('BackOff');
  } finally {
    watch.cancel();
  }
});

test('restartPolicy OnFailure restarts a failure but not a success; Never restarts nothing and fails the pod', async () => {
  const { plane, runtime } = harness;
  const namespace = await plane.namespace('policy');
  await plane.client.create(PODS, namespace, boundPod('job', harness.nodeName, { restartPolicy: 'OnFailure', containers: [{ name: 'task', image: 'task:1' }] }));
  runtime.exit(await running('job', 'task', 0), 3);
  runtime.exit(await running('job', 'task', 1), 0);
  let pod = await eventually(async () => {
    const current = await getPod(namespace, 'job');
    expect(podStatus(current).phase).toBe('Succeeded');
    return current;
  });
  expect(kubectlStatus(pod).status).toBe('Completed');
  expect(runtime.starts('job')).toHaveLength(2);

  await plane.client.create(PODS, namespace, boundPod('once', harness.nodeName, { restartPolicy: 'Never', containers: [{ name: 'task', image: 'task:1' }] }));
  runtime.exit(await running('once', 'task', 0), 2);
  pod = await eventually(async () => {
    const current = await getPod(namespace, 'once');
    expect(podStatus(current).phase).toBe('Failed');
    return current;
  });
  expect(kubectlStatus(pod).status).toBe('Error');
  expect((containerStatus(pod, 'task').state as Json).terminated).toMatchObject({ exitCode: 2, reason: 'Error' });

  await plane.client.create(
    PODS,
    namespace,
    boundPod('badinit', harness.nodeName, { restartPolicy: 'Never', initContainers: [{ name: 'init', image: 'init:1' }], containers: [{ name: 'task', image: 'task:1' }] }),
  );
  runtime.exit(await running('badinit', 'init', 0), 1);
  pod = await eventually(async () => {
    const current = await getPod(namespace, 'badinit');
    expect(podStatus(current).phase).toBe('Failed');
    return current;
  });
  expect(kubectlStatus(pod).status).toBe('Init:Error');
  expect(runtime.starts('once')).toHaveLength(1);
  expect(runtime.starts('badinit').map((spec) => spec.containerName)).toEqual(['init']);
});

test('a liveness failure kills and restarts the container; a start the runtime refuses is RunContainerError until it works', async () => {
  const { plane, runtime, probers } = harness;
  const namespace = await plane.namespace('live');
  await plane.client.create(
    PODS,
    namespace,
    boundPod('live', harness.nodeName, { terminationGracePeriodSeconds: 5, containers: [{ name: 'app', image: 'app:1', livenessProbe: { tcpSocket: { port: 80 } } }] }),
  );
  const first = await running('live', 'app', 0);
  probers.latest('app').listener.probeFailed('liveness', 'dial tcp 127.0.0.1:80: connect: connection refused');
  probers.latest('app').listener.unhealthy('liveness', 'dial tcp 127.0.0.1:80: connect: connection refused');
  await running('live', 'app', 1);
  expect(runtime.calls).toContainEqual(expect.objectContaining({ kind: 'stop', id: first, gracePeriodSeconds: 5 }));
  await eventually(async () => expect(containerStatus(await getPod(namespace, 'live'), 'app').restartCount).toBe(1));
  await eventually(async () => {
    const events = await eventReasons(plane, namespace, 'live');
    expect(events).toContainEqual({ reason: 'Unhealthy', message: 'Liveness probe failed: dial tcp 127.0.0.1:80: connect: connection refused' });
    expect(events).toContainEqual({ reason: 'Killing', message: 'Container app failed liveness probe, will be restarted' });
  });

  runtime.failStarts.set('broken', 'exec: "nope": executable file not found in $PATH');
  await plane.client.create(PODS, namespace, boundPod('broken', harness.nodeName, { containers: [{ name: 'broken', image: 'broken:1' }] }));
  const pod = await eventually(async () => {
    const current = await getPod(namespace, 'broken');
    expect((containerStatus(current, 'broken').state as Json).waiting).toMatchObject({ reason: 'RunContainerError' });
    return current;
  });
  expect(kubectlStatus(pod).status).toBe('RunContainerError');
  await eventually(async () => expect(await eventReasons(plane, namespace, 'broken')).toContainEqual({ reason: 'Failed', message: 'Error: exec: "nope": executable file not found in $PATH' }));
  runtime.failStarts.delete('broken');
  await running('broken', 'broken', 0);
});

test('a deleted pod is reported unready before its containers are signalled, runs preStop, gets its grace period, and is gone after', async () => {
  const { plane, runtime, probers } = harness;
  const namespace = await plane.namespace('delete');
  const created = await plane.client.create(
    PODS,
    namespace,
    boundPod('leaving', harness.nodeName, {
      terminationGracePeriodSeconds: 40,
      containers: [{ name: 'app', image: 'app:1', lifecycle: { preStop: { exec: { command: ['drain', '--now'] } } }, volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }] }],
      volumes: [{ name: 'tmp', emptyDir: {} }],
    }),
  );
  const id = await running('leaving', 'app', 0);
  probers.latest('app').listener.readinessChanged(true);
  await eventually(async () => expect(condition(await getPod(namespace, 'leaving'), 'Ready')).toBe('True'));

  let readyWhenSignalled: string | undefined;
  runtime.beforeStop = async (info) => {
    if (info.id === id) readyWhenSignalled = condition(await getPod(namespace, 'leaving'), 'Ready');
  };
  try {
    await plane.client.delete(PODS, namespace, 'leaving');
    await eventually(async () => {
      await expect(getPod(namespace, 'leaving')).rejects.toThrow(ApiError);
    });
  } finally {
    runtime.beforeStop = undefined;
  }
  expect(readyWhenSignalled).toBe('False');
  const calls = runtime.calls.filter((call) => 'id' in call && call.id === id);
  const execIndex = calls.findIndex((call) => call.kind === 'exec');
  const stopIndex = calls.findIndex((call) => call.kind === 'stop');
  expect(calls[execIndex]).toMatchObject({ kind: 'exec', command: ['drain', '--now'] });
  expect(execIndex).toBeLessThan(stopIndex);
  const stop = calls[stopIndex] as { gracePeriodSeconds: number };
  // The grace period, less the whole seconds the preStop hook took.
  expect(stop.gracePeriodSeconds).toBeGreaterThanOrEqual(35);
  expect(stop.gracePeriodSeconds).toBeLessThanOrEqual(40);
  expect(calls.some((call) => call.kind === 'remove')).toBe(true);
  const identity = { namespace, name: 'leaving', uid: created.metadata.uid! };
  await expect(readFile(join(harness.dataDir, 'volumes', podDirName(identity)))).rejects.toThrow();
  await expect(readFile(join(harness.dataDir, 'pods', podDirName(identity)))).rejects.toThrow();
  expect((await eventReasons(plane, namespace, 'leaving')).map((event) => event.reason)).toContain('Killing');
});

test('a deleted pod that a Service still lists as a ready endpoint is signalled only once the Endpoints drop it', async () => {
  const { plane, runtime, probers } = harness;
  const ENDPOINTS = resourceByName('endpoints')!;
  const namespace = await plane.namespace('drain');
  const created = await plane.client.create(PODS, namespace, boundPod('serving', harness.nodeName, { terminationGracePeriodSeconds: 30, containers: [{ name: 'app', image: 'app:1' }] }));
  const id = await running('serving', 'app', 0);
  probers.latest('app').listener.readinessChanged(true);
  await eventually(async () => expect(condition(await getPod(namespace, 'serving'), 'Ready')).toBe('True'));
  // What the endpoints controller would publish for a Service selecting it.
  const address = { ip: '127.0.0.1', targetRef: { kind: 'Pod', namespace, name: 'serving', uid: created.metadata.uid } };
  const endpoints = await plane.client.create(ENDPOINTS, namespace, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'svc' }, subsets: [{ addresses: [address], ports: [{ port: 8080 }] }] });

  let listedWhenSignalled: boolean | undefined;
  runtime.beforeStop = async (info) => {
    if (info.id !== id) return;
    const now = await plane.client.get(ENDPOINTS, namespace, 'svc');
    listedWhenSignalled = JSON.stringify((now.subsets as Json[])[0]!.addresses ?? []).includes(created.metadata.uid!);
  };
  try {
    await plane.client.delete(PODS, namespace, 'serving');
    await eventually(async () => expect(condition(await getPod(namespace, 'serving'), 'Ready')).toBe('False'));
    // Still listed as ready: the container is left running (the controller has not caught up).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(runtime.calls.some((call) => call.kind === 'stop' && 'id' in call && call.id === id)).toBe(false);
    await plane.client.update(ENDPOINTS, { ...endpoints, subsets: [{ notReadyAddresses: [address], ports: [{ port: 8080 }] }] });
    await eventually(async () => {
      await expect(getPod(namespace, 'serving')).rejects.toThrow(ApiError);
    });
  } finally {
    runtime.beforeStop = undefined;
  }
  expect(listedWhenSignalled).toBe(false);
});
