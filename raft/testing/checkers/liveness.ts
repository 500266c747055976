/**
 * Liveness after healing: once every fault is repaired, within a bounded number of ticks
 * there must be a leader, and every write submitted before the heal (acknowledged or
 * still pending) must be applied on every node.
 */
import { violation } from './violation.js';
import type { Violation } from './violation.js';

export interface LivenessSnapshot {
  /** The current step. */
  readonly step: number;
  /** Whether some node currently leads with the support of the cluster. */
  readonly leaderExists: boolean;
  /** Applied index of every node (all are up once healed). */
  readonly appliedIndexes: readonly number[];
}

export class LivenessChecker {
  private readonly required = new Set<number>();
  /** Highest log index at which a required write was first applied. */
  private requiredIndex = 0;
  private deadlineStep = -1;
  private satisfiedAtStep = -1;

  get started(): boolean {
    return this.deadlineStep >= 0;
  }

  get satisfiedAt(): number {
    return this.satisfiedAtStep;
  }

  get done(): boolean {
    return this.satisfiedAtStep >= 0;
  }

  /** The network is healed at `step`; `writeIds` must all be applied by `deadlineStep`. */
  begin(writeIds: Iterable<number>, alreadyAppliedAt: (id: number) => number | undefined, deadlineStep: number): void {
    this.deadlineStep = deadlineStep;
    for (const id of writeIds) {
      const index = alreadyAppliedAt(id);
      if (index === undefined) this.required.add(id);
      else this.requiredIndex = Math.max(this.requiredIndex, index);
    }
  }

  /** A write was applied for the first time anywhere, at `index`. */
  observeFirstApply(writeId: number, index: number): void {
    if (!this.required.delete(writeId)) return;
    this.requiredIndex = Math.max(this.requiredIndex, index);
  }

  /** Check once per step after the heal. Null while fine (or satisfied). */
  check(snapshot: LivenessSnapshot): Violation | null {
    if (!this.started || this.done) return null;
    const allApplied = this.required.size === 0 && snapshot.appliedIndexes.every((applied) => applied >= this.requiredIndex);
    if (snapshot.leaderExists && allApplied) {
      this.satisfiedAtStep = snapshot.step;
      return null;
    }
    if (snapshot.step < this.deadlineStep) return null;
    if (!snapshot.leaderExists) return violation('liveness', `no leader by step ${this.deadlineStep} after heal`);
    if (this.required.size > 0) {
      const sample = [...this.required].slice(0, 5).join(', ');
      return violation('liveness', `${this.required.size} writes submitted before the heal never applied (e.g. ${sample})`);
    }
    return violation(
      'liveness',
      `not every node applied up to ${this.requiredIndex} by step ${this.deadlineStep}: applied ${snapshot.appliedIndexes.join('/')}`,
    );
  }
}
