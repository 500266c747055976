/** TaintToleration: NoSchedule and NoExecute taints filter unless tolerated; PreferNoSchedule taints score. */
import { CycleState } from '../../../../control-plane/scheduler/framework.js';
import { reasonUntoleratedTaint, taintToleration } from '../../../../control-plane/scheduler/plugins/taint-toleration.js';
import { cacheOf, makeNode, nodeInfo, pod } from '../fixtures.js';

const gpu = nodeInfo(makeNode('gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }));
const draining = nodeInfo(makeNode('draining', { taints: [{ key: 'maintenance', effect: 'NoExecute' }] }));
const soft = nodeInfo(makeNode('soft', { taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }] }));
const plain = nodeInfo(makeNode('plain'));

const filter = (tolerations: Record<string, unknown>[] | undefined, node: typeof gpu) => taintToleration.filter(new CycleState(), pod('p', tolerations ? { tolerations } : {}), node);

describe('TaintToleration filter', () => {
  test('an untolerated NoSchedule or NoExecute taint keeps the pod off, named in the reason', () => {
    expect(filter(undefined, gpu)).toEqual({ code: 'Unschedulable', reasons: ["node(s) had taint {dedicated: gpu}, that the pod didn't tolerate"] });
    expect(filter(undefined, draining).reasons).toEqual([reasonUntoleratedTaint({ key: 'maintenance', value: '', effect: 'NoExecute' })]);
    expect(reasonUntoleratedTaint({ key: 'maintenance', value: '', effect: 'NoExecute' })).toBe("node(s) had taint {maintenance: }, that the pod didn't tolerate");
  });

  test('PreferNoSchedule taints and untainted nodes do not filter', () => {
    expect(filter(undefined, soft).code).toBe('Success');
    expect(filter(undefined, plain).code).toBe('Success');
  });

  test('Equal needs key and value; Exists only the key; an empty effect tolerates every effect', () => {
    expect(filter([{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }], gpu).code).toBe('Success');
    expect(filter([{ key: 'dedicated', value: 'gpu' }], gpu).code).toBe('Success');
    expect(filter([{ key: 'dedicated', value: 'tpu' }], gpu).code).toBe('Unschedulable');
    expect(filter([{ key: 'dedicated', operator: 'Exists' }], gpu).code).toBe('Success');
    expect(filter([{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }], gpu).code).toBe('Unschedulable');
    expect(filter([{ key: 'maintenance', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }], draining).code).toBe('Success');
  });

  test('an empty key with Exists tolerates every taint', () => {
    expect(filter([{ operator: 'Exists' }], gpu).code).toBe('Success');
    expect(filter([{ operator: 'Exists' }], draining).code).toBe('Success');
  });
});

describe('TaintToleration score', () => {
  test('untolerated PreferNoSchedule taints lower the score; tolerated ones do not', () => {
    const state = new CycleState();
    const score = (info: ReturnType<typeof pod>) => {
      expect(taintToleration.preScore!(state, info, [soft, plain], cacheOf([]))).toBe(true);
      const scores = Float64Array.from([soft, plain].map((node) => taintToleration.score(state, info, node)));
      taintToleration.normalizeScores!(state, info, scores, 2);
      return [...scores];
    };
    expect(score(pod('p'))).toEqual([0, 100]);
    expect(score(pod('p', { tolerations: [{ key: 'spot', operator: 'Exists', effect: 'PreferNoSchedule' }] }))).toEqual([100, 100]);
  });

  test('skipped when no feasible node has a PreferNoSchedule taint', () => {
    expect(taintToleration.preScore!(new CycleState(), pod('p'), [plain, gpu], cacheOf([]))).toBe(false);
  });
});
