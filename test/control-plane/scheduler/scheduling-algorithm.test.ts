/**
 * One scheduling cycle: the best-scored feasible node wins, ties at random; a pod that fits
 * nowhere gets the counted, sorted message; large clusters are sampled (kube-scheduler's
 * adaptive percentage) from a rotating start, so that every node gets its turn.
 */
import { failureMessage } from '../../../control-plane/scheduler/failure-message.js';
import { defaultProfile } from '../../../control-plane/scheduler/default-profile.js';
import { SUCCESS, unschedulable } from '../../../control-plane/scheduler/framework.js';
import type { SchedulerProfile } from '../../../control-plane/scheduler/framework.js';
import { feasibleNodesToFind } from '../../../control-plane/scheduler/nodes-to-score.js';
import { SchedulingAlgorithm } from '../../../control-plane/scheduler/scheduling-algorithm.js';
import { cacheOf, makeNode, makePod, pod } from './fixtures.js';

describe('feasibleNodesToFind', () => {
  test('all under 100 nodes; 50% − nodes/125 above, at least 5% and 100 nodes', () => {
    expect(feasibleNodesToFind(5)).toBe(5);
    expect(feasibleNodesToFind(99)).toBe(99);
    expect(feasibleNodesToFind(100)).toBe(100);
    expect(feasibleNodesToFind(1000)).toBe(420);
    expect(feasibleNodesToFind(5000)).toBe(500);
    expect(feasibleNodesToFind(20000)).toBe(1000);
    expect(feasibleNodesToFind(1000, 100)).toBe(1000);
    expect(feasibleNodesToFind(1000, 20)).toBe(200);
    expect(() => feasibleNodesToFind(10, 101)).toThrow(RangeError);
  });
});

describe('failureMessage', () => {
  test('counts sorted as text, in kube-scheduler’s sentence', () => {
    const counts = new Map([
      ['Insufficient memory', 3],
      ["node(s) had taint {key: value}, that the pod didn't tolerate", 2],
    ]);
    expect(failureMessage(5, counts)).toBe("0/5 nodes are available: 2 node(s) had taint {key: value}, that the pod didn't tolerate, 3 Insufficient memory.");
    expect(failureMessage(0, new Map())).toBe('no nodes available to schedule pods');
  });
});

