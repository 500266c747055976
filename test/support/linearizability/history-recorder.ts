/**
 * Records a history from concurrent async clients: each operation's invocation before
 * the request is sent and its completion when the answer arrives, on one monotonic clock.
 *
 *     const recorder = new HistoryRecorder();
 *     const value = await recorder.record(client, { kind: 'get', key }, async () => ({ kind: 'get', value: await read(key) }));
 *     ...
 *     const result = checkLinearizable(recorder.history());
 *
 * An operation still pending when `history()` is taken (its client gave up or never heard
 * back) is reported with an unknown outcome: it may or may not have taken effect. Only an
 * error that proves the store did nothing (`fail`) removes an operation; when in doubt,
 * leave it pending: the checker then considers both possibilities.
 */

import { LinearizabilityError } from './errors.js';
import type { ClientId, KvInput, KvOutput, Operation } from './operation.js';

/** How an error thrown by a client call is read: the store did nothing, or nobody knows. */
export type ErrorOutcome = 'no-effect' | 'unknown';

export interface HistoryRecorderOptions {
  /** A monotonic clock in nanoseconds. Default: `process.hrtime.bigint()` since the recorder was made. */
  readonly clockNs?: () => number;
}

interface Pending {
  readonly clientId: ClientId;
  readonly input: KvInput;
  readonly invokedAtNs: number;
}

export class HistoryRecorder {
  private readonly clockNs: () => number;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  /** Completed operations, by id. */
  private readonly settled = new Map<number, Operation>();

  constructor(options: HistoryRecorderOptions = {}) {
    if (options.clockNs !== undefined) {
      this.clockNs = options.clockNs;
    } else {
      const origin = process.hrtime.bigint();
      // Relative to `origin`, nanoseconds stay exact in a double for over 100 days.
      this.clockNs = () => Number(process.hrtime.bigint() - origin);
    }
  }

  /** Marks `input` as sent by `clientId` now; returns the operation's id for `complete` or `fail`. */
  invoke(clientId: ClientId, input: KvInput): number {
    const id = this.nextId++;
    this.pending.set(id, { clientId, input, invokedAtNs: this.clockNs() });
    return id;
  }

  /** Records the answer of operation `id`, received now. */
  complete(id: number, output: KvOutput): void {
    const pending = this.take(id);
    if (output.kind !== pending.input.kind) {
      this.pending.set(id, pending);
      throw new LinearizabilityError('BAD_OPERATION_OUTPUT', `operation ${id}: a ${pending.input.kind} completed with a ${output.kind} output`);
    }
    const returnedAtNs = Math.max(this.clockNs(), pending.invokedAtNs);
    this.settled.set(id, { id, ...pending, output, returnedAtNs });
  }

  /** Forgets operation `id`: the store certainly did not apply it (e.g. it refused the request). */
  fail(id: number): void {
    this.take(id);
  }

  /**
   * Runs one client call between `invoke` and `complete`. A call that throws is forgotten
   * when `classifyError` says `no-effect`, else (the default) left with an unknown outcome;
   * the error is rethrown either way.
   */
  async record<O extends KvOutput>(
    clientId: ClientId,
    input: KvInput,
    call: () => Promise<O>,
    classifyError: (error: unknown) => ErrorOutcome = () => 'unknown',
  ): Promise<O> {
    const id = this.invoke(clientId, input);
    let output: O;
    try {
      output = await call();
    } catch (error) {
      if (classifyError(error) === 'no-effect') this.fail(id);
      throw error;
    }
    this.complete(id, output);
    return output;
  }

  /** Operations not yet settled: they would be reported with an unknown outcome. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** The history so far, in invocation order; pending operations have an unknown outcome. */
  history(): Operation[] {
    const unknown = [...this.pending].map(([id, p]): Operation => ({ id, ...p, output: undefined, returnedAtNs: Infinity }));
    return [...this.settled.values(), ...unknown].sort((a, b) => a.id - b.id);
  }

  private take(id: number): Pending {
    const pending = this.pending.get(id);
    if (pending === undefined) throw new LinearizabilityError('OPERATION_NOT_PENDING', `operation ${id} is not pending (never invoked, or already settled)`);
    this.pending.delete(id);
    return pending;
  }
}
