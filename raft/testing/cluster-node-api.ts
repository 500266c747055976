/**
 * The parts of `cluster-node.ts`: its command line, the HTTP control API over a
 * `RaftNode` running the register machine, and `runClusterNode`, which wires a node on
 * `LevelStorage` and `GrpcTransport` to the API. See `cluster-node.ts` for the program.
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { RaftError, NotLeaderError } from '../core/errors.js';
import type { Member } from '../node.js';
import { RaftNode } from '../node.js';
import { LevelStorage } from '../storage/level-storage.js';
import { GrpcTransport } from '../transport/grpc-transport.js';
import { HTTP_BODY_BYTES_MAX } from './constants.js';
import { formatMembers, parseMembers } from './member-list.js';
import { RegisterMachine, checkRegisterWrite, encodeRegisterWrite } from './register-machine.js';
import type { RegisterWrite, RegisterWriteResult } from './register-machine.js';
import { parseLoopbackAddress } from './tcp-proxy.js';

export const USAGE =
  'usage: cluster-node --id N --raft HOST:PORT --http HOST:PORT --data DIR --members ID=HOST:PORT,... ' +
  '[--join] [--tick-ms MS] [--election-ticks N] [--snapshot-every N] [--snapshot-trailing N] [--snapshot-chunk-bytes N] ' +
  '[--request-timeout-ms MS] [--exit-on-stdin-close]';

export interface ClusterNodeOptions {
  readonly id: number;
  readonly raftListen: string;
  readonly httpListen: string;
  readonly dataDir: string;
  readonly members: readonly Member[];
  readonly join: boolean;
  readonly tickMs: number | undefined;
  readonly electionTicks: number | undefined;
  readonly snapshotEveryEntries: number | undefined;
  /** Entries kept behind a snapshot when compacting (the core's `snapshotTrailingEntries`). */
  readonly snapshotTrailingEntries: number | undefined;
  readonly snapshotChunkBytes: number | undefined;
  readonly requestTimeoutMs: number | undefined;
  readonly exitOnStdinClose: boolean;
}

export class UsageError extends Error {}

function integerAtLeast(min: number, name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${text}`);
  return value;
}

const positiveInteger = (name: string, text: string | undefined) => integerAtLeast(1, name, text);

function membersFlag(text: string): Member[] {
  try {
    return parseMembers(text);
  } catch (error) {
    throw new UsageError(`--members: ${(error as Error).message}`);
  }
}

function loopbackAddress(name: string, text: string): string {
  try {
    parseLoopbackAddress(text);
  } catch (error) {
    throw new UsageError(`${name}: ${(error as Error).message}`);
  }
  return text;
}

export function parseClusterNodeArgs(argv: readonly string[]): ClusterNodeOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      id: { type: 'string' },
      raft: { type: 'string' },
      http: { type: 'string' },
      data: { type: 'string' },
      members: { type: 'string' },
      join: { type: 'boolean' },
      'tick-ms': { type: 'string' },
      'election-ticks': { type: 'string' },
      'snapshot-every': { type: 'string' },
      'snapshot-trailing': { type: 'string' },
      'snapshot-chunk-bytes': { type: 'string' },
      'request-timeout-ms': { type: 'string' },
      'exit-on-stdin-close': { type: 'boolean' },
    },
    strict: true,
  });
  const id = positiveInteger('id', values.id);
  if (id === undefined || values.raft === undefined || values.http === undefined || values.data === undefined || values.members === undefined) {
    throw new UsageError('--id, --raft, --http, --data and --members are required');
  }
  return {
    id,
    raftListen: loopbackAddress('--raft', values.raft),
    httpListen: loopbackAddress('--http', values.http),
    dataDir: values.data,
    members: membersFlag(values.members),
    join: values.join ?? false,
    tickMs: positiveInteger('tick-ms', values['tick-ms']),
    electionTicks: positiveInteger('election-ticks', values['election-ticks']),
    snapshotEveryEntries: positiveInteger('snapshot-every', values['snapshot-every']),
    snapshotTrailingEntries: integerAtLeast(0, 'snapshot-trailing', values['snapshot-trailing']),
    snapshotChunkBytes: positiveInteger('snapshot-chunk-bytes', values['snapshot-chunk-bytes']),
    requestTimeoutMs: positiveInteger('request-timeout-ms', values['request-timeout-ms']),
    exitOnStdinClose: values['exit-on-stdin-close'] ?? false,
  };
}

/** An answer to send: status code and JSON body. */
interface Reply {
  readonly status: number;
  readonly body: unknown;
}

class BadRequest extends Error {}

/** A `RaftError` (or anything else) as an HTTP error reply. */
export function errorReply(error: unknown): Reply {
  if (error instanceof BadRequest) return { status: 400, body: { code: 'BAD_REQUEST', message: error.message, retryable: false } };
  if (error instanceof NotLeaderError) {
    return { status: 421, body: { code: error.code, message: error.message, retryable: true, leader: error.leaderHint } };
  }
  if (error instanceof RaftError) {
    const status = error.code === 'INVALID_ARGUMENT' || error.code === 'INVALID_CONF_CHANGE' ? 400 : 503;
    const leader = (error as { leaderHint?: unknown }).leaderHint;
    return { status, body: { code: error.code, message: error.message, retryable: error.retryable, ...(typeof leader === 'number' ? { leader } : {}) } };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, body: { code: 'INTERNAL', message, retryable: false } };
}

function memberId(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) throw new BadRequest(`${field} must be a positive integer`);
  return value;
}

function readBody(request: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.byteLength;
      if (bytes > HTTP_BODY_BYTES_MAX) {
        reject(new BadRequest(`the body is larger than ${HTTP_BODY_BYTES_MAX} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('error', reject);
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text === '' ? {} : JSON.parse(text));
      } catch {
        reject(new BadRequest('the body is not JSON'));
      }
    });
  });
}

