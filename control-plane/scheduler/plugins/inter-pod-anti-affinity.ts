/**
 * InterPodAntiAffinity (required terms only): a pod may not go into a topology domain
 * (the nodes sharing a value of the term's `topologyKey` label: one node for
 * `kubernetes.io/hostname`, a zone for `topology.kubernetes.io/zone`) that already holds a
 * pod its anti-affinity terms select; and, symmetrically, not into a domain holding a pod
 * whose own anti-affinity terms select it. A node without the topology label is in no
 * domain, and no term keeps a pod off it.
 *
 * The domains to avoid are found once per pod (pre-filter: over every bound and assumed
 * pod when the pod has terms, and over the few pods that have terms themselves), so that
 * the filter is a set lookup per term.
 */
import { SUCCESS, StateKey, unschedulable } from '../framework.js';
import type { FilterPlugin, PreFilterPlugin } from '../framework.js';
import { termMatchesPod } from '../pod-info.js';
import type { PodAffinityTerm } from '../pod-info.js';

export const REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
const ANTI_AFFINITY = unschedulable(REASON_ANTI_AFFINITY);
const EXISTING_ANTI_AFFINITY = unschedulable(REASON_EXISTING_ANTI_AFFINITY);

const NAME = 'InterPodAntiAffinity';

/** What the filter checks; null when nothing (no term of the pod's, none of others' selecting it). */
const STATE = new StateKey<AntiAffinityState | null>(NAME);

interface AntiAffinityState {
  /** The pod's own terms and, for each, the topology values holding a pod it selects. */
  readonly terms: readonly PodAffinityTerm[];
  readonly ownForbidden: readonly Set<string>[];
  /** Topology key → values holding a pod whose terms select this pod. */
  readonly existingForbidden: ReadonlyMap<string, Set<string>>;
}

export const interPodAntiAffinity: PreFilterPlugin & FilterPlugin = {
  name: NAME,
  preFilter(state, pod, snapshot) {
    const terms = pod.requiredAntiAffinity;
    const ownForbidden = terms.map(() => new Set<string>());
    if (terms.length > 0) {
      for (const node of snapshot.nodes) {
        if (node.podCount === 0) continue;
        terms.forEach((term, i) => {
          const value = node.topologyValue(term.topologyKey);
          if (value === undefined || ownForbidden[i]!.has(value)) return;
          for (const existing of node.pods.values()) {
            if (existing.key !== pod.key && termMatchesPod(term, existing)) {
              ownForbidden[i]!.add(value);
              return;
            }
          }
        });
      }
    }
    const existingForbidden = new Map<string, Set<string>>();
    for (const { pod: existing, node } of snapshot.podsWithRequiredAntiAffinity()) {
      if (existing.key === pod.key) continue;
      for (const term of existing.requiredAntiAffinity) {
        if (!termMatchesPod(term, pod)) continue;
        const value = node.topologyValue(term.topologyKey);
        if (value === undefined) continue;
        let values = existingForbidden.get(term.topologyKey);
        if (values === undefined) existingForbidden.set(term.topologyKey, (values = new Set()));
        values.add(value);
      }
    }
    const nothingToCheck = ownForbidden.every((values) => values.size === 0) && existingForbidden.size === 0;
    state.write(STATE, nothingToCheck ? null : { terms, ownForbidden, existingForbidden });
    return SUCCESS;
  },
  filter(state, _pod, node) {
    const computed = state.read(STATE);
    if (computed === undefined || computed === null) return SUCCESS;
    for (let i = 0; i < computed.terms.length; i++) {
      const value = node.topologyValue(computed.terms[i]!.topologyKey);
      if (value !== undefined && computed.ownForbidden[i]!.has(value)) return ANTI_AFFINITY;
    }
    for (const [key, values] of computed.existingForbidden) {
      const value = node.topologyValue(key);
      if (value !== undefined && values.has(value)) return EXISTING_ANTI_AFFINITY;
    }
    return SUCCESS;
  },
};
