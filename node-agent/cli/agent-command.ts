/**
 * `balsa agent --server ADDR --name NODE [...]`: runs the node agent until SIGINT or
 * SIGTERM, then stops every pod's containers gracefully, stops the heartbeats and exits 0.
 * A thin wrapper over `startAgent`: it parses the flags, connects to the API server's gRPC
 * address and makes the container runtime.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createLogger, DEFAULT_LOG_LEVEL, LOG_LEVELS, parseLogLevel } from '../../kv/logging/logger.js';
import type { LogLevel } from '../../kv/logging/logger.js';
import { processRegistry } from '../../kv/server/metrics/process-registry.js';
import { parseQuantity } from '../../control-plane/api/quantity.js';
import { GrpcApiClient } from '../../control-plane/client/grpc-api-client.js';
import { CLIENT_CREDENTIAL_FLAGS, CLIENT_CREDENTIAL_USAGE, credentialFilesFromFlags, loadClientCredentials } from '../../control-plane/client/client-credentials.js';
import type { ClientCredentials } from '../../control-plane/client/client-credentials.js';
import { parseFlags, stringFlag, stringsFlag } from '../../control-plane/cli/flags.js';
import { DEFAULT_AGENT_PORT, DEFAULT_MAX_PODS, DEFAULT_NODE_IP } from '../constants.js';
import { AgentError } from '../errors.js';
import { startAgent } from '../node-agent.js';
import type { AgentOptions } from '../node-agent.js';
import type { NodeResources } from '../node-conditions.js';
import { createContainerProber } from '../probes/container-prober.js';
import type { ContainerProberFactory } from '../probes/probe-types.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import { parseLabels, parseTaints } from './agent-flags.js';

export const AGENT_USAGE = `usage: balsa agent --server HOST:PORT --name NODE [--node-ip ${DEFAULT_NODE_IP}] [--data-dir DIR]
                   [--runtime process|docker] [--port ${DEFAULT_AGENT_PORT}] [--labels k=v,...] [--taints k=v:NoSchedule,...]
                   [--cpu N] [--memory QUANTITY] [--max-pods ${DEFAULT_MAX_PODS}] [--service-proxy=true|false] [--log-level ${LOG_LEVELS.join('|')}]
                   [--trusted-ca-file PEM] [--cert-file PEM --key-file PEM] [--token TOKEN]
  --server     the API server's gRPC address
  --name       this node's name
  --node-ip    the address the node reports, binds host ports and serves logs on
  --data-dir   pod logs, volumes and state (default ~/.balsa/agent/NODE)
  --port       the logs and metrics endpoint's port (0 = any free port)
  --log-level  the least severe level logged, as JSON lines on stderr (readable on a terminal; default ${DEFAULT_LOG_LEVEL})
  --service-proxy  listen on the node IP for every Service port and balance over its ready endpoints (default true)
${CLIENT_CREDENTIAL_USAGE}
  With a certificate (the node's: CN system:node:NODE, O system:nodes), the logs endpoint serves
  HTTPS with it and takes only clients whose certificate the CA signed for system:masters (the API server).`;

const AGENT_FLAGS = {
  server: { type: 'string' },
  name: { type: 'string' },
  'node-ip': { type: 'string' },
  'data-dir': { type: 'string' },
  runtime: { type: 'string' },
  port: { type: 'string' },
  labels: { type: 'string', multiple: true },
  taints: { type: 'string', multiple: true },
  cpu: { type: 'string' },
  memory: { type: 'string' },
  'max-pods': { type: 'string' },
  'service-proxy': { type: 'string' },
  'log-level': { type: 'string' },
  ...CLIENT_CREDENTIAL_FLAGS,
  help: { type: 'boolean', short: 'h' },
} as const;

/** Makes the container runtime named by `--runtime`, keeping its state under `stateDir`. */
export type RuntimeFactory = (name: string, stateDir: string) => Promise<ContainerRuntime>;

