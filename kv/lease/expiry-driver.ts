/**
 * The only part of `kv/lease` with a timer: every `intervalMs` it asks the lessor (on the
 * leader; on others the lessor answers nothing) for expired leases and due checkpoints,
 * and hands them to the server, which proposes `LeaseRevoke` / `LeaseCheckpoint` entries
 * through Raft. The lessor itself never revokes anything: a lease is gone only once its
 * revoke entry is applied, on every member alike.
 */
import { DEFAULT_EXPIRY_CHECK_INTERVAL_MS } from './constants.js';
import type { LeaseCheckpoint, Lessor } from './lessor.js';

export interface LeaseExpiryDriverOptions {
  readonly lessor: Lessor;
  /** Propose the revocation of these leases (earliest deadline first). Must not throw. */
  readonly revoke: (ids: readonly bigint[]) => void;
  /** Propose these checkpoints; needed only when the lessor checkpoints. Must not throw. */
  readonly checkpoint?: (checkpoints: readonly LeaseCheckpoint[]) => void;
  /** How often to look, in ms. Default `DEFAULT_EXPIRY_CHECK_INTERVAL_MS` (500, as etcd). */
  readonly intervalMs?: number;
}

export class LeaseExpiryDriver {
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: LeaseExpiryDriverOptions) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.tick(), this.options.intervalMs ?? DEFAULT_EXPIRY_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look: what the timer runs (callable directly, e.g. by tests). */
  tick(): void {
    const { lessor } = this.options;
    if (!lessor.isPrimary()) return;
    const expired = lessor.expired();
    if (expired.length > 0) this.options.revoke(expired);
    const checkpoint = this.options.checkpoint;
    if (checkpoint !== undefined) {
      const due = lessor.dueCheckpoints();
      if (due.length > 0) checkpoint(due);
    }
  }
}
