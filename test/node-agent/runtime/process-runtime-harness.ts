/**
 * Shared pieces of the process runtime tests: a temporary directory per test, container
 * specs with defaults, and runtimes whose containers are all killed and whose directories
 * are removed after each test, also when it fails.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerInfo, ContainerSpec } from '../../../node-agent/runtime/container-runtime.js';
import { ProcessRuntime } from '../../../node-agent/runtime/process/process-runtime.js';
import type { ProcessRuntimeOptions } from '../../../node-agent/runtime/process/process-runtime.js';
import { eventually } from '../../support/eventually.js';

/** The fixture app, run by the tests as a container. */
export const WEB_APP = join(process.cwd(), 'examples/web/app.mjs');

export class RuntimeHarness {
  directory = '';
  private readonly runtimes: ProcessRuntime[] = [];
  private readonly pids = new Set<number>();

  async setUp(): Promise<void> {
    this.directory = await mkdtemp(join(tmpdir(), 'balsa-runtime-'));
  }

  /** A runtime over this test's state directory (the same one each call: a later runtime adopts). */
  runtime(options: Partial<ProcessRuntimeOptions> = {}): ProcessRuntime {
    const runtime = new ProcessRuntime({ stateDir: join(this.directory, 'state'), ...options });
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
      image: 'test:1',
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

  /** Kills every container of every runtime of the test (group SIGKILL), closes them and removes the directory. */
  async tearDown(): Promise<void> {
    const fresh = new ProcessRuntime({ stateDir: join(this.directory, 'state') });
    for (const info of await fresh.list().catch(() => [])) {
      if (info.state === 'running') await fresh.stop(info.id, 0).catch(() => undefined);
    }
    await fresh.close();
    // Whatever a container left in its process group (a test that failed half-way).
    for (const name of await readdir(join(this.directory, 'state')).catch(() => [] as string[])) {
      if (!name.endsWith('.json')) continue;
      const record = JSON.parse(await readFile(join(this.directory, 'state', name), 'utf8').catch(() => '{}')) as { pid?: number };
      if (record.pid !== undefined) this.pids.add(record.pid);
    }
    for (const pid of this.pids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    for (const runtime of this.runtimes) await runtime.close();
    if (this.directory !== '') await rm(this.directory, { recursive: true, force: true });
  }
}

/** Resolves with the container's info once `runtime` reports it exited (from onExit, or inspect when it already had). */
export function exitOf(runtime: ProcessRuntime, id: string): Promise<ContainerInfo> {
  return new Promise((resolve, reject) => {
    runtime.onExit((info) => {
      if (info.id === id) resolve(info);
    });
    runtime.inspect(id).then((info) => {
      if (info?.state === 'exited') resolve(info);
    }, reject);
  });
}

/** The log file's text once it contains `text`. */
export async function logContaining(path: string, text: string): Promise<string> {
  return eventually(async () => {
    const content = await readFile(path, 'utf8').catch(() => '');
    if (!content.includes(text)) throw new Error(`log ${path} does not contain ${JSON.stringify(text)} yet: ${JSON.stringify(content)}`);
    return content;
  });
}
