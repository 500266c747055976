/**
 * What the node reports about itself: its capacity (CPU, memory, pods) from the host unless
 * flags say otherwise, and its conditions — `Ready` (the agent is up and posting), and
 * `MemoryPressure` and `DiskPressure` measured against thresholds (the host's free memory,
 * the free space of the file system holding the data directory). Each condition keeps its
 * `lastTransitionTime` while its status stays; `lastHeartbeatTime` is the time of posting.
 */
import { statfs } from 'node:fs/promises';
import { arch, cpus, freemem, hostname, platform, release, totalmem } from 'node:os';
import { timestamp } from '../control-plane/apiserver/registry.js';
import type { NodeCondition } from '../control-plane/controllers/node-lifecycle/node-health.js';
import { DISK_PRESSURE_FREE_FRACTION, MEMORY_PRESSURE_FREE_BYTES } from './constants.js';

export interface NodeResources {
  /** CPU as a Kubernetes quantity (`4`, `1500m`). */
  readonly cpu: string;
  /** Memory as a quantity (`16Gi`, `8123456Ki`). */
  readonly memory: string;
  readonly pods: number;
}

/** What the host has (CPUs, memory in KiB, as a kubelet reports them). */
export function hostResources(maxPods: number): NodeResources {
  return { cpu: String(cpus().length), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: maxPods };
}

/** The pressure readings at one moment. */
export interface PressureReadings {
  readonly freeMemoryBytes: number;
  readonly freeDiskFraction: number;
}

export interface PressureThresholds {
  readonly memoryFreeBytes: number;
  readonly diskFreeFraction: number;
}

export const DEFAULT_PRESSURE_THRESHOLDS: PressureThresholds = { memoryFreeBytes: MEMORY_PRESSURE_FREE_BYTES, diskFreeFraction: DISK_PRESSURE_FREE_FRACTION };

export async function measurePressure(dataDir: string): Promise<PressureReadings> {
  const disk = await statfs(dataDir);
  return { freeMemoryBytes: freemem(), freeDiskFraction: disk.blocks > 0 ? disk.bavail / disk.blocks : 1 };
}

/** The node's conditions now, carrying over transition times from `current` where the status stays. */
export function nodeConditionsNow(current: readonly NodeCondition[], readings: PressureReadings, thresholds: PressureThresholds, now: Date): NodeCondition[] {
  const at = timestamp(now);
  const memoryPressure = readings.freeMemoryBytes < thresholds.memoryFreeBytes;
  const diskPressure = readings.freeDiskFraction < thresholds.diskFreeFraction;
  const next: Omit<NodeCondition, 'lastHeartbeatTime' | 'lastTransitionTime'>[] = [
    memoryPressure
      ? { type: 'MemoryPressure', status: 'True', reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available' }
      : { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
    diskPressure
      ? { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure' }
      : { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
    { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
    { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
  ];
  const conditions: NodeCondition[] = next.map((condition) => {
    const was = current.find((existing) => existing.type === condition.type);
    return { ...condition, lastHeartbeatTime: at, lastTransitionTime: was !== undefined && was.status === condition.status && was.lastTransitionTime !== undefined ? was.lastTransitionTime : at };
  });
  // Conditions others posted (a node problem detector's) stay as they are.
  for (const existing of current) if (!conditions.some((condition) => condition.type === existing.type)) conditions.push(existing);
  return conditions;
}

/** Whether two condition lists say the same, heartbeat times aside. */
export function sameConditions(a: readonly NodeCondition[], b: readonly NodeCondition[]): boolean {
  const text = (list: readonly NodeCondition[]): string =>
    JSON.stringify(list.map(({ type, status, reason, message }) => [type, status, reason ?? '', message ?? '']).sort());
  return text(a) === text(b);
}

/** `status.nodeInfo`, as far as this host can say. */
export function nodeInfo(runtimeName: string, agentVersion: string): Record<string, string> {
  return {
    architecture: goArch(arch()),
    operatingSystem: platform(),
    kernelVersion: release(),
    osImage: `${platform()} ${release()}`,
    containerRuntimeVersion: `${runtimeName}://${agentVersion}`,
    kubeletVersion: `balsa-${agentVersion}`,
    kubeProxyVersion: `balsa-${agentVersion}`,
    machineID: hostname(),
    systemUUID: '',
    bootID: '',
  };
}

/** Go's GOARCH names, which the `kubernetes.io/arch` label uses (`amd64`, not Node's `x64`). */
export function goArch(nodeArch: string): string {
  return nodeArch === 'x64' ? 'amd64' : nodeArch === 'ia32' ? '386' : nodeArch;
}
