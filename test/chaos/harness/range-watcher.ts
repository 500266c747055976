/**
 * A watcher of one key prefix that survives faults: an etcd Watch stream to some member,
 * and when the stream fails, stalls or is dropped on purpose, a new stream to another
 * member from the revision after the last one it has seen. What it saw is its `WatchLog`,
 * judged by `checkWatchLogs`.
 *
 * "Covered" is the revision up to which it has every event: the last event's revision,
 * or a progress answer's (etcd: every event up to the header's revision was sent). It only
 * grows, so a stream resumed on a member that lags behind cannot pull it back.
 */
import type * as grpc from '@grpc/grpc-js';
import type { SeededRandom } from '../../../raft/index.js';
import type { WireObject } from '../../../kv/server/etcd-proto.js';
import type { EtcdGrpcClient } from '../../support/etcd-grpc.js';
import { prefixEnd } from './keys.js';
import type { WatchedEvent, WatchLog } from './watch-check.js';

/** How often a watcher asks for progress, and how long without any answer is a stall, in ms. */
const PROGRESS_INTERVAL_MS = 1_000;
const STALL_MS = 5_000;
/** Pause before a new stream after one failed, in ms. */
const RECONNECT_DELAY_MS = 200;
/** Chance, at each progress tick, of moving to another member on purpose. */
const MOVE_CHANCE = 0.03;

export interface RangeWatcherOptions {
  readonly name: string;
  readonly prefix: string;
  /** The revision the prefix is known to be empty at: events are watched from the next one. */
  readonly emptyAtRevision: number;
  readonly slots: () => number;
  readonly client: (slot: number) => EtcdGrpcClient;
  readonly random: SeededRandom;
  readonly nowMs: () => number;
}

export class RangeWatcher {
  private readonly events: WatchedEvent[] = [];
  private readonly anomalies: string[] = [];
  private covered: number;
  private stream: grpc.ClientDuplexStream<WireObject, WireObject> | undefined;
  /** Increments per stream: answers of an abandoned stream are ignored. */
  private generation = 0;
  private slot: number;
  private lastAnswerMs = 0;
  private ticker: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private streams = 0;

  constructor(private readonly options: RangeWatcherOptions) {
    this.covered = options.emptyAtRevision;
    this.slot = options.random.int(options.slots());
  }

  start(): void {
    this.open();
    this.ticker = setInterval(() => this.tick(), PROGRESS_INTERVAL_MS);
  }

  /** Until it covers `revision` (it asks for progress meanwhile); false at `deadlineMs`. */
  async caughtUp(revision: number, deadlineMs: number): Promise<boolean> {
    while (this.covered < revision) {
      if (this.options.nowMs() > deadlineMs) return false;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return true;
  }

  stop(): void {
    this.stopped = true;
    if (this.ticker !== undefined) clearInterval(this.ticker);
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.closeStream();
  }

  log(): WatchLog {
    return {
      name: this.options.name,
      prefix: this.options.prefix,
      from: this.options.emptyAtRevision + 1,
      covered: this.covered,
      events: [...this.events],
      anomalies: [...this.anomalies],
      streams: this.streams,
    };
  }

  private open(): void {
    if (this.stopped) return;
    const generation = ++this.generation;
    this.streams++;
    const stream = this.options.client(this.slot).watch();
    this.stream = stream;
    this.lastAnswerMs = this.options.nowMs();
    const prefix = Buffer.from(this.options.prefix);
    stream.on('data', (response: WireObject) => {
      if (generation === this.generation) this.receive(response);
    });
    const failed = (): void => {
      if (generation === this.generation) this.reconnect();
    };
    stream.on('error', failed);
    stream.on('end', failed);
    stream.write({ createRequest: { key: prefix, rangeEnd: prefixEnd(prefix), startRevision: this.covered + 1 } });
  }

  private receive(response: WireObject): void {
    this.lastAnswerMs = this.options.nowMs();
    const header = response.header as WireObject | undefined;
    const revision = Number(header?.revision ?? 0);
    if (response.canceled === true) {
      const compacted = Number(response.compactRevision ?? 0);
      this.anomalies.push(
        `${this.options.name}: watch canceled at covered revision ${this.covered}` +
          (compacted > 0 ? `: compacted at ${compacted}` : `: ${String(response.cancelReason ?? '')}`),
      );
      this.reconnect();
      return;
    }
    if (response.created === true) return;
    const events = (response.events as WireObject[] | undefined) ?? [];
    if (events.length === 0) {
      // A progress answer: every event up to `revision` has been sent on this stream.
      this.covered = Math.max(this.covered, revision);
      return;
    }
    const receivedAtMs = this.options.nowMs();
    let group = -1;
    for (const event of events) {
      const kv = event.kv as WireObject;
      const eventRevision = Number(kv.modRevision);
      if (eventRevision !== group) {
        if (eventRevision <= this.covered) {
          this.anomalies.push(`${this.options.name}: an event at revision ${eventRevision} arrived after revision ${this.covered} was covered (duplicate or out of order)`);
        }
        group = eventRevision;
      }
      const type = event.type === 'DELETE' ? 'delete' : 'put';
      this.events.push({
        revision: eventRevision,
        type,
        key: (kv.key as Buffer).toString(),
        value: type === 'put' ? (kv.value as Buffer).toString() : null,
        receivedAtMs,
      });
      this.covered = Math.max(this.covered, eventRevision);
    }
  }

  private tick(): void {
    if (this.stopped || this.stream === undefined) return;
    if (this.options.nowMs() - this.lastAnswerMs > STALL_MS) {
      this.reconnect(); // a paused or cut-off member answers nothing, not even an error
      return;
    }
    if (this.options.random.chance(MOVE_CHANCE)) {
      this.reconnect();
      return;
    }
    this.stream.write({ progressRequest: {} });
  }

  /** Drop the stream and open another, to another member, from the revision after `covered`. */
  private reconnect(): void {
    this.closeStream();
    if (this.stopped || this.reconnectTimer !== undefined) return;
    const slots = this.options.slots();
    this.slot = slots > 1 ? (this.slot + 1 + this.options.random.int(slots - 1)) % slots : 0;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.open();
    }, RECONNECT_DELAY_MS);
  }

  private closeStream(): void {
    this.generation++;
    const stream = this.stream;
    this.stream = undefined;
    if (stream === undefined) return;
    stream.on('error', () => undefined);
    stream.cancel();
  }
}
