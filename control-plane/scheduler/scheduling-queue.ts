/**
 * The pods waiting to be placed, in kube-scheduler's three parts:
 * - **active**: ready to try now, highest `spec.priority` first, then oldest
 *   (`creationTimestamp`), then first queued;
 * - **back-off**: tried and failed for a reason that may pass by itself (an API error), or
 *   unschedulable and woken by a change before their back-off ended: they wait
 *   `initialBackoffMs × 2^(attempts − 1)`, at most `maxBackoffMs`, then become active;
 * - **unschedulable**: fitting nowhere, they wait for a change of the cluster that may let
 *   them fit (a node added or changed, a pod deleted): `moveAllToActiveOrBackoff()`; or,
 *   if none comes, `maxUnschedulableMs` (a change missed must not strand a pod forever).
 *
 * A popped pod is **in flight** until the scheduler says what became of it (`done`,
 * `requeueUnschedulable`, `requeueBackoff`); changes to it meanwhile are kept for its next
 * attempt. Every pod is in exactly one of the four places, and in the queue at most once.
 */
import {
  POD_INITIAL_BACKOFF_MS,
  POD_MAX_BACKOFF_MS,
  POD_MAX_UNSCHEDULABLE_MS,
  SCHEDULING_QUEUE_PODS_MAX,
  UNSCHEDULABLE_FLUSH_INTERVAL_MS,
} from './constants.js';
import { Heap } from './heap.js';
import type { PodInfo } from './pod-info.js';

export type QueuePlace = 'active' | 'backoff' | 'unschedulable' | 'in-flight';

export interface QueuedPod {
  readonly key: string;
  /** The pod's latest version. */
  podInfo: PodInfo;
  /** Times it was popped. */
  attempts: number;
  /** Queue order among equals. */
  readonly sequence: number;
  /** When its back-off ends (ms, the queue's clock); 0 before its first failure. */
  backoffUntilMs: number;
  /** When it was last found unschedulable (ms). */
  unschedulableSinceMs: number;
  place: QueuePlace;
}

export interface SchedulingQueueOptions {
  /** The clock, in ms (default `Date.now`). Timers are real: tests shorten the durations. */
  readonly nowMs?: () => number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly maxUnschedulableMs?: number;
  readonly unschedulableFlushIntervalMs?: number;
  /** The most pods held; one more is a bug (throws). */
  readonly maxPods?: number;
}

export interface QueueCounts {
  readonly active: number;
  readonly backoff: number;
  readonly unschedulable: number;
  readonly inFlight: number;
}

function activeOrder(a: QueuedPod, b: QueuedPod): boolean {
  if (a.podInfo.priority !== b.podInfo.priority) return a.podInfo.priority > b.podInfo.priority;
  if (a.podInfo.createdAtMs !== b.podInfo.createdAtMs) return a.podInfo.createdAtMs < b.podInfo.createdAtMs;
  return a.sequence < b.sequence;
}

function backoffOrder(a: QueuedPod, b: QueuedPod): boolean {
  return a.backoffUntilMs !== b.backoffUntilMs ? a.backoffUntilMs < b.backoffUntilMs : a.sequence < b.sequence;
}

export class SchedulingQueue {
  private readonly nowMs: () => number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly maxPods: number;
  private readonly entries = new Map<string, QueuedPod>();
  private readonly active = new Heap<QueuedPod>(activeOrder);
  private readonly backoff = new Heap<QueuedPod>(backoffOrder);
  private readonly unschedulable = new Set<QueuedPod>();
  private inFlight = 0;
  private sequence = 0;
  private waiters: (() => void)[] = [];
  private backoffTimer: NodeJS.Timeout | null = null;
  private backoffTimerDueMs = Infinity;
  private readonly flushTimer: NodeJS.Timeout;
  private closed = false;

  constructor(options: SchedulingQueueOptions = {}) {
    this.nowMs = options.nowMs ?? Date.now;
    this.initialBackoffMs = options.initialBackoffMs ?? POD_INITIAL_BACKOFF_MS;
    this.maxBackoffMs = options.maxBackoffMs ?? POD_MAX_BACKOFF_MS;
    this.maxUnschedulableMs = options.maxUnschedulableMs ?? POD_MAX_UNSCHEDULABLE_MS;
    this.maxPods = options.maxPods ?? SCHEDULING_QUEUE_PODS_MAX;
    if (!(this.initialBackoffMs > 0 && this.initialBackoffMs <= this.maxBackoffMs)) throw new RangeError('the initial back-off must be positive and at most the max');
    // Unreferenced: a queue alone (never closed by a scheduler that failed to start) must not keep the process alive.
    this.flushTimer = setInterval(() => this.flushLongUnschedulable(), options.unschedulableFlushIntervalMs ?? UNSCHEDULABLE_FLUSH_INTERVAL_MS).unref();
  }

  /**
   * A pending pod appeared or changed. New: active. Known: its latest version is kept; an
   * unschedulable pod whose `changed` (its spec or labels: what may make it fit) moves on
   * to back-off or active.
   */
  add(podInfo: PodInfo, changed = true): void {
    if (this.closed) return;
    const entry = this.entries.get(podInfo.key);
    if (entry === undefined) {
      if (this.entries.size >= this.maxPods) throw new Error(`the scheduling queue holds ${this.maxPods} pods: refusing more`);
      const created: QueuedPod = { key: podInfo.key, podInfo, attempts: 0, sequence: this.sequence++, backoffUntilMs: 0, unschedulableSinceMs: 0, place: 'active' };
      this.entries.set(created.key, created);
      this.activate(created);
      return;
    }
    entry.podInfo = podInfo;
    switch (entry.place) {
      case 'active':
        this.active.update(entry);
        break;
      case 'unschedulable':
        if (changed) this.wake(entry);
        break;
      case 'backoff':
      case 'in-flight':
        break;
      default: {
        const never: never = entry.place;
        throw new Error(`unknown queue place ${String(never)}`);
      }
    }
  }

