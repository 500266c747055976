/**
 * How many feasible nodes the scheduler looks for before it stops filtering and scores them:
 * kube-scheduler's adaptive `percentageOfNodesToScore`. In a large cluster, scoring every
 * node finds a slightly better node at a much higher cost; a sample that grows more slowly
 * than the cluster keeps the cost per pod near constant. Which nodes are sampled rotates
 * (each pod's search starts where the previous one stopped), so every node gets its turn.
 *
 * | nodes  | share | nodes to find |
 * | -----: | ----: | ------------: |
 * | < 100  | all   | all           |
 * | 100    | 49%   | 100 (minimum) |
 * | 1,000  | 42%   | 420           |
 * | 5,000  | 10%   | 500           |
 * | 10,000 | 5%    | 500           |
 */
import {
  ADAPTIVE_PERCENTAGE_NODES_DIVISOR,
  BASE_PERCENTAGE_OF_NODES_TO_SCORE,
  MIN_FEASIBLE_NODES_PERCENTAGE,
  MIN_FEASIBLE_NODES_TO_FIND,
} from './constants.js';

/**
 * The number of feasible nodes to find among `nodeCount`. `percentage` fixes the share
 * (1..100); 0 or undefined is the adaptive share.
 */
export function feasibleNodesToFind(nodeCount: number, percentage = 0): number {
  if (!(percentage >= 0 && percentage <= 100)) throw new RangeError(`percentage of nodes to score must be within 0..100, got ${percentage}`);
  if (nodeCount < MIN_FEASIBLE_NODES_TO_FIND || percentage >= 100) return nodeCount;
  let share = percentage;
  if (share === 0) share = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE, BASE_PERCENTAGE_OF_NODES_TO_SCORE - nodeCount / ADAPTIVE_PERCENTAGE_NODES_DIVISOR);
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, Math.floor((nodeCount * share) / 100));
}
