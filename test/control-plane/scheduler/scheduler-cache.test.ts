/** The scheduler cache: assumed pods count at once, are confirmed or moved by the informer, and forgotten only while assumed. */
import { podInfoOf } from '../../../control-plane/scheduler/pod-info.js';
import { cacheOf, makeNode, makePod, pod } from './fixtures.js';

describe('SchedulerCache', () => {
  test('an assumed pod counts on its node at once; forget undoes it', () => {
    const cache = cacheOf([makeNode('n1'), makeNode('n2')]);
    cache.assume(pod('a', { cpu: '1' }), 'n1');
    expect(cache.nodeInfo('n1')!.requestedMilliCpu).toBe(1000);
    expect(cache.isAssumed('default/a')).toBe(true);
    expect(() => cache.assume(pod('a', { cpu: '1' }), 'n2')).toThrow('already');
    expect(cache.forget('default/a')).toBe(true);
    expect(cache.nodeInfo('n1')!.requestedMilliCpu).toBe(0);
  });

  test('the informer confirms an assumption; a confirmed pod is not forgotten', () => {
    const cache = cacheOf([makeNode('n1')]);
    cache.assume(pod('a', { cpu: '1' }), 'n1');
    cache.addOrUpdatePod(pod('a', { cpu: '1', nodeName: 'n1' }), 'n1');
    expect(cache.isAssumed('default/a')).toBe(false);
    expect(cache.forget('default/a')).toBe(false);
    expect(cache.nodeInfo('n1')!.podCount).toBe(1);
  });

  test('bound elsewhere by someone else: the pod moves, counted once', () => {
    const cache = cacheOf([makeNode('n1'), makeNode('n2')]);
    cache.assume(pod('a', { cpu: '1' }), 'n1');
    cache.addOrUpdatePod(pod('a', { cpu: '1', nodeName: 'n2' }), 'n2');
    expect(cache.nodeInfo('n1')!.requestedMilliCpu).toBe(0);
    expect(cache.nodeInfo('n2')!.requestedMilliCpu).toBe(1000);
    expect(cache.nodeOf('default/a')).toBe('n2');
  });

  test('pods on a node not seen yet are counted; the node joins the list when it appears and leaves when deleted', () => {
    const cache = cacheOf([makeNode('n1')], [[makePod('a', { cpu: '1' }), 'n9']]);
    expect(cache.nodes.map((node) => node.name)).toEqual(['n1']);
    cache.setNode(makeNode('n9'));
    expect(cache.nodes.map((node) => node.name)).toEqual(['n1', 'n9']);
    expect(cache.nodeInfo('n9')!.requestedMilliCpu).toBe(1000);
    cache.removeNode('n9');
    expect(cache.nodes.map((node) => node.name)).toEqual(['n1']);
    expect(cache.removePod('default/a')).toBe(true);
    expect(cache.nodeInfo('n9')).toBeUndefined();
  });

  test('pods with required anti-affinity are listed for the symmetric check', () => {
    const affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'x' } }, topologyKey: 'kubernetes.io/hostname' }] } };
    const cache = cacheOf([makeNode('n1')], [[makePod('a', { affinity }), 'n1'], [makePod('b'), 'n1']]);
    expect([...cache.podsWithRequiredAntiAffinity()].map(({ pod: info }) => info.name)).toEqual(['a']);
    cache.removePod('default/a');
    expect([...cache.podsWithRequiredAntiAffinity()]).toEqual([]);
  });
});

describe('podInfoOf', () => {
  test('requests: containers add up, the largest init container counts if larger; scoring defaults fill the gaps', () => {
    const object = makePod('a');
    object.spec!.containers = [
      { name: 'a', image: 'a', resources: { requests: { cpu: '250m', memory: '64Mi' } } },
      { name: 'b', image: 'b', resources: { requests: { cpu: '0.5' } } },
    ];
    object.spec!.initContainers = [{ name: 'init', image: 'i', resources: { requests: { memory: '1Gi' } } }];
    const info = podInfoOf(object);
    expect(info.requests).toEqual({ milliCpu: 750, memoryBytes: 2 ** 30 });
    expect(info.scoringRequests).toEqual({ milliCpu: 750, memoryBytes: 2 ** 30 });
    expect(pod('b').scoringRequests).toEqual({ milliCpu: 100, memoryBytes: 200 * 2 ** 20 });
  });

  test('owner, priority, creation time', () => {
    const info = pod('a', { owner: 'rs-uid', priority: 7, createdAt: '2026-12-02T01:02:03Z' });
    expect(info).toMatchObject({ key: 'default/a', controllerUid: 'rs-uid', priority: 7, createdAtMs: Date.parse('2026-12-02T01:02:03Z') });
  });
});
