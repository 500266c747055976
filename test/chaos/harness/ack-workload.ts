/**
 * The acknowledged-writes workload: clients put keys that are each written once
 * (`chaos/ack/<client>-<n>`). At the end every key whose put was acknowledged must be
 * there (otherwise an acknowledged write was lost), and every key there must be one a
 * client put (acknowledged or of unknown outcome).
 */
import type { SeededRandom } from '../../../raft/index.js';
import type { EtcdGrpcClient } from '../../support/etcd-grpc.js';
import { ClientWorkload } from './client-workload.js';
import { PREFIXES, rangePrefix } from './keys.js';
import { errorOutcome } from './outcomes.js';

export interface AckWorkloadOptions {
  readonly clients: number;
  readonly timeoutMs: number;
  readonly random: SeededRandom;
  readonly slots: () => number;
  readonly client: (slot: number) => EtcdGrpcClient;
}

export interface AckVerdict {
  readonly acknowledged: number;
  readonly lost: readonly string[];
  /** Keys present that no put could have written. */
  readonly unexpected: readonly string[];
  /** Puts of unknown outcome that did apply. */
  readonly unknownApplied: number;
}

export class AckWorkload extends ClientWorkload {
  private readonly acknowledged = new Set<string>();
  private readonly unknown = new Set<string>();

  constructor(private readonly options: AckWorkloadOptions) {
    super(options.clients, options.random);
  }

  /** Reads the prefix through member `slot` and compares it with what was acknowledged. */
  async verify(slot: number): Promise<AckVerdict> {
    const present = new Set((await rangePrefix(this.options.client(slot), PREFIXES.ack)).state.keys());
    return {
      acknowledged: this.acknowledged.size,
      lost: [...this.acknowledged].filter((k) => !present.has(k)),
      unexpected: [...present].filter((k) => !this.acknowledged.has(k) && !this.unknown.has(k)),
      unknownApplied: [...this.unknown].filter((k) => present.has(k)).length,
    };
  }

  protected async runClient(index: number, random: SeededRandom): Promise<void> {
    let slot = random.int(this.options.slots());
    for (let n = 1; !this.stopping; n++) {
      const key = `${PREFIXES.ack}a${index}-${n}`;
      try {
        await this.options.client(slot).call('KV', 'Put', { key: Buffer.from(key), value: Buffer.from('x') }, this.options.timeoutMs);
        this.acknowledged.add(key);
        this.tally.add('unique put', 'ok');
      } catch (error) {
        const outcome = errorOutcome(error);
        if (outcome === 'unknown') this.unknown.add(key);
        this.tally.add('unique put', outcome);
        slot = random.int(this.options.slots());
      }
    }
  }
}
