/**
 * Shared pieces of the docker runtime tests: a temporary directory per test (the state
 * directory, which also names the test's containers, logs, volumes), container specs of
 * the busybox test image, and tear-down that force-removes every container the test's
 * runtimes started, also when it failed, so that the daemon is left as it was found.
 */
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerInfo, ContainerRuntime, ContainerSpec } from '../../../node-agent/runtime/container-runtime.js';
import { DockerRuntime } from '../../../node-agent/runtime/docker/docker-runtime.js';
import type { DockerRuntimeOptions } from '../../../node-agent/runtime/docker/docker-runtime.js';
import type { DockerDaemon } from '../../support/docker-daemon.js';
import { eventually } from '../../support/eventually.js';

export { logContaining } from './process-runtime-harness.js';

/** A request to the daemon outside the runtime under test: the status and the JSON body. */
export function daemonRequest(socketPath: string, method: string, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path: `/v1.41${path}` }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode ?? 0, body: text === '' ? undefined : (JSON.parse(text) as unknown) });
      });
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export class DockerHarness {
  directory = '';
  private readonly runtimes: DockerRuntime[] = [];

  constructor(private readonly daemon: DockerDaemon) {}

  get stateDir(): string {
    return join(this.directory, 'state');
  }

  async setUp(): Promise<void> {
    this.directory = await mkdtemp(join(tmpdir(), 'balsa-docker-'));
  }

  /** A runtime over this test's state directory (the same one each call: a later runtime adopts). */
  runtime(options: Partial<DockerRuntimeOptions> = {}): DockerRuntime {
    const runtime = new DockerRuntime({ stateDir: this.stateDir, socketPath: this.daemon.socketPath, ...options });
    this.runtimes.push(runtime);
    return runtime;
  }

  spec(overrides: Partial<ContainerSpec> = {}): ContainerSpec {
    const containerName = overrides.containerName ?? 'main';
    const attempt = overrides.attempt ?? 0;
    return {
      podUid: 'uid-1',
      podNamespace: 'default',
      podName: 'pod-1',
      containerName,
      attempt,
      image: this.daemon.image,
      command: [],
      args: [],
      env: [],
      ports: [],
      mounts: [],
      limits: {},
      nodeIp: '127.0.0.1',
      logPath: join(this.directory, 'logs', containerName, `${attempt}.log`),
      ...overrides,
    };
  }

  /** The daemon's state of a container (`running`, `exited`, …), or `gone`. */
  async daemonState(id: string): Promise<string> {
    const { status, body } = await daemonRequest(this.daemon.socketPath, 'GET', `/containers/${id}/json`);
    return status === 404 ? 'gone' : (body as { State: { Status: string } }).State.Status;
  }

  /** Resolves once the daemon says the container is no longer running. */
  async daemonSaysExited(id: string): Promise<void> {
    await eventually(async () => {
      const state = await this.daemonState(id);
      if (state === 'running') throw new Error(`container ${id} still runs`);
    });
  }

  /** Closes the runtimes, force-removes every container labelled with this test's state directory and removes the directory. */
  async tearDown(): Promise<void> {
    for (const runtime of this.runtimes) await runtime.close();
    this.runtimes.length = 0;
    const filters = encodeURIComponent(JSON.stringify({ label: [`io.balsa.state-dir=${this.stateDir}`] }));
    const { body } = await daemonRequest(this.daemon.socketPath, 'GET', `/containers/json?all=1&filters=${filters}`);
    for (const { Id } of body as { Id: string }[]) await daemonRequest(this.daemon.socketPath, 'DELETE', `/containers/${Id}?force=1`);
    if (this.directory !== '') await rm(this.directory, { recursive: true, force: true });
  }
}

/** Resolves with the container's info once `runtime` reports it exited (from onExit, or inspect when it already had). */
export function exitOf(runtime: ContainerRuntime, id: string): Promise<ContainerInfo> {
  return new Promise((resolve, reject) => {
    runtime.onExit((info) => {
      if (info.id === id) resolve(info);
    });
    runtime.inspect(id).then((info) => {
      if (info?.state === 'exited') resolve(info);
    }, reject);
  });
}
