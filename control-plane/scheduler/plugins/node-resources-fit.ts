/**
 * NodeResourcesFit: the pod's CPU and memory requests must fit in what the node has left
 * (allocatable minus the requests of the pods bound or assumed there), and the node must
 * have a pod slot left. Every shortage is a reason, so a node short of both CPU and memory
 * counts under both in the failure message.
 */
import { SUCCESS, unschedulable } from '../framework.js';
import type { FilterPlugin, Status } from '../framework.js';

export const REASON_TOO_MANY_PODS = 'Too many pods';
export const REASON_INSUFFICIENT_CPU = 'Insufficient cpu';
export const REASON_INSUFFICIENT_MEMORY = 'Insufficient memory';

const TOO_MANY_PODS = 1;
const INSUFFICIENT_CPU = 2;
const INSUFFICIENT_MEMORY = 4;

/** The status for each combination of shortages (index: the bits above), made once. */
const STATUSES: readonly Status[] = Array.from({ length: 8 }, (_, bits) => {
  if (bits === 0) return SUCCESS;
  const reasons: string[] = [];
  if (bits & TOO_MANY_PODS) reasons.push(REASON_TOO_MANY_PODS);
  if (bits & INSUFFICIENT_CPU) reasons.push(REASON_INSUFFICIENT_CPU);
  if (bits & INSUFFICIENT_MEMORY) reasons.push(REASON_INSUFFICIENT_MEMORY);
  return unschedulable(...reasons);
});

export const nodeResourcesFit: FilterPlugin = {
  name: 'NodeResourcesFit',
  filter(_state, pod, node) {
    let bits = 0;
    if (node.podCount + 1 > node.allocatablePods) bits |= TOO_MANY_PODS;
    const { milliCpu, memoryBytes } = pod.requests;
    // A resource the pod does not request fits whatever is left (even on an overcommitted node).
    if (milliCpu > 0 && node.requestedMilliCpu + milliCpu > node.allocatableMilliCpu) bits |= INSUFFICIENT_CPU;
    if (memoryBytes > 0 && node.requestedMemoryBytes + memoryBytes > node.allocatableMemoryBytes) bits |= INSUFFICIENT_MEMORY;
    return STATUSES[bits]!;
  },
};
