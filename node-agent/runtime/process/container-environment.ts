/**
 * What a `process` container sees instead of a filesystem namespace and a network
 * namespace: its environment (not the agent's) and paths under its volumes' mount paths
 * rewritten to the host directories that hold them.
 */
import type { ContainerSpec, VolumeMount } from '../container-runtime.js';

/** One mount as translation needs it. */
export interface PathMapping {
  readonly mountPath: string;
  readonly hostPath: string;
}

/**
 * `BALSA_VOLUME_DATA` for `data`, `PORT_METRICS_HTTP` for `metrics-http`: upper case, and
 * every character an environment name should not hold (`-`, `.`) becomes `_`.
 */
export function envSuffix(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

/**
 * The container's environment, in this order (a later entry replaces an earlier one of
 * the same name, keeping its place): `PATH` (the agent's, so that `node` or `sh` are found
 * as the agent finds them) and `HOME` (the agent's), the spec's `env` in its order, then
 * what the runtime adds — `PORT` (the first port's host port), `PORT_<NAME>` per named
 * port, `BALSA_IMAGE`, `BALSA_VOLUME_<NAME>` per mount. The runtime's own entries come
 * last and win: they carry the host ports the agent allocated, which the process must use.
 * Nothing else of the agent's environment leaks in (no credentials, no agent settings).
 */
export function containerEnvironment(spec: ContainerSpec, agentEnv: NodeJS.ProcessEnv = process.env): Map<string, string> {
  const env = new Map<string, string>();
  if (agentEnv.PATH !== undefined) env.set('PATH', agentEnv.PATH);
  env.set('HOME', agentEnv.HOME ?? '/');
  for (const { name, value } of spec.env) env.set(name, value);
  const first = spec.ports[0];
  if (first !== undefined) env.set('PORT', String(first.hostPort));
  for (const port of spec.ports) if (port.name !== undefined && port.name !== '') env.set(`PORT_${envSuffix(port.name)}`, String(port.hostPort));
  env.set('BALSA_IMAGE', spec.image);
  for (const mount of spec.mounts) env.set(`BALSA_VOLUME_${envSuffix(mount.name)}`, mount.hostPath);
  return env;
}

/** The mounts that translate paths, deepest mount path first (`/data/cache` before `/data`); a mount at `/` translates nothing (it would hide the host). */
export function pathMappings(mounts: readonly VolumeMount[]): PathMapping[] {
  return mounts
    .map((mount) => ({ mountPath: mount.mountPath.replace(/\/+$/, ''), hostPath: mount.hostPath }))
    .filter((mapping) => mapping.mountPath !== '')
    .sort((a, b) => b.mountPath.length - a.mountPath.length);
}

/** `path` with its mount path prefix (`/data` or `/data/...`) replaced by the host directory; anything else unchanged. */
export function translatePath(path: string, mappings: readonly PathMapping[]): string {
  for (const { mountPath, hostPath } of mappings) {
    if (path === mountPath) return hostPath;
    if (path.startsWith(`${mountPath}/`)) return hostPath + path.slice(mountPath.length);
  }
  return path;
}

/**
 * The argv a container runs: `command` followed by `args`. With an empty `command`,
 * `args[0]` is the executable (the process runtime has no image entrypoint to fall back
 * on). Every element that is a path under a mount is translated.
 */
export function containerArgv(spec: Pick<ContainerSpec, 'command' | 'args'>, mappings: readonly PathMapping[]): string[] {
  return [...spec.command, ...spec.args].map((arg) => translatePath(arg, mappings));
}
