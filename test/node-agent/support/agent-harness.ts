/**
 * One node agent on a real control plane (a KV process and an in-process API server, as the
 * controller tests have), with the fake runtime and the test-driven prober: heartbeats and
 * back-off made fast so that tests wait for behaviour, not for timers. `restartAgent`
 * stops the agent as a crash would (containers left running) and starts another on the
 * same runtime and data directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceByName } from '../../../control-plane/api/resources.js';
import type { ApiObject } from '../../../control-plane/api/types.js';
import { startAgent } from '../../../node-agent/node-agent.js';
import type { Agent, AgentOptions } from '../../../node-agent/node-agent.js';
import { startControlPlane } from '../../control-plane/controllers/support/control-plane.js';
import type { ControlPlane } from '../../control-plane/controllers/support/control-plane.js';
import { FakeProbers } from './fake-prober.js';
import { FakeRuntime } from './fake-runtime.js';

export const PODS = resourceByName('pods')!;
export const EVENTS = resourceByName('events')!;

export interface AgentHarness {
  readonly plane: ControlPlane;
  readonly runtime: FakeRuntime;
  readonly probers: FakeProbers;
  readonly dataDir: string;
  readonly nodeName: string;
  agent: Agent;
  readonly logs: string[];
  /** The agent crashes (its containers keep running) and a new one starts on the same runtime and data. */
  restartAgent(): Promise<void>;
  stop(): Promise<void>;
}

export async function startAgentHarness(overrides: Partial<AgentOptions> = {}, nodeName = 'node-a'): Promise<AgentHarness> {
  const plane = await startControlPlane();
  const dataDir = await mkdtemp(join(tmpdir(), 'balsa-agent-'));
  const runtime = new FakeRuntime();
  const probers = new FakeProbers();
  const logs: string[] = [];
  const options: AgentOptions = {
    client: plane.client,
    nodeName,
    nodeIp: '127.0.0.1',
    dataDir,
    runtime,
    proberFactory: probers.factory,
    port: 0,
    backoff: { baseMs: 400, maxMs: 1_600, resetMs: 60_000 },
    leaseRenewIntervalMs: 300,
    statusUpdateIntervalMs: 300,
    statusReportIntervalMs: 1_000,
    log: (line) => {
      logs.push(line);
      if (process.env.BALSA_TEST_LOG) console.log(line);
    },
    ...overrides,
  };
  let agent = await startAgent(options);
  return {
    plane,
    runtime,
    probers,
    dataDir,
    nodeName,
    get agent() {
      return agent;
    },
    set agent(value) {
      agent = value;
    },
    logs,
    async restartAgent() {
      await agent.stop({ stopContainers: false });
      runtime.detach();
      agent = await startAgent(options);
    },
    async stop() {
      await agent.stop({ stopContainers: false });
      await plane.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A pod bound to `nodeName` from the start (no scheduler runs in these tests). */
export function boundPod(name: string, nodeName: string, spec: Record<string, unknown>): ApiObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName, ...spec } };
}

type Json = Record<string, unknown>;

export function podStatus(pod: ApiObject): Json {
  return (pod.status ?? {}) as Json;
}

export function containerStatus(pod: ApiObject, name: string, list: 'containerStatuses' | 'initContainerStatuses' = 'containerStatuses'): Json {
  const found = ((podStatus(pod)[list] ?? []) as Json[]).find((status) => status.name === name);
  if (found === undefined) throw new Error(`no status for container ${name} in ${JSON.stringify(pod.status)}`);
  return found;
}

export function condition(pod: ApiObject, type: string): string | undefined {
  return ((podStatus(pod).conditions ?? []) as Json[]).find((entry) => entry.type === type)?.status as string | undefined;
}

/** The reasons of the Events about the pod named so. */
export async function eventReasons(plane: ControlPlane, namespace: string, podName: string): Promise<{ reason: string; message: string }[]> {
  const list = await plane.client.list(EVENTS, namespace);
  return list.items
    .filter((event) => (event.involvedObject as Json).name === podName)
    .map((event) => ({ reason: String(event.reason), message: String(event.message) }));
}
