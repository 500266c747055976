/**
 * The node agent, assembled: registration and heartbeats of the Node, the pods' workers
 * over an injected container runtime and prober factory, the logs endpoint, and (when asked)
 * the node's service proxy. `startAgent`
 * is what `balsa agent` runs; tests run it in-process with a fake runtime and prober.
 */
import { mkdir } from 'node:fs/promises';
import { Registry } from 'prom-client';
import { EventRecorder } from '../control-plane/client/event-recorder.js';
import type { GrpcApiClient } from '../control-plane/client/grpc-api-client.js';
import { AgentLogsServer } from './agent-logs-server.js';
import { AgentMetrics } from './agent-metrics.js';
import type { LogReader } from './agent-logs-server.js';
import type { ServingTls } from '../control-plane/apiserver/serving-tls.js';
import { DEFAULT_AGENT_PORT, DEFAULT_MAX_PODS, RESTART_BACKOFF_BASE_MS, RESTART_BACKOFF_MAX_MS, RESTART_BACKOFF_RESET_MS } from './constants.js';
import { HostPortAllocator } from './host-ports.js';
import { hostResources } from './node-conditions.js';
import type { NodeResources, PressureThresholds } from './node-conditions.js';
import { NodeRegistration } from './node-registration.js';
import type { Taint } from './node-registration.js';
import { PodManager } from './pod-manager.js';
import { PodPaths } from './pod-paths.js';
import type { ContainerProberFactory } from './probes/probe-types.js';
import type { BackoffSettings } from './restart-backoff.js';
import type { ContainerRuntime } from './runtime/container-runtime.js';
import { ServiceProxy, startServiceProxyFromApi } from './proxy/index.js';

/** The agent's version, reported in `status.nodeInfo`. */
export const AGENT_VERSION = '0.1.0';

/** The event source of the agent's Events, as Kubernetes' kubelet names itself. */
export const AGENT_COMPONENT = 'kubelet';

export interface AgentOptions {
  readonly client: GrpcApiClient;
  readonly nodeName: string;
  readonly nodeIp: string;
  /** Pod logs, volumes and the host-port allocations live here. */
  readonly dataDir: string;
  readonly runtime: ContainerRuntime;
  readonly proberFactory: ContainerProberFactory;
  /** The logs endpoint's port (default 10250; 0 = any). */
  readonly port?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly Taint[];
  /** Capacity overrides (default: the host's CPUs and memory, 110 pods). */
  readonly resources?: Partial<NodeResources>;
  /** Restart back-off (default 10 s doubling to 5 min, reset after 10 min running). */
  readonly backoff?: Partial<BackoffSettings>;
  readonly leaseRenewIntervalMs?: number;
  readonly statusUpdateIntervalMs?: number;
  readonly statusReportIntervalMs?: number;
  readonly pressureThresholds?: PressureThresholds;
  readonly logReader?: LogReader;
  /** Run the node's service proxy (kube-proxy's part): a listener on the node IP per Service port (default false; `balsa agent` turns it on). */
  readonly serviceProxy?: boolean;
  /** Told what goes wrong; `fields` name the objects (`namespace`, `pod`). */
  readonly log?: (line: string, fields?: Readonly<Record<string, string>>) => void;
  /** Where the agent's series go, served at `/metrics` on its port (default: a registry of its own). */
  readonly metricsRegistry?: Registry;
  /** Serve the logs endpoint over HTTPS with the node's certificate, to the API server only (see AgentLogsServer). */
  readonly logsTls?: ServingTls;
}

export interface StopOptions {
  /** Stop every pod's containers gracefully (default true); false leaves them running, as a crash would, for the next run to adopt. */
  readonly stopContainers?: boolean;
}

export interface Agent {
  readonly nodeName: string;
  /** The logs endpoint's base URL (`http://127.0.0.2:10250`). */
  readonly logsUrl: string;
  readonly port: number;
  stop(options?: StopOptions): Promise<void>;
}

