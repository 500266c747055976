/**
 * The register workload: many clients doing get, put, delete and compare-and-set on a few
 * keys at a time, so that they conflict, each operation recorded (invocation and answer)
 * for the linearizability checker. Every value written is unique (`client:n`), so a read
 * names its writer.
 *
 * Keys rotate: after `opsPerKey` operations on a key slot, the slot moves to a fresh key.
 * A key's history stays short enough for the checker whatever the run's length (an
 * operation whose outcome is unknown stays open for the rest of its key's history, so a
 * long history with many of them would be slow to decide).
 *
 * A client sticks to one member, and moves to another after an error, or now and then
 * anyway (a stale follower is caught by clients that read through it what others wrote
 * through another member).
 */
import type { SeededRandom } from '../../../raft/index.js';
import type { WireObject } from '../../../kv/server/etcd-proto.js';
import type { HistoryRecorder, KvInput, KvOutput, KvValue } from '../../support/linearizability/index.js';
import type { EtcdGrpcClient } from '../../support/etcd-grpc.js';
import { PREFIXES } from './keys.js';
import { ClientWorkload } from './client-workload.js';
import { errorOutcome } from './outcomes.js';
import type { AcknowledgedChange } from './watch-check.js';

/** Chance per operation that a client moves to another member without being pushed. */
const MOVE_CHANCE = 0.05;

export interface RegisterWorkloadOptions {
  readonly clients: number;
  /** Keys in use at a time. */
  readonly keySlots: number;
  /** Operations on a key before its slot moves to a fresh key. */
  readonly opsPerKey: number;
  readonly timeoutMs: number;
  readonly random: SeededRandom;
  readonly recorder: HistoryRecorder;
  readonly slots: () => number;
  readonly client: (slot: number) => EtcdGrpcClient;
}

export class RegisterWorkload extends ClientWorkload {
  /** Writes acknowledged with their revision (for the watchers' check). */
  readonly acknowledged: AcknowledgedChange[] = [];
  /** Every value any client tried to put. */
  readonly issuedValues = new Set<string>();
  private readonly keyOps: number[];
  private readonly keys = new Set<string>();

  constructor(private readonly options: RegisterWorkloadOptions) {
    super(options.clients, options.random);
    this.keyOps = Array.from({ length: options.keySlots }, () => 0);
  }

  /** Every key any operation touched. */
  keysUsed(): string[] {
    return [...this.keys];
  }

  /** A recorded linearizable get of `key` through member `slot`: the final reads. */
  async finalRead(key: string, slot: number): Promise<KvValue> {
    const output = await this.perform('final', slot, { kind: 'get', key });
    if (output?.kind !== 'get') throw new Error(`final read of ${key} through slot ${slot} failed`);
    return output.value;
  }

  protected async runClient(index: number, random: SeededRandom): Promise<void> {
    const name = `c${index}`;
    let slot = index % this.options.slots();
    let written = 0;
    /** The last value this client saw per key: what its compare-and-sets expect. */
    const seen = new Map<string, KvValue>();
    while (!this.stopping) {
      if (random.chance(MOVE_CHANCE)) slot = random.int(this.options.slots());
      const keySlot = random.int(this.options.keySlots);
      const key = `${PREFIXES.register}k${keySlot}.${Math.floor(this.keyOps[keySlot]! / this.options.opsPerKey)}`;
      this.keyOps[keySlot]!++;
      this.keys.add(key);
      const roll = random.int(100);
      const value = `${name}:${++written}`;
      const input: KvInput =
        roll < 40
          ? { kind: 'get', key }
          : roll < 65
            ? { kind: 'put', key, value }
            : roll < 93
              ? { kind: 'cas', key, expected: seen.get(key) ?? null, value }
              : { kind: 'delete', key };
      const output = await this.perform(name, slot, input);
      if (output === undefined) {
        slot = (slot + 1) % this.options.slots();
        continue;
      }
      if (output.kind === 'get') seen.set(key, output.value);
      else if (output.kind === 'put') seen.set(key, value);
      else if (output.kind === 'cas') seen.set(key, output.succeeded ? value : (output.current ?? null));
      else if (output.kind === 'delete') seen.set(key, null);
    }
  }

  /** One operation, recorded; undefined when it failed (its outcome tallied). */
  private async perform(clientName: string, slot: number, input: KvInput): Promise<KvOutput | undefined> {
    if (input.kind === 'put' || input.kind === 'cas') this.issuedValues.add(input.value);
    const client = this.options.client(slot);
    try {
      const output = await this.options.recorder.record(
        clientName,
        input,
        () => this.call(client, input),
        // A get has no effect; a failed write may have one unless etcd says it did not.
        (error) => (input.kind === 'get' ? 'no-effect' : errorOutcome(error)),
      );
      this.tally.add(input.kind, 'ok');
      return output;
    } catch (error) {
      this.tally.add(input.kind, input.kind === 'get' ? 'no-effect' : errorOutcome(error));
      return undefined;
    }
  }

  private async call(client: EtcdGrpcClient, input: KvInput): Promise<KvOutput> {
    const timeout = this.options.timeoutMs;
    const key = Buffer.from(input.key);
    switch (input.kind) {
      case 'get': {
        const response = await client.call('KV', 'Range', { key }, timeout);
        return { kind: 'get', value: valueOf(response) };
      }
      case 'put': {
        const response = await client.call('KV', 'Put', { key, value: Buffer.from(input.value) }, timeout);
        this.acknowledge(input.key, input.value, response);
        return { kind: 'put' };
      }
      case 'delete': {
        const response = await client.call('KV', 'DeleteRange', { key }, timeout);
        const deleted = Number(response.deleted ?? 0) === 1 ? 1 : 0;
        if (deleted === 1) this.acknowledge(input.key, null, response);
        return { kind: 'delete', deleted };
      }
      case 'cas': {
        const compare =
          input.expected === null
            ? { key, result: 'EQUAL', target: 'CREATE', createRevision: 0 }
            : { key, result: 'EQUAL', target: 'VALUE', value: Buffer.from(input.expected) };
        const response = await client.call(
          'KV',
          'Txn',
          { compare: [compare], success: [{ requestPut: { key, value: Buffer.from(input.value) } }], failure: [{ requestRange: { key } }] },
          timeout,
        );
        if (response.succeeded === true) {
          this.acknowledge(input.key, input.value, response);
          return { kind: 'cas', succeeded: true };
        }
        const range = ((response.responses as WireObject[] | undefined)?.[0]?.responseRange ?? {}) as WireObject;
        return { kind: 'cas', succeeded: false, current: valueOf(range) };
      }
      default: {
        const unknown: never = input;
        throw new Error(`unknown operation ${JSON.stringify(unknown)}`);
      }
    }
  }

  private acknowledge(key: string, value: string | null, response: WireObject): void {
    this.acknowledged.push({ key, value, revision: Number((response.header as WireObject).revision) });
  }
}

/** The value of the single key a Range answered, or null when it found none. */
function valueOf(range: WireObject): KvValue {
  const kvs = (range.kvs as WireObject[] | undefined) ?? [];
  return kvs.length === 0 ? null : (kvs[0]!.value as Buffer).toString();
}
