// Jest global setup: the multi-process tests, the storage crash test and the simulator CLI
// test run compiled JavaScript from dist/ in child processes, so build it once (tsc's
// incremental build makes this quick when nothing changed) before any test file runs.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export default function globalSetup() {
  // Several people testing in one tree at once build once, then skip (the KV they spawn is built already).
  if (process.env.BALSA_SKIP_BUILD === '1') return;
  const root = process.cwd();
  const started = Date.now();
  const build = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    encoding: 'utf8',
  });
  // tsc still emits when it finds type errors; those are `npm run typecheck`'s to report,
  // so a failed check here only warns (the suites that run dist/ then show what broke).
  if (build.status !== 0) process.stdout.write(`\nwarning: the build before the tests reported errors:\n${build.stdout}${build.stderr}\n`);
  if (Date.now() - started > 5000) process.stdout.write(`\nbuilt dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