  /** The pod is gone, bound elsewhere or no longer this scheduler's: forgotten wherever it is. */
  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.takeOut(entry);
    this.entries.delete(key);
  }

  /** The next pod to try (now in flight), or undefined when none is active. */
  pop(): QueuedPod | undefined {
    const entry = this.active.pop();
    if (entry === undefined) return undefined;
    entry.place = 'in-flight';
    entry.attempts++;
    this.inFlight++;
    return entry;
  }

  /** Resolves when a pod is active (at once if one is) or the queue is closed. */
  waitForPods(): Promise<void> {
    if (this.active.size > 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The in-flight pod is finished with (bound, or dropped): forgotten. */
  done(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.place !== 'in-flight') return;
    this.delete(key);
  }

  /** The in-flight pod fits nowhere: it waits for a change of the cluster. */
  requeueUnschedulable(key: string): void {
    const entry = this.inFlightEntry(key);
    if (entry === undefined) return;
    this.leaveFlight(entry);
    entry.backoffUntilMs = this.nowMs() + this.backoffMs(entry.attempts);
    entry.unschedulableSinceMs = this.nowMs();
    entry.place = 'unschedulable';
    this.unschedulable.add(entry);
  }

  /** The in-flight pod failed for a reason that may pass (an API error): it is tried again after its back-off. */
  requeueBackoff(key: string): void {
    const entry = this.inFlightEntry(key);
    if (entry === undefined) return;
    this.leaveFlight(entry);
    entry.backoffUntilMs = this.nowMs() + this.backoffMs(entry.attempts);
    this.toBackoff(entry);
  }

  /**
   * Something changed that may let unschedulable pods fit: each goes to back-off if its
   * back-off has not ended yet, else to active. Returns how many moved.
   */
  moveAllToActiveOrBackoff(): number {
    const moved = this.unschedulable.size;
    for (const entry of [...this.unschedulable]) this.wake(entry);
    return moved;
  }

  /** The back-off after `attempts` failed attempts: initial × 2^(attempts − 1), at most the max. */
  backoffMs(attempts: number): number {
    return Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
  }

  /** Where the pod is, or undefined when it is not queued. */
  placeOf(key: string): QueuePlace | undefined {
    return this.entries.get(key)?.place;
  }

  get counts(): QueueCounts {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, inFlight: this.inFlight };
  }

  /** Stops every timer and wakes whoever waits for pods; nothing is queued after this. */
  close(): void {
    this.closed = true;
    clearInterval(this.flushTimer);
    if (this.backoffTimer !== null) clearTimeout(this.backoffTimer);
    this.backoffTimer = null;
    for (const wake of this.waiters.splice(0)) wake();
  }

  private inFlightEntry(key: string): QueuedPod | undefined {
    const entry = this.entries.get(key);
    if (this.closed || entry === undefined || entry.place !== 'in-flight') return undefined;
    return entry;
  }

  private leaveFlight(entry: QueuedPod): void {
    if (entry.place === 'in-flight') this.inFlight--;
  }

  /** Out of whichever part holds it. */
  private takeOut(entry: QueuedPod): void {
    switch (entry.place) {
      case 'active':
        this.active.remove(entry);
        break;
      case 'backoff':
        this.backoff.remove(entry);
        break;
      case 'unschedulable':
        this.unschedulable.delete(entry);
        break;
      case 'in-flight':
        this.inFlight--;
        break;
      default: {
        const never: never = entry.place;
        throw new Error(`unknown queue place ${String(never)}`);
      }
    }
  }

  /** An unschedulable pod woken by a change: to back-off or active. */
  private wake(entry: QueuedPod): void {
    this.unschedulable.delete(entry);
    if (entry.backoffUntilMs > this.nowMs()) this.toBackoff(entry);
    else this.activate(entry);
  }

  private activate(entry: QueuedPod): void {
    entry.place = 'active';
    this.active.push(entry);
    this.waiters.shift()?.();
  }

  private toBackoff(entry: QueuedPod): void {
    entry.place = 'backoff';
    this.backoff.push(entry);
    this.armBackoffTimer();
  }

  /** One timer, for the earliest back-off to end. */
  private armBackoffTimer(): void {
    const first = this.backoff.peek();
    if (this.closed || first === undefined) return;
    if (this.backoffTimer !== null && this.backoffTimerDueMs <= first.backoffUntilMs) return;
    if (this.backoffTimer !== null) clearTimeout(this.backoffTimer);
    this.backoffTimerDueMs = first.backoffUntilMs;
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = null;
      this.backoffTimerDueMs = Infinity;
      this.flushBackoff();
    }, Math.max(0, first.backoffUntilMs - this.nowMs()));
  }

  private flushBackoff(): void {
    const now = this.nowMs();
    for (let first = this.backoff.peek(); first !== undefined && first.backoffUntilMs <= now; first = this.backoff.peek()) {
      this.backoff.pop();
      this.activate(first);
    }
    this.armBackoffTimer();
  }

  private flushLongUnschedulable(): void {
    const now = this.nowMs();
    for (const entry of [...this.unschedulable]) if (now - entry.unschedulableSinceMs >= this.maxUnschedulableMs) this.wake(entry);
  }
}
