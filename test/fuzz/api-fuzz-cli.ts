/**
 * `npm run fuzz:api -- [--seed N] [--cases N] [--first-case N]`: the API fuzzer's long run
 * (`api-fuzzer.ts`) against a one-member `balsa server` of real processes started here. The
 * seed is printed first; each finding with its case number (replay it with
 * `--seed N --first-case C --cases 1`). Exit status 1 when anything broke the oracle.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKvCluster } from '../../kv/testing/kv-process-cluster.js';
import { createFixtures, FUZZ_SERVER_FLAGS, runApiFuzz } from './api-fuzzer.js';

function flag(name: string): number | undefined {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return undefined;
  const value = Number(process.argv[index + 1]);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} wants a non-negative integer, got ${process.argv[index + 1]}`);
  return value;
}

async function main(): Promise<number> {
  const seed = flag('seed') ?? Math.floor(Math.random() * 2 ** 31);
  const cases = flag('cases') ?? 2_000;
  const firstCase = flag('first-case') ?? 0;
  console.log(`api fuzz: seed ${seed}, cases ${firstCase}..${firstCase + cases - 1}`);
  const dir = await mkdtemp(join(tmpdir(), 'balsa-api-fuzz-'));
  const cluster = await startKvCluster({ members: 1, dir, apiServer: true, flags: FUZZ_SERVER_FLAGS });
  try {
    const member = cluster.members[0]!;
    const target = { apiUrl: member.apiUrl!, grpcAddress: member.apiGrpcAddress!, kvEndpoint: member.clientUrl };
    await waitReady(target.apiUrl);
    await createFixtures(target.apiUrl);
    const started = Date.now();
    const report = await runApiFuzz(target, {
      seed,
      cases,
      firstCase,
      progress: (done, findings) => {
        if (done % 500 === 0 || done === cases) console.log(`  ${done}/${cases} cases, ${findings} findings, ${((Date.now() - started) / 1000).toFixed(0)} s`);
      },
    });
    if (cluster.exited(0)) report.findings.push({ seed, caseNumber: -1, front: 'liveness', request: '-', problem: `the server process exited: ${JSON.stringify(cluster.exitStatus(0))}` });
    console.log(`http cases ${report.httpCases}, grpc cases ${report.grpcCases}`);
    console.log(`answers: ${Object.entries(report.answers).sort().map(([key, value]) => `${key} ×${value}`).join(', ')}`);
    for (const finding of report.findings) console.log(`FINDING seed ${finding.seed} case ${finding.caseNumber} [${finding.front}] ${finding.problem}\n  ${finding.request}`);
    console.log(report.findings.length === 0 ? 'no findings' : `${report.findings.length} findings (server log: ${cluster.logs[0]})`);
    return report.findings.length === 0 ? 0 : 1;
  } finally {
    await cluster.stop();
    if (process.env.BALSA_FUZZ_KEEP_DIR === undefined) await rm(dir, { recursive: true, force: true });
  }
}

async function waitReady(apiUrl: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(5_000) })).status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${apiUrl}/readyz never answered 200`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