export interface AgentCommandDependencies {
  readonly runtime?: RuntimeFactory;
  readonly proberFactory?: ContainerProberFactory;
  /** Resolves when the agent is to stop (default: SIGINT or SIGTERM). */
  readonly untilStopped?: Promise<void>;
  readonly out?: (line: string) => void;
  readonly err?: (line: string) => void;
}

/** Where each runtime's module is and what it exports: loaded on demand, so an agent without Docker never loads its client. */
const RUNTIME_MODULES: Readonly<Record<string, { module: string; exportName: string }>> = {
  process: { module: '../runtime/process/process-runtime.js', exportName: 'ProcessRuntime' },
  docker: { module: '../runtime/docker/docker-runtime.js', exportName: 'DockerRuntime' },
};

/** The runtimes this build has, constructed as `new Runtime({ stateDir })`. */
export const defaultRuntimeFactory: RuntimeFactory = async (name, stateDir) => {
  const entry = RUNTIME_MODULES[name];
  if (entry === undefined) throw new AgentError('InvalidFlag', `--runtime must be one of ${Object.keys(RUNTIME_MODULES).join(', ')}, got "${name}"`, false);
  let loaded: Record<string, unknown>;
  try {
    const specifier: string = entry.module;
    loaded = (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    throw new AgentError('InvalidFlag', `the ${name} runtime is not available in this build: ${(error as Error).message}`, false);
  }
  const Runtime = loaded[entry.exportName] as (new (options: { stateDir: string }) => ContainerRuntime) | undefined;
  if (typeof Runtime !== 'function') throw new AgentError('InvalidFlag', `the ${name} runtime's module has no ${entry.exportName}`, false);
  return new Runtime({ stateDir });
};

interface AgentFlags {
  readonly server: string;
  readonly name: string;
  readonly nodeIp: string;
  readonly dataDir: string;
  readonly runtime: string;
  readonly port: number;
  readonly labels: Record<string, string>;
  readonly taints: AgentOptions['taints'];
  readonly resources: Partial<NodeResources>;
  readonly serviceProxy: boolean;
  readonly logLevel: LogLevel;
  readonly credentials: ClientCredentials;
}

export async function runAgentCommand(argv: string[], dependencies: AgentCommandDependencies = {}): Promise<number> {
  const out = dependencies.out ?? ((line: string) => console.log(line));
  const err = dependencies.err ?? ((line: string) => console.error(line));
  let flags: AgentFlags;
  try {
    const parsed = parseFlags(argv, AGENT_FLAGS, 'agent');
    if (parsed.values.help === true) {
      out(AGENT_USAGE);
      return 0;
    }
    if (parsed.positionals.length > 0) throw new AgentError('InvalidFlag', `unexpected argument "${parsed.positionals[0]}"`, false);
    flags = { ...agentFlags(parsed.values), credentials: await loadClientCredentials(credentialFilesFromFlags(parsed.values)) };
  } catch (error) {
    err(`balsa agent: ${(error as Error).message}\n${AGENT_USAGE}`);
    return 2;
  }
  let runtime: ContainerRuntime;
  try {
    runtime = await (dependencies.runtime ?? defaultRuntimeFactory)(flags.runtime, join(flags.dataDir, 'runtime'));
  } catch (error) {
    err(`balsa agent: ${(error as Error).message}`);
    return 2;
  }
  const client = new GrpcApiClient(flags.server, flags.credentials);
  // Given an `err` (a caller collecting what the agent says), the log lines go there too.
  const destination = dependencies.err !== undefined ? { destination: { write: (line: string) => err(line.trimEnd()) } } : {};
  const logger = createLogger({ level: flags.logLevel, base: { node: flags.name }, ...destination }).child({ component: 'kubelet' });
  const stopSignal = dependencies.untilStopped ?? untilSignal();
  let agent;
  try {
    agent = await Promise.race([
      startAgent({
        client,
        nodeName: flags.name,
        nodeIp: flags.nodeIp,
        dataDir: flags.dataDir,
        runtime,
        proberFactory: dependencies.proberFactory ?? createContainerProber,
        port: flags.port,
        labels: flags.labels,
        taints: flags.taints ?? [],
        resources: flags.resources,
        serviceProxy: flags.serviceProxy,
        ...(flags.credentials.cert !== undefined && flags.credentials.key !== undefined && flags.credentials.ca !== undefined
          ? { logsTls: { cert: flags.credentials.cert, key: flags.credentials.key, clientCa: flags.credentials.ca } }
          : {}),
        log: (line, fields) => logger.info({ ...fields }, line),
        metricsRegistry: processRegistry(),
      }),
      stopSignal.then(() => undefined),
    ]);
  } catch (error) {
    err(`balsa agent: ${(error as Error).message}`);
    await runtime.close();
    client.close();
    return 1;
  }
  if (agent !== undefined) {
    out(`balsa agent: node ${flags.name} registered, logs on ${agent.logsUrl}`);
    await stopSignal;
    await agent.stop({ stopContainers: true });
  }
  await runtime.close();
  client.close();
  return 0;
}

function agentFlags(values: Record<string, unknown>): Omit<AgentFlags, 'credentials'> {
  const server = stringFlag(values as never, 'server');
  const name = stringFlag(values as never, 'name');
  if (server === undefined || server === '') throw new AgentError('InvalidFlag', '--server is required: the API server gRPC address (127.0.0.1:6444)', false);
  if (name === undefined || name === '') throw new AgentError('InvalidFlag', '--name is required: this node\'s name', false);
  const portText = stringFlag(values as never, 'port') ?? String(DEFAULT_AGENT_PORT);
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) throw new AgentError('InvalidFlag', `--port must be a port number (0-65535), got "${portText}"`, false);
  const resources: { cpu?: string; memory?: string; pods?: number } = {};
  const cpu = stringFlag(values as never, 'cpu');
  if (cpu !== undefined) resources.cpu = quantityFlag('cpu', cpu);
  const memory = stringFlag(values as never, 'memory');
  if (memory !== undefined) resources.memory = quantityFlag('memory', memory);
  const maxPods = stringFlag(values as never, 'max-pods');
  if (maxPods !== undefined) {
    if (!/^\d+$/.test(maxPods) || Number(maxPods) < 1) throw new AgentError('InvalidFlag', `--max-pods must be a positive integer, got "${maxPods}"`, false);
    resources.pods = Number(maxPods);
  }
  const logLevelText = stringFlag(values as never, 'log-level') ?? DEFAULT_LOG_LEVEL;
  const logLevel = parseLogLevel(logLevelText);
  if (logLevel === null) throw new AgentError('InvalidFlag', `--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevelText}"`, false);
  const serviceProxy = stringFlag(values as never, 'service-proxy') ?? 'true';
  if (serviceProxy !== 'true' && serviceProxy !== 'false') throw new AgentError('InvalidFlag', `--service-proxy must be true or false, got "${serviceProxy}"`, false);
  return {
    server,
    name,
    serviceProxy: serviceProxy === 'true',
    logLevel,
    nodeIp: stringFlag(values as never, 'node-ip') ?? DEFAULT_NODE_IP,
    dataDir: stringFlag(values as never, 'data-dir') ?? join(homedir(), '.balsa', 'agent', name),
    runtime: stringFlag(values as never, 'runtime') ?? 'process',
    port: Number(portText),
    labels: Object.assign({}, ...stringsFlag(values as never, 'labels').map(parseLabels)) as Record<string, string>,
    taints: stringsFlag(values as never, 'taints').flatMap(parseTaints),
    resources,
  };
}

function quantityFlag(flag: string, text: string): string {
  try {
    if (parseQuantity(text) <= 0) throw new Error('not positive');
  } catch {
    throw new AgentError('InvalidFlag', `--${flag} must be a positive quantity (2, 1500m, 8Gi), got "${text}"`, false);
  }
  return text;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
}
