/**
 * A seeded simulation of clients using a key-value store, producing histories for the
 * checker's tests: a correct store (every operation applied atomically at one instant
 * between its invocation and its answer) and a buggy one (some reads served by a replica
 * that lags behind).
 *
 * Each client runs one operation at a time: it invokes, the request reaches the store
 * after a random latency, the store applies it at that instant, and the answer comes back
 * after another. Some requests are lost before they arrive (never applied) and some answers
 * are lost (applied, never heard of); either way the client gives up after a timeout and
 * the operation's outcome is unknown. Values are unique per write, as a chaos runner's are.
 */

import { createSeededRandom } from '../../raft/core/random.js';
import type { SeededRandom } from '../../raft/core/random.js';
import { EventQueue } from '../../raft/testing/event-queue.js';
import type { KvInput, KvOutput, KvValue, Operation } from '../support/linearizability/index.js';

const NS_PER_MS = 1_000_000;

export interface SimulationOptions {
  readonly seed: number;
  readonly clients: number;
  readonly keys: number;
  /** Operations invoked in all. */
  readonly operations: number;
  /** One-way latency, uniform in [1, latencyMaxNs]. Default 2 ms. */
  readonly latencyMaxNs?: number;
  /** Chance that a request is lost before the store sees it. Default 0. */
  readonly lostRequestChance?: number;
  /** Chance that an answer is lost after the store applied the request. Default 0. */
  readonly lostAnswerChance?: number;
  /** Chance that a request is held up and applied only after its client gave up. Default 0. */
  readonly delayedRequestChance?: number;
  /** Whether a failed compare-and-set reports the value it saw. Default true. */
  readonly casReportsCurrent?: boolean;
  /** The bug: this share of gets reads a replica lagging by up to `staleLagMaxNs`. Default 0. */
  readonly staleReadChance?: number;
  /** How far behind a stale replica may be. Default 10 ms. */
  readonly staleLagMaxNs?: number;
}

type SimEvent = { readonly type: 'invoke'; readonly client: number } | { readonly type: 'apply' | 'answer' | 'timeout'; readonly op: InFlight };

interface InFlight {
  readonly id: number;
  readonly client: number;
  readonly input: KvInput;
  readonly invokedAtNs: number;
  output?: KvOutput;
  returnedAtNs?: number;
  /** True once the client has moved on (answered, or given up). */
  settled: boolean;
}

/** One key's applied values in time order, so a lagging replica can read the past. */
interface KeyVersions {
  readonly atNs: number[];
  readonly values: KvValue[];
}

/** Runs the simulation and returns its history (ids in invocation order). */
export function simulateHistory(options: SimulationOptions): Operation[] {
  return new Simulation(options).run();
}

class Simulation {
  private readonly random: SeededRandom;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly store = new Map<string, KeyVersions>();
  private readonly operations: InFlight[] = [];
  /** The last value each client saw per key: what its next compare-and-set expects. */
  private readonly lastSeen: Map<string, KvValue>[];
  private readonly latencyMaxNs: number;
  private readonly timeoutNs: number;
  private written = 0;

  constructor(private readonly options: SimulationOptions) {
    this.random = createSeededRandom(options.seed);
    this.latencyMaxNs = options.latencyMaxNs ?? 2 * NS_PER_MS;
    this.timeoutNs = 4 * this.latencyMaxNs;
    this.lastSeen = Array.from({ length: options.clients }, () => new Map());
  }

  run(): Operation[] {
    for (let client = 0; client < this.options.clients; client++) this.queue.push(this.random.int(this.latencyMaxNs), { type: 'invoke', client });
    while (this.queue.size > 0) {
      const now = this.queue.peekTime();
      const event = this.queue.pop();
      if (event.type === 'invoke') this.invoke(event.client, now);
      else if (event.type === 'apply') this.apply(event.op, now);
      else if (event.type === 'answer') this.answer(event.op, now);
      else this.timeout(event.op, now);
    }
    return this.operations.map((op) => ({
      id: op.id,
      clientId: `c${op.client}`,
      input: op.input,
      output: op.returnedAtNs === undefined ? undefined : op.output,
      invokedAtNs: op.invokedAtNs,
      returnedAtNs: op.returnedAtNs ?? Infinity,
    }));
  }

