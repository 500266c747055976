/**
 * A pod's status as Kubernetes' kubelet reports it, computed from what the pod worker
 * knows of its containers (pure: no I/O; the time is given). The parts of the current
 * status that are history — `startTime`, each condition's `lastTransitionTime` while its
 * status stays, conditions owned by others (`PodScheduled`) — are carried over, so that
 * computing twice from the same state gives the same status and the worker writes only
 * real changes.
 *
 * Container states: `running {startedAt}` while its attempt runs; `waiting {reason, message}`
 * before its first start (`ContainerCreating`, `PodInitializing`, or why it cannot start:
 * `CreateContainerConfigError`, `RunContainerError`) and between a crash and its restart
 * (`CrashLoopBackOff`); `terminated {exitCode, reason, startedAt, finishedAt}` once it
 * exited for good. `lastState` is the attempt before. These drive `kubectl get pods`'s
 * STATUS column (`Running`, `Init:0/1`, `CrashLoopBackOff`, `Completed`, `Error`).
 *
 * Each container status also lists the container's host ports,
 * `ports: [{name, containerPort, hostPort, protocol}]`, and, when the runtime could not
 * enforce the container's CPU or memory limits on this host, `limitsNote` saying why (both
 * Balsa extensions).
 */
import { timestamp } from '../control-plane/apiserver/registry.js';
import type { ContainerInfo, PortMapping } from './runtime/container-runtime.js';
import type { Json } from './json-fields.js';
import { records, stringField } from './json-fields.js';

/** What the worker knows of one container of the pod. */
export interface ContainerView {
  readonly name: string;
  /** The spec's image. */
  readonly image: string;
  /** The latest attempt, running or exited. */
  readonly current?: ContainerInfo;
  /** The attempt before it (for `lastState`). */
  readonly previous?: ContainerInfo;
  readonly restartCount: number;
  readonly ready: boolean;
  /** Its startup probe succeeded (or it has none) in the running attempt. */
  readonly started: boolean;
  /** Set while it is not running and will be (re)started: why it waits. */
  readonly waiting?: { readonly reason: string; readonly message?: string };
  readonly ports: readonly PortMapping[];
}

export interface PodStatusInput {
  /** The pod's current status (as the API server has it). */
  readonly current: Json;
  /** The spec's `readinessGates` condition types. */
  readonly readinessGates: readonly string[];
  readonly initContainers: readonly ContainerView[];
  readonly containers: readonly ContainerView[];
  /** Every init container has completed. */
  readonly initialized: boolean;
  /** An init container failed and will not be restarted (restart policy Never): the pod failed. */
  readonly initFailed: boolean;
  /** The pod is being terminated: nothing is ready any more. */
  readonly terminating: boolean;
  /** The runtime's name (`process`): container ids are `process://<id>`. */
  readonly runtimeName: string;
  readonly nodeIp: string;
  readonly now: Date;
}

type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

export function computePodStatus(input: PodStatusInput): Json {
  const at = timestamp(input.now);
  const phase = podPhase(input);
  const containerStatuses = input.containers.map((view) => containerStatus(view, input));
  const initContainerStatuses = input.initContainers.map((view) => containerStatus(view, input));
  const unready = containerStatuses.filter((status) => status.ready !== true).map((status) => String(status.name));
  const incomplete = input.initContainers.filter((view) => !completed(view)).map((view) => view.name);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const conditionsCurrent = records(input.current.conditions);
  const gatesPassed = input.readinessGates.every((gate) => conditionsCurrent.some((condition) => condition.type === gate && condition.status === 'True'));
  const containersReady = unready.length === 0 && !input.terminating;
  const owned: Json[] = [
    condition('Initialized', input.initialized, terminal && input.initialized ? 'PodCompleted' : 'ContainersNotInitialized', `containers with incomplete status: [${incomplete.join(' ')}]`),
    condition('Ready', containersReady && gatesPassed, terminal ? 'PodCompleted' : containersReady ? 'ReadinessGatesNotReady' : 'ContainersNotReady', readyMessage(unready, containersReady, input)),
    condition('ContainersReady', containersReady, terminal ? 'PodCompleted' : 'ContainersNotReady', readyMessage(unready, containersReady, input)),
  ];
  const conditions: Json[] = [];
  if (!conditionsCurrent.some((existing) => existing.type === 'PodScheduled')) conditions.push({ type: 'PodScheduled', status: 'True', lastTransitionTime: at });
  for (const existing of conditionsCurrent) {
    const mine = owned.find((candidate) => candidate.type === existing.type);
    conditions.push(mine === undefined ? existing : carryTransition(mine, existing, at));
  }
  for (const mine of owned) if (!conditionsCurrent.some((existing) => existing.type === mine.type)) conditions.push({ ...mine, lastTransitionTime: at });
  const status: Json = {
    phase,
    conditions,
    hostIP: input.nodeIp,
    hostIPs: [{ ip: input.nodeIp }],
    podIP: input.nodeIp,
    podIPs: [{ ip: input.nodeIp }],
    startTime: typeof input.current.startTime === 'string' ? input.current.startTime : at,
  };
  if (initContainerStatuses.length > 0) status.initContainerStatuses = initContainerStatuses;
  status.containerStatuses = containerStatuses;
  if (typeof input.current.qosClass === 'string') status.qosClass = input.current.qosClass;
  return status;
}