describe('SchedulingAlgorithm', () => {
  test('the emptiest fitting node wins', () => {
    const cache = cacheOf(
      [makeNode('big', { cpu: '8', memory: '16Gi' }), makeNode('small', { cpu: '2', memory: '4Gi' }), makeNode('busy', { cpu: '8', memory: '16Gi' })],
      [[makePod('x', { cpu: '6', memory: '12Gi' }), 'busy']],
    );
    const result = new SchedulingAlgorithm(defaultProfile()).schedule(pod('p', { cpu: '1', memory: '1Gi' }), cache);
    expect(result).toEqual({ kind: 'scheduled', node: 'big', evaluatedNodes: 3, feasibleNodes: 3 });
  });

  test('a pod that fits nowhere gets every node’s reasons counted', () => {
    const cache = cacheOf([
      makeNode('m1', { memory: '1Gi' }),
      makeNode('m2', { memory: '1Gi' }),
      makeNode('t1', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
      makeNode('c1', { unschedulable: true }),
      makeNode('r1', { ready: false }),
    ]);
    const result = new SchedulingAlgorithm(defaultProfile()).schedule(pod('p', { memory: '2Gi' }), cache);
    expect(result).toEqual({
      kind: 'unschedulable',
      message: "0/5 nodes are available: 1 node(s) had taint {dedicated: gpu}, that the pod didn't tolerate, 1 node(s) were not ready, 1 node(s) were unschedulable, 2 Insufficient memory.",
      reasonCounts: expect.any(Map),
    });
  });

  test('no nodes at all', () => {
    const result = new SchedulingAlgorithm(defaultProfile()).schedule(pod('p'), cacheOf([]));
    expect(result).toMatchObject({ kind: 'unschedulable', message: 'no nodes available to schedule pods' });
  });

  test('equal nodes: the tie is broken by the random source', () => {
    const cache = cacheOf([makeNode('a'), makeNode('b'), makeNode('c')]);
    const chosen = (random: number) => {
      const result = new SchedulingAlgorithm(defaultProfile(), { random: () => random }).schedule(pod('p'), cache);
      return result.kind === 'scheduled' ? result.node : result.kind;
    };
    expect(chosen(0)).toBe('c');
    expect(chosen(0.99)).toBe('a');
  });

  test('1,000 nodes: 420 feasible found per pod, and the next pod starts where the last stopped', () => {
    const nodes = Array.from({ length: 1000 }, (_, i) => makeNode(`n${String(i).padStart(4, '0')}`));
    const cache = cacheOf(nodes);
    // Ties keep the first node of each sample: the sample's start shows.
    const algorithm = new SchedulingAlgorithm(defaultProfile(), { random: () => 0.99 });
    const chosen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const result = algorithm.schedule(pod(`p${i}`), cache);
      expect(result).toMatchObject({ kind: 'scheduled', evaluatedNodes: 420, feasibleNodes: 420 });
      if (result.kind === 'scheduled') chosen.push(result.node);
    }
    // The third search wrapped around: its sample was nodes 840..999 and 0..259.
    expect(chosen).toEqual(['n0000', 'n0420', 'n0840']);
    expect(algorithm.schedule(pod('p3'), cache)).toMatchObject({ kind: 'scheduled', node: 'n0260' });
  });

  test('a filter that throws makes an error result, not a crash; a score outside 0..100 too', () => {
    const throwing: SchedulerProfile = { preFilter: [], filter: [{ name: 'Broken', filter: () => { throw new Error('boom'); } }], score: [] };
    expect(new SchedulingAlgorithm(throwing).schedule(pod('p'), cacheOf([makeNode('a')]))).toMatchObject({ kind: 'error', message: expect.stringContaining('boom') });
    const overScoring: SchedulerProfile = { preFilter: [], filter: [], score: [{ plugin: { name: 'Over', score: () => 101 }, weight: 1 }] };
    expect(new SchedulingAlgorithm(overScoring).schedule(pod('p'), cacheOf([makeNode('a'), makeNode('b')]))).toMatchObject({ kind: 'error', message: expect.stringContaining('outside 0..100') });
  });

  test('a pre-filter rejection counts its reason on every node', () => {
    const rejecting: SchedulerProfile = { preFilter: [{ name: 'No', preFilter: () => unschedulable('nope') }], filter: [{ name: 'Yes', filter: () => SUCCESS }], score: [] };
    expect(new SchedulingAlgorithm(rejecting).schedule(pod('p'), cacheOf([makeNode('a'), makeNode('b')]))).toMatchObject({ message: '0/2 nodes are available: 2 nope.' });
  });

  test('replicas of one controller spread over nodes as they are assumed', () => {
    const cache = cacheOf([makeNode('a'), makeNode('b'), makeNode('c')]);
    const algorithm = new SchedulingAlgorithm(defaultProfile(), { random: () => 0.5 });
    const placed: string[] = [];
    for (let i = 0; i < 6; i++) {
      const info = pod(`web-${i}`, { owner: 'rs-1', cpu: '100m', memory: '64Mi' });
      const result = algorithm.schedule(info, cache);
      if (result.kind !== 'scheduled') throw new Error(result.kind);
      cache.assume(info, result.node);
      placed.push(result.node);
    }
    expect(placed.filter((node) => node === 'a')).toHaveLength(2);
    expect(placed.filter((node) => node === 'b')).toHaveLength(2);
    expect(placed.filter((node) => node === 'c')).toHaveLength(2);
  });
});
