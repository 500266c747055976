/**
 * A leader's view of one member's log (Figure 2: nextIndex, matchIndex), plus the flow
 * control state that decides when to send it more:
 *
 * - `probe`: we do not know where its log matches ours. Send one MsgApp, then wait for
 *   its answer (or the next heartbeat) before sending another.
 * - `replicate`: its log matches up to `match`; stream entries optimistically, advancing
 *   `next` as we send, up to the inflight window.
 * - `snapshot`: it needs a snapshot; send nothing else until that resolves.
 */
import { Inflights } from './inflights.js';
import type { SnapshotTransfer } from './snapshot-transfer.js';
import type { ProgressState, ProgressStatus } from './status.js';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /**
   * In probe: a MsgApp was sent and not answered. In replicate: the inflight window is
   * full. A heartbeat response clears it, so a lost message cannot stall the follower.
   */
  msgAppFlowPaused = false;
  /** Heard from since the last check-quorum. */
  recentActive = false;
  /** In snapshot state: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** In snapshot state: the transfer under way. */
  snapshotTransfer: SnapshotTransfer | null = null;
  readonly inflights: Inflights;

  constructor(next: number, maxInflightMessages: number, maxInflightBytes: number) {
    this.next = next;
    this.inflights = new Inflights(maxInflightMessages, maxInflightBytes);
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.closeSnapshotTransfer();
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pendingSnapshot = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pendingSnapshot + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(transfer: SnapshotTransfer): void {
    this.resetState('snapshot');
    this.pendingSnapshot = transfer.metadata.index;
    this.snapshotTransfer = transfer;
  }

  /** Release the transfer's snapshot reader (the progress is dropped or leaves snapshot state). */
  closeSnapshotTransfer(): void {
    if (this.snapshotTransfer === null) return;
    this.snapshotTransfer.close();
    this.snapshotTransfer = null;
  }

  /** Record that a MsgApp carrying `entries` entries (`bytes` in all) was sent. */
  sentEntries(entries: number, bytes: number): void {
    switch (this.state) {
      case 'replicate':
        if (entries > 0) {
          this.next += entries;
          this.inflights.add(this.next - 1, bytes);
        }
        this.msgAppFlowPaused = this.inflights.full();
        break;
      case 'probe':
        if (entries > 0) this.msgAppFlowPaused = true;
        break;
      case 'snapshot':
        break;
      default: {
        const unreachable: never = this.state;
        throw new Error(`unknown progress state ${String(unreachable)}`);
      }
    }
  }

  /** An acknowledgement up to `index`. Returns whether it was news (not stale). */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.msgAppFlowPaused = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * A rejection of the MsgApp probing at `rejected`, with the follower's hint that its log
   * may match up to `matchHint`. Returns false when the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      // In replicate, anything at or below match was already accepted: stale.
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // In probe, only a rejection of the last probe counts.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  isPaused(): boolean {
    return this.state === 'snapshot' || this.msgAppFlowPaused;
  }

  status(): ProgressStatus {
    return {
      match: this.match,
      next: this.next,
      state: this.state,
      recentActive: this.recentActive,
      inflight: this.inflights.size(),
      pendingSnapshot: this.pendingSnapshot,
      snapshotAckedBytes: this.snapshotTransfer?.acked ?? 0,
    };
  }
}
