/** How simulation results are printed: stable one-liners that say how to replay a failure. */
import type { RunSeedResult } from './simulator.js';

/** The command that replays exactly this run. */
export function replayCommand(result: Pick<RunSeedResult, 'seed' | 'nodes' | 'steps' | 'bug'>): string {
  const bug = result.bug === undefined ? '' : ` --bug ${result.bug}`;
  return `npm run sim -- --seeds 1 --start ${result.seed} --nodes ${result.nodes}${bug} --steps ${result.steps}`;
}

/** `FAIL seed=… nodes=… property=… step=… detail="…"  replay: …`, or null when the run passed. */
export function failureLine(result: RunSeedResult): string | null {
  const failure = result.failure;
  if (failure === null) return null;
  return (
    `FAIL seed=${result.seed} nodes=${result.nodes} property=${failure.property} step=${failure.step} ` +
    `detail=${JSON.stringify(failure.detail)}  replay: ${replayCommand(result)}`
  );
}

/** A one-line summary of a run's statistics. */
export function statsLine(result: RunSeedResult): string {
  const s = result.stats;
  const nonZero = (counts: Readonly<Record<string, number>>) =>
    Object.entries(counts)
      .filter(([, count]) => count > 0)
      .map(([kind, count]) => `${kind}=${count}`)
      .join(' ');
  const faults = nonZero(s.faults);
  const membership = nonZero(s.membership.proposed);
  const snap = s.snapshots;
  return (
    `seed ${result.seed} (${result.nodes} nodes + ${s.spares} spares): ${s.steps} steps, ${s.elections} elections, term ${s.maxTerm}, ` +
    `committed ${s.committedIndex}, writes acked ${s.clients.writesAcked}/${s.clients.writesIssued}, ` +
    `reads served ${s.clients.readsServed}/${s.clients.readsStarted}, messages ${s.network.sent} ` +
    `(dropped ${s.network.dropped}, duplicated ${s.network.duplicated}, blocked ${s.network.blocked}), ` +
    `faults ${faults || 'none'}, membership ${membership || 'none'} (refused ${s.membership.refused}, applied ${s.confChangesApplied}), ` +
    `snapshots taken ${snap.taken} installed ${snap.installed} restored-on-restart ${snap.restoredOnRestart} ` +
    `transfers ${snap.transfersStarted} (restarted ${snap.transferRestarts}), checks ${s.checksRun}`
  );
}
