/**
 * Expectations, as Kubernetes' ReplicaSet controller keeps them: what a controller is
 * waiting to see in its cache after its own writes, per controller key.
 *
 * Why: the informer's cache lags the API server. Right after creating 3 pods, a sync that
 * counted pods in the cache would see too few and create 3 more. So a controller records
 * "I expect 3 creations" before creating, lowers the count as the informer reports each
 * pod added, and does not act on that key again (it only writes status) until the count
 * reaches zero. Deletions are tracked by pod key, so that a pod seen first marked for
 * deletion and then removed counts once.
 *
 * Expectations older than the timeout count as met: a watch event that never comes (the
 * informer relisted past it) must not stall a controller forever.
 */
import { EXPECTATIONS_TIMEOUT_MS } from './constants.js';

interface Expectation {
  /** Creations still to observe (≤ 0: none). */
  adds: number;
  /** Keys of the pods whose deletion is still to observe. */
  readonly deletions: Set<string>;
  /** When these expectations were set, in ms of `clockMs`. */
  readonly setAtMs: number;
}

export class ControllerExpectations {
  private readonly expectations = new Map<string, Expectation>();

  constructor(
    /** The clock expectations expire by (a real one: this is a safety net, not a behaviour). */
    private readonly clockMs: () => number = Date.now,
    private readonly timeoutMs: number = EXPECTATIONS_TIMEOUT_MS,
  ) {}

  /** Whether the controller may act on `key`: nothing pending, or what was pending expired. */
  satisfied(key: string): boolean {
    const expectation = this.expectations.get(key);
    if (expectation === undefined) return true;
    if (expectation.adds <= 0 && expectation.deletions.size === 0) return true;
    return this.clockMs() - expectation.setAtMs > this.timeoutMs;
  }

  /** About to create `count` objects for `key` (replaces whatever was expected). */
  expectCreations(key: string, count: number): void {
    this.expectations.set(key, { adds: count, deletions: new Set(), setAtMs: this.clockMs() });
  }

  /** About to delete the pods with these keys for `key` (replaces whatever was expected). */
  expectDeletions(key: string, podKeys: readonly string[]): void {
    this.expectations.set(key, { adds: 0, deletions: new Set(podKeys), setAtMs: this.clockMs() });
  }

  /** One creation seen (or one that will never be: its create failed). */
  creationObserved(key: string): void {
    const expectation = this.expectations.get(key);
    if (expectation !== undefined) expectation.adds--;
  }

  /** The pod `podKey` was seen deleted (or marked for deletion), or its delete failed. */
  deletionObserved(key: string, podKey: string): void {
    this.expectations.get(key)?.deletions.delete(podKey);
  }

  /** Forgets `key` (its controller object is gone). */
  delete(key: string): void {
    this.expectations.delete(key);
  }

  /** For tests and logs: what is still expected for `key`. */
  pending(key: string): { adds: number; deletions: number } | undefined {
    const expectation = this.expectations.get(key);
    return expectation === undefined ? undefined : { adds: Math.max(0, expectation.adds), deletions: expectation.deletions.size };
  }
}
