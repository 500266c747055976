/**
 * Restored state (§7): a state machine restored from a snapshot at index i must be the
 * state every other node had after applying i. The state machines keep a running digest
 * of everything they applied, so this compares one number per index: the first node to
 * reach an index records its digest there, and every later apply or restore at that
 * index must match it. Restores also must claim the snapshot's own index.
 */
import type { NodeId } from '../../core/types.js';
import type { StateSummary } from '../sim-state-machine.js';
import { violation } from './violation.js';
import type { Violation } from './violation.js';

interface Recorded {
  readonly digest: number;
  readonly node: NodeId;
  readonly restored: boolean;
}

export class RestoredStateChecker {
  private readonly digests: Array<Recorded | undefined> = [];
  /** Restores checked (snapshot installs and restarts). */
  restores = 0;

  /** `node` applied `index`, reaching `digest`. */
  observeApply(node: NodeId, index: number, digest: number): Violation | null {
    return this.compare(node, index, digest, false);
  }

  /** `node` restored its state machine from a snapshot at `snapshotIndex`; `state` is what it now holds. */
  observeRestore(node: NodeId, snapshotIndex: number, state: StateSummary): Violation | null {
    this.restores++;
    if (state.index !== snapshotIndex) {
      return violation('restored-state', `n${node} restored a snapshot at ${snapshotIndex} whose state is applied up to ${state.index}`);
    }
    return this.compare(node, snapshotIndex, state.digest, true);
  }

  private compare(node: NodeId, index: number, digest: number, restored: boolean): Violation | null {
    const known = this.digests[index];
    if (known === undefined) {
      this.digests[index] = { digest, node, restored };
      return null;
    }
    if (known.digest === digest) return null;
    const how = (isRestore: boolean) => (isRestore ? 'restored from a snapshot' : 'applied');
    return violation(
      'restored-state',
      `state at ${index} differs: n${known.node} ${how(known.restored)} digest ${known.digest.toString(16)}, ` +
        `n${node} ${how(restored)} digest ${digest.toString(16)}`,
    );
  }
}
