/**
 * The README's example, as a user runs it: three `counter.js` processes on loopback, each
 * answering over HTTP. Adds through any member, linearizable reads from any other, and
 * the value survives a member's restart and a clean SIGTERM.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const COUNTER = join(process.cwd(), 'dist/examples/raft-counter/counter.js');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Counter {
  process: ChildProcess;
  http: string;
  exited: Promise<number | null>;
}

let dir: string;
const counters = new Map<number, Counter>();
let membersFlag = '';
const httpPorts = new Map<number, number>();

function startCounter(id: number): Counter {
  const http = `127.0.0.1:${httpPorts.get(id)}`;
  const child = spawn(process.execPath, [COUNTER, '--id', `${id}`, '--data', join(dir, `n${id}`), '--http', http, '--members', membersFlag], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const counter = { process: child, http, exited };
  counters.set(id, counter);
  return counter;
}

async function call(id: number, method: string, path: string): Promise<{ status: number; body: { value?: number; code?: string } }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const res = await fetch(`http://${counters.get(id)!.http}${path}`, { method });
      const body = (await res.json()) as { value?: number; retryable?: boolean };
      // 503: the member says trying again is safe (nothing was appended).
      if (res.status !== 503 || Date.now() > deadline) return { status: res.status, body };
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'balsa-counter-'));
  const members: string[] = [];
  for (const id of [1, 2, 3]) {
    members.push(`${id}=127.0.0.1:${await freePort()}`);
    httpPorts.set(id, await freePort());
  }
  membersFlag = members.join(',');
  for (const id of [1, 2, 3]) startCounter(id);
});

afterAll(async () => {
  for (const counter of counters.values()) counter.process.kill('SIGKILL');
  await Promise.all([...counters.values()].map((c) => c.exited));
  rmSync(dir, { recursive: true, force: true });
});

/** Until every member of `ids` names the same leader among them (an add made during an election may have an unknown outcome). */
async function agreedLeader(ids: readonly number[]): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const leaders = await Promise.all(
      ids.map(async (id) => {
        try {
          const res = await fetch(`http://${counters.get(id)!.http}/status`);
          return ((await res.json()) as { leader: number }).leader;
        } catch {
          return 0;
        }
      }),
    );
    // The leader must be one of them: right after a member stops, the others still name it.
    if (ids.includes(leaders[0]!) && leaders.every((leader) => leader === leaders[0])) return;
    if (Date.now() > deadline) throw new Error(`no agreed leader: ${leaders.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Add `n` through member `id` to a counter at `before`, as a careful client does: a 500
 * whose code says the outcome is unknown (leadership moved, or time ran out, while the add
 * was in flight: a slow machine can do that) is resolved by reading the value, which must
 * then be either before or after the add, and the add is tried again only if it did not
 * happen. Any other answer fails the test.
 */
async function add(id: number, n: number, before: number, members: readonly number[]): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const result = await call(id, 'POST', `/add?n=${n}`);
    if (result.status === 200) return expect(result.body).toEqual({ value: before + n });
    expect(result.status).toBe(500);
    expect(['LEADERSHIP_LOST', 'REQUEST_TIMEOUT']).toContain(result.body.code);
    await agreedLeader(members);
    const { value } = (await call(id, 'GET', '/value')).body;
    if (value === before + n) return;
    expect(value).toBe(before);
  }
  throw new Error(`add ${n} through ${id}: the outcome stayed unknown`);
}

test('three counter processes: adds through any member, linearizable reads from any other', async () => {
  await agreedLeader([1, 2, 3]);
  await add(1, 5, 0, [1, 2, 3]);
  await add(2, 2, 5, [1, 2, 3]);
  expect(await call(3, 'GET', '/value')).toEqual({ status: 200, body: { value: 7 } });
  expect((await call(3, 'POST', '/add?n=oops')).status).toBe(400);
  expect(await call(1, 'GET', '/value')).toEqual({ status: 200, body: { value: 7 } });
});

test('a member stopped with SIGTERM exits 0; the others go on; restarted, it has every add', async () => {
  const stopped = counters.get(3)!;
  stopped.process.kill('SIGTERM');
  expect(await stopped.exited).toBe(0);
  await agreedLeader([1, 2]);
  await add(1, 10, 7, [1, 2]);
  startCounter(3);
  expect(await call(3, 'GET', '/value')).toEqual({ status: 200, body: { value: 17 } });
});
