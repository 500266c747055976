/**
 * The API server under hostile input (issue 12): the seeded fuzzer (`api-fuzzer.ts`) against
 * a one-member `balsa server` of real processes — two fixed seeds, and every recorded
 * finding's case. Every answer is a 2xx or a 4xx Status (HTTP) / a
 * status other than INTERNAL, UNKNOWN and DEADLINE_EXCEEDED (gRPC); no rejected request
 * changes the store; the server keeps answering and its process stays up. The long run is
 * `npm run fuzz:api -- --seed N --cases N`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../support/eventually.js';
import { startKvCluster } from '../support/kv-cluster.js';
import type { KvCluster } from '../support/kv-cluster.js';
import { createFixtures, FUZZ_SERVER_FLAGS, HTTP_BODY_LIMIT_BYTES, runApiFuzz } from './api-fuzzer.js';
import type { FuzzReport, FuzzTarget } from './api-fuzzer.js';
import { FINDINGS } from './findings.js';

const FIXED_SEED = 12;
/**
 * The suite's seeds are fixed, so that a red run is the code's doing and replays as it is;
 * new seeds are the long run's job (`npm run fuzz:api -- --seed N --cases N`, a random seed
 * when none is given). This one once failed a case inside the suite and replayed clean alone.
 */
const SECOND_SEED = 1213471038;
const CASES_PER_SEED = 150;

let dir: string;
let cluster: KvCluster;
let target: FuzzTarget;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'balsa-api-fuzz-'));
  cluster = await startKvCluster({ members: 1, dir, apiServer: true, flags: FUZZ_SERVER_FLAGS });
  const member = cluster.members[0]!;
  target = { apiUrl: member.apiUrl!, grpcAddress: member.apiGrpcAddress!, kvEndpoint: member.clientUrl };
  await eventually(async () => expect((await fetch(`${target.apiUrl}/readyz`)).status).toBe(200));
  await createFixtures(target.apiUrl);
});

afterAll(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

function expectClean(report: FuzzReport): void {
  // The findings themselves (seed, case, request, problem) are the failure message.
  expect(report.findings).toEqual([]);
  expect(cluster.exited(0)).toBe(false);
}

test('every recorded finding is fixed', async () => {
  for (const finding of FINDINGS) {
    const report = await runApiFuzz(target, { seed: finding.seed, firstCase: finding.caseNumber, cases: 1 });
    expect({ ...finding, findings: report.findings }).toEqual({ ...finding, findings: [] });
  }
  expectClean({ seed: 0, httpCases: 0, grpcCases: 0, answers: {}, findings: [] });
});

test(`seed ${FIXED_SEED}: ${CASES_PER_SEED} hostile requests, none breaks the server`, async () => {
  const report = await runApiFuzz(target, { seed: FIXED_SEED, cases: CASES_PER_SEED });
  expectClean(report);
  expect(report.httpCases + report.grpcCases).toBe(CASES_PER_SEED);
});

test(`seed ${SECOND_SEED}: ${CASES_PER_SEED} more hostile requests, none breaks the server`, async () => {
  const report = await runApiFuzz(target, { seed: SECOND_SEED, cases: CASES_PER_SEED });
  expectClean(report);
});

test('the limits: a body past 3 MiB is 413 RequestEntityTooLarge', async () => {
  const response = await fetch(`${target.apiUrl}/api/v1/namespaces/default/configmaps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'too-big' }, data: { big: 'x'.repeat(HTTP_BODY_LIMIT_BYTES) } }),
  });
  expect(response.status).toBe(413);
  expect(await response.json()).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge', code: 413 });
  expect((await fetch(`${target.apiUrl}/api/v1/namespaces/default/configmaps/too-big`)).status).toBe(404);
});

/**
 * One request on its own connection (`Connection: close`), its body's last 64 KiB written
 * 100 ms after the rest (a client uploading over a slow link); resolves with the answer
 * once the exchange is over, rejects when any write failed (the server hung up mid-upload).
 */
function uploadOnce(path: string, method: string, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(target.apiUrl);
    const req = http.request({ host: url.hostname, port: url.port, method, path, agent: false, headers: { 'content-type': 'application/json', 'content-length': String(body.length) } });
    let answer: { status: number; body: string } | undefined;
    let failure: Error | undefined;
    // Settled when the exchange is over: a write that failed after the answer came is a failure too (the upload was cut off).
    req.on('error', (error) => (failure = error));
    req.on('close', () => (failure !== undefined || answer === undefined ? reject(failure ?? new Error('no answer')) : resolve(answer)));
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => (answer = { status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    const last = body.length - 64 * 1024;
    req.write(body.subarray(0, last));
    setTimeout(() => req.end(body.subarray(last)), 100);
  });
}

test('an error answered before the body is read still reaches a client that is uploading (no reset)', async () => {
  const almostLimit = Buffer.alloc(HTTP_BODY_LIMIT_BYTES - 4096, 0x20);
  const pastLimit = Buffer.alloc(HTTP_BODY_LIMIT_BYTES + 512, 0x20);
  for (let round = 0; round < 5; round++) {
    const unrouted = await uploadOnce('/api/v1/namespaces/default/configmaps/', 'PATCH', almostLimit);
    expect(unrouted.status).toBe(405);
    expect(JSON.parse(unrouted.body)).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed' });
    const tooLarge = await uploadOnce('/api/v1/namespaces/default/configmaps', 'POST', pastLimit);
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.body)).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge' });
  }
});
