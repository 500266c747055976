/** LeastAllocated and NodeResourcesBalancedAllocation: 0..100 from what the node would hold with the pod. */
import { CycleState } from '../../../../control-plane/scheduler/framework.js';
import { balancedAllocation } from '../../../../control-plane/scheduler/plugins/balanced-allocation.js';
import { leastAllocatedScore } from '../../../../control-plane/scheduler/plugins/least-allocated.js';
import { makeNode, makePod, nodeInfo, pod } from '../fixtures.js';

const state = new CycleState();

describe('LeastAllocated', () => {
  test('the emptier node (after the pod) scores higher; CPU and memory weigh the same', () => {
    const empty = nodeInfo(makeNode('n1', { cpu: '4', memory: '8Gi' }));
    const half = nodeInfo(makeNode('n2', { cpu: '4', memory: '8Gi' }), [makePod('a', { cpu: '2', memory: '4Gi' })]);
    const info = pod('p', { cpu: '1', memory: '2Gi' });
    expect(leastAllocatedScore.score(state, info, empty)).toBe(75);
    expect(leastAllocatedScore.score(state, info, half)).toBe(25);
  });

  test('a pod without requests counts as 100m and 200Mi', () => {
    const node = nodeInfo(makeNode('n1', { cpu: '1', memory: '400Mi' }));
    expect(leastAllocatedScore.score(state, pod('p'), node)).toBe((90 + 50) / 2);
  });

  test('a resource the node lacks, or cannot hold, scores 0', () => {
    expect(leastAllocatedScore.score(state, pod('p', { cpu: '8', memory: '1Gi' }), nodeInfo(makeNode('n1', { cpu: '4', memory: '2Gi' })))).toBe(25);
  });
});

describe('NodeResourcesBalancedAllocation', () => {
  test('equal shares of CPU and memory score 100; the more they differ, the less', () => {
    const node = nodeInfo(makeNode('n1', { cpu: '4', memory: '8Gi' }));
    expect(balancedAllocation.score(state, pod('p', { cpu: '2', memory: '4Gi' }), node)).toBe(100);
    expect(balancedAllocation.score(state, pod('p', { cpu: '4', memory: '1Gi' }), node)).toBeCloseTo((1 - (1 - 0.125) / 2) * 100);
  });

  test('shares are capped at 1', () => {
    const node = nodeInfo(makeNode('n1', { cpu: '1', memory: '1Gi' }));
    expect(balancedAllocation.score(state, pod('p', { cpu: '5', memory: '1Gi' }), node)).toBe(100);
  });
});
