/** NodeResourcesFit: requests against allocatable minus what is bound, every shortage a reason. */
import { CycleState } from '../../../../control-plane/scheduler/framework.js';
import {
  REASON_INSUFFICIENT_CPU,
  REASON_INSUFFICIENT_MEMORY,
  REASON_TOO_MANY_PODS,
  nodeResourcesFit,
} from '../../../../control-plane/scheduler/plugins/node-resources-fit.js';
import { makeNode, makePod, nodeInfo, pod } from '../fixtures.js';

const fitOf = (podShape: Parameters<typeof pod>[1], node = nodeInfo(makeNode('n1', { cpu: '2', memory: '4Gi', pods: 3 }))) =>
  nodeResourcesFit.filter(new CycleState(), pod('p', podShape), node);

describe('NodeResourcesFit', () => {
  test('a pod that fits what is left passes; exactly full still fits', () => {
    expect(fitOf({ cpu: '500m', memory: '1Gi' }).code).toBe('Success');
    expect(fitOf({ cpu: '2', memory: '4Gi' }).code).toBe('Success');
  });

  test('each resource short is a reason of its own', () => {
    expect(fitOf({ cpu: '2100m', memory: '1Gi' })).toEqual({ code: 'Unschedulable', reasons: [REASON_INSUFFICIENT_CPU] });
    expect(fitOf({ cpu: '1', memory: '5Gi' })).toEqual({ code: 'Unschedulable', reasons: [REASON_INSUFFICIENT_MEMORY] });
    expect(fitOf({ cpu: '3', memory: '5Gi' }).reasons).toEqual([REASON_INSUFFICIENT_CPU, REASON_INSUFFICIENT_MEMORY]);
  });

  test('what bound pods request is taken from allocatable', () => {
    const node = nodeInfo(makeNode('n1', { cpu: '2', memory: '4Gi' }), [makePod('a', { cpu: '1500m', memory: '3Gi' })]);
    expect(fitOf({ cpu: '500m', memory: '1Gi' }, node).code).toBe('Success');
    expect(fitOf({ cpu: '600m', memory: '1Gi' }, node).reasons).toEqual([REASON_INSUFFICIENT_CPU]);
    expect(fitOf({ cpu: '100m', memory: '1025Mi' }, node).reasons).toEqual([REASON_INSUFFICIENT_MEMORY]);
  });

  test('a full node of pod slots says Too many pods, even to a pod requesting nothing', () => {
    const node = nodeInfo(makeNode('n1', { pods: 2 }), [makePod('a'), makePod('b')]);
    expect(fitOf({}, node)).toEqual({ code: 'Unschedulable', reasons: [REASON_TOO_MANY_PODS] });
  });

  test('a pod without requests fits an overcommitted node; capacity stands in for a missing allocatable', () => {
    const full = nodeInfo(makeNode('n1', { cpu: '1' }), [makePod('a', { cpu: '1' })]);
    expect(fitOf({}, full).code).toBe('Success');
    expect(fitOf({ cpu: '1' }, nodeInfo(makeNode('n2', { cpu: '1', capacityOnly: true }))).code).toBe('Success');
  });

  test('millicores add up exactly (ten pods of 100m fill one core)', () => {
    const pods = Array.from({ length: 9 }, (_, i) => makePod(`p${i}`, { cpu: '100m' }));
    const node = nodeInfo(makeNode('n1', { cpu: '1' }), pods);
    expect(node.requestedMilliCpu).toBe(900);
    expect(fitOf({ cpu: '0.1' }, node).code).toBe('Success');
    expect(fitOf({ cpu: '101m' }, node).reasons).toEqual([REASON_INSUFFICIENT_CPU]);
  });
});
