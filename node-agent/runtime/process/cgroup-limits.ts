/**
 * CPU and memory limits for `process` containers through cgroup v2, where the host lets
 * the agent use it: one cgroup per container under a parent the agent owns
 * (`<cgroup2 mount>/balsa` by default, or a delegated subtree given as `parent`), with
 * `cpu.max` and `memory.max` set before the process is moved in, and `memory.events` read
 * at exit to tell an OOM kill.
 *
 * Where it cannot (no cgroup2 mount, the `cpu` or `memory` controller bound to a cgroup v1
 * hierarchy — a hybrid host — or no write access), containers start anyway, unlimited, and
 * the note says why; the agent shows it in the pod's status.
 */
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { ResourceLimits } from '../container-runtime.js';
import { CPU_PERIOD_US, CPU_QUOTA_MIN_US } from './constants.js';

export interface CgroupLimitsOptions {
  /** The cgroup directory (absolute, inside a cgroup2 mount) the agent creates its containers' cgroups in; default `<mount>/balsa`. */
  readonly parent?: string;
  /** Where the mount table is read (a test seam); default `/proc/self/mountinfo`. */
  readonly mountInfoPath?: string;
}

/** Either the container's cgroup directory, or why its limits are not enforced. */
export type CgroupPlacement = { readonly path: string; readonly note?: undefined } | { readonly path?: undefined; readonly note: string };

type Controller = 'cpu' | 'memory';

/** The controllers the limits need, in the order they are enabled. */
function controllersFor(limits: ResourceLimits): Controller[] {
  const needed: Controller[] = [];
  if (limits.cpuMillis !== undefined) needed.push('cpu');
  if (limits.memoryBytes !== undefined) needed.push('memory');
  return needed;
}

/** Whether a `ResourceLimits` asks for anything. */
export function hasLimits(limits: ResourceLimits): boolean {
  return controllersFor(limits).length > 0;
}

/** `cpu.max` for a CPU limit in millicores: quota and period in µs (`50000 100000` for 500m). */
export function cpuMaxValue(cpuMillis: number): string {
  const quota = Math.max(CPU_QUOTA_MIN_US, Math.round((cpuMillis * CPU_PERIOD_US) / 1000));
  return `${quota} ${CPU_PERIOD_US}`;
}

/** The mount point of the cgroup2 file system in a `/proc/self/mountinfo` text (`/sys/fs/cgroup` preferred), if any. */
export function cgroup2Mount(mountInfo: string): string | undefined {
  const mounts: string[] = [];
  for (const line of mountInfo.split('\n')) {
    const [before, after] = line.split(' - ');
    if (before === undefined || after === undefined) continue;
    if (after.split(' ')[0] !== 'cgroup2') continue;
    const mountPoint = before.split(' ')[4];
    if (mountPoint !== undefined) mounts.push(mountPoint.replace(/\\040/g, ' '));
  }
  return mounts.find((mount) => mount === '/sys/fs/cgroup') ?? mounts[0];
}

export class CgroupLimits {
  private readonly options: CgroupLimitsOptions;
  /** The parent's preparation, once per controller set (`cpu`, `memory`, `cpu+memory`). */
  private readonly prepared = new Map<string, Promise<{ parent: string } | { note: string }>>();

  constructor(options: CgroupLimitsOptions = {}) {
    this.options = options;
  }

