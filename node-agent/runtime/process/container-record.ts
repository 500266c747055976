/**
 * The one small JSON file the `process` runtime keeps per container in its state
 * directory (`<stateDir>/<id>.json`), so that a later agent run finds, adopts, stops and
 * execs in the containers an earlier one started; beside it, `<id>.exit` written by the
 * exit wrapper. The record holds the container's environment (Secret values included), so
 * the directory is made private (0700) and every file 0600.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerInfo } from '../container-runtime.js';
import type { PathMapping } from './container-environment.js';
import { STATE_FILE_VERSION } from './constants.js';

/** Everything the runtime remembers of one container: what it reports, and what it needs to watch, stop and exec in it. */
export interface ContainerRecord extends ContainerInfo {
  readonly version: number;
  /** The exit wrapper's PID (the leader of the container's process group) and its start time. */
  readonly pid: number;
  readonly startTicks: number;
  /** The environment the container runs with, in order (exec runs with it too). */
  readonly env: readonly (readonly [string, string])[];
  /** The host directory it runs in. */
  readonly cwd: string;
  /** Its mounts, for translating exec commands. */
  readonly mappings: readonly PathMapping[];
  /** Its cgroup directory, when limits are enforced. */
  readonly cgroupPath?: string;
}

/** The runtime-neutral view of a record: without the runtime's own fields (the environment holds Secret values). */
export function toInfo(record: ContainerRecord): ContainerInfo {
  const { version: _version, pid: _pid, startTicks: _startTicks, env: _env, cwd: _cwd, mappings: _mappings, cgroupPath: _cgroupPath, ...info } = record;
  return info;
}

/** The files of one state directory. */
export class RecordStore {
  readonly directory: string;

  constructor(directory: string) {
    this.directory = directory;
  }

  async ensureDirectory(): Promise<void> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
  }

  recordFile(id: string): string {
    return join(this.directory, `${id}.json`);
  }

  exitFile(id: string): string {
    return join(this.directory, `${id}.exit`);
  }

  /** Writes the record atomically (a reader sees the old file or the new one, never half). */
  async write(record: ContainerRecord): Promise<void> {
    const file = this.recordFile(record.id);
    const temporary = `${file}.tmp`;
    await writeFile(temporary, JSON.stringify(record), { mode: 0o600 });
    await rename(temporary, file);
  }

  /** The record of `id`, or undefined when there is none (or it is of another layout version). */
  async read(id: string): Promise<ContainerRecord | undefined> {
    let text: string;
    try {
      text = await readFile(this.recordFile(id), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const record = JSON.parse(text) as ContainerRecord;
      return record.version === STATE_FILE_VERSION && record.id === id ? record : undefined;
    } catch {
      return undefined;
    }
  }

  /** The ids of every record in the directory. */
  async ids(): Promise<string[]> {
    const names = await readdir(this.directory).catch(() => [] as string[]);
    return names.filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -'.json'.length));
  }

  /** The status the exit wrapper recorded and when, or undefined when it wrote none. */
  async readExit(id: string): Promise<{ exitCode: number; atMs: number } | undefined> {
    const file = this.exitFile(id);
    try {
      const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
      const exitCode = Number(text.trim());
      return Number.isInteger(exitCode) && text.trim() !== '' ? { exitCode, atMs: info.mtimeMs } : undefined;
    } catch {
      return undefined;
    }
  }

  async delete(id: string): Promise<void> {
    await rm(this.exitFile(id), { force: true });
    await rm(this.recordFile(id), { force: true });
  }
}
