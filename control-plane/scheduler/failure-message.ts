/**
 * Why a pod fits nowhere, in kube-scheduler's words: `0/5 nodes are available: 2 Insufficient
 * memory, 3 node(s) had taint {dedicated: gpu}, that the pod didn't tolerate.` Each reason a
 * filter gave is counted over the nodes that gave it (a node short of CPU and memory counts
 * under both), and the `<count> <reason>` parts are sorted as text, as kube-scheduler sorts
 * them, so that the same situation always reads the same (and repeated events aggregate).
 */

/** No node at all. */
export const NO_NODES_AVAILABLE_MESSAGE = 'no nodes available to schedule pods';

/** The message for `nodeCount` nodes and the count of each reason. */
export function failureMessage(nodeCount: number, reasonCounts: ReadonlyMap<string, number>): string {
  if (nodeCount === 0) return NO_NODES_AVAILABLE_MESSAGE;
  const parts = [...reasonCounts].map(([reason, count]) => `${count} ${reason}`).sort();
  return `0/${nodeCount} nodes are available${parts.length > 0 ? `: ${parts.join(', ')}` : ''}.`;
}
