/** NodeUnschedulable (cordon) and NodeReady (the Ready condition). */
import { CycleState } from '../../../../control-plane/scheduler/framework.js';
import { REASON_NODE_NOT_READY, nodeReady } from '../../../../control-plane/scheduler/plugins/node-ready.js';
import { REASON_NODE_UNSCHEDULABLE, nodeUnschedulable } from '../../../../control-plane/scheduler/plugins/node-unschedulable.js';
import { makeNode, nodeInfo, pod } from '../fixtures.js';

describe('NodeUnschedulable', () => {
  test('a cordoned node takes no pod, unless the pod tolerates node.kubernetes.io/unschedulable', () => {
    const cordoned = nodeInfo(makeNode('n1', { unschedulable: true }));
    expect(nodeUnschedulable.filter(new CycleState(), pod('p'), cordoned)).toEqual({ code: 'Unschedulable', reasons: [REASON_NODE_UNSCHEDULABLE] });
    expect(REASON_NODE_UNSCHEDULABLE).toBe('node(s) were unschedulable');
    const tolerating = pod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(nodeUnschedulable.filter(new CycleState(), tolerating, cordoned).code).toBe('Success');
    expect(nodeUnschedulable.filter(new CycleState(), pod('p'), nodeInfo(makeNode('n2'))).code).toBe('Success');
  });
});

describe('NodeReady', () => {
  test('only a node whose Ready condition is True takes pods', () => {
    expect(nodeReady.filter(new CycleState(), pod('p'), nodeInfo(makeNode('n1'))).code).toBe('Success');
    expect(nodeReady.filter(new CycleState(), pod('p'), nodeInfo(makeNode('n2', { ready: false })))).toEqual({ code: 'Unschedulable', reasons: [REASON_NODE_NOT_READY] });
    const silent = makeNode('n3');
    silent.status = { allocatable: { cpu: '1' } };
    expect(nodeReady.filter(new CycleState(), pod('p'), nodeInfo(silent)).code).toBe('Unschedulable');
  });

  test('a pod tolerating the not-ready (False) or unreachable (Unknown) NoSchedule taint may go there; the default NoExecute tolerations do not let it', () => {
    const notReady = nodeInfo(makeNode('n1', { ready: false }));
    const unknown = makeNode('n2');
    unknown.status = { ...unknown.status, conditions: [{ type: 'Ready', status: 'Unknown' }] };
    const unreachable = nodeInfo(unknown);
    const tolerates = (key: string, effect: string) => pod('p', { tolerations: [{ key, operator: 'Exists', effect }] });
    expect(nodeReady.filter(new CycleState(), tolerates('node.kubernetes.io/not-ready', 'NoSchedule'), notReady).code).toBe('Success');
    expect(nodeReady.filter(new CycleState(), tolerates('node.kubernetes.io/not-ready', 'NoSchedule'), unreachable).code).toBe('Unschedulable');
    expect(nodeReady.filter(new CycleState(), tolerates('node.kubernetes.io/unreachable', 'NoSchedule'), unreachable).code).toBe('Success');
    expect(nodeReady.filter(new CycleState(), tolerates('node.kubernetes.io/not-ready', 'NoExecute'), notReady).code).toBe('Unschedulable');
  });
});