/** The HTTP routes over one node and its machine. */
export class ControlApi {
  constructor(
    private readonly node: RaftNode<RegisterWriteResult>,
    private readonly machine: RegisterMachine,
  ) {}

  async handle(request: http.IncomingMessage): Promise<Reply> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const route = `${request.method ?? 'GET'} ${url.pathname}`;
    switch (route) {
      case 'POST /write': {
        const body = await readBody(request);
        const problem = checkRegisterWrite(body);
        if (problem !== null) throw new BadRequest(problem);
        const result = await this.node.propose(encodeRegisterWrite(body as RegisterWrite));
        return { status: 200, body: { index: result.index } };
      }
      case 'GET /read': {
        const key = url.searchParams.get('key');
        if (key === null || key === '') throw new BadRequest('?key= is required');
        const index = await this.node.read();
        return { status: 200, body: { key, value: this.machine.get(key) ?? null, index } };
      }
      case 'GET /status':
        return { status: 200, body: this.node.status() };
      case 'GET /digest': {
        const digest = this.machine.digest();
        const status = this.node.status();
        return { status: 200, body: { appliedIndex: status.appliedIndex, commitIndex: status.commitIndex, ...digest } };
      }
      case 'GET /writes':
        return { status: 200, body: { writeIds: this.machine.appliedWriteIds() } };
      case 'POST /members/add': {
        const body = (await readBody(request)) as { id?: unknown; address?: unknown };
        const id = memberId(body.id, 'id');
        if (typeof body.address !== 'string') throw new BadRequest('address must be host:port');
        try {
          parseLoopbackAddress(body.address);
        } catch (error) {
          throw new BadRequest((error as Error).message);
        }
        await this.node.addMember(id, body.address);
        return { status: 200, body: { ok: true } };
      }
      case 'POST /members/remove': {
        const body = (await readBody(request)) as { id?: unknown };
        await this.node.removeMember(memberId(body.id, 'id'));
        return { status: 200, body: { ok: true } };
      }
      case 'POST /transfer': {
        const body = (await readBody(request)) as { to?: unknown };
        await this.node.transferLeadership(memberId(body.to, 'to'));
        return { status: 200, body: { ok: true } };
      }
      default:
        return { status: 404, body: { code: 'NOT_FOUND', message: `no route ${route}`, retryable: false } };
    }
  }

  async serve(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    let reply: Reply;
    try {
      reply = await this.handle(request);
    } catch (error) {
      reply = errorReply(error);
    }
    if (response.destroyed) return;
    const text = JSON.stringify(reply.body);
    response.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    response.end(text);
  }
}

export function log(id: number, message: string): void {
  process.stderr.write(`${new Date().toISOString()} node ${id}: ${message}\n`);
}

function listen(server: http.Server, address: string): Promise<string> {
  const { host, port } = parseLoopbackAddress(address);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const bound = server.address() as { address: string; port: number };
      resolve(`${bound.address}:${bound.port}`);
    });
  });
}

export async function runClusterNode(options: ClusterNodeOptions): Promise<void> {
  const id = options.id;
  const storage = await LevelStorage.open({ dir: options.dataDir });
  const transport = new GrpcTransport({ id, listen: options.raftListen });
  const machine = new RegisterMachine((index, bytes) => log(id, `restored a snapshot at index ${index} (${bytes} bytes)`));
  const node = new RaftNode<RegisterWriteResult>({
    id,
    storage,
    transport,
    stateMachine: machine,
    members: options.members,
    join: options.join,
    ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }),
    ...(options.electionTicks === undefined ? {} : { electionTicks: options.electionTicks }),
    ...(options.snapshotEveryEntries === undefined ? {} : { snapshotEveryEntries: options.snapshotEveryEntries }),
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
    raft: {
      ...(options.snapshotTrailingEntries === undefined ? {} : { snapshotTrailingEntries: options.snapshotTrailingEntries }),
      ...(options.snapshotChunkBytes === undefined ? {} : { snapshotChunkBytes: options.snapshotChunkBytes }),
    },
  });
  node.on('leader-change', ({ leader, term }) => log(id, `leader-change leader=${leader} term=${term}`));
  node.on('removed', () => log(id, 'removed from the cluster'));
  node.on('error', (error) => {
    log(id, `fatal: ${error.stack ?? error.message}`);
    process.exit(1);
  });

  const api = new ControlApi(node, machine);
  const server = http.createServer((request, response) => void api.serve(request, response));
  server.keepAliveTimeout = 60_000;

  let stopping: Promise<void> | null = null;
  const shutdown = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      log(id, `stopping (${reason})`);
      server.close();
      server.closeAllConnections();
      await node.stop();
      log(id, 'stopped');
      process.exit(0);
    })();
    return stopping;
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  if (options.exitOnStdinClose) {
    process.stdin.on('end', () => void shutdown('stdin closed'));
    process.stdin.on('close', () => void shutdown('stdin closed'));
    process.stdin.resume();
  }

  await node.start();
  const httpAddress = await listen(server, options.httpListen);
  log(id, `started raft=${transport.address} http=${httpAddress} join=${options.join} members=${formatMembers(options.members)}`);
  process.stdout.write(`ready raft=${transport.address} http=${httpAddress}\n`);
}
