/**
 * ReadIndex bookkeeping on the leader (thesis §6.4): each read request records the commit
 * index at arrival, then waits until a quorum acknowledges a heartbeat carrying its
 * context, which proves this node was still leader when the request arrived. An ack for
 * a later request also confirms every earlier one (the heartbeat was sent after them).
 */
import { assert } from './errors.js';
import type { NodeId } from './types.js';

export interface ReadIndexRequest {
  /** The leader's commit index when the request arrived. */
  readonly index: number;
  /** Who asked: this node, or the follower to answer with MsgReadIndexResp. */
  readonly from: NodeId;
  readonly context: string;
  readonly acks: Set<NodeId>;
}

export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexRequest>();
  private queue: string[] = [];

  constructor(private readonly maxPending: number) {}

  size(): number {
    return this.queue.length;
  }

  /**
   * Track a request. Returns false (and tracks nothing) when its context is already
   * pending or the queue is full; the caller's read is then dropped.
   */
  addRequest(index: number, from: NodeId, context: string): boolean {
    if (this.pending.has(context) || this.queue.length >= this.maxPending) return false;
    this.pending.set(context, { index, from, context, acks: new Set() });
    this.queue.push(context);
    return true;
  }

  /** Record `from`'s acknowledgement of `context`; the acks so far, or null if unknown. */
  recvAck(from: NodeId, context: string): ReadonlySet<NodeId> | null {
    const request = this.pending.get(context);
    if (request === undefined) return null;
    request.acks.add(from);
    return request.acks;
  }

  /** Remove and return every request up to and including `context`, in arrival order. */
  advance(context: string): ReadIndexRequest[] {
    const position = this.queue.indexOf(context);
    if (position < 0) return [];
    const done = this.queue.slice(0, position + 1);
    this.queue = this.queue.slice(position + 1);
    return done.map((ctx) => {
      const request = this.pending.get(ctx);
      assert(request !== undefined, () => `read-only: queued context ${ctx} not pending`);
      this.pending.delete(ctx);
      return request;
    });
  }

  /** The newest pending context (carried by heartbeats), or '' when none. */
  lastPendingContext(): string {
    return this.queue.length === 0 ? '' : this.queue[this.queue.length - 1]!;
  }
}
