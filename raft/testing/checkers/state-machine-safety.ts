/**
 * State Machine Safety (§5.4.3): if a node has applied an entry at an index, no node ever
 * applies a different entry at that index. Also, each node applies indexes in order,
 * without gaps, from where its state machine starts: index 1 on an empty state, or the
 * index after the snapshot it was restored from (§7); and a snapshot never takes a state
 * machine back.
 */
import type { NodeId } from '../../core/types.js';
import { violation } from './violation.js';
import type { Violation } from './violation.js';

export class StateMachineSafetyChecker {
  /** Payload applied at each index (index 0 unused; a hole where only a snapshot covered it). */
  private readonly applied: Array<number | undefined> = [0];
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

  /** `node` (re)starts with a state machine restored at `snapshotIndex` (0: empty). */
  observeStart(node: NodeId, snapshotIndex = 0): void {
    this.nextIndex.set(node, snapshotIndex + 1);
  }

  /** A running `node` replaced its state machine with a snapshot's at `index`. */
  observeRestore(node: NodeId, index: number): Violation | null {
    const applied = (this.nextIndex.get(node) ?? 1) - 1;
    if (index < applied) {
      return violation('state-machine-safety', `n${node} restores a snapshot at ${index}, below its applied index ${applied}`);
    }
    this.nextIndex.set(node, index + 1);
    return null;
  }

  observeApply(node: NodeId, index: number, payload: number): Violation | null {
    const expected = this.nextIndex.get(node) ?? 1;
    if (index !== expected) {
      return violation('state-machine-safety', `n${node} applies index ${index}, expected ${expected}`);
    }
    this.nextIndex.set(node, index + 1);
    const known = index < this.applied.length ? this.applied[index] : undefined;
    if (known === undefined) {
      while (this.applied.length <= index) {
        this.applied.push(undefined);
        this.appliedBy.push(0);
      }
      this.applied[index] = payload;
      this.appliedBy[index] = node;
      return null;
    }
    if (known === payload) return null;
    return violation(
      'state-machine-safety',
      `index ${index} applied as payload ${known} on n${this.appliedBy[index]} and as payload ${payload} on n${node}`,
    );
  }
}
