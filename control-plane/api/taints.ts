/**
 * Taints (on nodes: `{key, value, effect}`) and tolerations (on pods), and when a
 * toleration tolerates a taint, as Kubernetes defines it — one rule for the scheduler (which
 * keeps pods off nodes whose taints they do not tolerate) and the node lifecycle controller
 * (which evicts them from nodes tainted NoExecute):
 * - the effects match when the toleration names none (all effects) or the same one;
 * - the keys match when the toleration names none (with `Exists`: every taint) or the same;
 * - `Exists` ignores the value; `Equal` (the default operator) needs the same value.
 */

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  readonly key: string;
  readonly value: string;
  readonly effect: string;
}

export interface Toleration {
  /** '' with `Exists`: every key. */
  readonly key: string;
  readonly operator: 'Equal' | 'Exists';
  readonly value: string;
  /** '': every effect. */
  readonly effect: string;
  /** For NoExecute: how long the pod stays once the node is tainted; absent: for ever. */
  readonly tolerationSeconds?: number;
}

/** The key a node gets while cordoned (`spec.unschedulable`); a pod tolerating it may still go there. */
export const UNSCHEDULABLE_TAINT: Taint = Object.freeze({ key: 'node.kubernetes.io/unschedulable', value: '', effect: 'NoSchedule' });

type Json = Record<string, unknown>;

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** A node's `spec.taints` (entries that are not objects are skipped: the API server validated them). */
export function parseTaints(value: unknown): Taint[] {
  if (!Array.isArray(value)) return [];
  const taints: Taint[] = [];
  for (const entry of value) {
    if (typeof entry !== 'object' || entry === null) continue;
    const taint = entry as Json;
    taints.push({ key: text(taint.key), value: text(taint.value), effect: text(taint.effect) });
  }
  return taints;
}

/** A pod's `spec.tolerations`. */
export function parseTolerations(value: unknown): Toleration[] {
  if (!Array.isArray(value)) return [];
  const tolerations: Toleration[] = [];
  for (const entry of value) {
    if (typeof entry !== 'object' || entry === null) continue;
    const toleration = entry as Json;
    tolerations.push({
      key: text(toleration.key),
      operator: toleration.operator === 'Exists' ? 'Exists' : 'Equal',
      value: text(toleration.value),
      effect: text(toleration.effect),
      ...(typeof toleration.tolerationSeconds === 'number' ? { tolerationSeconds: toleration.tolerationSeconds } : {}),
    });
  }
  return tolerations;
}

/** Whether `toleration` tolerates `taint` (a taint without a value has the empty one). */
export function toleratesTaint(toleration: Toleration, taint: { readonly key: string; readonly value?: string; readonly effect: string }): boolean {
  if (toleration.effect !== '' && toleration.effect !== taint.effect) return false;
  if (toleration.key !== '' && toleration.key !== taint.key) return false;
  if (toleration.operator === 'Exists') return true;
  return toleration.key !== '' && toleration.value === (taint.value ?? '');
}

/** Whether any of the tolerations tolerates the taint. */
export function anyTolerates(tolerations: readonly Toleration[], taint: Taint): boolean {
  for (const toleration of tolerations) if (toleratesTaint(toleration, taint)) return true;
  return false;
}

/** `{key: value}`, as kube-scheduler names a taint in its messages (an empty value leaves `{key: }`). */
export function formatTaint(taint: Taint): string {
  return `{${taint.key}: ${taint.value}}`;
}
