/**
 * The leader's side of one InstallSnapshot transfer to one follower (§7), in chunks read
 * from a `SnapshotReader`, so neither side needs the snapshot's size up front.
 *
 * Flow control is a window of unacknowledged chunks. The follower acknowledges the bytes
 * it holds; when it reports a gap (a chunk was lost) the transfer resumes from the offset
 * the follower holds, not from zero. When no acknowledgement moves the offset for a
 * timeout of its own, the chunks after the last acknowledged offset are sent again.
 *
 * One gap report may only mean the chunk was overtaken by a later one and is still on
 * its way. Like TCP's fast retransmit, which waits for three duplicate acknowledgements,
 * the transfer rewinds on the third report of the same gap, or at the timeout; a window
 * of w chunks yields at most w − 1 reports per loss, so smaller windows act on
 * `min(3, w − 1)` reports (one, for a window of one or two).
 *
 * A gap report below the acknowledged offset is ambiguous: reordered, it is an old
 * answer to a chunk that arrived early; or the follower restarted and lost what it had.
 * It is set aside. At a timeout without progress the transfer first resends from the
 * acknowledged offset; only a report below it that answers that resend (one arriving
 * before the next timeout, again without progress) makes it go back. Acting on such
 * reports sooner lets a reordering network bounce the transfer back to the start.
 */
import type { SnapshotReader } from '../storage/log-storage.js';
import type { SnapshotMetadata } from './types.js';

export interface OutgoingChunk {
  readonly offset: number;
  readonly data: Uint8Array;
  readonly done: boolean;
}

export class SnapshotTransfer {
  /** Bytes the follower is known to hold. */
  acked = 0;
  /** Offset of the next chunk to send. */
  private next = 0;
  /** The chunk ending the data was sent (and not rewound past since). */
  private doneSent = false;
  /** End offsets of chunks sent and not yet acknowledged, ascending. */
  private inflight: number[] = [];
  /** Ticks since the acknowledged offset last moved (or since the last resend). */
  private idleTicks = 0;
  /** The offset of the last rewind on a gap report: further reports of it are echoes. */
  private rewoundTo = -1;
  /** The gap last reported at or above `acked`, and how many times since the last progress. */
  private gapOffset = -1;
  private gapReports = 0;
  /** The lowest gap reported below `acked` since the last timeout or progress (Infinity: none). */
  private gapBelowAcked = Number.POSITIVE_INFINITY;
  /** Timeouts in a row without progress. */
  private idleTimeouts = 0;

  constructor(
    private readonly reader: SnapshotReader,
    private readonly chunkBytes: number,
    private readonly window: number,
  ) {}

  get metadata(): SnapshotMetadata {
    return this.reader.metadata;
  }

  /** The chunks the window allows sending now, advancing past them. */
  takeChunks(): OutgoingChunk[] {
    const chunks: OutgoingChunk[] = [];
    while (!this.doneSent && this.inflight.length < this.window) {
      const { data, done } = this.reader.read(this.next, this.chunkBytes);
      chunks.push({ offset: this.next, data, done });
      this.next += data.byteLength;
      this.inflight.push(this.next);
      this.doneSent = done;
    }
    return chunks;
  }

  /** The follower holds `offset` bytes. Returns whether that is news. */
  onAck(offset: number): boolean {
    if (offset <= this.acked) return false;
    this.acked = offset;
    this.idleTicks = 0;
    this.idleTimeouts = 0;
    this.gapBelowAcked = Number.POSITIVE_INFINITY;
    this.gapReports = 0;
    while (this.inflight.length > 0 && this.inflight[0]! <= offset) this.inflight.shift();
    if (offset > this.next) this.resumeFrom(offset);
    return true;
  }

  /**
   * The follower got a chunk that did not start at the `offset` bytes it holds. Resume
   * from there (on its `min(3, window − 1)`-th report: see the class comment), unless it only echoes
   * the gap already resumed from or lies below what the follower acknowledged. Returns
   * whether there is something new to send.
   */
  onGap(offset: number): boolean {
    if (offset < this.acked) {
      this.gapBelowAcked = Math.min(this.gapBelowAcked, offset);
      return false;
    }
    // It holds more than we knew: that much is an acknowledgement.
    const moved = this.onAck(offset);
    if (offset === this.rewoundTo || offset >= this.next) return moved;
    if (offset !== this.gapOffset) {
      this.gapOffset = offset;
      this.gapReports = 0;
    }
    if (++this.gapReports < Math.max(1, Math.min(3, this.window - 1))) return moved;
    this.gapReports = 0;
    this.idleTicks = 0;
    this.rewoundTo = offset;
    this.resumeFrom(offset);
    return true;
  }

  /** One tick. Returns true when the timeout fired and the window was rewound. */
  tick(timeoutTicks: number): boolean {
    if (++this.idleTicks < timeoutTicks) return false;
    this.idleTicks = 0;
    this.rewoundTo = -1;
    this.gapReports = 0;
    // A second timeout without progress, and a report below what the follower acknowledged
    // came in answer to the resend: it restarted and holds less. Believe it.
    if (this.idleTimeouts > 0 && this.gapBelowAcked < this.acked) this.acked = this.gapBelowAcked;
    this.idleTimeouts++;
    this.gapBelowAcked = Number.POSITIVE_INFINITY;
    this.resumeFrom(this.acked);
    return true;
  }

  close(): void {
    this.reader.close();
  }

  private resumeFrom(offset: number): void {
    this.next = offset;
    this.inflight = [];
    this.doneSent = false;
  }
}