function podPhase(input: PodStatusInput): Phase {
  if (input.initFailed) return 'Failed';
  if (!input.initialized) return 'Pending';
  let running = 0;
  let restarting = 0;
  let failed = 0;
  for (const view of input.containers) {
    if (view.current === undefined) return 'Pending';
    if (view.current.state === 'running') running++;
    else if (view.waiting !== undefined) restarting++;
    else if (view.current.exitCode !== 0) failed++;
  }
  if (running > 0 || restarting > 0) return 'Running';
  return failed > 0 ? 'Failed' : 'Succeeded';
}

function completed(view: ContainerView): boolean {
  return view.current?.state === 'exited' && view.current.exitCode === 0 && view.waiting === undefined;
}

function containerStatus(view: ContainerView, input: PodStatusInput): Json {
  const current = view.current;
  const status: Json = {
    name: view.name,
    image: view.image,
    imageID: current === undefined ? '' : `${input.runtimeName}://${current.image}`,
    ready: view.ready && !input.terminating,
    started: view.started && current?.state === 'running',
    restartCount: view.restartCount,
    state: {},
    lastState: {},
  };
  if (current !== undefined) status.containerID = `${input.runtimeName}://${current.id}`;
  if (view.waiting !== undefined || current === undefined) {
    const waiting = view.waiting ?? { reason: 'ContainerCreating' };
    status.state = { waiting: { reason: waiting.reason, ...(waiting.message !== undefined ? { message: waiting.message } : {}) } };
    if (current?.state === 'exited') status.lastState = { terminated: terminatedState(current, input.runtimeName) };
    else if (view.previous !== undefined) status.lastState = { terminated: terminatedState(view.previous, input.runtimeName) };
  } else {
    status.state = current.state === 'running' ? { running: { startedAt: timestamp(new Date(current.startedAtMs)) } } : { terminated: terminatedState(current, input.runtimeName) };
    if (view.previous !== undefined) status.lastState = { terminated: terminatedState(view.previous, input.runtimeName) };
  }
  // Limits the host could not enforce (no writable cgroup v2) are said, not silently dropped.
  if (current?.limitsNote !== undefined) status.limitsNote = current.limitsNote;
  status.ports = view.ports.map((port) => ({ ...(port.name !== undefined ? { name: port.name } : {}), containerPort: port.containerPort, hostPort: port.hostPort, protocol: port.protocol }));
  return status;
}

function terminatedState(info: ContainerInfo, runtimeName: string): Json {
  const exitCode = info.exitCode ?? 137;
  return {
    exitCode,
    reason: info.reason ?? (exitCode === 0 ? 'Completed' : 'Error'),
    startedAt: timestamp(new Date(info.startedAtMs)),
    finishedAt: timestamp(new Date(info.finishedAtMs ?? info.startedAtMs)),
    containerID: `${runtimeName}://${info.id}`,
  };
}

function condition(type: string, isTrue: boolean, reason: string, message: string): Json {
  return isTrue ? { type, status: 'True' } : { type, status: 'False', reason, message };
}

function readyMessage(unready: readonly string[], containersReady: boolean, input: PodStatusInput): string {
  if (input.terminating) return 'the pod is terminating';
  if (containersReady) return `corresponding condition of pod readiness gate is not True`;
  return `containers with unready status: [${unready.join(' ')}]`;
}

/** The new condition, keeping the old one's transition time when its status did not change. */
function carryTransition(next: Json, existing: Json, at: string): Json {
  const same = existing.status === next.status;
  return { ...next, lastTransitionTime: same ? stringField(existing.lastTransitionTime, at) : at };
}
