/**
 * CPU and memory limits, per what this host allows. Where the agent can use cgroup v2
 * with the `cpu` and `memory` controllers (judged here independently of the runtime's own
 * check), a container runs in its own cgroup with `cpu.max` and `memory.max` set, and one
 * that allocates past its memory limit is `OOMKilled`. Elsewhere (no cgroup2 mount, the
 * controllers bound to cgroup v1, no write access), the container runs anyway, unlimited,
 * and `limitsNote` says why.
 */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { cgroup2Mount } from '../../../node-agent/runtime/process/cgroup-limits.js';
import { exitOf, logContaining, RuntimeHarness } from './process-runtime-harness.js';

const harness = new RuntimeHarness();
beforeEach(() => harness.setUp());
afterEach(() => harness.tearDown());

/** The cgroup2 mount when this host lets a root agent limit cpu and memory there, else why not. */
async function hostCapability(): Promise<{ mount: string } | { why: string }> {
  const mount = cgroup2Mount(await readFile('/proc/self/mountinfo', 'utf8'));
  if (mount === undefined) return { why: 'no cgroup2 mount' };
  const controllers = (await readFile(join(mount, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/);
  if (!controllers.includes('cpu') || !controllers.includes('memory')) return { why: `cgroup2 at ${mount} offers only "${controllers.join(' ').trim()}"` };
  const writable = await access(join(mount, 'cgroup.subtree_control'), constants.W_OK).then(() => true, () => false);
  return writable ? { mount } : { why: `${mount} is not writable` };
}

const limits = { cpuMillis: 500, memoryBytes: 64 * 1024 * 1024 };

describe('limits', () => {
  it('are enforced through cgroup v2 where the host allows, and noted where it does not', async () => {
    const capability = await hostCapability();
    process.stdout.write(`limits on this host: ${'mount' in capability ? `cgroup v2 at ${capability.mount}` : `not enforceable (${capability.why})`}\n`);
    const runtime = harness.runtime();
    const spec = harness.spec({ command: ['sh', '-c', 'cat /proc/self/cgroup; echo done'], limits });
    const info = await runtime.start(spec);
    expect(await exitOf(runtime, info.id)).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const log = await logContaining(spec.logPath, 'done');

    if ('mount' in capability) {
      expect(info.limitsNote).toBeUndefined();
      const cgroup = /^0::(.*)$/m.exec(log)?.[1];
      expect(cgroup).toBe(`/balsa/${info.id}`);
      expect((await readFile(join(capability.mount, cgroup!, 'cpu.max'), 'utf8')).trim()).toBe('50000 100000');
      expect((await readFile(join(capability.mount, cgroup!, 'memory.max'), 'utf8')).trim()).toBe(String(limits.memoryBytes));

      const hog = harness.spec({ containerName: 'hog', command: ['node', '-e', 'const kept = []; for (;;) kept.push(Buffer.alloc(1 << 20, 1))'], limits });
      const hogInfo = await runtime.start(hog);
      expect(await exitOf(runtime, hogInfo.id)).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
      await runtime.remove(hogInfo.id);
      await runtime.remove(info.id);
      await expect(access(join(capability.mount, cgroup!))).rejects.toThrow();
    } else {
      expect(info.limitsNote).toMatch(/^limits not enforced: /);
      expect(log).toMatch(/done\n$/);
    }
  });

  it('a container without limits gets no note', async () => {
    const runtime = harness.runtime();
    const info = await runtime.start(harness.spec({ command: ['true'] }));
    expect(info.limitsNote).toBeUndefined();
    expect(await exitOf(runtime, info.id)).toMatchObject({ exitCode: 0 });
  });
});

describe('cgroup2Mount', () => {
  it('finds the cgroup2 mount in a mount table, preferring /sys/fs/cgroup, and none in a v1-only one', () => {
    const hybrid = [
      '30 25 0:26 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
      '35 25 0:31 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
    ].join('\n');
    expect(cgroup2Mount(hybrid)).toBe('/sys/fs/cgroup/unified');
    expect(cgroup2Mount(`${hybrid}\n36 25 0:32 / /sys/fs/cgroup rw shared:9 - cgroup2 cgroup2 rw,nsdelegate`)).toBe('/sys/fs/cgroup');
    expect(cgroup2Mount('30 25 0:26 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory')).toBeUndefined();
  });
});
