/**
 * What every benchmark result records about where it ran, and where it is written:
 * `<dir>/<name>-<ISO time with - for : and .>.<extension>`, one file per run, so that runs
 * never overwrite each other and sort by time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface MachineDescription {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly node: string;
  readonly platform: string;
  /** 1, 5 and 15-minute load averages when the run started: a busy machine shows here. */
  readonly loadAverage: readonly number[];
}

export function describeMachine(): MachineDescription {
  const all = cpus();
  return {
    cpuModel: all[0]?.model.trim() || 'unknown',
    cores: all.length,
    memoryBytes: totalmem(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
  };
}

/** One line for a report: model, cores, memory, node, load. */
export function machineLine(machine: MachineDescription): string {
  const gib = (machine.memoryBytes / 2 ** 30).toFixed(1);
  return `${machine.cpuModel}, ${machine.cores} cores, ${gib} GiB, node ${machine.node}, ${machine.platform}, load ${machine.loadAverage.join(' ')}`;
}

/** The checkout this module belongs to (from `dist/bench/support/` or `bench/support/`). */
export function repositoryRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.split(/[\\/]/).includes('dist') ? resolve(here, '..', '..', '..') : resolve(here, '..', '..');
}

/** `bench/results/` of this checkout. */
export function defaultResultsDir(): string {
  return join(repositoryRoot(), 'bench', 'results');
}

/** The file name stem of a run started at `startedAt` (an ISO time). */
export function resultStem(name: string, startedAt: string): string {
  return `${name}-${startedAt.replace(/[:.]/g, '-')}`;
}

/** Write `text` to `<dir>/<stem>.<extension>`, creating `dir`; returns the path. */
export function writeResultFile(dir: string, stem: string, extension: string, text: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${stem}.${extension}`);
  writeFileSync(file, text);
  return file;
}

/** Round to 2 decimals (figures in reports and JSON). */
export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** How the run was asked for: the npm script when run through it, else node. */
export function commandLine(script: string, entry: string, argv: readonly string[]): string {
  const args = argv.join(' ');
  if (process.env.npm_lifecycle_event === script) return `npm run ${script}${args === '' ? '' : ` -- ${args}`}`;
  return `node ${entry}${args === '' ? '' : ` ${args}`}`;
}
