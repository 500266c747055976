/**
 * State Machine Safety (§5.4.3): if a node has applied an entry at an index, no node ever
 * applies a different entry at that index. Also, each node applies indexes in order,
 * starting from 1 after each (re)start, without gaps.
 */
import type { NodeId } from '../../core/types.js';
import { violation } from './violation.js';
import type { Violation } from './violation.js';

export class StateMachineSafetyChecker {
  /** Payload applied at each index (index 0 unused). */
  private readonly applied: number[] = [0];
  private readonly appliedBy: NodeId[] = [0];
  private readonly nextIndex = new Map<NodeId, number>();

  /** The highest index any node has applied. */
  get appliedIndex(): number {
    return this.applied.length - 1;
  }

  /** Payload applied at `index`, if any node applied it. */
  payloadAt(index: number): number | undefined {
    return index >= 1 && index < this.applied.length ? this.applied[index] : undefined;
  }

  /** `node` starts (or restarts) with an empty state machine. */
  observeStart(node: NodeId): void {
    this.nextIndex.set(node, 1);
  }

  observeApply(node: NodeId, index: number, payload: number): Violation | null {
    const expected = this.nextIndex.get(node) ?? 1;
    if (index !== expected) {
      return violation('state-machine-safety', `n${node} applies index ${index}, expected ${expected}`);
    }
    this.nextIndex.set(node, index + 1);
    if (index === this.applied.length) {
      this.applied.push(payload);
      this.appliedBy.push(node);
      return null;
    }
    if (this.applied[index] === payload) return null;
    return violation(
      'state-machine-safety',
      `index ${index} applied as payload ${this.applied[index]} on n${this.appliedBy[index]} and as payload ${payload} on n${node}`,
    );
  }
}
