/**
 * Unreachable reports, coalesced: however many messages to a peer were dropped, its
 * handler hears of it once, on the next turn of the event loop (never inside `send()`, as
 * the `Transport` contract promises), and not at all once the transport has stopped.
 */
import type { NodeId } from '../core/types.js';

export class UnreachableReports {
  private readonly peers = new Set<NodeId>();
  private flush: NodeJS.Immediate | undefined;

  constructor(
    /** Whether reports may still be delivered (the transport is running). */
    private readonly active: () => boolean,
    private readonly deliver: (peer: NodeId) => void,
  ) {}

  report(peer: NodeId): void {
    if (!this.active()) return;
    this.peers.add(peer);
    this.flush ??= setImmediate(() => {
      this.flush = undefined;
      const peers = [...this.peers];
      this.peers.clear();
      for (const id of peers) {
        if (!this.active()) return;
        this.deliver(id);
      }
    });
  }

  /** Forget pending reports (the transport stops). */
  clear(): void {
    if (this.flush !== undefined) clearImmediate(this.flush);
    this.flush = undefined;
    this.peers.clear();
  }
}
