/**
 * How a `RaftNode` reaches its peers. A transport moves batches of core `Message`s between
 * members identified by `NodeId`; it knows each peer's address, never interprets the
 * messages, and never blocks the caller. Delivery is best effort: Raft tolerates loss,
 * duplication and reordering, so a transport drops rather than queues without bound.
 */
import type { Message, NodeId } from '../core/types.js';

/**
 * What a transport calls back into; the `RaftNode` provides it. Neither method is ever
 * called from inside `send()` (so the caller's state is never re-entered) nor after `stop()`.
 */
export interface TransportHandler {
  /** Messages addressed to this node arrived (one batch, in the order they were sent). */
  onMessages(messages: readonly Message[]): void;
  /**
   * A message to `peer` could not be delivered (no connection, stream broken, peer
   * unknown). The node tells the core, which slows replication to that peer to probing.
   */
  onUnreachable(peer: NodeId): void;
}

/**
 * Moves batches of core messages between members (see the file comment); `GrpcTransport`
 * and `MemoryTransport` implement it.
 */
export interface Transport {
  /**
   * Start listening and delivering to `handler`. Resolves once peers can reach this node
   * at `address`. Called once.
   */
  start(handler: TransportHandler): Promise<void>;
  /** Where peers reach this node (for `GrpcTransport`, `host:port` as bound). Valid after `start`. */
  readonly address: string;
  /** Add or update a peer's address. Connections are made lazily, on the first send. */
  setPeer(id: NodeId, address: string): void;
  /** Forget a peer: close its connections and drop anything queued for it. */
  removePeer(id: NodeId): void;
  /**
   * Queue messages for sending, each to its `to`. Never throws and never waits: messages to
   * unknown peers, or beyond a peer's queue limit, are dropped and reported through
   * `onUnreachable`. Messages to one peer are sent in the order given, per kind: snapshot
   * chunks (`MsgSnap`) travel separately, so that they never delay heartbeats, and may be
   * reordered relative to other messages. Sending before `start()` is a bug (an assertion);
   * after `stop()`, sends are ignored.
   */
  send(messages: readonly Message[]): void;
  /** Stop listening, close every connection, drop queued messages. Idempotent. */
  stop(): Promise<void>;
}
