/**
 * LeastAllocated (kube-scheduler's NodeResourcesFit scoring strategy of the same name): the
 * emptier a node would be with the pod on it, the higher it scores, which spreads load
 * across nodes. Per resource, `(allocatable − requested) / allocatable × 100` with the pod's
 * requests included (0 when it would not fit, or the node has none of it); CPU and memory
 * weigh the same. Requests here are the scoring ones (a request-less container counts as
 * 100m CPU and 200 MiB), so that pods without requests still spread.
 */
import { MAX_NODE_SCORE } from '../constants.js';
import type { ScorePlugin } from '../framework.js';

function leastAllocated(requested: number, allocatable: number): number {
  if (allocatable <= 0 || requested > allocatable) return 0;
  return ((allocatable - requested) * MAX_NODE_SCORE) / allocatable;
}

export const leastAllocatedScore: ScorePlugin = {
  name: 'LeastAllocated',
  score(_state, pod, node) {
    const cpu = leastAllocated(node.scoringMilliCpu + pod.scoringRequests.milliCpu, node.allocatableMilliCpu);
    const memory = leastAllocated(node.scoringMemoryBytes + pod.scoringRequests.memoryBytes, node.allocatableMemoryBytes);
    return (cpu + memory) / 2;
  },
};
