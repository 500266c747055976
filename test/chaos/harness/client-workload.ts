/**
 * What every chaos workload shares: a number of concurrent clients, each a loop with its
 * own seeded random stream, that stop issuing on `stop()`; the outcomes tallied.
 */
import type { SeededRandom } from '../../../raft/index.js';
import { OutcomeTally } from './outcomes.js';

export abstract class ClientWorkload {
  readonly tally = new OutcomeTally();
  /** Set by `stop()`: clients finish the operation in flight and return. */
  protected stopping = false;
  private running: Promise<void>[] = [];

  constructor(
    private readonly clients: number,
    private readonly random: SeededRandom,
  ) {}

  start(): void {
    this.running = Array.from({ length: this.clients }, (_, i) => this.runClient(i, this.random.fork()));
  }

  /** Stops issuing; resolves once every operation in flight has its answer or its timeout. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.running);
  }

  /** Client `index`'s loop, until `stopping`. */
  protected abstract runClient(index: number, random: SeededRandom): Promise<void>;
}
