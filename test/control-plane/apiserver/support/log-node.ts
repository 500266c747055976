/**
 * A node that serves container logs as the node agent does, without running anything: the
 * agent's real `AgentLogsServer` on 127.0.0.1 over log files in a temp directory that tests
 * write, registered as a Node (InternalIP 127.0.0.1, the server's port as
 * `daemonEndpoints.kubeletEndpoint.Port`). `openReads` counts the log reads under way, so
 * that a test sees the API server's request to the agent end when its client goes.
 */
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceByName } from '../../../../control-plane/api/resources.js';
import type { ApiObject } from '../../../../control-plane/api/types.js';
import type { GrpcApiClient } from '../../../../control-plane/client/grpc-api-client.js';
import { AgentLogsServer } from '../../../../node-agent/agent-logs-server.js';
import type { ContainerLogs, LogReader } from '../../../../node-agent/agent-logs-server.js';
import { readLog } from '../../../../node-agent/logs/read-log.js';

export const PODS = resourceByName('pods')!;
export const NODES = resourceByName('nodes')!;

interface ContainerFiles {
  current?: string;
  previous?: string;
  running: boolean;
}

export interface ContainerLogText {
  /** The latest attempt's log; absent: the container has not started. */
  readonly current?: string;
  /** The attempt before's log; absent: there was none. */
  readonly previous?: string;
  /** Whether the latest attempt runs (a follow lasts while it does). Default true. */
  readonly running?: boolean;
}

export interface LogNode {
  readonly name: string;
  readonly server: AgentLogsServer;
  /** The server's port (still known once it stopped). */
  readonly port: number;
  /** Log reads the agent has under way. */
  readonly openReads: number;
  /** Gives pod `namespace/pod` a container with these logs. */
  addContainer(namespace: string, pod: string, container: string, logs: ContainerLogText): Promise<void>;
  /** Appends to the latest attempt's log. */
  append(namespace: string, pod: string, container: string, text: string): Promise<void>;
  /** The latest attempt exits: a follow of it ends. */
  exit(namespace: string, pod: string, container: string): void;
  /** Stops the agent's server (the Node object stays, pointing at a closed port). */
  stopServer(): Promise<void>;
  /** Stops the server and removes the files. */
  stop(): Promise<void>;
}

export async function startLogNode(client: GrpcApiClient, name: string): Promise<LogNode> {
  const dir = await mkdtemp(join(tmpdir(), `balsa-log-node-${name}-`));
  const containers = new Map<string, ContainerFiles>();
  const pods = new Set<string>();
  let openReads = 0;
  const source = (namespace: string, pod: string, container: string): ContainerLogs => {
    if (!pods.has(`${namespace}/${pod}`)) return { found: 'no-pod' };
    const files = containers.get(`${namespace}/${pod}/${container}`);
    if (files === undefined) return { found: 'no-container' };
    return {
      found: 'container',
      ...(files.current === undefined ? {} : { current: { path: files.current, running: () => files.running } }),
      ...(files.previous === undefined ? {} : { previousPath: files.previous }),
    };
  };
  const reader: LogReader = (path, options) => {
    openReads++;
    options.signal.addEventListener('abort', () => openReads--, { once: true });
    return readLog(path, options);
  };
  const server = await AgentLogsServer.start({ host: '127.0.0.1', port: 0, source, reader });
  const node: ApiObject = { apiVersion: 'v1', kind: 'Node', metadata: { name } };
  const created = await client.create(NODES, undefined, node);
  await client.updateStatus(NODES, {
    ...created,
    status: {
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: server.port } },
    },
  });
  const filesOf = (namespace: string, pod: string, container: string): ContainerFiles => {
    const files = containers.get(`${namespace}/${pod}/${container}`);
    if (files === undefined) throw new Error(`no container ${namespace}/${pod}/${container} on ${name}`);
    return files;
  };
  let serverStopped = false;
  const stopServer = async (): Promise<void> => {
    if (serverStopped) return;
    serverStopped = true;
    await server.stop();
  };
  return {
    name,
    server,
    port: server.port,
    get openReads() {
      return openReads;
    },
    async addContainer(namespace, pod, container, logs) {
      const base = join(dir, `${namespace}_${pod}_${container}`);
      const files: ContainerFiles = { running: logs.running ?? true };
      if (logs.current !== undefined) {
        files.current = `${base}.1.log`;
        await writeFile(files.current, logs.current);
      }
      if (logs.previous !== undefined) {
        files.previous = `${base}.0.log`;
        await writeFile(files.previous, logs.previous);
      }
      pods.add(`${namespace}/${pod}`);
      containers.set(`${namespace}/${pod}/${container}`, files);
    },
    async append(namespace, pod, container, text) {
      const files = filesOf(namespace, pod, container);
      if (files.current === undefined) throw new Error(`container ${container} has not started`);
      await appendFile(files.current, text);
    },
    exit(namespace, pod, container) {
      filesOf(namespace, pod, container).running = false;
    },
    stopServer,
    async stop() {
      await stopServer();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A pod bound to `nodeName` (empty: not bound), with these app and init containers. */
export function podOn(name: string, nodeName: string, containers: readonly string[], initContainers: readonly string[] = []): ApiObject {
  const spec = (names: readonly string[]): Record<string, string>[] => names.map((container) => ({ name: container, image: `${container}:1` }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      ...(nodeName === '' ? {} : { nodeName }),
      containers: spec(containers),
      ...(initContainers.length === 0 ? {} : { initContainers: spec(initContainers) }),
    },
  };
}
