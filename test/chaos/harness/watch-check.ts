/**
 * Did every watcher of a prefix see every event of it, in revision order, with no gap and
 * no duplicate, across its reconnects? Pure: the watchers' logs and what the clients know
 * in, anomalies (one line each) out.
 *
 * A log covers revisions `from`..`covered` (see `RangeWatcher`). The checks:
 * - order: revisions never go down, no (revision, key) twice, every event inside the coverage;
 * - no phantom: every value put is one a client wrote (values are unique);
 * - agreement: at every revision covered by several logs, they hold the same events, so a
 *   revision one watcher saw and another skipped is a gap (or a phantom) in one of them;
 * - acknowledged writes: a put, delete or successful compare-and-set a client was told
 *   happened at revision r is, in every log covering r, the event at r;
 * - completeness: replaying a log's events from the empty prefix gives the prefix's state
 *   read at the end, at the final revision (which every log must reach).
 */

export interface WatchedEvent {
  readonly revision: number;
  readonly type: 'put' | 'delete';
  readonly key: string;
  /** The value put; null for a delete. */
  readonly value: string | null;
  /** When the watcher received it (ms, the run's clock). */
  readonly receivedAtMs: number;
}

export interface WatchLog {
  readonly name: string;
  readonly prefix: string;
  /** The first revision it watched from; the prefix was empty just before. */
  readonly from: number;
  /** It has every event up to this revision. */
  readonly covered: number;
  readonly events: readonly WatchedEvent[];
  /** What the watcher itself noticed while receiving (events at covered revisions, cancellations). */
  readonly anomalies: readonly string[];
  /** Streams it opened (1 + reconnects). */
  readonly streams: number;
}

/** A write a client was told happened: a put of `value`, or a delete (`value` null), at `revision`. */
export interface AcknowledgedChange {
  readonly key: string;
  readonly value: string | null;
  readonly revision: number;
}

export interface WatchCheckInput {
  /** The logs of the watchers of one prefix. */
  readonly logs: readonly WatchLog[];
  /** The acknowledged changes to keys of that prefix. */
  readonly acknowledged: readonly AcknowledgedChange[];
  /** Every value a client tried to put under the prefix. */
  readonly issuedValues: ReadonlySet<string>;
  /** The prefix's keys and values read at the end, and the revision of that read. */
  readonly final: { readonly revision: number; readonly state: ReadonlyMap<string, string> };
}

export function checkWatchLogs(input: WatchCheckInput): string[] {
  const anomalies: string[] = [];
  const groups = input.logs.map((log) => {
    anomalies.push(...log.anomalies, ...checkOrder(log, input.issuedValues));
    return groupByRevision(log.events);
  });
  anomalies.push(...checkAgreement(input.logs, groups));
  anomalies.push(...checkAcknowledged(input.logs, groups, input.acknowledged));
  for (const log of input.logs) anomalies.push(...checkFinal(log, input.final));
  return anomalies;
}

function covers(log: WatchLog, revision: number): boolean {
  return revision >= log.from && revision <= log.covered;
}

function checkOrder(log: WatchLog, issued: ReadonlySet<string>): string[] {
  const anomalies: string[] = [];
  let previous = log.from - 1;
  let keysAtPrevious = new Set<string>();
  for (const event of log.events) {
    if (event.revision < log.from || event.revision > log.covered) {
      anomalies.push(`${log.name}: event ${render(event)} outside its coverage ${log.from}..${log.covered}`);
    }
    if (event.revision < previous) anomalies.push(`${log.name}: event ${render(event)} after revision ${previous} (out of order)`);
    if (event.revision !== previous) keysAtPrevious = new Set();
    if (keysAtPrevious.has(event.key)) anomalies.push(`${log.name}: event ${render(event)} twice (duplicate)`);
    keysAtPrevious.add(event.key);
    previous = Math.max(previous, event.revision);
    if (event.type === 'put' && !issued.has(event.value!)) anomalies.push(`${log.name}: event ${render(event)} puts a value no client wrote (phantom)`);
  }
  return anomalies;
}

function groupByRevision(events: readonly WatchedEvent[]): Map<number, WatchedEvent[]> {
  const groups = new Map<number, WatchedEvent[]>();
  for (const event of events) {
    const group = groups.get(event.revision);
    if (group === undefined) groups.set(event.revision, [event]);
    else group.push(event);
  }
  return groups;
}

function checkAgreement(logs: readonly WatchLog[], groups: readonly Map<number, WatchedEvent[]>[]): string[] {
  const anomalies: string[] = [];
  const revisions = new Set<number>();
  for (const byRevision of groups) for (const revision of byRevision.keys()) revisions.add(revision);
  for (const revision of [...revisions].sort((a, b) => a - b)) {
    const seen = logs.map((log, i) => ({ log, events: covers(log, revision) ? renderGroup(groups[i]!.get(revision)) : undefined }));
    const reference = seen.find((s) => s.events !== undefined && s.events !== '');
    if (reference === undefined) continue;
    for (const { log, events } of seen) {
      if (events === undefined || events === reference.events) continue;
      anomalies.push(
        events === ''
          ? `${log.name}: no event at revision ${revision}, which it covers; ${reference.log.name} saw ${reference.events} (a gap)`
          : `${log.name} saw ${events} at revision ${revision}; ${reference.log.name} saw ${reference.events}`,
      );
    }
  }
  return anomalies;
}

function checkAcknowledged(logs: readonly WatchLog[], groups: readonly Map<number, WatchedEvent[]>[], acknowledged: readonly AcknowledgedChange[]): string[] {
  const anomalies: string[] = [];
  for (const change of acknowledged) {
    logs.forEach((log, i) => {
      if (!covers(log, change.revision)) return;
      const match = groups[i]!.get(change.revision)?.some(
        (event) => event.key === change.key && (change.value === null ? event.type === 'delete' : event.type === 'put' && event.value === change.value),
      );
      if (match !== true) {
        const what = change.value === null ? `delete ${change.key}` : `put ${change.key}=${change.value}`;
        anomalies.push(`${log.name}: the acknowledged ${what} at revision ${change.revision} is not among its events there (${renderGroup(groups[i]!.get(change.revision)) || 'none'})`);
      }
    });
  }
  return anomalies;
}

function checkFinal(log: WatchLog, final: WatchCheckInput['final']): string[] {
  if (log.covered < final.revision) return [`${log.name}: reached revision ${log.covered} only, not the final ${final.revision}`];
  const state = new Map<string, string>();
  for (const event of log.events) {
    if (event.revision > final.revision) break;
    if (event.type === 'put') state.set(event.key, event.value!);
    else state.delete(event.key);
  }
  const anomalies: string[] = [];
  for (const key of new Set([...state.keys(), ...final.state.keys()])) {
    const replayed = state.get(key);
    const read = final.state.get(key);
    if (replayed !== read) {
      anomalies.push(`${log.name}: its events leave ${key}=${replayed ?? '(absent)'} at revision ${final.revision}, but a read there gives ${read ?? '(absent)'}`);
    }
  }
  return anomalies;
}

function render(event: WatchedEvent): string {
  return event.type === 'put' ? `put ${event.key}=${event.value}@${event.revision}` : `delete ${event.key}@${event.revision}`;
}

function renderGroup(events: readonly WatchedEvent[] | undefined): string {
  return (events ?? []).map(render).join(', ');
}
