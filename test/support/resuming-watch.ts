/**
 * A watch client that behaves as etcd's clients do when their server goes away: one etcd
 * Watch stream (grpc-js, etcd's wire schema) for one range with prev_kv, and when the
 * stream fails (the member was killed, or refused us) it opens a new one on the next
 * endpoint in its list, from the revision after the last event it received. It records
 * every event exactly as received, so a test can check that none is missing, repeated
 * or out of order across the reconnections.
 */
import * as grpc from '@grpc/grpc-js';
import { loadEtcdProto } from '../../kv/server/etcd-proto.js';
import type { WireObject } from '../../kv/server/etcd-proto.js';

/** Pause between a failed stream and the next attempt. */
const RECONNECT_DELAY_MS = 200;

/** One event as received. `prevValue` is null when the event carried no prev_kv. */
export interface ReceivedEvent {
  readonly revision: number;
  readonly type: 'PUT' | 'DELETE';
  readonly key: string;
  readonly value: string;
  readonly prevValue: string | null;
  /** Index of the endpoint whose stream delivered it. */
  readonly endpoint: number;
}

export interface ResumingWatchOptions {
  /** host:port of each member, tried in this order, starting with the first. */
  readonly endpoints: readonly string[];
  readonly key: string;
  /** Exclusive end of the range ('' for the single key). */
  readonly rangeEnd: string;
  /** First revision wanted. */
  readonly startRevision: number;
}

export class ResumingWatch {
  readonly events: ReceivedEvent[] = [];
  /** Streams opened (the first one included). */
  streams = 0;
  /** A refusal that is not a lost connection (a canceled watch): the test fails on it. */
  fatal: string | null = null;
  private nextRevision: number;
  private endpoint = 0;
  private clients: grpc.Client[];
  private call: grpc.ClientDuplexStream<WireObject, WireObject> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly options: ResumingWatchOptions) {
    const { services } = loadEtcdProto();
    const Watch = grpc.makeGenericClientConstructor(services.Watch, 'Watch');
    this.clients = options.endpoints.map((endpoint) => new Watch(endpoint, grpc.credentials.createInsecure()));
    this.nextRevision = options.startRevision;
    this.open();
  }

  /** The revision of the last event received (0 before any). */
  get lastRevision(): number {
    return this.events.at(-1)?.revision ?? 0;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.call?.cancel();
    for (const client of this.clients) client.close();
  }

  private open(): void {
    if (this.stopped) return;
    this.streams++;
    const endpoint = this.endpoint;
    const client = this.clients[endpoint]! as unknown as { Watch(): grpc.ClientDuplexStream<WireObject, WireObject> };
    const call = client.Watch();
    this.call = call;
    let failed = false;
    const retry = (): void => {
      if (failed || this.stopped) return;
      failed = true;
      call.cancel();
      this.endpoint = (endpoint + 1) % this.clients.length;
      this.timer = setTimeout(() => this.open(), RECONNECT_DELAY_MS);
    };
    call.on('data', (response: WireObject) => {
      if (failed) return;
      if (response.canceled === true) {
        this.fatal = `watch canceled by endpoint ${endpoint}: ${String(response.cancelReason)} (compact revision ${String(response.compactRevision)})`;
        this.stop();
        return;
      }
      for (const event of (response.events as WireObject[] | undefined) ?? []) this.record(event, endpoint);
    });
    call.on('error', retry);
    call.on('end', retry);
    call.write({
      createRequest: {
        key: Buffer.from(this.options.key),
        rangeEnd: Buffer.from(this.options.rangeEnd),
        startRevision: this.nextRevision,
        prevKv: true,
      },
    });
  }

  private record(event: WireObject, endpoint: number): void {
    const kv = event.kv as WireObject;
    const prev = (event.prevKv as WireObject | null | undefined) ?? null;
    const revision = Number(kv.modRevision);
    this.events.push({
      revision,
      type: event.type === 'DELETE' ? 'DELETE' : 'PUT',
      key: (kv.key as Buffer).toString(),
      value: (kv.value as Buffer).toString(),
      prevValue: prev === null ? null : (prev.value as Buffer).toString(),
      endpoint,
    });
    this.nextRevision = Math.max(this.nextRevision, revision + 1);
  }
}
