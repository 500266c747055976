/**
 * The docker runtime against a real Docker daemon (`.ci/docker-setup.sh`: no bridge, the
 * busybox test image): what a container sees (environment, ports, volumes, working
 * directory, limits), exits, graceful and forced stops, start failures, exec, remove, logs
 * copied into the log file, busybox httpd serving on its host port, and adoption of the
 * containers by a later runtime over the same state directory.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from '@jest/globals';
import type { ContainerInfo } from '../../../node-agent/runtime/container-runtime.js';
import { RuntimeError } from '../../../node-agent/runtime/errors.js';
import { DockerApi, oomEventLogged } from '../../../node-agent/runtime/docker/docker-api.js';
import { describeWithDocker, dockerDaemon } from '../../support/docker-daemon.js';
import { eventually } from '../../support/eventually.js';
import { DockerHarness, exitOf, logContaining } from './docker-runtime-harness.js';

const daemon = await dockerDaemon();

/** A port free on 127.0.0.1 now (the agent's port allocator does this for real pods). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `KEY=value` lines of `env` as a record. */
function parseEnv(text: string): Record<string, string> {
  return Object.fromEntries(text.split('\n').filter((line) => line.includes('=')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

describeWithDocker(daemon, 'the docker runtime', (docker) => {
  const harness = new DockerHarness(docker);
  beforeEach(() => harness.setUp());
  afterEach(() => harness.tearDown());

  it('gives the container its environment with ports, image and volumes, its working directory and its mounts; the agent environment stays out', async () => {
    const volume = join(harness.directory, 'volumes', 'data');
    await mkdir(join(volume, 'sub'), { recursive: true });
    await writeFile(join(volume, 'file.txt'), 'from the volume\n');
    process.env.BALSA_AGENT_SECRET = 'must not leak';
    const runtime = harness.runtime();
    const spec = harness.spec({
      command: ['sh', '-c'],
      args: ['env; echo "cwd=$(pwd)"; cat /data/file.txt; echo "args=$0 $1"', 'zero', 'one'],
      env: [{ name: 'GREETING', value: 'hi there' }, { name: 'EMPTY', value: '' }, { name: 'PORT', value: 'overridden by the runtime' }],
      ports: [
        { name: 'http', containerPort: 8080, hostPort: 31001, protocol: 'TCP' },
        { name: 'metrics-port', containerPort: 9090, hostPort: 31002, protocol: 'TCP' },
        { containerPort: 53, hostPort: 31003, protocol: 'UDP' },
      ],
      mounts: [{ name: 'data-vol', mountPath: '/data', hostPath: volume, readOnly: true }],
      workingDir: '/data/sub',
    });
    try {
      const info = await runtime.start(spec);
      expect(info).toMatchObject({ state: 'running', podUid: 'uid-1', podName: 'pod-1', podNamespace: 'default', containerName: 'main', attempt: 0, image: docker.image, ports: spec.ports, logPath: spec.logPath });
      expect(info.limitsNote).toBeUndefined();
      expect(await exitOf(runtime, info.id)).toMatchObject({ state: 'exited', exitCode: 0, reason: 'Completed' });
    } finally {
      delete process.env.BALSA_AGENT_SECRET;
    }
    const log = await readFile(spec.logPath, 'utf8');
    const env = parseEnv(log);
    expect(env).toMatchObject({
      PATH: '/bin',
      GREETING: 'hi there',
      EMPTY: '',
      PORT: '31001',
      PORT_HTTP: '31001',
      PORT_METRICS_PORT: '31002',
      BALSA_IMAGE: docker.image,
      BALSA_VOLUME_DATA_VOL: '/data',
    });
    expect(env.BALSA_AGENT_SECRET).toBeUndefined();
    expect(log).toContain('cwd=/data/sub\nfrom the volume\nargs=zero one\n');
  });

  it('runs the image entrypoint with args as its command, and appends stdout and stderr to the log across attempts', async () => {
    const runtime = harness.runtime();
    // The test image has no entrypoint: args[0] is the executable.
    const spec = harness.spec({ args: ['sh', '-c', 'echo out; echo err >&2'] });
    await exitOf(runtime, (await runtime.start(spec)).id);
    await exitOf(runtime, (await runtime.start({ ...spec, attempt: 1 })).id);
    expect((await readFile(spec.logPath, 'utf8')).split('\n').sort()).toEqual(['', 'err', 'err', 'out', 'out']);
  });

  it.each([
    ['exit 0', 0, 'Completed'],
    ['exit 3', 3, 'Error'],
  ])('%s → exit code %d, %s, reported to onExit once', async (script, exitCode, reason) => {
    const runtime = harness.runtime();
    const exits: ContainerInfo[] = [];
    runtime.onExit((info) => exits.push(info));
    const info = await runtime.start(harness.spec({ command: ['sh', '-c', script] }));
    const exit = await exitOf(runtime, info.id);
    expect(exit).toMatchObject({ id: info.id, state: 'exited', exitCode, reason });
    expect(exit.finishedAtMs).toBeGreaterThanOrEqual(info.startedAtMs);
    expect(await runtime.inspect(info.id)).toEqual(exit);
    expect(exits).toEqual([exit]);
  });

  it('stop sends SIGTERM first and SIGKILL once the grace period is over: a process ignoring SIGTERM is killed (137)', async () => {
    const runtime = harness.runtime();
    const spec = harness.spec({ command: ['sh', '-c', 'trap "echo got SIGTERM, staying" TERM; echo ready; while true; do sleep 0.1; done'] });
    const info = await runtime.start(spec);
    await logContaining(spec.logPath, 'ready');
    await runtime.stop(info.id, 1);
    // Stop resolves once it has exited and its output is in the log: it saw SIGTERM before it was killed.
    expect(await runtime.inspect(info.id)).toMatchObject({ state: 'exited', exitCode: 137, reason: 'Error' });
    expect(await readFile(spec.logPath, 'utf8')).toBe('ready\ngot SIGTERM, staying\n');
  });

  it('a process that ends on SIGTERM within the grace period exits with its own code, and stop of an exited one returns at once', async () => {
    const runtime = harness.runtime();
    const spec = harness.spec({ command: ['sh', '-c', 'trap "echo bye; exit 0" TERM; echo ready; while true; do sleep 0.1; done'] });
    const info = await runtime.start(spec);
    await logContaining(spec.logPath, 'ready');
    await runtime.stop(info.id, 600);
    expect(await runtime.inspect(info.id)).toMatchObject({ state: 'exited', exitCode: 0, reason: 'Completed' });
    expect(await readFile(spec.logPath, 'utf8')).toBe('ready\nbye\n');
    await runtime.stop(info.id, 600);
  });

  it('start failures: a missing command is a StartError naming it, a missing image is ErrImageNeverPull, and nothing is left behind', async () => {
    const runtime = harness.runtime();
    const failure = await runtime.start(harness.spec({ command: ['no-such-command-balsa'] })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RuntimeError);
    expect(failure).toMatchObject({ code: 'START_ERROR', reason: 'StartError' });
    expect((failure as Error).message).toBe('failed to start container "main": exec: "no-such-command-balsa": executable file not found in $PATH');
    await expect(runtime.start(harness.spec({ image: 'balsa-test/no-such-image:0', command: ['true'] }))).rejects.toMatchObject({
      code: 'START_ERROR',
      reason: 'ErrImageNeverPull',
      retryable: true,
    });
    expect(await runtime.list()).toEqual([]);
  });

  it('exec runs in the container with its environment and working directory, reports exit codes, times out with 124, caps output at 10 KiB', async () => {
    const runtime = harness.runtime();
    const info = await runtime.start(harness.spec({ command: ['sleep', '600'], env: [{ name: 'A', value: 'a' }], workingDir: '/tmp' }));
    const failed = await runtime.exec(info.id, ['sh', '-c', 'echo "$A $BALSA_IMAGE $(pwd)"; echo oops >&2; exit 4'], 60_000);
    expect({ ...failed, output: undefined }).toEqual({ exitCode: 4, output: undefined, timedOut: false });
    // stdout and stderr arrive as separate streams from the daemon: both are kept, in either order.
    expect(failed.output.split('\n').filter((line) => line !== '').sort()).toEqual([`a ${harness.spec().image} /tmp`, 'oops']);
    expect(await runtime.exec(info.id, ['sh', '-c', 'echo before; exec sleep 600'], 500)).toEqual({ exitCode: 124, output: 'before\n', timedOut: true });
    // The timed-out command was killed: only the container's own sleep is left.
    const left = await runtime.exec(info.id, ['sh', '-c', 'ps -o args | grep -c "^sleep 600"'], 60_000);
    expect(left.output.trim()).toBe('1');
    const big = await runtime.exec(info.id, ['sh', '-c', 'head -c 50000 /dev/zero | tr "\\0" x'], 60_000);
    expect(big).toEqual({ exitCode: 0, output: 'x'.repeat(10 * 1024), timedOut: false });
    expect(await runtime.exec(info.id, ['no-such-probe-command'], 60_000)).toMatchObject({ exitCode: 127, timedOut: false });
    await runtime.stop(info.id, 0);
    await expect(runtime.exec(info.id, ['true'], 1000)).rejects.toMatchObject({ code: 'CONTAINER_NOT_RUNNING' });
    await expect(runtime.exec('0000', ['true'], 1000)).rejects.toMatchObject({ code: 'CONTAINER_NOT_FOUND' });
  });

  it('remove refuses a running container, then removes the exited one from the daemon and keeps its log', async () => {
    const runtime = harness.runtime();
    const spec = harness.spec({ command: ['sh', '-c', 'echo bye; exec sleep 600'] });
    const info = await runtime.start(spec);
    await logContaining(spec.logPath, 'bye');
    await expect(runtime.remove(info.id)).rejects.toMatchObject({ code: 'CONTAINER_RUNNING' });
    await runtime.stop(info.id, 0);
    await runtime.remove(info.id);
    expect(await harness.daemonState(info.id)).toBe('gone');
    expect(await runtime.inspect(info.id)).toBeUndefined();
    expect(await runtime.list()).toEqual([]);
    await runtime.remove(info.id);
    expect(await readFile(spec.logPath, 'utf8')).toBe('bye\n');
    await expect(runtime.stop(info.id, 0)).rejects.toMatchObject({ code: 'CONTAINER_NOT_FOUND' });
  });

  it('busybox httpd serves on its host port (PORT) on the node address, and an exec probe succeeds against it', async () => {
    const port = await freePort();
    const www = join(harness.directory, 'www');
    await mkdir(www);
    await writeFile(join(www, 'healthz'), 'ok\n');
    const runtime = harness.runtime();
    const spec = harness.spec({
      command: ['sh', '-c', 'echo "serving on $PORT"; exec httpd -f -p "127.0.0.1:$PORT" -h /www'],
      ports: [{ name: 'http', containerPort: 80, hostPort: port, protocol: 'TCP' }],
      mounts: [{ name: 'www', mountPath: '/www', hostPath: www, readOnly: true }],
    });
    const info = await runtime.start(spec);
    await logContaining(spec.logPath, `serving on ${port}`);
    const response = await eventually(() => fetch(`http://127.0.0.1:${port}/healthz`));
    expect([response.status, await response.text()]).toEqual([200, 'ok\n']);
    expect(await runtime.exec(info.id, ['wget', '-q', '-O', '-', `http://127.0.0.1:${port}/healthz`], 60_000)).toEqual({ exitCode: 0, output: 'ok\n', timedOut: false });
    // httpd is PID 1 without a SIGTERM handler: as under Kubernetes, only the SIGKILL after the grace period ends it.
    await runtime.stop(info.id, 1);
    expect(await runtime.inspect(info.id)).toMatchObject({ state: 'exited', exitCode: 137 });
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('enforces memory and CPU limits: the CPU quota is in the container cgroup, and a container over its memory is OOMKilled', async () => {
    const runtime = harness.runtime();
    const cpuSpec = harness.spec({
      containerName: 'cpu',
      // cgroup v2 (private cgroup namespace) or v1, whichever the host has.
      command: ['sh', '-c', 'cat /sys/fs/cgroup/cpu.max 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us'],
      limits: { cpuMillis: 500 },
    });
    const cpu = await runtime.start(cpuSpec);
    expect(cpu.limitsNote).toBeUndefined();
    expect(await exitOf(runtime, cpu.id)).toMatchObject({ exitCode: 0 });
    expect(await readFile(cpuSpec.logPath, 'utf8')).toMatch(/^50000\b/);

    // /dev/shm is tmpfs charged to the container's memory, and without swap it cannot be reclaimed.
    const memory = await runtime.start(
      harness.spec({ containerName: 'memory', command: ['dd', 'if=/dev/zero', 'of=/dev/shm/fill', 'bs=1M', 'count=60'], limits: { memoryBytes: 16 * 1024 * 1024 } }),
    );
    const oomKilled = await exitOf(runtime, memory.id);
    expect(oomKilled).toMatchObject({ state: 'exited', exitCode: 137, reason: 'OOMKilled' });
    // What settles the reason when the daemon's flag lost the race with its exit handling:
    // the OOM kill is in the daemon's event log, and a container that was not killed is not.
    const api = new DockerApi(docker.socketPath);
    try {
      expect(await oomEventLogged(api, memory.id, oomKilled.startedAtMs)).toBe(true);
      expect(await oomEventLogged(api, cpu.id, cpu.startedAtMs)).toBe(false);
    } finally {
      api.close();
    }
  });

  it('adoption: a later runtime over the same state directory lists a running container, stops it, and its log is continued without repeats', async () => {
    const first = harness.runtime();
    const spec = harness.spec({ command: ['sh', '-c', 'trap "echo bye; exit 0" TERM; echo ready; while true; do sleep 0.1; done'] });
    const started = await first.start(spec);
    await logContaining(spec.logPath, 'ready');
    await first.close();

    const second = harness.runtime();
    const exits: ContainerInfo[] = [];
    second.onExit((info) => exits.push(info));
    expect(await second.list()).toEqual([started]);
    await second.stop(started.id, 600);
    const stopped = await second.inspect(started.id);
    expect(stopped).toMatchObject({ id: started.id, state: 'exited', exitCode: 0, reason: 'Completed' });
    expect(exits).toEqual([stopped]);
    expect(await readFile(spec.logPath, 'utf8')).toBe('ready\nbye\n');
  });

  it('adoption: a container that exited while no runtime watched is found exited with its code, its output since copied, and no listener told', async () => {
    const go = join(harness.directory, 'go');
    await mkdir(go);
    const first = harness.runtime();
    const spec = harness.spec({
      command: ['sh', '-c', 'echo ready; while [ ! -e /go/now ]; do sleep 0.05; done; echo after; exit 5'],
      mounts: [{ name: 'go', mountPath: '/go', hostPath: go, readOnly: true }],
    });
    const started = await first.start(spec);
    await logContaining(spec.logPath, 'ready');
    await first.close();
    await writeFile(join(go, 'now'), '');
    await harness.daemonSaysExited(started.id);

    const second = harness.runtime();
    const exits: ContainerInfo[] = [];
    second.onExit((info) => exits.push(info));
    expect(await second.list()).toEqual([expect.objectContaining({ id: started.id, state: 'exited', exitCode: 5, reason: 'Error' })]);
    expect(await readFile(spec.logPath, 'utf8')).toBe('ready\nafter\n');
    expect(exits).toEqual([]);
  });

  it("a runtime over another state directory (another agent on the same daemon) does not see this one's containers", async () => {
    const runtime = harness.runtime();
    const info = await runtime.start(harness.spec({ command: ['sleep', '600'] }));
    const other = harness.runtime({ stateDir: join(harness.directory, 'other-agent') });
    expect(await other.list()).toEqual([]);
    expect(await other.inspect(info.id)).toBeUndefined();
    expect((await runtime.list()).map((container) => container.id)).toEqual([info.id]);
  });
});

