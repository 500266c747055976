/**
 * Containers outlive the agent: a new runtime over the same state directory finds them
 * running, stops them and learns their exit codes (from the exit wrapper's file), also
 * after the agent process itself was SIGKILLed.
 */
import { spawn } from 'node:child_process';
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { ContainerInfo } from '../../../node-agent/runtime/container-runtime.js';
import { eventually } from '../../support/eventually.js';
import { exitOf, logContaining, RuntimeHarness } from './process-runtime-harness.js';

const harness = new RuntimeHarness();
beforeEach(() => harness.setUp());
afterEach(() => harness.tearDown());

/** A container that prints `ready`, then waits for `<dir>/go` and exits with `code`. */
function waitingForGo(code: number): string[] {
  return ['sh', '-c', `echo ready; while [ ! -e "${harness.directory}/go" ]; do sleep 0.05; done; exit ${code}`];
}

async function gone(pid: number): Promise<void> {
  await eventually(async () => {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    if (text !== undefined && text.slice(text.lastIndexOf(')') + 2)[0] !== 'Z') throw new Error(`process ${pid} still runs`);
  });
}

describe('adoption by a new runtime over the same state directory', () => {
  it('lists a container an earlier runtime started as running, stops it and sees its exit', async () => {
    const first = harness.runtime();
    const spec = harness.spec({ command: ['node', '-e', 'process.on("SIGTERM", () => { console.log("bye"); process.exit(0); }); console.log("ready"); setInterval(() => {}, 1000)'] });
    const started = await first.start(spec);
    await logContaining(spec.logPath, 'ready');
    await first.close();

    const second = harness.runtime({ livenessPollMs: 100 });
    const exits: ContainerInfo[] = [];
    second.onExit((info) => exits.push(info));
    expect(await second.list()).toEqual([started]);
    await second.stop(started.id, 600);
    const stopped = await second.inspect(started.id);
    expect(stopped).toMatchObject({ id: started.id, state: 'exited', exitCode: 0, reason: 'Completed' });
    expect(exits).toEqual([stopped]);
    expect(await readFile(spec.logPath, 'utf8')).toBe('ready\nbye\n');
  });

  it('reports the exit code of an adopted container that exits on its own', async () => {
    const first = harness.runtime();
    const spec = harness.spec({ command: waitingForGo(7) });
    const started = await first.start(spec);
    await logContaining(spec.logPath, 'ready');
    await first.close();

    const second = harness.runtime({ livenessPollMs: 100 });
    expect((await second.inspect(started.id))?.state).toBe('running');
    const exited = exitOf(second, started.id);
    await writeFile(join(harness.directory, 'go'), '');
    expect(await exited).toMatchObject({ state: 'exited', exitCode: 7, reason: 'Error' });
  });

  it('finds a container that exited while no runtime watched exited, with its code, and tells no listener', async () => {
    const first = harness.runtime();
    const spec = harness.spec({ command: waitingForGo(5) });
    const started = await first.start(spec);
    await logContaining(spec.logPath, 'ready');
    const { pid } = JSON.parse(await readFile(join(harness.directory, 'state', `${started.id}.json`), 'utf8')) as { pid: number };
    await first.close();
    await writeFile(join(harness.directory, 'go'), '');
    await gone(pid);

    const second = harness.runtime();
    const exits: ContainerInfo[] = [];
    second.onExit((info) => exits.push(info));
    expect(await second.list()).toEqual([expect.objectContaining({ id: started.id, state: 'exited', exitCode: 5, reason: 'Error' })]);
    expect(exits).toEqual([]);
  });

  it('says Unknown when the whole container was SIGKILLed while no runtime watched (no status recorded)', async () => {
    const first = harness.runtime();
    const spec = harness.spec({ command: ['sh', '-c', 'echo ready; exec sleep 600'] });
    const started = await first.start(spec);
    await logContaining(spec.logPath, 'ready');
    const { pid } = JSON.parse(await readFile(join(harness.directory, 'state', `${started.id}.json`), 'utf8')) as { pid: number };
    await first.close();
    process.kill(-pid, 'SIGKILL');
    await gone(pid);
    const second = harness.runtime();
    const [found] = await second.list();
    expect(found).toMatchObject({ id: started.id, state: 'exited', reason: 'Unknown' });
    expect(found?.exitCode).toBeUndefined();
  });
});

describe('an agent SIGKILLed', () => {
  it('leaves its container running and logging; a new runtime adopts it and stops it', async () => {
    const runtimeModule = join(process.cwd(), 'dist/node-agent/runtime/process/process-runtime.js');
    await access(runtimeModule).catch(() => {
      throw new Error(`${runtimeModule} is missing: run npm run build (or the tests without BALSA_SKIP_BUILD)`);
    });
    const spec = harness.spec({ command: ['sh', '-c', 'trap "echo stopping; exit 0" TERM; while :; do echo tick; sleep 0.05; done'] });
    // The "agent": a Node process that starts the container through the compiled runtime and then idles.
    const agentScript = `
      const { ProcessRuntime } = await import(${JSON.stringify(runtimeModule)});
      const runtime = new ProcessRuntime({ stateDir: ${JSON.stringify(join(harness.directory, 'state'))} });
      const info = await runtime.start(${JSON.stringify(spec)});
      console.log(JSON.stringify(info));
      setInterval(() => {}, 1000);
    `;
    const agent = spawn(process.execPath, ['--input-type=module', '-e', agentScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let output = '';
        agent.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('\n')) resolve(output.split('\n')[0]!);
        });
        agent.once('exit', (code) => reject(new Error(`the agent exited (${code}) before starting the container: ${output}`)));
      });
      const started = JSON.parse(line) as ContainerInfo;
      const agentExited = new Promise((resolve) => agent.once('exit', resolve));
      agent.kill('SIGKILL');
      await agentExited;

      // Still logging after the agent is gone.
      const sizeAfterKill = (await stat(spec.logPath)).size;
      await eventually(async () => {
        if ((await stat(spec.logPath)).size <= sizeAfterKill) throw new Error('the log has not grown since the agent died');
      });

      const second = harness.runtime({ livenessPollMs: 100 });
      expect(await second.list()).toEqual([expect.objectContaining({ id: started.id, state: 'running' })]);
      await second.stop(started.id, 600);
      expect(await second.inspect(started.id)).toMatchObject({ state: 'exited', exitCode: 0, reason: 'Completed' });
      // (The container's own shell may report its `sleep` killed by the SIGTERM to the group: `Terminated`.)
      expect(await readFile(spec.logPath, 'utf8')).toMatch(/^tick\n(.*\n)*stopping\n$/);
    } finally {
      agent.kill('SIGKILL');
    }
  });
});
