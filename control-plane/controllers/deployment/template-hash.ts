/**
 * The hash that names a Deployment's ReplicaSets (`web-5d4f8b7c9`) and labels their pods
 * (`pod-template-hash`): a function of the pod template alone (and of the collision count,
 * bumped when that name is taken by another template), so that the same template always
 * maps to the same ReplicaSet, including after an undo.
 *
 * The hash is FNV-1a (32 bits) over the template's JSON with keys sorted, written as its
 * decimal digits mapped onto Kubernetes' alphabet for generated names (no vowels, so no
 * words; no look-alike characters).
 *
 * A field that is null or an empty object counts as absent, in the hash and in template
 * equality: Kubernetes compares typed templates, where `resources: {}` and
 * `metadata.creationTimestamp: null` (which kubectl writes, e.g. into the template
 * `rollout undo` copies back from a ReplicaSet) are the same as leaving them out. Without
 * this, an undo would make a new ReplicaSet instead of scaling the old one back up.
 */
import { jsonClone } from '../../api/json-values.js';
import type { PodTemplate } from '../replicaset/workload-objects.js';
import { POD_TEMPLATE_HASH_LABEL } from './constants.js';

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * JSON with object keys in sorted order, and fields that are `undefined`, null or (once
 * written so) an empty object left out, so that equal templates write equally.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((entry) => (entry === undefined ? 'null' : canonicalJson(entry))).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .flatMap((key) => {
        const field = (value as Record<string, unknown>)[key];
        if (field === undefined || field === null) return [];
        const text = canonicalJson(field);
        return text === '{}' ? [] : [`${JSON.stringify(key)}:${text}`];
      });
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** FNV-1a, 32 bits, of `bytes`. */
export function fnv1a32(bytes: Uint8Array): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash >>> 0;
}

/** Each character mapped onto the safe alphabet (Kubernetes' `SafeEncodeString`). */
export function safeEncode(text: string): string {
  let encoded = '';
  for (let i = 0; i < text.length; i++) encoded += SAFE_ALPHABET[text.charCodeAt(i) % SAFE_ALPHABET.length];
  return encoded;
}

/** The hash of `template` (its `pod-template-hash` label, if any, excluded), perturbed by `collisionCount`. */
export function computeTemplateHash(template: PodTemplate, collisionCount?: number): string {
  const bytes = Buffer.from(canonicalJson(withoutHashLabel(template)), 'utf8');
  const input = collisionCount === undefined ? bytes : Buffer.concat([bytes, uint32LittleEndian(collisionCount)]);
  return safeEncode(String(fnv1a32(input)));
}

/** Whether two templates are equal once their `pod-template-hash` labels are set aside (null and empty-object fields count as absent). */
export function equalIgnoringHash(a: PodTemplate, b: PodTemplate): boolean {
  return canonicalJson(withoutHashLabel(a)) === canonicalJson(withoutHashLabel(b));
}

/**
 * A copy of `template` without the `pod-template-hash` label. An empty label map is left
 * out, so that a template whose only label was the hash equals one without labels.
 */
export function withoutHashLabel(template: PodTemplate): PodTemplate {
  const copy = jsonClone(template);
  const labels = copy.metadata?.labels;
  if (labels !== undefined) {
    delete labels[POD_TEMPLATE_HASH_LABEL];
    if (Object.keys(labels).length === 0) delete copy.metadata!.labels;
  }
  return copy;
}

function uint32LittleEndian(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value >>> 0);
  return buffer;
}
