/**
 * Shared by the sim-seeds-*.test.ts files: run a range of seeds in chunks (so progress is
 * visible and no single test runs long) and fail with the replay command of every failing
 * seed. Split over several files so that Jest's workers share the load.
 */
import { DEFAULT_STEPS } from '../../raft/testing/constants.js';
import { failureLine } from '../../raft/testing/sim-report.js';
import { runSeed } from '../../raft/testing/simulator.js';

const CHUNK_SEEDS = 25;

export function describeSeedRange(nodes: number, firstSeed: number, count: number, steps = DEFAULT_STEPS): void {
  describe(`simulator: ${count} seeds × ${steps} steps on ${nodes} nodes (seeds ${firstSeed}..${firstSeed + count - 1})`, () => {
    for (let chunk = firstSeed; chunk < firstSeed + count; chunk += CHUNK_SEEDS) {
      const last = Math.min(chunk + CHUNK_SEEDS, firstSeed + count) - 1;
      it(`seeds ${chunk}..${last} pass every check`, () => {
        const failures: string[] = [];
        for (let seed = chunk; seed <= last; seed++) {
          const result = runSeed({ seed, nodes, steps });
          const line = failureLine(result);
          if (line !== null) failures.push(line);
          else expect(result.stats.steps).toBeGreaterThanOrEqual(steps);
        }
        expect(failures).toEqual([]);
      });
    }
  });
}