export async function startAgent(options: AgentOptions): Promise<Agent> {
  const log = options.log ?? (() => {});
  const paths = new PodPaths(options.dataDir);
  await mkdir(options.dataDir, { recursive: true });
  const ports = await HostPortAllocator.load(paths.hostPortsFile, options.nodeIp);
  const recorder = new EventRecorder(options.client, AGENT_COMPONENT, log, options.nodeName);
  const metrics = new AgentMetrics(options.metricsRegistry ?? new Registry());
  const resources = { ...hostResources(options.resources?.pods ?? DEFAULT_MAX_PODS), ...options.resources };
  const pods = new PodManager(options.client, {
    client: options.client,
    runtime: options.runtime,
    proberFactory: options.proberFactory,
    record: (object, type, reason, message) => void recorder.record(object, type, reason, message),
    ports,
    paths,
    nodeIp: options.nodeIp,
    nodeName: options.nodeName,
    nodeAllocatable: { cpu: resources.cpu, memory: resources.memory },
    backoff: {
      baseMs: options.backoff?.baseMs ?? RESTART_BACKOFF_BASE_MS,
      maxMs: options.backoff?.maxMs ?? RESTART_BACKOFF_MAX_MS,
      resetMs: options.backoff?.resetMs ?? RESTART_BACKOFF_RESET_MS,
    },
    log,
    metrics,
  });
  metrics.observe(() => pods.containerSamples());
  const logs = await AgentLogsServer.start({
    host: options.nodeIp,
    port: options.port ?? DEFAULT_AGENT_PORT,
    ...(options.logReader !== undefined ? { reader: options.logReader } : {}),
    metrics: metrics.registry,
    ...(options.logsTls !== undefined ? { tls: options.logsTls } : {}),
    source: (namespace, pod, container) => {
      const worker = pods.worker(namespace, pod);
      if (worker === undefined) return { found: 'no-pod' };
      const attempts = worker.attempts(container);
      if (attempts === undefined) return { found: 'no-container' };
      const current = attempts.current;
      return {
        found: 'container',
        ...(current !== undefined ? { current: { path: current.logPath, running: () => worker.attempts(container)?.current?.id === current.id && worker.attempts(container)?.current?.state === 'running' } } : {}),
        ...(attempts.previous !== undefined ? { previousPath: attempts.previous.logPath } : {}),
      };
    },
  });
  const registration = new NodeRegistration({
    client: options.client,
    nodeName: options.nodeName,
    nodeIp: options.nodeIp,
    agentPort: logs.port,
    labels: options.labels ?? {},
    taints: options.taints ?? [],
    resources,
    runtimeName: options.runtime.name,
    dataDir: options.dataDir,
    agentVersion: AGENT_VERSION,
    ...(options.pressureThresholds !== undefined ? { thresholds: options.pressureThresholds } : {}),
    ...(options.leaseRenewIntervalMs !== undefined ? { leaseRenewIntervalMs: options.leaseRenewIntervalMs } : {}),
    ...(options.statusUpdateIntervalMs !== undefined ? { statusUpdateIntervalMs: options.statusUpdateIntervalMs } : {}),
    ...(options.statusReportIntervalMs !== undefined ? { statusReportIntervalMs: options.statusReportIntervalMs } : {}),
    log,
  });
  const proxy = options.serviceProxy === true ? new ServiceProxy({ listenHost: options.nodeIp, log: (line) => log(`service proxy: ${line}`) }) : null;
  const proxyFeed = proxy === null ? null : startServiceProxyFromApi(options.client, proxy, { log });
  try {
    await registration.start();
    await pods.start();
  } catch (error) {
    proxyFeed?.stop();
    await proxy?.close();
    await registration.stop();
    await pods.stop(false);
    await logs.stop();
    throw error;
  }
  let stopping: Promise<void> | null = null;
  return {
    nodeName: options.nodeName,
    logsUrl: logs.url,
    port: logs.port,
    stop(stopOptions = {}) {
      stopping ??= (async () => {
        await pods.stop(stopOptions.stopContainers ?? true);
        // After the pods: a pod's clients keep reaching its peers through the proxy while it drains.
        proxyFeed?.stop();
        await proxy?.close();
        await registration.stop();
        await logs.stop();
      })();
      return stopping;
    },
  };
}
