/**
 * Concurrent writers against a process cluster, for tests that inject faults under load.
 * Each writer loops: a write with a fresh, unique write id, retried (`ClusterClient.write`)
 * until acknowledged or its deadline passes. Acknowledged ids are recorded with their
 * index; the ids given up on have an unknown outcome (applied or not) and are kept apart.
 * After the faults, every acknowledged id must be on every member.
 */
import { ClusterOperationError } from './cluster-client.js';
import type { ClusterClient, WriteAck } from './cluster-client.js';

export interface ClusterLoadOptions {
  /** Concurrent writers. */
  readonly writers: number;
  /** Registers written, round robin (default 64). */
  readonly keys?: number;
  /** Length of each value (default 32). */
  readonly valueBytes?: number;
  /** Prefix of the write ids, unique per load (default `load`). */
  readonly prefix?: string;
  /** Deadline of one write, retries included, in ms (default: the client's). */
  readonly writeDeadlineMs?: number;
}

export interface LoadSummary {
  readonly acknowledged: number;
  /** Writes given up on: outcome unknown. */
  readonly unknown: number;
  /** Writes that needed more than one attempt. */
  readonly retried: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ClusterLoad {
  /** Acknowledged write id → the index it was applied at. */
  readonly acknowledged = new Map<string, number>();
  /** Write ids whose writes gave up (may or may not have been applied). */
  readonly unknown = new Set<string>();
  private retried = 0;
  private stopping = false;
  private running: Promise<void>[] = [];
  /** The first error that is not a given-up write (a refusal, a bug): stops the load. */
  private failure: Error | null = null;

  constructor(
    private readonly client: ClusterClient,
    private readonly options: ClusterLoadOptions,
  ) {
    if (!Number.isInteger(options.writers) || options.writers < 1) throw new Error('writers must be a positive integer');
  }

  start(): void {
    if (this.running.length > 0) throw new Error('the load is running already');
    this.running = Array.from({ length: this.options.writers }, (_, writer) => this.writer(writer));
  }

  /** Stop issuing writes and wait for those in flight (each ends by its deadline). Throws the load's failure, if any. */
  async stop(): Promise<LoadSummary> {
    this.stopping = true;
    await Promise.all(this.running);
    if (this.failure !== null) throw this.failure;
    return this.summary();
  }

  summary(): LoadSummary {
    return { acknowledged: this.acknowledged.size, unknown: this.unknown.size, retried: this.retried };
  }

  /** Resolves once `count` more writes than now are acknowledged; rejects after `timeoutMs`. */
  async waitForMoreAcks(count: number, timeoutMs: number): Promise<void> {
    const target = this.acknowledged.size + count;
    const deadline = Date.now() + timeoutMs;
    while (this.acknowledged.size < target) {
      if (this.failure !== null) throw this.failure;
      if (Date.now() > deadline) {
        throw new Error(`only ${this.acknowledged.size - (target - count)} of ${count} more writes acknowledged within ${timeoutMs} ms (${this.unknown.size} given up)`);
      }
      await sleep(20);
    }
  }

  private async writer(writer: number): Promise<void> {
    const prefix = this.options.prefix ?? 'load';
    const keys = this.options.keys ?? 64;
    const valueBytes = this.options.valueBytes ?? 32;
    for (let seq = 0; !this.stopping && this.failure === null; seq++) {
      const writeId = `${prefix}-${writer}-${seq}`;
      const key = `k${(writer * 7919 + seq) % keys}`;
      const value = writeId.padEnd(valueBytes, '.').slice(0, Math.max(valueBytes, 0));
      let ack: WriteAck;
      try {
        ack = await this.client.write({ key, value, writeId }, this.options.writeDeadlineMs);
      } catch (error) {
        if (error instanceof ClusterOperationError && !error.refused) {
          this.unknown.add(writeId);
          continue;
        }
        this.failure ??= error as Error;
        return;
      }
      this.acknowledged.set(writeId, ack.index);
      if (ack.attempts > 1) this.retried++;
    }
  }
}
