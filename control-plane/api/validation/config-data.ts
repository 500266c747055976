/**
 * ConfigMap and Secret rules. Both hold a map of keys to content; keys become file names
 * when mounted, and the whole object must fit in one KV value, hence the 1 MiB cap. An
 * object marked `immutable: true` can be cached by every node without a watch, so its
 * content, and the mark itself, never change again.
 *
 * Secret values are never echoed in messages.
 */
import { configMapKeyErrors } from '../names.js';
import {
  checkName,
  forbidden,
  immutable,
  invalid,
  invalidHidden,
  isAbsent,
  jsonEqual,
  key,
  readBoolean,
  readRecord,
  readString,
  readStringMap,
  required,
} from './checks.js';
import type { Errors, Json } from './checks.js';

/** Kubernetes' `MaxSecretSize`, which applies to ConfigMaps too. */
export const CONFIG_DATA_SIZE_BYTES_MAX = 1024 * 1024;

const IMMUTABLE_DETAIL = 'field is immutable when `immutable` is set';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function validateConfigMap(obj: Json, errors: Errors): void {
  readBoolean(errors, obj.immutable, 'immutable');
  let sizeBytes = 0;
  const data = readStringMap(errors, obj.data, 'data') ?? {};
  const binaryData = readRecord(errors, obj.binaryData, 'binaryData') ?? {};
  for (const [name, value] of Object.entries(data)) {
    checkName(errors, key('data', name), name, configMapKeyErrors);
    if (Object.hasOwn(binaryData, name)) invalid(errors, key('data', name), name, 'duplicate of key present in binaryData');
    sizeBytes += Buffer.byteLength(value, 'utf8');
  }
  for (const [name, value] of Object.entries(binaryData)) {
    checkName(errors, key('binaryData', name), name, configMapKeyErrors);
    const decoded = decodedLength(value);
    if (decoded === undefined) invalidHidden(errors, key('binaryData', name), 'must be base64-encoded');
    else sizeBytes += decoded;
  }
  checkSize(sizeBytes, errors);
}

export function validateSecret(obj: Json, errors: Errors): void {
  readBoolean(errors, obj.immutable, 'immutable');
  const type = readString(errors, obj.type, 'type');
  let sizeBytes = 0;
  const data = readRecord(errors, obj.data, 'data') ?? {};
  for (const [name, value] of Object.entries(data)) {
    checkName(errors, key('data', name), name, configMapKeyErrors);
    const decoded = decodedLength(value);
    if (decoded === undefined) invalidHidden(errors, key('data', name), 'must be base64-encoded');
    else sizeBytes += decoded;
  }
  // Defaulting folds a well-formed `stringData` into `data`; one still here is malformed.
  if (!isAbsent(obj.stringData)) {
    const stringData = readRecord(errors, obj.stringData, 'stringData') ?? {};
    for (const [name, value] of Object.entries(stringData)) {
      checkName(errors, key('stringData', name), name, configMapKeyErrors);
      if (typeof value !== 'string') invalidHidden(errors, key('stringData', name), 'must be a string');
      else sizeBytes += Buffer.byteLength(value, 'utf8');
    }
  }
  checkSize(sizeBytes, errors);
  // A TLS secret is only usable with both halves of the key pair.
  if (type === 'kubernetes.io/tls') {
    for (const name of ['tls.crt', 'tls.key']) if (!Object.hasOwn(data, name)) required(errors, key('data', name));
  }
}

/** On update: nothing of an immutable object's content changes, nor a Secret's type. */
export function validateConfigDataUpdate(kind: 'ConfigMap' | 'Secret', obj: Json, old: Json, errors: Errors): void {
  if (kind === 'Secret' && (obj.type ?? 'Opaque') !== (old.type ?? 'Opaque')) immutable(errors, 'type', obj.type ?? '');
  if (old.immutable !== true) return;
  if (obj.immutable !== true) forbidden(errors, 'immutable', IMMUTABLE_DETAIL);
  const fields = kind === 'ConfigMap' ? ['data', 'binaryData'] : ['data'];
  for (const field of fields) if (!jsonEqual(obj[field] ?? {}, old[field] ?? {})) forbidden(errors, field, IMMUTABLE_DETAIL);
}

function checkSize(sizeBytes: number, errors: Errors): void {
  // The field is empty: the limit is on the whole object's content.
  if (sizeBytes > CONFIG_DATA_SIZE_BYTES_MAX) {
    errors.push({ field: '', type: 'TooLong', detail: `may not be more than ${CONFIG_DATA_SIZE_BYTES_MAX} bytes` });
  }
}

/** The decoded size of standard padded base64 (line breaks ignored); undefined when it is not base64. */
function decodedLength(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.replace(/[\r\n]/g, '');
  if (!BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64').length;
}
