/**
 * Linearizable reads (§6.4 / thesis §6.4): a ReadIndex read returns a state at least as
 * new as every write acknowledged before the read started. The state of a node is its
 * applied index, so: result ≥ the log index of every write acknowledged earlier. Events
 * arrive in (virtual) time order, so one running maximum answers that in O(1). Also a
 * read may only be served once the node has applied up to the read's index.
 */
import { violation } from './violation.js';
import type { Violation } from './violation.js';

export class ReadLinearizabilityChecker {
  /** Highest log index of a write acknowledged so far. */
  private maxAckedIndex = 0;
  private maxAckedWrite = 0;
  /** Per read in progress: the floor its result must reach. */
  private readonly floors = new Map<string, { index: number; write: number }>();

  observeWriteAck(writeId: number, index: number): void {
    if (index > this.maxAckedIndex) {
      this.maxAckedIndex = index;
      this.maxAckedWrite = writeId;
    }
  }

  observeReadStart(readId: string): void {
    this.floors.set(readId, { index: this.maxAckedIndex, write: this.maxAckedWrite });
  }

  /** The read was lost or timed out: nothing to check. */
  observeReadAbandoned(readId: string): void {
    this.floors.delete(readId);
  }

  /** Read `readId` got read index `readIndex` and was served at applied index `result`. */
  observeReadServed(readId: string, readIndex: number, result: number): Violation | null {
    const floor = this.floors.get(readId);
    if (floor === undefined) throw new Error(`read ${readId} served but never started`);
    this.floors.delete(readId);
    if (result < readIndex) {
      return violation('read-linearizability', `read ${readId} served at applied index ${result} below its read index ${readIndex}`);
    }
    if (result < floor.index) {
      return violation(
        'read-linearizability',
        `read ${readId} returned state ${result} (read index ${readIndex}) but write ${floor.write} at index ${floor.index} was acknowledged before it started`,
      );
    }
    return null;
  }
}
