/**
 * NodeResourcesBalancedAllocation: a node whose CPU and memory would be used in similar
 * proportions with the pod on it scores higher, so that no node ends up with all its CPU
 * taken and its memory idle (or the reverse). The score is `(1 − standard deviation of the
 * used fractions) × 100`; with two resources the deviation is half their difference.
 * Fractions are capped at 1; a node with none of a resource counts it as full.
 */
import { MAX_NODE_SCORE } from '../constants.js';
import type { ScorePlugin } from '../framework.js';

function fraction(requested: number, allocatable: number): number {
  return allocatable <= 0 ? 1 : Math.min(1, requested / allocatable);
}

export const balancedAllocation: ScorePlugin = {
  name: 'NodeResourcesBalancedAllocation',
  score(_state, pod, node) {
    const cpu = fraction(node.scoringMilliCpu + pod.scoringRequests.milliCpu, node.allocatableMilliCpu);
    const memory = fraction(node.scoringMemoryBytes + pod.scoringRequests.memoryBytes, node.allocatableMemoryBytes);
    return (1 - Math.abs(cpu - memory) / 2) * MAX_NODE_SCORE;
  },
};
