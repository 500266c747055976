/**
 * `balsa scheduler --server HOST:PORT` and `balsa controller-manager --server HOST:PORT`:
 * one control loop each, against an API server's gRPC address, under leader election (run
 * several for a standby). Both run until SIGINT or SIGTERM, then release their lease and
 * exit 0. Logs are JSON lines on stderr at `--log-level`; with `--port`, `/metrics` and
 * `/healthz` are served over HTTP on `--address` (as kube-scheduler's and
 * kube-controller-manager's `--port` did, 10251 and 10252, before they went secure-only).
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { parseArgs } from 'node:util';
import type { Registry } from 'prom-client';
import { createLogger, DEFAULT_LOG_LEVEL, LOG_LEVELS, parseLogLevel } from '../../kv/logging/logger.js';
import { HEALTHZ, metricsRequestHandler } from '../../kv/server/metrics/metrics-endpoint.js';
import { processRegistry } from '../../kv/server/metrics/process-registry.js';
import { CLIENT_CREDENTIAL_FLAGS, CLIENT_CREDENTIAL_USAGE, credentialFilesFromFlags, loadClientCredentials } from '../client/client-credentials.js';
import { CONTROLLER_NAMES, parseControllerNames, startControlLoops } from './control-loops.js';
import type { ControllerSettings } from './control-loops.js';
import { parseDurationSeconds } from './durations.js';

const COMMON_FLAGS = {
  server: { type: 'string' },
  'leader-elect-lease-duration': { type: 'string', default: '15s' },
  'leader-elect-renew-deadline': { type: 'string', default: '10s' },
  'leader-elect-retry-period': { type: 'string', default: '2s' },
  'log-level': { type: 'string', default: DEFAULT_LOG_LEVEL },
  port: { type: 'string', default: '0' },
  address: { type: 'string', default: '127.0.0.1' },
  ...CLIENT_CREDENTIAL_FLAGS,
  help: { type: 'boolean', short: 'h' },
} as const;

const CONTROLLER_FLAGS = {
  controllers: { type: 'string', default: 'all' },
  'node-monitor-grace-period': { type: 'string', default: '40s' },
  'pod-eviction-timeout': { type: 'string', default: '5m' },
} as const;

const USAGE = {
  scheduler: `usage: balsa scheduler --server HOST:PORT (the API server's gRPC address) [--leader-elect-lease-duration 15s] [--leader-elect-renew-deadline 10s] [--leader-elect-retry-period 2s]
       [--log-level ${LOG_LEVELS.join('|')}] [--port N (serve /metrics and /healthz; 0, the default: off)] [--address 127.0.0.1]
       [--trusted-ca-file PEM] [--cert-file PEM --key-file PEM] [--token TOKEN]
${CLIENT_CREDENTIAL_USAGE}`,
  'controller-manager': `usage: balsa controller-manager --server HOST:PORT (the API server's gRPC address) [--controllers all|none|${CONTROLLER_NAMES.join(',')}]
       [--node-monitor-grace-period 40s] [--pod-eviction-timeout 5m] [--leader-elect-lease-duration 15s] [--leader-elect-renew-deadline 10s] [--leader-elect-retry-period 2s]
       [--log-level ${LOG_LEVELS.join('|')}] [--port N (serve /metrics and /healthz; 0, the default: off)] [--address 127.0.0.1]
       [--trusted-ca-file PEM] [--cert-file PEM --key-file PEM] [--token TOKEN]
${CLIENT_CREDENTIAL_USAGE}`,
} as const;

/** Controller settings from `balsa server`'s or `balsa controller-manager`'s flags. */
export function controllerSettings(values: { controllers?: string; 'node-monitor-grace-period'?: string; 'pod-eviction-timeout'?: string }): ControllerSettings {
  return {
    controllers: parseControllerNames(values.controllers ?? 'all'),
    nodeMonitorGracePeriodSeconds: parseDurationSeconds(values['node-monitor-grace-period'] ?? '40s', 'node-monitor-grace-period'),
    podEvictionTimeoutSeconds: parseDurationSeconds(values['pod-eviction-timeout'] ?? '5m', 'pod-eviction-timeout'),
  };
}

