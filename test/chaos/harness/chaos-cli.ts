/**
 * `npm run chaos -- --duration S --seed N [--members 3|5] [--faults kill,pause,...]`: one
 * fault-injection run of the real KV server (`ChaosRun`), compiled by
 * `test/chaos/tsconfig.json` into `dist/chaos/` and run from the repository root (it
 * starts `dist/cmd/balsa.js`, which `npm run chaos` builds first).
 *
 * SIGINT or SIGTERM stops the run and cleans up (members, proxies, temporary directory);
 * a second one kills the members at once and exits.
 */
import { randomInt } from 'node:crypto';
import { CHAOS_USAGE, ChaosUsageError, parseChaosOptions } from './chaos-options.js';
import type { ChaosOptions } from './chaos-options.js';
import { ChaosRun } from './chaos-run.js';

async function main(argv: readonly string[]): Promise<number> {
  let options: ChaosOptions | 'help';
  try {
    options = parseChaosOptions(argv, () => randomInt(2 ** 32));
  } catch (error) {
    if (!(error instanceof ChaosUsageError)) throw error;
    console.error(`chaos: ${error.message}\n${CHAOS_USAGE}`);
    return 2;
  }
  if (options === 'help') {
    console.log(CHAOS_USAGE);
    return 0;
  }
  const run = new ChaosRun(options, (line) => console.log(line));
  const abort = new AbortController();
  const onSignal = (): void => {
    if (abort.signal.aborted) {
      run.killNow();
      process.exit(130);
    }
    console.log('chaos: interrupted; cleaning up (again to kill at once)');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Whatever ends the process, no member outlives it.
  process.on('exit', () => run.killNow());
  const result = await run.run(abort.signal);
  return abort.signal.aborted ? 130 : result.exitCode;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`chaos: ${(error as Error).stack ?? String(error)}`);
    process.exit(2);
  },
);
