/**
 * The plugins the scheduler runs unless told otherwise, in order, and the weights of the
 * scores (kube-scheduler's defaults where it has the plugin: taints 3, node affinity 2,
 * spreading 2, the two resource scores 1 each).
 *
 * Filters run cheapest and most often decisive first, and a node's first failing filter is
 * the one its reason comes from (as in kube-scheduler), so a cordoned node is reported as
 * unschedulable rather than as short of memory.
 */
import type { SchedulerProfile } from './framework.js';
import { balancedAllocation } from './plugins/balanced-allocation.js';
import { interPodAntiAffinity } from './plugins/inter-pod-anti-affinity.js';
import { leastAllocatedScore } from './plugins/least-allocated.js';
import { nodeAffinity } from './plugins/node-affinity.js';
import { nodeReady } from './plugins/node-ready.js';
import { nodeResourcesFit } from './plugins/node-resources-fit.js';
import { nodeUnschedulable } from './plugins/node-unschedulable.js';
import { selectorSpread } from './plugins/selector-spread.js';
import { taintToleration } from './plugins/taint-toleration.js';

export function defaultProfile(): SchedulerProfile {
  return {
    preFilter: [interPodAntiAffinity],
    filter: [nodeUnschedulable, nodeReady, taintToleration, nodeAffinity, nodeResourcesFit, interPodAntiAffinity],
    score: [
      { plugin: taintToleration, weight: 3 },
      { plugin: nodeAffinity, weight: 2 },
      { plugin: selectorSpread, weight: 2 },
      { plugin: leastAllocatedScore, weight: 1 },
      { plugin: balancedAllocation, weight: 1 },
    ],
  };
}
