/**
 * `npm run sim:demo`: a short simulation of a 5-node cluster under faults, told as it
 * happens (elections, faults, the heal) and summed up (commits, reads, checks).
 */
import { TICK_UNITS } from './constants.js';
import { runSeed } from './simulator.js';
import type { RunSeedResult } from './simulator.js';

const SEEDS = [7, 11, 21];
const NODES = 5;
const STEPS = 1200;
/** Timeline lines shown for the first seed before the rest is only counted. */
const TIMELINE_LINES = 18;

function describe(result: RunSeedResult, timeline: readonly string[]): string[] {
  const s = result.stats;
  const o = result.coreOptions;
  const faults = Object.entries(s.faults)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ');
  const lines = [
    `seed ${result.seed}: ${result.nodes} nodes (+ ${s.spares} spares), ${s.steps} ticks (${((s.steps * TICK_UNITS) / 1000).toFixed(0)}k time units), ` +
      `pre-vote ${o.preVote ? 'on' : 'off'}, check-quorum ${o.checkQuorum ? 'on' : 'off'}`,
    ...timeline.map((line) => `    ${line}`),
    `  elections: ${s.elections} leaders elected, highest term ${s.maxTerm}`,
    `  faults injected: ${faults || 'none'}`,
    `  network: ${s.network.sent} messages sent, ${s.network.dropped} dropped, ${s.network.duplicated} duplicated, ${s.network.blocked} cut by partitions`,
    `  commits: ${s.committedIndex} entries committed, ${s.clients.writesAcked} of ${s.clients.writesIssued} writes acknowledged`,
    `  reads: ${s.clients.readsServed} linearizable reads served (${s.clients.readsRefused} refused without a leader, ${s.clients.readsAbandoned} timed out)`,
    `  snapshots: ${s.snapshots.taken} taken, ${s.snapshots.installed} installed from a leader, ${s.snapshots.restoredOnRestart} restored on restart`,
    `  membership: ${s.spares} spare nodes, ${s.confChangesApplied} changes applied (${s.membership.refused} proposals refused)`,
    `  healed at tick ${s.healStep}: leader and every pending write applied everywhere after ${s.livenessTicks} ticks`,
  ];
  if (result.failure === null) lines.push(`  checks: ${s.checksRun} checks passed`);
  else lines.push(`  FAILED ${result.failure.property} at step ${result.failure.step}: ${result.failure.detail}`);
  return lines;
}

function main(): number {
  console.log(
    `Balsa Raft simulator: ${SEEDS.length} runs of a ${NODES}-node cluster under crashes, pauses, partitions, loss and duplication, ` +
      'with snapshots and membership changes',
  );
  console.log(
    'checked after every step: election safety, vote safety, log matching, leader completeness, state machine safety, ' +
      'commit monotonicity, linearizable reads, configuration safety, snapshot matching, restored state, snapshot restarts; ' +
      'liveness after healing',
  );
  let failed = 0;
  for (const [i, seed] of SEEDS.entries()) {
    const timeline: string[] = [];
    const keep = (line: string) => {
      if (i === 0 && timeline.length < TIMELINE_LINES && !line.includes(' seed ')) timeline.push(line);
    };
    const result = runSeed({ seed, nodes: NODES, steps: STEPS, trace: keep });
    if (i === 0 && timeline.length === TIMELINE_LINES) timeline.push('... (later events counted below)');
    console.log('');
    for (const line of describe(result, timeline)) console.log(line);
    if (!result.ok) failed++;
  }
  console.log('');
  console.log(failed === 0 ? `all ${SEEDS.length} runs passed every check` : `${failed} of ${SEEDS.length} runs failed a check`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = main();
