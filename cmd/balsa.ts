#!/usr/bin/env node
/**
 * The `balsa` command, the top of the layers (it may import every one of them):
 * - `balsa kv serve [etcd's flags]`: an etcd-compatible KV member alone (see
 *   `kv/server/config.ts` for the flags, their defaults and their ETCD_* variables);
 * - `balsa server [etcd's flags] [--api-port N]`: a KV member with the API server, the scheduler and the controller manager;
 * - `balsa apiserver --kv-endpoints URLS`: the API server alone, over any etcd v3 endpoint;
 * - `balsa scheduler|controller-manager --server HOST:PORT`: one control loop, leader-elected;
 * - `balsa agent --server HOST:PORT --name NODE`: a node agent (`node-agent/cli/agent-command.ts`);
 * - `balsa up [--data-dir DIR] [--demo]`: a whole cluster on this machine, servers and agents as child processes (`up/`);
 * - `balsa apply|get|describe|delete|label|scale|rollout ...`: the client commands (`client-commands.ts`).
 */
import { createLogger, lineLogger } from '../kv/logging/logger.js';
import { KvConfigError, parseKvServerConfig } from '../kv/server/config.js';
import { KvStartError } from '../kv/server/etcd-errors.js';
import { KvServer } from '../kv/server/kv-server.js';
import type { KvServerOptions } from '../kv/server/kv-server.js';
import { processRegistry } from '../kv/server/metrics/process-registry.js';
import { serverOptionsFromConfig } from '../kv/server/server-options.js';
import { CLIENT_COMMANDS } from '../control-plane/cli/client-command-names.js';
import { stopWhenUpGoes } from './up/parent-watch.js';

const USAGE = [
  'usage: balsa COMMAND [flags]',
  '  server      a KV member with the API server, scheduler and controllers (etcd flags, plus --api-port ...)',
  '  apiserver   the API server alone (--kv-endpoints URLS)',
  '  scheduler, controller-manager   one control loop, leader-elected (--server HOST:PORT, gRPC)',
  '  agent       a node agent: runs the pods bound to its node (--server HOST:PORT --name NODE)',
  '  up          a whole cluster on this machine: 3 servers and 2 agents, in the foreground (--help)',
  '  kv serve    a KV member alone (etcd flags)',
  '  apply -f FILE|DIR|-, get, describe, delete, label, scale, rollout, logs, deploy, promote   (run `balsa COMMAND --help`)',
].join('\n');

async function kvServe(argv: readonly string[]): Promise<number> {
  let options: KvServerOptions;
  let logLevel;
  try {
    const parsed = parseKvServerConfig(argv, process.env);
    for (const warning of parsed.warnings) console.error(`balsa kv serve: warning: ${warning}`);
    options = { ...serverOptionsFromConfig(parsed.config, process.env), metricsRegistry: processRegistry() };
    logLevel = parsed.config.logLevel;
  } catch (error) {
    if (error instanceof KvConfigError) {
      console.error(`balsa kv serve: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger({ level: logLevel, base: { member: options.name } });
  let server: KvServer;
  try {
    server = await KvServer.start(options, { warn: lineLogger(logger, 'etcdserver', 'warn'), error: lineLogger(logger, 'etcdserver', 'error') });
  } catch (error) {
    // etcd exits 1 with its complaint; nothing was started or written.
    if (error instanceof KvStartError) {
      console.error(`balsa kv serve: ${error.message}`);
      return 1;
    }
    throw error;
  }
  console.log(`balsa kv ${options.name}: serving clients on ${server.clientAddresses.join(', ')} (member ${server.memberId.toString(16)})`);
  // Until a signal, or until the server stops by itself (removed from the cluster, a fatal error).
  await Promise.race([
    server.stopped,
    new Promise<void>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
    }),
  ]);
  await server.stop();
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  stopWhenUpGoes();
  if (argv[0] === 'kv' && argv[1] === 'serve') return kvServe(argv.slice(2));
  // Each family of commands is loaded when used: a KV member does not load the CLI's YAML or tables.
  if (argv[0] === 'server') return (await import('../control-plane/cli/server-command.js')).serverCommand(argv.slice(1));
  if (argv[0] === 'apiserver') return (await import('../control-plane/cli/server-command.js')).apiServerCommand(argv.slice(1));
  if (argv[0] === 'scheduler' || argv[0] === 'controller-manager') return (await import('../control-plane/cli/control-loops-command.js')).controlLoopCommand(argv[0], argv.slice(1));
  if (argv[0] === 'up') return (await import('./up/up-command.js')).upCommand(argv.slice(1));
  if (argv[0] === 'agent') return (await import('../node-agent/cli/agent-command.js')).runAgentCommand(argv.slice(1));
  if (argv[0] !== undefined && CLIENT_COMMANDS.includes(argv[0])) return (await import('../control-plane/cli/client-commands.js')).runClientCommand(argv);
  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`balsa: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
