/**
 * Snapshot matching (§7): a snapshot stands for the log up to its index, so its (index,
 * term) must be the committed entry at that index — otherwise a follower that installs it
 * accepts appends that do not follow on from the leader's log — and its configuration
 * must be the one in force at that index. Checked on every snapshot a node takes,
 * installs, or restarts from, against what the other checkers recorded.
 */
import type { NodeId, SnapshotMetadata } from '../../core/types.js';
import { formatConf } from './configuration-safety.js';
import type { ConfState } from '../../core/types.js';
import { violation } from './violation.js';
import type { Violation } from './violation.js';

export type SnapshotEvent = 'took' | 'installed' | 'restarted from';

export class SnapshotMatchingChecker {
  /** Snapshots checked. */
  checked = 0;

  /**
   * `node` `event` the snapshot `metadata`; `committedTerm` is the term of the entry
   * known committed at its index and `configInForce` the configuration in force there
   * (each undefined when not known, and then not compared).
   */
  observe(
    node: NodeId,
    event: SnapshotEvent,
    metadata: SnapshotMetadata,
    committedTerm: number | undefined,
    configInForce: ConfState | undefined,
  ): Violation | null {
    this.checked++;
    const at = `n${node} ${event} a snapshot at ${metadata.index}`;
    if (!Number.isSafeInteger(metadata.index) || metadata.index < 1) return violation('snapshot-matching', `${at}: not a log index`);
    if (committedTerm !== undefined && metadata.term !== committedTerm) {
      return violation('snapshot-matching', `${at} with term ${metadata.term}, but the entry committed there has term ${committedTerm}`);
    }
    if (configInForce !== undefined && !sameConf(metadata.confState, configInForce)) {
      return violation(
        'snapshot-matching',
        `${at} recording ${formatConf(metadata.confState)}, but ${formatConf(configInForce)} is in force there`,
      );
    }
    return null;
  }
}

function sameConf(a: ConfState, b: ConfState): boolean {
  return formatConf(a) === formatConf(b);
}
