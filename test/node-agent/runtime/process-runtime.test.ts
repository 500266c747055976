/**
 * The process runtime with real processes: what a container sees (environment, ports,
 * image, volumes translated to host paths, working directory), how its exit is reported
 * (code and reason), graceful and forced stops, start failures, exec, remove, and the web
 * fixture app run as a container.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { RuntimeError } from '../../../node-agent/runtime/errors.js';
import { eventually } from '../../support/eventually.js';
import { exitOf, logContaining, RuntimeHarness, WEB_APP } from './process-runtime-harness.js';

const harness = new RuntimeHarness();
beforeEach(() => harness.setUp());
afterEach(() => harness.tearDown());

/** A port free on 127.0.0.1 now (the agent's port allocator does this for real pods). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The state letter of `/proc/<pid>/stat` (`S`, `Z`, …), or `gone`. */
async function processState(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat === undefined ? 'gone' : stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

const PRINT_CONTEXT = 'console.log(JSON.stringify({ env: process.env, cwd: process.cwd(), argv: process.argv.slice(1) }))';

describe('what the container sees', () => {
  it('gets its own environment with ports, image and volumes, and mount paths translated to host directories', async () => {
    const volume = join(harness.directory, 'volumes', 'data');
    await mkdir(join(volume, 'sub'), { recursive: true });
    process.env.BALSA_AGENT_SECRET = 'must not leak';
    const runtime = harness.runtime();
    const spec = harness.spec({
      image: 'web:1.2',
      command: ['node', '-e', PRINT_CONTEXT],
      args: ['/data/file.txt', '/data', '/database', '/etc/hosts'],
      env: [{ name: 'GREETING', value: 'hi' }, { name: 'EMPTY', value: '' }],
      ports: [
        { name: 'http', containerPort: 8080, hostPort: 31001, protocol: 'TCP' },
        { name: 'metrics-port', containerPort: 9090, hostPort: 31002, protocol: 'TCP' },
        { containerPort: 53, hostPort: 31003, protocol: 'UDP' },
      ],
      mounts: [{ name: 'data-vol', mountPath: '/data', hostPath: volume, readOnly: false }],
      workingDir: '/data/sub',
    });
    try {
      const info = await runtime.start(spec);
      expect(info).toMatchObject({ state: 'running', podName: 'pod-1', containerName: 'main', attempt: 0, image: 'web:1.2', ports: spec.ports });
      expect(info.limitsNote).toBeUndefined();
      const exit = await exitOf(runtime, info.id);
      expect(exit).toMatchObject({ state: 'exited', exitCode: 0, reason: 'Completed' });
    } finally {
      delete process.env.BALSA_AGENT_SECRET;
    }
    const seen = JSON.parse(await readFile(spec.logPath, 'utf8')) as { env: Record<string, string>; cwd: string; argv: string[] };
    expect(seen.env).toEqual({
      PATH: process.env.PATH,
      HOME: process.env.HOME ?? '/',
      GREETING: 'hi',
      EMPTY: '',
      PORT: '31001',
      PORT_HTTP: '31001',
      PORT_METRICS_PORT: '31002',
      BALSA_IMAGE: 'web:1.2',
      BALSA_VOLUME_DATA_VOL: volume,
    });
    expect(seen.cwd).toBe(join(volume, 'sub'));
    expect(seen.argv).toEqual([join(volume, 'file.txt'), volume, '/database', '/etc/hosts']);
  });

  it('runs args[0] when the command is empty, in a working directory outside every mount as given', async () => {
    const runtime = harness.runtime();
    const spec = harness.spec({ command: [], args: ['node', '-e', PRINT_CONTEXT], workingDir: harness.directory });
    const info = await runtime.start(spec);
    expect((await exitOf(runtime, info.id)).exitCode).toBe(0);
    const seen = JSON.parse(await readFile(spec.logPath, 'utf8')) as { cwd: string; env: Record<string, string> };
    expect(seen.cwd).toBe(harness.directory);
    expect(seen.env.PORT).toBeUndefined();
  });

  it('appends stdout and stderr to the log file, creating its directory, across attempts of the same file', async () => {
    const runtime = harness.runtime();
    const spec = harness.spec({ command: ['sh', '-c', 'echo out; echo err >&2'] });
    await exitOf(runtime, (await runtime.start(spec)).id);
    await exitOf(runtime, (await runtime.start(spec)).id);
    expect((await readFile(spec.logPath, 'utf8')).split('\n').sort()).toEqual(['', 'err', 'err', 'out', 'out']);
  });
});

describe('exits', () => {
  it.each([
    ['exit 0', 0, 'Completed'],
    ['exit 3', 3, 'Error'],
    // A signal n that ends the process gives 128 + n (SIGUSR1 = 10: its default action, not the wrapper's trap).
    ['kill -USR1 $$', 138, 'Error'],
    ['kill -KILL $$', 137, 'Error'],
  ])('%s → exit code %d, %s, reported to onExit once', async (script, exitCode, reason) => {
    const runtime = harness.runtime();
    const exits: unknown[] = [];
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
    const spec = harness.spec({
      command: ['node', '-e', 'process.on("SIGTERM", () => console.log("got SIGTERM, staying")); console.log("ready"); setInterval(() => {}, 1000)'],
    });
    const info = await runtime.start(spec);
    await logContaining(spec.logPath, 'ready');
    await runtime.stop(info.id, 1);
    // Stop resolves once it has exited, and the process saw SIGTERM before it was killed.
    const stopped = await runtime.inspect(info.id);
    expect(stopped).toMatchObject({ state: 'exited', exitCode: 137, reason: 'Error' });
    expect(await readFile(spec.logPath, 'utf8')).toBe('ready\ngot SIGTERM, staying\n');
  });

  it('a process that ends on SIGTERM within the grace period exits with its own code, and stop of an exited one returns at once', async () => {
    const runtime = harness.runtime();
    const spec = harness.spec({ command: ['node', '-e', 'process.on("SIGTERM", () => process.exit(0)); console.log("ready"); setInterval(() => {}, 1000)'] });
    const info = await runtime.start(spec);
    await logContaining(spec.logPath, 'ready');
    await runtime.stop(info.id, 600);
    expect(await runtime.inspect(info.id)).toMatchObject({ state: 'exited', exitCode: 0, reason: 'Completed' });
    await runtime.stop(info.id, 600);
  });

  it('stop also ends what the container started in its process group', async () => {
    const runtime = harness.runtime();
    // The sleeper ignores SIGTERM (inherited); the main shell exits 0 on it.
    const spec = harness.spec({ command: ['sh', '-c', 'trap "" TERM; sleep 600 & echo "sleeper $!"; trap "exit 0" TERM; wait'] });
    const info = await runtime.start(spec);
    const sleeperPid = Number(/sleeper (\d+)/.exec(await logContaining(spec.logPath, 'sleeper '))?.[1]);
    expect(await processState(sleeperPid)).toMatch(/^[RS]$/);
    await runtime.stop(info.id, 600);
    expect(await runtime.inspect(info.id)).toMatchObject({ exitCode: 0, reason: 'Completed' });
    // The sleeper outlived the container's main process; stop killed it (gone, or a zombie
    // awaiting its reaper; a SIGKILLed process takes a moment to die).
    await eventually(async () => expect(['gone', 'Z']).toContain(await processState(sleeperPid)));
  });
});

describe('start failures', () => {
  it('a command that does not exist is a StartError naming it, and nothing is left running or listed', async () => {
    const runtime = harness.runtime();
    const failure = await runtime.start(harness.spec({ command: ['no-such-command-balsa'] })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RuntimeError);
    expect(failure).toMatchObject({ code: 'START_ERROR', reason: 'StartError' });
    expect((failure as Error).message).toBe('failed to start container "main": exec: "no-such-command-balsa": executable file not found in $PATH');
    expect(await runtime.list()).toEqual([]);
  });

  it('a file that is not executable, a missing path and a missing working directory are StartErrors saying why', async () => {
    const runtime = harness.runtime();
    const script = join(harness.directory, 'script.sh');
    await writeFile(script, 'echo hi\n');
    await chmod(script, 0o644);
    await expect(runtime.start(harness.spec({ command: [script] }))).rejects.toThrow(`exec: "${script}": permission denied`);
    await expect(runtime.start(harness.spec({ command: ['./missing'], workingDir: harness.directory }))).rejects.toThrow('exec: "./missing": no such file or directory');
    await expect(runtime.start(harness.spec({ command: ['true'], workingDir: join(harness.directory, 'nowhere') }))).rejects.toThrow(
      `chdir to cwd ("${join(harness.directory, 'nowhere')}") set in config.json failed: no such file or directory`,
    );
    await expect(runtime.start(harness.spec({ command: [], args: [] }))).rejects.toMatchObject({ code: 'INVALID_SPEC' });
    expect(await runtime.list()).toEqual([]);
  });
});

describe('exec, remove', () => {
  it('exec runs in the container context, reports exit codes, times out with 124 and caps its output at 10 KiB', async () => {
    const volume = join(harness.directory, 'vol');
    await mkdir(volume);
    await writeFile(join(volume, 'f.txt'), 'from the volume\n');
    const runtime = harness.runtime();
    const info = await runtime.start(
      harness.spec({ image: 'app:7', command: ['sleep', '600'], env: [{ name: 'A', value: 'a' }], mounts: [{ name: 'v', mountPath: '/v', hostPath: volume, readOnly: true }], workingDir: '/v' }),
    );
    expect(await runtime.exec(info.id, ['sh', '-c', 'echo "$A $BALSA_IMAGE $(pwd)"; cat "$1"; exit 4', 'sh', '/v/f.txt'], 60_000)).toEqual({
      exitCode: 4,
      output: `a app:7 ${volume}\nfrom the volume\n`,
      timedOut: false,
    });
    expect(await runtime.exec(info.id, ['sh', '-c', 'echo before; sleep 600'], 300)).toEqual({ exitCode: 124, output: 'before\n', timedOut: true });
    const big = await runtime.exec(info.id, ['sh', '-c', 'head -c 50000 /dev/zero | tr "\\0" x'], 60_000);
    expect(big).toEqual({ exitCode: 0, output: 'x'.repeat(10 * 1024), timedOut: false });
    expect(await runtime.exec(info.id, ['no-such-probe-command'], 60_000)).toMatchObject({ exitCode: 127, timedOut: false });
    await runtime.stop(info.id, 0);
    await expect(runtime.exec(info.id, ['true'], 1000)).rejects.toMatchObject({ code: 'CONTAINER_NOT_RUNNING' });
    await expect(runtime.exec('0000', ['true'], 1000)).rejects.toMatchObject({ code: 'CONTAINER_NOT_FOUND' });
  });

  it('remove refuses a running container, then forgets the exited one and keeps its log', async () => {
    const runtime = harness.runtime();
    const spec = harness.spec({ command: ['sh', '-c', 'echo bye; exec sleep 600'] });
    const info = await runtime.start(spec);
    await logContaining(spec.logPath, 'bye');
    await expect(runtime.remove(info.id)).rejects.toMatchObject({ code: 'CONTAINER_RUNNING' });
    await runtime.stop(info.id, 0);
    await runtime.remove(info.id);
    expect(await runtime.inspect(info.id)).toBeUndefined();
    expect(await runtime.list()).toEqual([]);
    await runtime.remove(info.id);
    expect(await logContaining(spec.logPath, 'bye')).toBe('bye\n');
    await expect(runtime.stop(info.id, 0)).rejects.toMatchObject({ code: 'CONTAINER_NOT_FOUND' });
  });
});

describe('the web fixture as a container', () => {
  it('serves its image and health on PORT, and shuts down gracefully on stop', async () => {
    const port = await freePort();
    const runtime = harness.runtime();
    const spec = harness.spec({
      image: 'web:2.0',
      command: ['node', WEB_APP],
      env: [{ name: 'HOST', value: '127.0.0.1' }, { name: 'POD_NAME', value: 'web-abc' }, { name: 'SHUTDOWN_DELAY_MS', value: '100' }],
      ports: [{ name: 'http', containerPort: 8080, hostPort: port, protocol: 'TCP' }],
    });
    const info = await runtime.start(spec);
    await logContaining(spec.logPath, `listening on ${port}`);
    const get = async (path: string, method = 'GET'): Promise<[number, string]> => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
      return [response.status, await response.text()];
    };
    expect(await get('/')).toEqual([200, 'hello from web:2.0 (web-abc)\n']);
    expect(await get('/version')).toEqual([200, 'web:2.0']);
    expect(await get('/healthz')).toEqual([200, 'ok']);
    await get('/fail', 'POST');
    expect(await get('/healthz')).toEqual([503, 'unhealthy']);
    await get('/recover', 'POST');
    expect(await get('/healthz')).toEqual([200, 'ok']);
    await runtime.stop(info.id, 600);
    expect(await runtime.inspect(info.id)).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(await readFile(spec.logPath, 'utf8')).toBe(`listening on ${port}\nshutting down\n`);
  });

  it('crashes with EXIT_CODE after CRASH_AFTER_MS, and is unhealthy until READY_AFTER_MS', async () => {
    const port = await freePort();
    const runtime = harness.runtime();
    const spec = harness.spec({
      command: ['node', WEB_APP],
      env: [{ name: 'HOST', value: '127.0.0.1' }, { name: 'READY_AFTER_MS', value: '600000' }, { name: 'CRASH_AFTER_MS', value: '1500' }, { name: 'EXIT_CODE', value: '9' }],
      ports: [{ containerPort: 8080, hostPort: port, protocol: 'TCP' }],
    });
    const info = await runtime.start(spec);
    const exited = exitOf(runtime, info.id);
    await logContaining(spec.logPath, 'listening on');
    const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
    // Unless the box was so slow that it crashed first, it answers 503 (not ready yet).
    if (response !== undefined) expect(response.status).toBe(503);
    expect(await exited).toMatchObject({ exitCode: 9, reason: 'Error' });
  });
});
