/**
 * A pod's volumes on the node, made before its containers start and kept current while it
 * runs: `emptyDir` (a directory of the pod's, removed with it), `configMap` and `secret`
 * (one file per key, or per `items` entry at its `path`, with `defaultMode`/`mode`; rewritten
 * when the object changes, files of removed keys deleted), `hostPath` (the node's directory
 * as it is). Every volume gets a host directory; `volumeMounts` map to it (with `subPath`).
 * Files are replaced by rename, so a container never reads half a file.
 */
import { mkdir, readFile, readdir, rename, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { ApiObject } from '../control-plane/api/types.js';
import type { VolumeMount } from './runtime/container-runtime.js';
import { configData, lookupConfig } from './config-sources.js';
import type { ConfigKind, ConfigSources } from './config-sources.js';
import { AgentError } from './errors.js';
import { asRecord, numberField, records, stringField } from './json-fields.js';
import type { Json } from './json-fields.js';

/** Kubernetes' default file mode of projected ConfigMap and Secret files. */
const DEFAULT_FILE_MODE = 0o644;

/** Each volume's name → its directory on the node. */
export type VolumeDirs = ReadonlyMap<string, string>;

/** Makes (or brings up to date) every volume of the pod under `volumesDir`. */
export async function syncVolumes(pod: ApiObject, volumesDir: string, sources: ConfigSources): Promise<VolumeDirs> {
  const dirs = new Map<string, string>();
  for (const volume of records(pod.spec?.volumes)) {
    const name = stringField(volume.name);
    const hostPath = asRecord(volume.hostPath);
    if (hostPath !== undefined) {
      const path = stringField(hostPath.path);
      if (!isAbsolute(path)) throw new AgentError('FailedMount', `hostPath volume "${name}": path must be absolute`, false);
      if (hostPath.type === 'DirectoryOrCreate') await mkdir(path, { recursive: true });
      dirs.set(name, path);
      continue;
    }
    const dir = join(volumesDir, name);
    if (asRecord(volume.emptyDir) !== undefined) {
      await mkdir(dir, { recursive: true });
    } else if (asRecord(volume.configMap) !== undefined || asRecord(volume.secret) !== undefined) {
      const kind: ConfigKind = volume.configMap !== undefined ? 'configmap' : 'secret';
      await projectConfig(pod, name, kind, asRecord(volume.configMap) ?? asRecord(volume.secret)!, dir, sources);
    } else {
      throw new AgentError('FailedMount', `volume "${name}": only emptyDir, configMap, secret and hostPath volumes are supported`, false);
    }
    dirs.set(name, dir);
  }
  return dirs;
}

/** The container's mounts: each `volumeMounts` entry with its volume's directory (and `subPath` within it). */
export function containerMounts(container: Json, dirs: VolumeDirs): VolumeMount[] {
  return records(container.volumeMounts).map((mount) => {
    const name = stringField(mount.name);
    const dir = dirs.get(name);
    if (dir === undefined) throw new AgentError('CreateContainerConfigError', `volumeMount "${name}" names no volume of the pod`, false);
    const subPath = stringField(mount.subPath);
    return { name, mountPath: stringField(mount.mountPath), hostPath: subPath === '' ? dir : insideDir(dir, subPath), readOnly: mount.readOnly === true };
  });
}

/** Removes every volume directory of the pod (hostPath volumes are the node's and stay). */
export async function removeVolumes(volumesDir: string): Promise<void> {
  await rm(volumesDir, { recursive: true, force: true });
}

async function projectConfig(pod: ApiObject, volume: string, kind: ConfigKind, source: Json, dir: string, sources: ConfigSources): Promise<void> {
  const objectName = stringField(kind === 'configmap' ? source.name : source.secretName);
  const object = lookupConfig(sources, kind, pod.metadata.namespace ?? 'default', objectName);
  await mkdir(dir, { recursive: true });
  if (object === undefined && source.optional !== true) {
    throw new AgentError('FailedMount', `MountVolume.SetUp failed for volume "${volume}" : ${kind} "${objectName}" not found`);
  }
  const data = object === undefined ? new Map<string, Buffer>() : configData(kind, object);
  const defaultMode = numberField(source.defaultMode) ?? DEFAULT_FILE_MODE;
  const files = new Map<string, { content: Buffer; mode: number }>();
  const items = records(source.items);
  if (items.length === 0) {
    for (const [key, content] of data) files.set(key, { content, mode: defaultMode });
  } else {
    for (const item of items) {
      const key = stringField(item.key);
      const content = data.get(key);
      if (content === undefined) {
        if (source.optional === true) continue;
        throw new AgentError('FailedMount', `MountVolume.SetUp failed for volume "${volume}" : configmap references non-existent config key: ${key}`);
      }
      files.set(stringField(item.path, key), { content, mode: numberField(item.mode) ?? defaultMode });
    }
  }
  for (const [path, file] of files) await writeIfChanged(insideDir(dir, path), file.content, file.mode);
  await removeOthers(dir, new Set([...files.keys()].map((path) => insideDir(dir, path))));
}

async function writeIfChanged(path: string, content: Buffer, mode: number): Promise<void> {
  const current = await readFile(path).catch(() => undefined);
  if (current !== undefined && current.equals(content)) {
    const stats = await stat(path);
    if ((stats.mode & 0o777) !== mode) await chmod(path, mode);
    return;
  }
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode });
  await chmod(temporary, mode);
  await rename(temporary, path);
}

/** Deletes files under `dir` that are not in `keep` (keys removed from the object). */
async function removeOthers(dir: string, keep: ReadonlySet<string>): Promise<void> {
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (!keep.has(path)) await rm(path, { force: true });
  }
}

/** `path` within `dir`; a path that climbs out of it is refused. */
function insideDir(dir: string, path: string): string {
  const full = join(dir, path);
  const rel = relative(dir, full);
  if (isAbsolute(path) || rel === '..' || rel.startsWith(`..${sep}`)) throw new AgentError('FailedMount', `path "${path}" must stay inside the volume`, false);
  return full;
}
