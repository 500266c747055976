/**
 * Leader election through a Lease object (`coordination.k8s.io/v1`), as client-go does it:
 * every candidate tries, every `retryPeriodMs`, to create the lease or to take it over once
 * it has expired; the holder renews it. One active scheduler and one active controller
 * manager at a time, the others standing by.
 *
 * Expiry is judged on this candidate's own clock, from when it last saw the lease record
 * change (not from the timestamps in it), so clocks that disagree between machines do not
 * matter; every write is a compare-and-swap on the lease's resourceVersion, so two
 * candidates can never both take it. A leader that cannot renew within `renewDeadlineMs`
 * stops leading (its `onStoppedLeading` must stop its work) before the others may take over
 * (`leaseDurationSeconds` > renew deadline). `stop()` releases a held lease so that a
 * standby takes over at its next try rather than after the lease expires.
 */
import { resourceByName } from '../api/resources.js';
import type { ApiObject } from '../api/types.js';
import { ApiError } from '../apiserver/errors.js';
import type { GrpcApiClient } from './grpc-api-client.js';

const LEASES = resourceByName('leases')!;

export const LEADER_ELECTION_DEFAULTS = { leaseDurationSeconds: 15, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 } as const;

export interface LeaderElectionOptions {
  readonly client: GrpcApiClient;
  /** Default `kube-system`. */
  readonly namespace?: string;
  /** The lease's name: one per component (`balsa-scheduler`, `balsa-controller-manager`). */
  readonly name: string;
  /** This candidate's identity, unique among candidates (host name and process id, say). */
  readonly identity: string;
  readonly leaseDurationSeconds?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
  readonly log?: (line: string) => void;
}

/** Kubernetes' MicroTime: RFC 3339 with microseconds. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/Z$/, '000Z');
}

export class LeaderElector {
  private readonly namespace: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  /**
   * Fires `renewDeadlineMs` after the last renewal: a try that is still in flight then (a
   * slow store, a client waiting out 429s) must not keep this candidate leading past its
   * deadline, when another may take the lease once it expires.
   */
  private deadlineTimer: NodeJS.Timeout | null = null;
  /** The record last seen (holder and renew time) and when, on this clock, it was first seen. */
  private observed: { record: string; atMs: number } | null = null;
  private lastRenewMs = 0;
  private held: ApiObject | null = null;
  /** The try in progress, if any: `stop()` waits for it, so that no renewal lands after the release. */
  private inFlight: Promise<void> | null = null;

  constructor(private readonly options: LeaderElectionOptions) {
    this.namespace = options.namespace ?? 'kube-system';
    this.leaseDurationMs = (options.leaseDurationSeconds ?? LEADER_ELECTION_DEFAULTS.leaseDurationSeconds) * 1000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? LEADER_ELECTION_DEFAULTS.renewDeadlineMs;
    this.retryPeriodMs = options.retryPeriodMs ?? LEADER_ELECTION_DEFAULTS.retryPeriodMs;
    if (!(this.renewDeadlineMs < this.leaseDurationMs)) throw new RangeError('the renew deadline must be shorter than the lease duration');
    if (!(this.retryPeriodMs < this.renewDeadlineMs)) throw new RangeError('the retry period must be shorter than the renew deadline');
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.runTick();
  }

  private runTick(): void {
    this.inFlight = this.tick().finally(() => {
      this.inFlight = null;
    });
  }

  /** Stops trying; a held lease is released (a standby takes over at its next try). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    // A renewal in flight would land after the release and take the lease back: let it finish first.
    await this.inFlight;
    if (!this.leading) return;
    this.setLeading(false);
    await this.release();
  }

  /** Gives the lease up if this candidate still holds it (written on the latest version seen). */
  private async release(): Promise<void> {
    const { client, name, identity } = this.options;
    for (let attempt = 0; attempt < 3; attempt++) {
      const lease = attempt === 0 && this.held !== null ? this.held : await client.get(LEASES, this.namespace, name).catch(() => null);
      if (lease === null || (lease.spec as { holderIdentity?: string } | undefined)?.holderIdentity !== identity) return;
      const released = structuredClone(lease);
      released.spec = { ...released.spec, holderIdentity: '', leaseDurationSeconds: 1 };
      try {
        await client.update(LEASES, released);
        return;
      } catch (error) {
        if (!(error instanceof ApiError && error.reason === 'Conflict')) return;
      }
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      const acquired = await this.tryAcquireOrRenew();
      if (acquired) this.renewed();
      if (!this.stopped) this.setLeading(acquired || (this.leading && Date.now() - this.lastRenewMs < this.renewDeadlineMs));
    } catch (error) {
      this.options.log?.(`leader election ${this.options.name}: ${(error as Error).message}`);
      if (this.leading && Date.now() - this.lastRenewMs >= this.renewDeadlineMs) this.setLeading(false);
    }
    if (!this.stopped) this.timer = setTimeout(() => this.runTick(), this.retryPeriodMs);
  }

  private renewed(): void {
    this.lastRenewMs = Date.now();
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = null;
      if (!this.stopped && this.leading && Date.now() - this.lastRenewMs >= this.renewDeadlineMs) this.setLeading(false);
    }, this.renewDeadlineMs);
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.options.log?.(`leader election ${this.options.name}: ${this.options.identity} ${leading ? 'became the leader' : 'stopped leading'}`);
    if (leading) this.options.onStartedLeading();
    else this.options.onStoppedLeading();
  }

  /** Whether this candidate holds the lease after this try. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, name, identity } = this.options;
    const now = new Date();
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: this.leaseDurationMs / 1000,
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    let lease: ApiObject;
    try {
      lease = await client.get(LEASES, this.namespace, name);
    } catch (error) {
      if (!(error instanceof ApiError && error.reason === 'NotFound')) throw error;
      try {
        this.held = await client.create(LEASES, this.namespace, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: this.namespace }, spec });
        return true;
      } catch (createError) {
        if (createError instanceof ApiError && createError.reason === 'AlreadyExists') return false;
        throw createError;
      }
    }
    const current = (lease.spec ?? {}) as { holderIdentity?: string; renewTime?: string; acquireTime?: string; leaseTransitions?: number; leaseDurationSeconds?: number };
    const record = `${current.holderIdentity ?? ''}@${current.renewTime ?? ''}`;
    if (this.observed === null || this.observed.record !== record) this.observed = { record, atMs: Date.now() };
    const holder = current.holderIdentity ?? '';
    const durationMs = (current.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
    const mine = holder === identity;
    if (!mine && holder !== '' && this.observed.atMs + durationMs > Date.now()) return false;
    const next = structuredClone(lease);
    next.spec = mine
      ? { ...current, renewTime: spec.renewTime, leaseDurationSeconds: spec.leaseDurationSeconds }
      : { ...spec, leaseTransitions: (current.leaseTransitions ?? 0) + 1 };
    try {
      this.held = await client.update(LEASES, next);
      this.observed = null;
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.reason === 'Conflict') return false;
      throw error;
    }
  }
}
