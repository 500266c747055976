/**
 * A replicated counter on Balsa's Raft library: run three of these and any of them
 * answers over HTTP.
 *
 *   node dist/examples/raft-counter/counter.js --id 1 --data /tmp/c1 --http 127.0.0.1:8001 \
 *     --members 1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003     (likewise 2 and 3)
 *   curl -X POST '127.0.0.1:8002/add?n=5'   →  {"value":5,"index":4}
 *   curl 127.0.0.1:8003/value               →  {"value":5}   (linearizable)
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { GrpcTransport, LevelStorage, RaftError, RaftNode } from '../../raft/index.js';
import type { AppliedEntry, StateMachine } from '../../raft/index.js';

class Counter implements StateMachine<number> {
  value = 0;
  apply(entries: readonly AppliedEntry[]): number[] {
    return entries.map((entry) => (this.value += new DataView(entry.data.buffer, entry.data.byteOffset).getFloat64(0)));
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(String(this.value));
  }
  restore(data: Uint8Array): void {
    this.value = Number(new TextDecoder().decode(data));
  }
}

const { values: args } = parseArgs({
  options: { id: { type: 'string' }, data: { type: 'string' }, http: { type: 'string' }, members: { type: 'string' } },
});
if (!args.id || !args.data || !args.http || !args.members) {
  console.error('usage: counter --id N --data DIR --http HOST:PORT --members 1=HOST:PORT,2=HOST:PORT,...');
  process.exit(2);
}
const id = Number(args.id);
const members = args.members.split(',').map((member) => {
  const [memberId, address] = member.split('=');
  return { id: Number(memberId), address: address! };
});
const self = members.find((member) => member.id === id);
if (self === undefined) throw new Error(`--members does not name ${id}`);

const counter = new Counter();
const node = new RaftNode({
  id,
  members,
  storage: await LevelStorage.open({ dir: args.data }),
  transport: new GrpcTransport({ id, listen: self.address }),
  stateMachine: counter,
});
await node.start();

const reply = (res: import('node:http').ServerResponse, status: number, body: object) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://counter');
  try {
    if (req.method === 'POST' && url.pathname === '/add') {
      const n = Number(url.searchParams.get('n') ?? '1');
      if (!Number.isFinite(n)) return reply(res, 400, { error: 'n must be a number' });
      const data = new Uint8Array(8);
      new DataView(data.buffer).setFloat64(0, n);
      return reply(res, 200, { value: await node.propose(data) });
    }
    if (req.method === 'GET' && url.pathname === '/value') {
      await node.read();
      return reply(res, 200, { value: counter.value });
    }
    if (req.method === 'GET' && url.pathname === '/status') return reply(res, 200, node.status());
    reply(res, 404, { error: 'try POST /add?n=1, GET /value or GET /status' });
  } catch (error) {
    // 503 only when trying again is safe: a read, or an add that was never appended. An
    // add whose outcome is unknown (leadership lost, timed out) may still apply: 500.
    const code = error instanceof RaftError ? error.code : 'INTERNAL';
    const safe = req.method === 'GET' || code === 'PROPOSAL_DROPPED' || code === 'TOO_MANY_REQUESTS';
    reply(res, safe && error instanceof RaftError && error.retryable ? 503 : 500, { error: (error as Error).message, code });
  }
});
const [host, port] = args.http.split(':');
server.listen(Number(port), host, () => console.log(`counter ${id}: http ${args.http}, raft ${self.address}`));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    void node.stop().then(() => process.exit(0));
  });
}
