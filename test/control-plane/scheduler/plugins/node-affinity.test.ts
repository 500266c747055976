/** NodeAffinity: node selector and required terms filter; preferred terms score by weight. */
import { CycleState } from '../../../../control-plane/scheduler/framework.js';
import { REASON_NODE_AFFINITY_MISMATCH, nodeAffinity } from '../../../../control-plane/scheduler/plugins/node-affinity.js';
import { cacheOf, makeNode, nodeInfo, pod } from '../fixtures.js';
import type { PodShape } from '../fixtures.js';

const ssd = nodeInfo(makeNode('n-ssd', { labels: { disk: 'ssd', zone: 'a', generation: '5' } }));
const hdd = nodeInfo(makeNode('n-hdd', { labels: { disk: 'hdd', zone: 'b', generation: '3' } }));
const bare = nodeInfo(makeNode('n-bare'));

function passes(shape: PodShape) {
  const info = pod('p', shape);
  return [ssd, hdd, bare].filter((node) => nodeAffinity.filter(new CycleState(), info, node).code === 'Success').map((node) => node.name);
}

function required(...terms: unknown[]) {
  return { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } };
}

describe('NodeAffinity filter', () => {
  test('a node selector needs every label with its value', () => {
    expect(passes({ nodeSelector: { disk: 'ssd' } })).toEqual(['n-ssd']);
    expect(passes({ nodeSelector: { disk: 'ssd', zone: 'b' } })).toEqual([]);
    expect(passes({})).toEqual(['n-ssd', 'n-hdd', 'n-bare']);
  });

  test('the reason is Kubernetes’ words', () => {
    expect(nodeAffinity.filter(new CycleState(), pod('p', { nodeSelector: { disk: 'nvme' } }), ssd)).toEqual({ code: 'Unschedulable', reasons: [REASON_NODE_AFFINITY_MISMATCH] });
    expect(REASON_NODE_AFFINITY_MISMATCH).toBe("node(s) didn't match Pod's node affinity/selector");
  });

  test('operators In, NotIn (absent counts), Exists, DoesNotExist, Gt, Lt', () => {
    const one = (expression: object) => passes({ affinity: required({ matchExpressions: [expression] }) });
    expect(one({ key: 'disk', operator: 'In', values: ['ssd', 'nvme'] })).toEqual(['n-ssd']);
    expect(one({ key: 'disk', operator: 'NotIn', values: ['ssd'] })).toEqual(['n-hdd', 'n-bare']);
    expect(one({ key: 'zone', operator: 'Exists' })).toEqual(['n-ssd', 'n-hdd']);
    expect(one({ key: 'zone', operator: 'DoesNotExist' })).toEqual(['n-bare']);
    expect(one({ key: 'generation', operator: 'Gt', values: ['4'] })).toEqual(['n-ssd']);
    expect(one({ key: 'generation', operator: 'Lt', values: ['4'] })).toEqual(['n-hdd']);
  });

  test('terms are ORed, expressions within a term ANDed, matchFields name the node', () => {
    expect(passes({ affinity: required({ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n-bare'] }] }) })).toEqual(['n-ssd', 'n-bare']);
    expect(passes({ affinity: required({ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }, { key: 'zone', operator: 'In', values: ['b'] }] }) })).toEqual([]);
  });

  test('selector and affinity must both hold; an empty term, an unknown operator match nothing', () => {
    expect(passes({ nodeSelector: { zone: 'a' }, affinity: required({ matchExpressions: [{ key: 'disk', operator: 'Exists' }] }) })).toEqual(['n-ssd']);
    expect(passes({ affinity: required({}) })).toEqual([]);
    expect(passes({ affinity: required({ matchExpressions: [{ key: 'disk', operator: 'Like', values: ['s'] }] }) })).toEqual([]);
  });
});

describe('NodeAffinity score', () => {
  const preferred = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
    { weight: 80, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
    { weight: 20, preference: { matchExpressions: [{ key: 'zone', operator: 'Exists' }] } },
  ] } };

  test('sums the weights of the matched preferences, scaled so the best is 100', () => {
    const info = pod('p', { affinity: preferred });
    const state = new CycleState();
    expect(nodeAffinity.preScore!(state, info, [ssd, hdd, bare], cacheOf([]))).toBe(true);
    const scores = Float64Array.from([ssd, hdd, bare].map((node) => nodeAffinity.score(state, info, node)));
    expect([...scores]).toEqual([100, 20, 0]);
    nodeAffinity.normalizeScores!(state, info, scores, 3);
    expect([...scores]).toEqual([100, 20, 0]);
  });

  test('a pod without preferences is not scored by it', () => {
    expect(nodeAffinity.preScore!(new CycleState(), pod('p'), [ssd], cacheOf([]))).toBe(false);
  });
});
