/**
 * Events about objects ("Scaled up replica set web-5d4f to 3", "0/3 nodes are available:
 * ..."), as Kubernetes' event recorder writes them: an Event per (object, type, reason,
 * message), and the same event again within `EVENT_AGGREGATION_MS` bumps its `count` and
 * `lastTimestamp` instead of making another. Recording never throws: an event that cannot
 * be written is logged and dropped (events are for people; the work goes on).
 */
import { resourceByName } from '../api/resources.js';
import type { ApiObject } from '../api/types.js';
import type { GrpcApiClient } from './grpc-api-client.js';

const EVENTS = resourceByName('events')!;

/** A repeat of an event within this long updates it rather than making a new one. */
export const EVENT_AGGREGATION_MS = 10 * 60_000;
/** The most distinct events remembered for aggregation (the oldest are forgotten first). */
const REMEMBERED_EVENTS_MAX = 4096;

export type EventType = 'Normal' | 'Warning';

function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class EventRecorder {
  private readonly recent = new Map<string, { namespace: string; name: string; count: number; atMs: number }>();

  constructor(
    private readonly client: GrpcApiClient,
    /** `source.component`: `default-scheduler`, `replicaset-controller`, `kubelet`. */
    private readonly component: string,
    private readonly log: (line: string) => void = () => {},
    /** `source.host`, for node agents. */
    private readonly host?: string,
  ) {}

  /** Records an event about `object`; resolves when written (or given up on). */
  async record(object: ApiObject, type: EventType, reason: string, message: string): Promise<void> {
    const namespace = object.metadata.namespace ?? 'default';
    const key = `${object.metadata.uid ?? ''}|${object.kind}|${namespace}|${object.metadata.name}|${type}|${reason}|${message}`;
    const now = new Date();
    const seen = this.recent.get(key);
    try {
      if (seen !== undefined && now.getTime() - seen.atMs < EVENT_AGGREGATION_MS) {
        seen.count++;
        seen.atMs = now.getTime();
        await this.client.patch(EVENTS, seen.namespace, seen.name, { count: seen.count, lastTimestamp: timestamp(now) });
        return;
      }
      const created = await this.client.create(EVENTS, namespace, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${object.metadata.name}.${now.getTime().toString(16)}${Math.floor(Math.random() * 0x1000).toString(16)}`, namespace },
        involvedObject: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          name: object.metadata.name,
          ...(object.metadata.namespace !== undefined ? { namespace: object.metadata.namespace } : {}),
          ...(object.metadata.uid !== undefined ? { uid: object.metadata.uid } : {}),
          ...(object.metadata.resourceVersion !== undefined ? { resourceVersion: object.metadata.resourceVersion } : {}),
        },
        reason,
        message,
        type,
        count: 1,
        firstTimestamp: timestamp(now),
        lastTimestamp: timestamp(now),
        source: { component: this.component, ...(this.host !== undefined ? { host: this.host } : {}) },
        reportingComponent: this.component,
      });
      this.remember(key, { namespace, name: created.metadata.name!, count: 1, atMs: now.getTime() });
    } catch (error) {
      this.recent.delete(key);
      this.log(`event ${reason} about ${object.kind} ${namespace}/${object.metadata.name} not recorded: ${(error as Error).message}`);
    }
  }

  private remember(key: string, entry: { namespace: string; name: string; count: number; atMs: number }): void {
    this.recent.set(key, entry);
    if (this.recent.size > REMEMBERED_EVENTS_MAX) this.recent.delete(this.recent.keys().next().value!);
  }
}
