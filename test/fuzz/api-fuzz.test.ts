/**
 * The API server under hostile input (issue 12): the seeded fuzzer (`api-fuzzer.ts`) against
 * a one-member `balsa server` of real processes — two fixed seeds, and every recorded
 * finding's case. Every answer is a 2xx or a 4xx Status (HTTP) / a
 * status other than INTERNAL, UNKNOWN and DEADLINE_EXCEEDED (gRPC); no rejected request
 * changes the store; the server keeps answering and its process stays up. The long run is
 * `npm run fuzz:api -- --seed N --cases N`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
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