  /** Makes the cgroup of container `id` with `limits` set, or says why it cannot (nothing is made then). */
  async create(id: string, limits: ResourceLimits): Promise<CgroupPlacement> {
    const controllers = controllersFor(limits);
    const key = controllers.join('+');
    let preparation = this.prepared.get(key);
    if (preparation === undefined) {
      preparation = this.prepareParent(controllers);
      this.prepared.set(key, preparation);
    }
    const prepared = await preparation;
    if ('note' in prepared) return { note: prepared.note };
    const path = join(prepared.parent, id);
    try {
      await mkdir(path);
      if (limits.cpuMillis !== undefined) await writeFile(join(path, 'cpu.max'), cpuMaxValue(limits.cpuMillis));
      if (limits.memoryBytes !== undefined) {
        await writeFile(join(path, 'memory.max'), String(limits.memoryBytes));
        // Without swap the limit is a limit: a process over it is OOM-killed, as in Kubernetes' default.
        await writeFile(join(path, 'memory.swap.max'), '0').catch(() => undefined);
      }
      return { path };
    } catch (error) {
      await rmdir(path).catch(() => undefined);
      return { note: `limits not enforced: cgroup v2 not writable (${(error as Error).message})` };
    }
  }

  /** Whether the kernel OOM-killed a process of the cgroup (`memory.events` `oom_kill` above 0). */
  async oomKilled(path: string): Promise<boolean> {
    const events = await readFile(join(path, 'memory.events'), 'utf8').catch(() => '');
    const match = /^oom_kill (\d+)$/m.exec(events);
    return match !== null && Number(match[1]) > 0;
  }

  /** SIGKILLs every process left in the cgroup (`cgroup.kill`, Linux 5.14+). */
  async killAll(path: string): Promise<void> {
    await writeFile(join(path, 'cgroup.kill'), '1').catch(() => undefined);
  }

  /** Removes the cgroup (once its processes are gone; the kernel refuses a busy one, then it is left). */
  async remove(path: string): Promise<void> {
    await this.killAll(path);
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        await rmdir(path);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /**
   * Makes the parent cgroup with `controllers` enabled for its children. cgroup v2 hands a
   * controller down one level at a time (`cgroup.subtree_control` of each ancestor), and
   * only from cgroups without processes of their own, so this works at the mount's root
   * (a root agent) or in a delegated subtree, and is reported otherwise.
   */
  private async prepareParent(controllers: readonly Controller[]): Promise<{ parent: string } | { note: string }> {
    const mountInfo = await readFile(this.options.mountInfoPath ?? '/proc/self/mountinfo', 'utf8').catch(() => '');
    const mount = cgroup2Mount(mountInfo);
    if (mount === undefined) return { note: 'limits not enforced: no cgroup v2 mount' };
    const parent = this.options.parent ?? join(mount, 'balsa');
    const fromMount = relative(mount, parent);
    if (fromMount.startsWith('..') || fromMount === '') return { note: `limits not enforced: ${parent} is not a cgroup below ${mount}` };
    const available = (await readFile(join(mount, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/);
    const missing = controllers.filter((controller) => !available.includes(controller));
    if (missing.length > 0) {
      return { note: `limits not enforced: cgroup v2 has no ${missing.map((c) => `"${c}"`).join(', ')} controller (bound to cgroup v1?)` };
    }
    try {
      await mkdir(parent, { recursive: true });
      // Every cgroup from the mount down to the parent itself hands the controllers down.
      const levels = [mount];
      for (const part of fromMount.split(sep)) levels.push(join(levels[levels.length - 1]!, part));
      for (const level of levels) await enableControllers(level, controllers);
      return { parent };
    } catch (error) {
      return { note: `limits not enforced: cgroup v2 not writable (${(error as Error).message})` };
    }
  }
}

/** Enables `controllers` in `cgroup`'s `cgroup.subtree_control` unless they already are. */
async function enableControllers(cgroup: string, controllers: readonly Controller[]): Promise<void> {
  const enabled = (await readFile(join(cgroup, 'cgroup.subtree_control'), 'utf8')).split(/\s+/);
  const toEnable = controllers.filter((controller) => !enabled.includes(controller));
  if (toEnable.length === 0) return;
  await writeFile(join(cgroup, 'cgroup.subtree_control'), toEnable.map((c) => `+${c}`).join(' '));
}

/** The `cgroup.procs` file of a cgroup directory (what the exit wrapper writes its PID to). */
export function procsFile(path: string): string {
  return join(path, 'cgroup.procs');
}
