/**
 * `balsa up`'s command line: parsed and checked before anything starts, so that a mistake
 * is one line and exit code 2, with nothing written.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_LOG_LEVEL, LOG_LEVELS, parseLogLevel } from '../../kv/logging/logger.js';
import type { LogLevel } from '../../kv/logging/logger.js';
import {
  DEFAULT_AGENT_LOGS_PORT,
  DEFAULT_AGENTS,
  DEFAULT_API_PORT,
  DEFAULT_DATA_DIR_UNDER_HOME,
  DEFAULT_DEMO_PORT,
  DEFAULT_KV_PORT,
  DEFAULT_SERVERS,
  MAX_AGENTS,
  MAX_SERVERS,
  MIN_UNPRIVILEGED_PORT,
} from './constants.js';

export const UP_USAGE = `usage: balsa up [--data-dir DIR] [--servers ${DEFAULT_SERVERS}] [--agents ${DEFAULT_AGENTS}]
                [--kv-port ${DEFAULT_KV_PORT}] [--api-port ${DEFAULT_API_PORT}] [--agent-port ${DEFAULT_AGENT_LOGS_PORT}] [--demo] [--demo-port ${DEFAULT_DEMO_PORT}] [--log-level ${DEFAULT_LOG_LEVEL}] [--insecure]
  A whole cluster on this machine, in the foreground: N \`balsa server\`s (KV members with the API
  server, scheduler and controllers) and M \`balsa agent\`s, each a process; Ctrl-C stops them all.
  --data-dir    everything the cluster keeps, its certificates (pki/) and each process's log (default ~/${DEFAULT_DATA_DIR_UNDER_HOME.join('/')});
                \`balsa up\` again on the same folder starts the same cluster with its data
  --servers     KV members, 1-${MAX_SERVERS} (default ${DEFAULT_SERVERS}; on an existing folder, what it holds)
  --agents      node agents, 0-${MAX_AGENTS}, node-1 on 127.0.0.2, node-2 on 127.0.0.3, ... (default ${DEFAULT_AGENTS})
  --kv-port     server i (from 0) serves KV clients on this + 2i, peers on this + 2i + 1
                (default ${DEFAULT_KV_PORT}; on an existing folder, what it holds)
  --api-port    server i serves the API over HTTP on this + 2i, gRPC on this + 2i + 1 (default ${DEFAULT_API_PORT})
  --agent-port  each agent's logs endpoint, on its own address (default ${DEFAULT_AGENT_LOGS_PORT}; 0 = any free port)
  --demo        also deploy examples/web/demo.yaml (a web app behind a Service) and print its URL
  --demo-port   the demo Service's port on every node's address (default ${DEFAULT_DEMO_PORT}, at least ${MIN_UNPRIVILEGED_PORT})
  --log-level   the servers' and agents' log level: ${LOG_LEVELS.join(', ')} (default ${DEFAULT_LOG_LEVEL}; their logs are in the data folder)

  --insecure    serve the API over plain HTTP (the KV keeps its TLS) with every request allowed; by default a CA in
                <data-dir>/pki signs each server's, agent's and the CLI's certificate, the API is
                HTTPS with RBAC, and the CLI config names the CA and the admin certificate`;

/** The command line was wrong: printed with the usage, exit code 2. */
export class UpUsageError extends Error {
  override readonly name = 'UpUsageError';
}

export interface UpFlags {
  /** Absolute. */
  readonly dataDir: string;
  /** Whether `--data-dir` was given (else the default under the home directory). */
  readonly dataDirGiven: boolean;
  /** Undefined when not given: the folder's cluster decides, else the default. */
  readonly servers: number | undefined;
  readonly agents: number;
  /** Undefined when not given: the folder's cluster decides, else the default. */
  readonly kvPort: number | undefined;
  readonly apiPort: number;
  readonly agentPort: number;
  readonly demo: boolean;
  readonly demoPort: number;
  /** Every server's and agent's `--log-level` (their logs go to their log files). */
  readonly logLevel: LogLevel;
  /** Plain HTTP and AlwaysAllow instead of TLS and RBAC. */
  readonly insecure: boolean;
}

const FLAGS = {
  'data-dir': { type: 'string' },
  servers: { type: 'string' },
  agents: { type: 'string' },
  'kv-port': { type: 'string' },
  'api-port': { type: 'string' },
  'agent-port': { type: 'string' },
  demo: { type: 'boolean' },
  'demo-port': { type: 'string' },
  'log-level': { type: 'string' },
  insecure: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The flags, or `'help'` for `--help`; an `UpUsageError` saying what is wrong. */
export function parseUpFlags(argv: readonly string[], homeDirectory: string = homedir()): UpFlags | 'help' {
  let values: { [K in keyof typeof FLAGS]?: (typeof FLAGS)[K]['type'] extends 'boolean' ? boolean : string };
  try {
    const parsed = parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: true });
    if (parsed.positionals.length > 0) throw new UpUsageError(`unexpected argument "${parsed.positionals[0]}"`);
    values = parsed.values;
  } catch (error) {
    if (error instanceof UpUsageError) throw error;
    // parseArgs' own advice (about '--') does not fit a flag typed by mistake.
    const unknown = /^Unknown option '([^']+)'/.exec((error as Error).message);
    throw new UpUsageError(unknown === null ? (error as Error).message : `unknown flag: ${unknown[1]}`);
  }
  if (values.help === true) return 'help';
  const dataDir = values['data-dir'];
  if (dataDir === '') throw new UpUsageError('--data-dir must name a folder');
  const demo = values.demo === true;
  const agents = count(values.agents, 'agents', 0, MAX_AGENTS) ?? DEFAULT_AGENTS;
  if (demo && agents === 0) throw new UpUsageError('--demo needs at least one agent to run it (--agents 1 or more)');
  const agentPort = port(values['agent-port'], 'agent-port', 0) ?? DEFAULT_AGENT_LOGS_PORT;
  const demoPort = port(values['demo-port'], 'demo-port', MIN_UNPRIVILEGED_PORT) ?? DEFAULT_DEMO_PORT;
  // Both are bound on every node's address.
  const logLevel = parseLogLevel(values['log-level'] ?? DEFAULT_LOG_LEVEL);
  if (logLevel === null) throw new UpUsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${values['log-level']}"`);
  if (demo && agentPort === demoPort) throw new UpUsageError(`--agent-port and --demo-port must differ: both are bound on every node's address (${agentPort})`);
  return {
    dataDir: dataDir === undefined ? join(homeDirectory, ...DEFAULT_DATA_DIR_UNDER_HOME) : resolve(dataDir),
    dataDirGiven: dataDir !== undefined,
    servers: count(values.servers, 'servers', 1, MAX_SERVERS),
    agents,
    kvPort: port(values['kv-port'], 'kv-port', 1),
    apiPort: port(values['api-port'], 'api-port', 1) ?? DEFAULT_API_PORT,
    agentPort,
    demo,
    demoPort,
    logLevel,
    insecure: values.insecure === true,
  };
}

function count(text: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new UpUsageError(`--${flag} must be a whole number from ${min} to ${max}, got "${text}"`);
  return Number(text);
}

function port(text: string | undefined, flag: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > 65535) throw new UpUsageError(`--${flag} must be a port number (${min}-65535), got "${text}"`);
  return Number(text);
}
