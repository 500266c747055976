/**
 * The checkers bite: with each deliberate core bug switched on (config.testingBugs), the
 * simulator finds a violation of the property that bug breaks within the CLI's default
 * seed count — and the correct core passes the same seeds.
 */
import { DEFAULT_SEEDS, DEFAULT_START_SEED } from '../../raft/testing/constants.js';
import type { PropertyName } from '../../raft/testing/checkers/violation.js';
import { defaultNodesForSeed } from '../../raft/testing/sim-config.js';
import type { BugName } from '../../raft/testing/sim-config.js';
import { replayCommand } from '../../raft/testing/sim-report.js';
import { runSeed } from '../../raft/testing/simulator.js';
import type { RunSeedResult } from '../../raft/testing/simulator.js';

const EXPECTED: Record<BugName, readonly PropertyName[]> = {
  // Figure 8 (§5.4.2): an entry of an earlier term counted committed, then overwritten.
  'commit-prior-term': ['leader-completeness', 'state-machine-safety'],
  // §5.2: a restarted node votes twice in one term, possibly electing two leaders.
  'forget-vote': ['vote-safety', 'election-safety'],
  // §6.4: a deposed leader answers a read from its own stale state.
  'stale-read': ['read-linearizability'],
  // Thesis §4.3: a two-voter change applied in one step lets an old and a new majority decide apart.
  'skip-joint': ['configuration-safety'],
  // §7: a snapshot recording the current term instead of its last entry's misnames the log it stands for.
  'snapshot-wrong-term': ['snapshot-matching'],
};

/** The first failing seed in the CLI's default range, as `npm run sim -- --bug B` runs it. */
function firstFailure(bug: BugName): { failed: RunSeedResult | null; seedsRun: number[] } {
  const seedsRun: number[] = [];
  for (let seed = DEFAULT_START_SEED; seed < DEFAULT_START_SEED + DEFAULT_SEEDS; seed++) {
    seedsRun.push(seed);
    const result = runSeed({ seed, nodes: defaultNodesForSeed(seed), bug });
    if (!result.ok) return { failed: result, seedsRun };
  }
  return { failed: null, seedsRun };
}

describe.each(Object.keys(EXPECTED) as BugName[])('with --bug %s', (bug) => {
  let found: { failed: RunSeedResult | null; seedsRun: number[] };

  beforeAll(() => {
    found = firstFailure(bug);
  });

  it(`finds a violation within the default ${DEFAULT_SEEDS} seeds, of the property the bug breaks`, () => {
    const failed = found.failed;
    expect(failed).not.toBeNull();
    const failure = failed!.failure!;
    const where = `seed ${failed!.seed}: ${failure.property}: ${failure.detail}  replay: ${replayCommand(failed!)}`;
    if (!EXPECTED[bug].includes(failure.property)) {
      throw new Error(`expected a violation of ${EXPECTED[bug].join(' or ')}, found ${where}`);
    }
  });

  it('the correct core passes the same seeds', () => {
    const failures: string[] = [];
    for (const seed of found.seedsRun) {
      const result = runSeed({ seed, nodes: defaultNodesForSeed(seed) });
      if (!result.ok) failures.push(`seed ${seed}: ${result.failure!.property}  replay: ${replayCommand(result)}`);
    }
    expect(failures).toEqual([]);
  });
});
