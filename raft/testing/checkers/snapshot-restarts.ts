/**
 * Bounded snapshot restarts: a leader sends a snapshot in chunks and resumes from the
 * follower's last acknowledged offset after a loss or a timeout. Starting over from offset
 * 0 once the follower has acknowledged part (or all) of that snapshot, to that same
 * leader in that same term, wastes the transfer; doing it again and again means the
 * transfer may never finish. Per (follower, snapshot index) at most
 * `SNAPSHOT_RESTARTS_MAX` such restarts are allowed.
 *
 * Legitimate restarts do not count: after the follower crashed (its partial buffer is
 * gone), after it answered that it holds nothing of the snapshot, and by a different
 * leader or term (which cannot know what the follower holds). Chunk acknowledgements
 * count when the leader steps them, in the order the follower sent them (a stale one,
 * reordered by the network or sent before the follower's crash, is ignored). A completed
 * install (an append response at or past the snapshot's index) is durable, so it counts
 * whenever it arrives.
 */
import type { Message, NodeId } from '../../core/types.js';
import { SNAPSHOT_RESTARTS_MAX } from '../constants.js';
import { violation } from './violation.js';
import type { Violation } from './violation.js';

interface Transfer {
  /** The follower holds acknowledged bytes (or all) of the snapshot, as `leader` in `term` knows. */
  acknowledged: boolean;
  leader: NodeId;
  term: number;
  restarts: number;
  /** Sequence number of the last chunk acknowledgement taken into account. */
  lastSequence: number;
}

interface SentTag {
  readonly incarnation: number;
  readonly sequence: number;
}

export class SnapshotRestartChecker {
  /** Per follower, per snapshot index. */
  private readonly transfers = new Map<NodeId, Map<number, Transfer>>();
  private readonly incarnations = new Map<NodeId, number>();
  private readonly tags = new WeakMap<Message, SentTag>();
  private nextSequence = 1;
  /** Restarts after acknowledgements seen so far (all followers and snapshots). */
  restarts = 0;
  /** Snapshot transfers started (chunk 0 sent). */
  transfersStarted = 0;

  /** `message` leaves its sender. */
  observeSent(message: Message): Violation | null {
    if (message.type === 'MsgSnapResp') {
      this.tags.set(message, { incarnation: this.incarnations.get(message.from) ?? 0, sequence: this.nextSequence++ });
      return null;
    }
    if (message.type !== 'MsgSnap' || message.offset !== 0) return null;
    this.transfersStarted++;
    const transfer = this.transfer(message.to, message.snapshot.index);
    if (!transfer.acknowledged || transfer.leader !== message.from || transfer.term !== message.term) return null;
    transfer.acknowledged = false;
    transfer.restarts++;
    this.restarts++;
    if (transfer.restarts <= SNAPSHOT_RESTARTS_MAX) return null;
    return violation(
      'snapshot-restarts',
      `n${message.from} (term ${message.term}) restarted the snapshot at ${message.snapshot.index} to n${message.to} from offset 0 ` +
        `${transfer.restarts} times after n${message.to} had acknowledged it (at most ${SNAPSHOT_RESTARTS_MAX})`,
    );
  }

  /** `message` is stepped into its receiver's core. */
  observeStepped(message: Message): void {
    if (message.type === 'MsgAppResp') {
      if (message.reject) return;
      const byIndex = this.transfers.get(message.from);
      if (byIndex === undefined) return;
      // The follower holds the log up to at least the snapshot's index: it installed it.
      for (const [index, transfer] of byIndex) {
        if (index <= message.index) this.acknowledge(transfer, message.to, message.term, true);
      }
      return;
    }
    if (message.type !== 'MsgSnapResp') return;
    const transfer = this.transfers.get(message.from)?.get(message.index);
    const tag = this.tags.get(message);
    if (transfer === undefined || tag === undefined || tag.incarnation !== (this.incarnations.get(message.from) ?? 0)) return;
    if (tag.sequence <= transfer.lastSequence) return;
    transfer.lastSequence = tag.sequence;
    this.acknowledge(transfer, message.to, message.term, message.offset > 0);
  }

  /** `node` crashed: whatever it held of a transfer in progress is gone, and its old messages are stale. */
  observeCrash(node: NodeId): void {
    this.incarnations.set(node, (this.incarnations.get(node) ?? 0) + 1);
    const byIndex = this.transfers.get(node);
    if (byIndex !== undefined) for (const transfer of byIndex.values()) transfer.acknowledged = false;
  }

  private acknowledge(transfer: Transfer, leader: NodeId, term: number, holdsBytes: boolean): void {
    transfer.acknowledged = holdsBytes;
    transfer.leader = leader;
    transfer.term = term;
  }

  private transfer(follower: NodeId, index: number): Transfer {
    let byIndex = this.transfers.get(follower);
    if (byIndex === undefined) {
      byIndex = new Map();
      this.transfers.set(follower, byIndex);
    }
    let transfer = byIndex.get(index);
    if (transfer === undefined) {
      transfer = { acknowledged: false, leader: 0, term: 0, restarts: 0, lastSequence: 0 };
      byIndex.set(index, transfer);
    }
    return transfer;
  }
}
