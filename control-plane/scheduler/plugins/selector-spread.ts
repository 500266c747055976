/**
 * SelectorSpread: replicas of one workload should not share a node (a node failing takes
 * fewer of them down). The pods of one controller (the owner reference marked
 * `controller: true`, a ReplicaSet say) are counted per node; the node with the fewest
 * scores 100, the one with the most 0. kube-scheduler's plugin of this name matched pods by
 * their Services' and controllers' selectors, and also spread over zones; this one counts by
 * controller uid (exact, and kept per node as pods come and go) and spreads over nodes only.
 */
import { StateKey, normalizeByMax } from '../framework.js';
import type { ScorePlugin } from '../framework.js';

const NAME = 'SelectorSpread';
/** The pod's controller's pods per node. */
const COUNTS = new StateKey<ArrayLike<number>>(NAME);

export const selectorSpread: ScorePlugin = {
  name: NAME,
  preScore(state, pod, _nodes, snapshot) {
    const counts = pod.controllerUid === null ? undefined : snapshot.controllerPodCounts(pod.controllerUid);
    // No replica placed yet: every node scores the same.
    if (counts === undefined) return false;
    state.write(COUNTS, counts);
    return true;
  },
  score(state, _pod, node) {
    return state.read(COUNTS)?.[node.index] ?? 0;
  },
  normalizeScores(_state, _pod, scores, count) {
    normalizeByMax(scores, count, true);
  },
};