export async function controlLoopCommand(which: 'scheduler' | 'controller-manager', argv: readonly string[]): Promise<number> {
  let options: Parameters<typeof startControlLoops>[0];
  let serving: { host: string; port: number } | null;
  const registry = processRegistry();
  try {
    const { values } = parseArgs({ args: [...argv], options: which === 'scheduler' ? COMMON_FLAGS : { ...COMMON_FLAGS, ...CONTROLLER_FLAGS }, strict: true });
    if (values.help === true) {
      console.log(USAGE[which]);
      return 0;
    }
    const server = (values.server ?? '').replace(/^(grpc|http):\/\//, '');
    if (!/^[^:\s]+:\d+$/.test(server)) throw new Error(`--server must be the API server's gRPC address, host:port (got "${values.server ?? ''}")`);
    const lease = {
      leaseDurationSeconds: parseDurationSeconds(values['leader-elect-lease-duration'] ?? '15s', 'leader-elect-lease-duration'),
      renewDeadlineMs: parseDurationSeconds(values['leader-elect-renew-deadline'] ?? '10s', 'leader-elect-renew-deadline') * 1000,
      retryPeriodMs: parseDurationSeconds(values['leader-elect-retry-period'] ?? '2s', 'leader-elect-retry-period') * 1000,
    };
    if (!(lease.retryPeriodMs < lease.renewDeadlineMs && lease.renewDeadlineMs < lease.leaseDurationSeconds * 1000)) {
      throw new Error('leader election needs retry period < renew deadline < lease duration');
    }
    const level = parseLogLevel(values['log-level'] ?? DEFAULT_LOG_LEVEL);
    if (level === null) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${values['log-level']}"`);
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number (0: no metrics endpoint), got "${values.port}"`);
    serving = port === 0 ? null : { host: values.address ?? '127.0.0.1', port };
    const logger = createLogger({ level, base: { component: which } });
    options = {
      apiGrpcAddress: server,
      credentials: await loadClientCredentials(credentialFilesFromFlags(values)),
      scheduler: which === 'scheduler',
      controllerManager: which === 'controller-manager',
      lease,
      ...(which === 'controller-manager' ? { controllerSettings: controllerSettings(values as { controllers?: string }) } : {}),
      log: (line, fields) => logger.info({ ...fields }, line),
      metricsRegistry: registry,
    };
  } catch (error) {
    console.error(`balsa ${which}: ${(error as Error).message}\n${USAGE[which]}`);
    return 2;
  }
  let http: Server | null = null;
  if (serving !== null) {
    try {
      http = await serveMetrics(registry, serving.host, serving.port);
    } catch (error) {
      console.error(`balsa ${which}: cannot serve /metrics on ${serving.host}:${serving.port}: ${(error as Error).message}`);
      return 1;
    }
    const bound = http.address();
    console.log(`balsa ${which}: serving /metrics and /healthz on http://${serving.host}:${typeof bound === 'object' && bound !== null ? bound.port : serving.port}`);
  }
  const loops = startControlLoops(options);
  console.log(`balsa ${which}: started against ${options.apiGrpcAddress}; waiting for leadership`);
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
  await loops.stop();
  if (http !== null) {
    const closing = http;
    await new Promise<void>((resolve) => {
      closing.close(() => resolve());
      closing.closeAllConnections();
    });
  }
  return 0;
}

/** `/metrics` (the process's registry) and `/healthz` over HTTP, listening on `host:port`. */
function serveMetrics(registry: Registry, host: string, port: number): Promise<Server> {
  const server = createServer(metricsRequestHandler(registry, HEALTHZ, ''));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
