/** SelectorSpread: fewer pods of the same controller on a node, higher score. */
import { CycleState } from '../../../../control-plane/scheduler/framework.js';
import { selectorSpread } from '../../../../control-plane/scheduler/plugins/selector-spread.js';
import { cacheOf, makeNode, makePod, pod } from '../fixtures.js';

describe('SelectorSpread', () => {
  const cache = () =>
    cacheOf(
      [makeNode('n1'), makeNode('n2'), makeNode('n3')],
      [
        [makePod('a', { owner: 'rs-1' }), 'n1'],
        [makePod('b', { owner: 'rs-1' }), 'n1'],
        [makePod('x', { owner: 'rs-2' }), 'n1'],
        [makePod('c', { owner: 'rs-1' }), 'n2'],
        [makePod('y', { owner: 'rs-2' }), 'n3'],
      ],
    );

  function scores(snapshot: ReturnType<typeof cache>, owner: string): number[] | 'skipped' {
    const state = new CycleState();
    const info = pod('p', { owner });
    if (!selectorSpread.preScore!(state, info, snapshot.nodes, snapshot)) return 'skipped';
    const raw = Float64Array.from(snapshot.nodes.map((node) => selectorSpread.score(state, info, node)));
    selectorSpread.normalizeScores!(state, info, raw, raw.length);
    return [...raw];
  }

  test('counts only the pod’s controller, and scales so that the fullest node gets 0', () => {
    const snapshot = cache();
    const state = new CycleState();
    const info = pod('p', { owner: 'rs-1' });
    selectorSpread.preScore!(state, info, snapshot.nodes, snapshot);
    expect(snapshot.nodes.map((node) => selectorSpread.score(state, info, node))).toEqual([2, 1, 0]);
    expect(scores(snapshot, 'rs-1')).toEqual([0, 50, 100]);
    expect(scores(snapshot, 'rs-2')).toEqual([0, 100, 0]);
  });

  test('a pod without a controller, or whose controller has no pod yet, is not scored by it', () => {
    const snapshot = cache();
    expect(selectorSpread.preScore!(new CycleState(), pod('p'), snapshot.nodes, snapshot)).toBe(false);
    expect(scores(snapshot, 'rs-new')).toBe('skipped');
  });

  test('counts follow pods leaving and nodes joining later', () => {
    const snapshot = cache();
    snapshot.removePod('default/a');
    snapshot.removePod('default/b');
    snapshot.setNode(makeNode('n4'));
    expect(scores(snapshot, 'rs-1')).toEqual([100, 0, 100, 100]);
    snapshot.removePod('default/c');
    expect(scores(snapshot, 'rs-1')).toBe('skipped');
  });
});
