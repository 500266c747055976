/**
 * Taint-based eviction, as Kubernetes has it: a node that is not Ready carries
 * `node.kubernetes.io/not-ready` (its agent says so) or `node.kubernetes.io/unreachable`
 * (its agent is silent), each as `NoSchedule` (no new pods) and `NoExecute` (running pods
 * go). A pod on a node with `NoExecute` taints is evicted at once when it does not tolerate
 * one of them, after the smallest `tolerationSeconds` of the tolerations it used when it
 * tolerates them all, and never when none of those tolerations has a time limit.
 *
 * Pods that say nothing about not-ready and unreachable tolerate them for a default time
 * (Kubernetes' `DefaultTolerationSeconds` admission adds these tolerations; here they are
 * implied), which the node lifecycle controller's `podEvictionTimeoutSeconds` sets.
 * Pure functions.
 */
import { parseTolerations, toleratesTaint } from '../../api/taints.js';
import type { Toleration } from '../../api/taints.js';
import { timestamp } from '../../apiserver/registry.js';

export const NOT_READY_TAINT_KEY = 'node.kubernetes.io/not-ready';
export const UNREACHABLE_TAINT_KEY = 'node.kubernetes.io/unreachable';
/** How long a pod stays on a not-ready or unreachable node unless it says otherwise (Kubernetes' default). */
export const DEFAULT_TOLERATION_SECONDS = 300;

export interface NodeTaint {
  key: string;
  value?: string;
  /** `NoSchedule`, `PreferNoSchedule` or `NoExecute`. */
  effect: string;
  /** RFC 3339; written for NoExecute taints only. */
  timeAdded?: string;
}

/** What should happen to a pod on a tainted node. */
export type EvictionDecision = { readonly kind: 'stay' } | { readonly kind: 'evict-now' } | { readonly kind: 'evict-after'; readonly seconds: number };

export function nodeTaints(spec: Record<string, unknown> | undefined): NodeTaint[] {
  const taints = spec?.taints;
  return Array.isArray(taints) ? (taints as NodeTaint[]) : [];
}

/** A pod's tolerations. */
export function podTolerations(spec: Record<string, unknown> | undefined): Toleration[] {
  return parseTolerations(spec?.tolerations);
}

/** The taint key a node's Ready condition status calls for: not-ready for False, unreachable for Unknown. */
export function readinessTaintKey(readyStatus: string | undefined): string | undefined {
  if (readyStatus === 'False') return NOT_READY_TAINT_KEY;
  if (readyStatus === 'Unknown') return UNREACHABLE_TAINT_KEY;
  return undefined;
}

/**
 * The node's taints with the readiness taints its Ready status calls for (both effects of
 * that one key, none of the other), or null when they already are so. Other taints are
 * kept as they are; a kept NoExecute taint keeps its `timeAdded`.
 */
export function taintsForReadiness(taints: readonly NodeTaint[], readyStatus: string | undefined, now: Date): NodeTaint[] | null {
  const wanted = readinessTaintKey(readyStatus);
  const isReadinessTaint = (taint: NodeTaint): boolean =>
    (taint.key === NOT_READY_TAINT_KEY || taint.key === UNREACHABLE_TAINT_KEY) && (taint.effect === 'NoExecute' || taint.effect === 'NoSchedule');
  const next = taints.filter((taint) => !isReadinessTaint(taint) || taint.key === wanted);
  if (wanted !== undefined) {
    if (!next.some((taint) => taint.key === wanted && taint.effect === 'NoSchedule')) next.push({ key: wanted, effect: 'NoSchedule' });
    if (!next.some((taint) => taint.key === wanted && taint.effect === 'NoExecute')) next.push({ key: wanted, effect: 'NoExecute', timeAdded: timestamp(now) });
  }
  return next.length === taints.length && next.every((taint, i) => taint === taints[i]) ? null : next;
}

/** The pod's tolerations and, for not-ready and unreachable when it tolerates neither, the default ones. */
export function effectiveTolerations(tolerations: readonly Toleration[], defaultSeconds: number): Toleration[] {
  const effective = [...tolerations];
  for (const key of [NOT_READY_TAINT_KEY, UNREACHABLE_TAINT_KEY]) {
    if (!tolerations.some((toleration) => toleratesTaint(toleration, { key, effect: 'NoExecute' }))) {
      effective.push({ key, operator: 'Exists', value: '', effect: 'NoExecute', tolerationSeconds: defaultSeconds });
    }
  }
  return effective;
}

/** What the node's NoExecute taints mean for a pod with these tolerations (defaults included by the caller). */
export function evictionDecision(taints: readonly NodeTaint[], tolerations: readonly Toleration[]): EvictionDecision {
  let minimumSeconds = Infinity;
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute') continue;
    const used = tolerations.filter((toleration) => toleratesTaint(toleration, taint));
    if (used.length === 0) return { kind: 'evict-now' };
    for (const toleration of used) {
      if (typeof toleration.tolerationSeconds === 'number') minimumSeconds = Math.min(minimumSeconds, toleration.tolerationSeconds);
    }
  }
  if (minimumSeconds === Infinity) return { kind: 'stay' };
  return minimumSeconds <= 0 ? { kind: 'evict-now' } : { kind: 'evict-after', seconds: minimumSeconds };
}