  private latency(): number {
    return 1 + this.random.int(this.latencyMaxNs);
  }

  private invoke(client: number, now: number): void {
    if (this.operations.length >= this.options.operations) return;
    const op: InFlight = { id: this.operations.length, client, input: this.drawInput(client), invokedAtNs: now, settled: false };
    this.operations.push(op);
    this.queue.push(now + this.timeoutNs, { type: 'timeout', op });
    if (this.random.chance(this.options.lostRequestChance ?? 0)) return;
    const delay = this.random.chance(this.options.delayedRequestChance ?? 0) ? this.timeoutNs + this.random.int(2 * this.timeoutNs) : this.latency();
    this.queue.push(now + delay, { type: 'apply', op });
  }

  private drawInput(client: number): KvInput {
    const key = `k${String(this.random.int(this.options.keys)).padStart(3, '0')}`;
    const roll = this.random.float();
    if (roll < 0.4) return { kind: 'get', key };
    if (roll < 0.5) return { kind: 'delete', key };
    const value = `v${this.written++}`;
    if (roll < 0.75) return { kind: 'put', key, value };
    const expected = this.lastSeen[client]!.get(key) ?? null;
    return { kind: 'cas', key, expected, value };
  }

  /** The store applies `op` atomically now; its answer travels back unless lost. */
  private apply(op: InFlight, now: number): void {
    op.output = this.execute(op.input, now);
    if (!this.random.chance(this.options.lostAnswerChance ?? 0)) this.queue.push(now + this.latency(), { type: 'answer', op });
  }

  private execute(input: KvInput, now: number): KvOutput {
    const versions = this.store.get(input.key) ?? { atNs: [], values: [] };
    this.store.set(input.key, versions);
    const current = versions.values.at(-1) ?? null;
    const write = (value: KvValue): void => {
      versions.atNs.push(now);
      versions.values.push(value);
    };
    switch (input.kind) {
      case 'get':
        return { kind: 'get', value: this.random.chance(this.options.staleReadChance ?? 0) ? this.staleValue(versions, now) : current };
      case 'put':
        write(input.value);
        return { kind: 'put' };
      case 'delete':
        write(null);
        return { kind: 'delete', deleted: current === null ? 0 : 1 };
      case 'cas':
        if (current === input.expected) {
          write(input.value);
          return { kind: 'cas', succeeded: true };
        }
        return this.options.casReportsCurrent === false ? { kind: 'cas', succeeded: false } : { kind: 'cas', succeeded: false, current };
      default:
        throw new Error('unreachable');
    }
  }

  /** The value a replica lagging by a random delay would hold. */
  private staleValue(versions: KeyVersions, now: number): KvValue {
    const asOf = now - this.random.int(this.options.staleLagMaxNs ?? 10 * NS_PER_MS);
    let i = versions.atNs.length - 1;
    while (i >= 0 && versions.atNs[i]! > asOf) i--;
    return i < 0 ? null : versions.values[i]!;
  }

  private answer(op: InFlight, now: number): void {
    if (op.settled) return; // the client gave up already: the answer is dropped
    op.settled = true;
    op.returnedAtNs = now;
    this.remember(op);
    this.queue.push(now + this.random.int(this.latencyMaxNs), { type: 'invoke', client: op.client });
  }

  private timeout(op: InFlight, now: number): void {
    if (op.settled) return;
    op.settled = true;
    this.queue.push(now, { type: 'invoke', client: op.client });
  }

  /** What the client learned about its key, for its next compare-and-set. */
  private remember(op: InFlight): void {
    const seen = this.lastSeen[op.client]!;
    const { input, output } = op;
    if (output?.kind === 'get') seen.set(input.key, output.value);
    if (input.kind === 'put') seen.set(input.key, input.value);
    if (input.kind === 'delete') seen.set(input.key, null);
    if (input.kind === 'cas' && output?.kind === 'cas') {
      if (output.succeeded) seen.set(input.key, input.value);
      else if (output.current !== undefined) seen.set(input.key, output.current);
    }
  }
}
