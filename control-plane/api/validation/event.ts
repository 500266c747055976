/**
 * Event rules. An event records something that happened to an object (`involvedObject`):
 * why (`reason`, one CamelCase word), what (`message`), whether it is worth a look
 * (`type`), and how often it recurred (`count`, which the recorder bumps instead of
 * writing a new event).
 */
import {
  checkIntegerAtLeast,
  checkOneOf,
  invalid,
  isAbsent,
  readRecord,
  readRequiredString,
  readString,
  required,
} from './checks.js';
import type { Errors, Json } from './checks.js';

export const EVENT_TYPES = ['Normal', 'Warning'] as const;
/** Kubernetes' limit on an event's reason. */
export const EVENT_REASON_LENGTH_MAX = 128;

export function validateEvent(obj: Json, errors: Errors): void {
  const involved = readRecord(errors, obj.involvedObject, 'involvedObject');
  if (involved === undefined) {
    if (isAbsent(obj.involvedObject)) {
      required(errors, 'involvedObject.kind');
      required(errors, 'involvedObject.name');
    }
  } else {
    readRequiredString(errors, involved.kind, 'involvedObject.kind');
    readRequiredString(errors, involved.name, 'involvedObject.name');
    for (const field of ['apiVersion', 'uid', 'resourceVersion', 'fieldPath']) {
      readString(errors, involved[field], `involvedObject.${field}`);
    }
    // An event lives in its object's namespace (cluster-scoped objects' events may live anywhere).
    const namespace = readString(errors, involved.namespace, 'involvedObject.namespace');
    const metadata = obj.metadata as Json | undefined;
    const eventNamespace = typeof metadata?.namespace === 'string' ? metadata.namespace : '';
    if (namespace !== undefined && namespace !== '' && eventNamespace !== '' && namespace !== eventNamespace) {
      invalid(errors, 'involvedObject.namespace', namespace, 'does not match event.namespace');
    }
  }
  const reason = readString(errors, obj.reason, 'reason');
  if (reason !== undefined && reason.length > EVENT_REASON_LENGTH_MAX) {
    invalid(errors, 'reason', reason, `can have at most ${EVENT_REASON_LENGTH_MAX} characters`);
  }
  readString(errors, obj.message, 'message');
  const type = readString(errors, obj.type, 'type');
  if (type !== undefined && type !== '') checkOneOf(errors, type, 'type', EVENT_TYPES);
  checkIntegerAtLeast(errors, obj.count, 'count', 0);
  for (const field of ['firstTimestamp', 'lastTimestamp', 'eventTime', 'reportingComponent', 'reportingInstance', 'action']) {
    readString(errors, obj[field], field);
  }
  const source = readRecord(errors, obj.source, 'source');
  if (source !== undefined) {
    readString(errors, source.component, 'source.component');
    readString(errors, source.host, 'source.host');
  }
}
