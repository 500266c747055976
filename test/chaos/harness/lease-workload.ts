/**
 * The lease workload: clients grant short leases, attach a few keys to each, and never
 * keep them alive, so every lease expires (the leader revokes it through Raft) while
 * faults go on. `checkLeases` then judges how the keys went.
 */
import type { SeededRandom } from '../../../raft/index.js';
import type { WireObject } from '../../../kv/server/etcd-proto.js';
import type { EtcdGrpcClient } from '../../support/etcd-grpc.js';
import { ClientWorkload } from './client-workload.js';
import { PREFIXES, rangePrefix } from './keys.js';
import type { LeaseRecord } from './lease-check.js';
import { errorOutcome } from './outcomes.js';
import type { AcknowledgedChange } from './watch-check.js';

/** TTLs asked for, in seconds (the server may raise them to its minimum). */
export const LEASE_TTL_SECONDS = { min: 2, max: 4 } as const;
const KEYS_PER_LEASE = 3;
/** Pause between two leases of a client, in ms. */
const PAUSE_MS = { min: 100, max: 1_000 } as const;

export interface LeaseWorkloadOptions {
  readonly clients: number;
  readonly timeoutMs: number;
  readonly random: SeededRandom;
  readonly nowMs: () => number;
  readonly slots: () => number;
  readonly client: (slot: number) => EtcdGrpcClient;
}

export class LeaseWorkload extends ClientWorkload {
  readonly leases: LeaseRecord[] = [];
  readonly acknowledged: AcknowledgedChange[] = [];
  readonly issuedValues = new Set<string>();

  constructor(private readonly options: LeaseWorkloadOptions) {
    super(options.clients, options.random);
  }

  /** The longest TTL granted, in s. */
  maxTtlSeconds(): number {
    return Math.max(0, ...this.leases.map((l) => l.ttlSeconds));
  }

  /** Keys still under the lease prefix, read through member `slot`. */
  async remainingKeys(slot: number): Promise<string[]> {
    return [...(await rangePrefix(this.options.client(slot), PREFIXES.lease)).state.keys()];
  }

  protected async runClient(index: number, random: SeededRandom): Promise<void> {
    const name = `l${index}`;
    let slot = random.int(this.options.slots());
    let n = 0;
    while (!this.stopping) {
      const ttl = LEASE_TTL_SECONDS.min + random.int(LEASE_TTL_SECONDS.max - LEASE_TTL_SECONDS.min + 1);
      const sentAtMs = this.options.nowMs();
      let granted: WireObject;
      try {
        granted = await this.options.client(slot).call('Lease', 'LeaseGrant', { TTL: ttl, ID: 0 }, this.options.timeoutMs);
        this.tally.add('lease grant', 'ok');
      } catch (error) {
        // A lease granted without our hearing of it has no keys: it expires unseen.
        this.tally.add('lease grant', errorOutcome(error));
        slot = random.int(this.options.slots());
        continue;
      }
      const id = BigInt(granted.ID as string);
      const lease: LeaseRecord = { id: id.toString(16), ttlSeconds: Number(granted.TTL), grantSentAtMs: sentAtMs, keys: [] };
      this.leases.push(lease);
      for (let i = 0; i < KEYS_PER_LEASE && !this.stopping; i++) {
        const key = `${PREFIXES.lease}${lease.id}/${i}`;
        const value = `${name}:${++n}`;
        (lease.keys as string[]).push(key);
        this.issuedValues.add(value);
        try {
          const response = await this.options
            .client(slot)
            .call('KV', 'Put', { key: Buffer.from(key), value: Buffer.from(value), lease: id.toString() }, this.options.timeoutMs);
          this.acknowledged.push({ key, value, revision: Number((response.header as WireObject).revision) });
          this.tally.add('put with lease', 'ok');
        } catch (error) {
          this.tally.add('put with lease', errorOutcome(error));
          slot = random.int(this.options.slots());
        }
      }
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS.min + random.int(PAUSE_MS.max - PAUSE_MS.min)));
    }
  }
}
