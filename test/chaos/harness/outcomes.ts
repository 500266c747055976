/**
 * What a failed call tells a client about its effect, and the tally of outcomes per
 * operation kind that a chaos run prints.
 *
 * Only an answer that proves nothing was applied counts as "no effect": etcd refusing the
 * request before proposing it (no leader to propose to, a lease that does not exist, a
 * learner), or grpc-js failing the call before sending it (no connection to the member).
 * A timeout, a reset connection or a leader change mid-request leaves the outcome
 * unknown: the write may still apply, and the checker considers both.
 */
import { EtcdCallError } from '../../support/etcd-grpc.js';

/** etcd's refusals that come before anything is proposed or that the state machine answers without applying. */
const NO_EFFECT_MESSAGES: ReadonlySet<string> = new Set([
  'etcdserver: no leader',
  'etcdserver: requested lease not found',
  'etcdserver: rpc not supported for learner',
  'etcdserver: too many requests',
  'etcdserver: mvcc: database space exceeded',
]);

export type Outcome = 'ok' | 'no-effect' | 'unknown';

export function errorOutcome(error: unknown): Exclude<Outcome, 'ok'> {
  if (!(error instanceof EtcdCallError)) return 'unknown';
  if (NO_EFFECT_MESSAGES.has(error.details)) return 'no-effect';
  // grpc-js fails a call it never sent this way (the channel has no connection).
  if (error.details.startsWith('No connection established')) return 'no-effect';
  return 'unknown';
}

/** Outcomes counted per operation kind. */
export class OutcomeTally {
  private readonly counts = new Map<string, Record<Outcome, number>>();

  add(kind: string, outcome: Outcome): void {
    let entry = this.counts.get(kind);
    if (entry === undefined) {
      entry = { ok: 0, 'no-effect': 0, unknown: 0 };
      this.counts.set(kind, entry);
    }
    entry[outcome]++;
  }

  total(): number {
    let total = 0;
    for (const entry of this.counts.values()) total += entry.ok + entry['no-effect'] + entry.unknown;
    return total;
  }

  /** `put 1234 (1200 ok, 30 failed, 4 unknown), get ...` */
  render(): string {
    return [...this.counts]
      .map(([kind, c]) => `${kind} ${c.ok + c['no-effect'] + c.unknown} (${c.ok} ok, ${c['no-effect']} failed, ${c.unknown} unknown)`)
      .join(', ');
  }
}
