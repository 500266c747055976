/**
 * One member of a real Raft cluster, as a program: a `RaftNode` on `LevelStorage` (synced)
 * and `GrpcTransport`, running the register machine (`register-machine.ts`), with a small
 * JSON control API on HTTP. Multi-process tests and benchmarks start one per member
 * (`process-cluster.ts`).
 *
 *     node dist/raft/testing/cluster-node.js --id 1 --raft 127.0.0.1:7001 --http 127.0.0.1:8001 \
 *       --data /tmp/n1 --members 1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003
 *
 * `--join` joins a running cluster (then `--members` lists members to reach). Port 0 picks
 * a free port. Once serving it prints one line, `ready raft=<host:port> http=<host:port>`,
 * on stdout; diagnostics go to stderr. SIGINT or SIGTERM stops the node and exits 0; a
 * fatal node error exits 1. With `--exit-on-stdin-close` it also stops when its stdin
 * closes, so that it never outlives the process that started it.
 *
 * HTTP API (JSON bodies; errors are `{code, message, retryable}`):
 * - `POST /write {key, value, writeId}` → 200 `{index}` once applied on this member;
 *   421 `{leader}` not the leader, 503 retryable, 400 malformed.
 * - `GET /read?key=k` → linearizable `{key, value (null if unset), index}`.
 * - `GET /status` → `RaftNode.status()`. `GET /digest` → `{appliedIndex, digest, keys, writes}`.
 * - `GET /writes` → `{writeIds}`: every write id applied, once each.
 * - `POST /members/add {id, address}`, `POST /members/remove {id}`, `POST /transfer {to}`
 *   (on the leader) → 200 `{ok: true}`.
 */
import { USAGE, UsageError, log, parseClusterNodeArgs, runClusterNode } from './cluster-node-api.js';
import type { ClusterNodeOptions } from './cluster-node-api.js';

async function main(argv: readonly string[]): Promise<void> {
  let options: ClusterNodeOptions;
  try {
    options = parseClusterNodeArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  try {
    await runClusterNode(options);
  } catch (error) {
    log(options.id, `failed to start: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  }
}

await main(process.argv.slice(2));
