/**
 * Clean-up on SIGINT and SIGTERM: a benchmark registers what must be undone (stop its
 * clusters, remove its directories) while it holds it; on the first signal every
 * registered clean-up runs (bounded in time) and the process exits 130. A second signal
 * exits at once; the process launchers kill their remaining children on exit.
 */

/** How long the clean-ups may take after a signal before the process exits anyway. */
const CLEANUP_DEADLINE_MS = 30_000;

const cleanups = new Set<() => Promise<void>>();
let installed = false;
let interrupted = false;

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      process.stderr.write(`\n${signal}: stopping everything this benchmark started\n`);
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, CLEANUP_DEADLINE_MS));
      const all = Promise.allSettled([...cleanups].map((cleanup) => cleanup()));
      void Promise.race([all, deadline]).finally(() => process.exit(130));
    });
  }
}

/**
 * What `main()` answers; but once a signal came, a failure of `main` (its clients closed
 * under it by the clean-ups) is not the benchmark's: it waits for the signal's handler,
 * which exits 130 when the clean-ups are done.
 */
export async function unlessInterrupted(main: () => Promise<number>): Promise<number> {
  try {
    return await main();
  } catch (error) {
    // The handler's deadline timer keeps the process alive until it exits.
    if (interrupted) return new Promise<number>(() => {});
    throw error;
  }
}

/** Run `cleanup` if the process is interrupted, until the returned function is called. */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  install();
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** `body()` with `cleanup` registered for an interrupt and run when `body` ends, however it ends. */
export async function withCleanup<T>(cleanup: () => Promise<void>, body: () => Promise<T>): Promise<T> {
  const unregister = onInterrupt(cleanup);
  try {
    return await body();
  } finally {
    unregister();
    await cleanup();
  }
}
