/** InterPodAntiAffinity: required terms per topology domain, the pod's own and, symmetrically, the existing pods'. */
import { CycleState } from '../../../../control-plane/scheduler/framework.js';
import {
  REASON_ANTI_AFFINITY,
  REASON_EXISTING_ANTI_AFFINITY,
  interPodAntiAffinity,
} from '../../../../control-plane/scheduler/plugins/inter-pod-anti-affinity.js';
import type { SchedulerCache } from '../../../../control-plane/scheduler/scheduler-cache.js';
import { cacheOf, makeNode, makePod, pod } from '../fixtures.js';
import type { PodShape } from '../fixtures.js';

function antiAffinity(labels: Record<string, string>, topologyKey = 'kubernetes.io/hostname', extra: Record<string, unknown> = {}) {
  return { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: labels }, topologyKey, ...extra }] } };
}

/** The names of the nodes `shape`'s pod may go on. */
function feasible(cache: SchedulerCache, shape: PodShape): string[] {
  const state = new CycleState();
  const info = pod('new', shape);
  expect(interPodAntiAffinity.preFilter(state, info, cache).code).toBe('Success');
  return cache.nodes.filter((node) => interPodAntiAffinity.filter(state, info, node).code === 'Success').map((node) => node.name);
}

const nodes = [
  makeNode('a1', { labels: { zone: 'a' } }),
  makeNode('a2', { labels: { zone: 'a' } }),
  makeNode('b1', { labels: { zone: 'b' } }),
  makeNode('nozone'),
];

describe('InterPodAntiAffinity', () => {
  test('on kubernetes.io/hostname: not on a node holding a selected pod', () => {
    const cache = cacheOf(nodes, [[makePod('web-1', { labels: { app: 'web' } }), 'a1']]);
    expect(feasible(cache, { labels: { app: 'web' }, affinity: antiAffinity({ app: 'web' }) })).toEqual(['a2', 'b1', 'nozone']);
  });

  test('on a zone: not in the zone holding a selected pod; a node without the label is in no zone', () => {
    const cache = cacheOf(nodes, [[makePod('web-1', { labels: { app: 'web' } }), 'a1']]);
    expect(feasible(cache, { affinity: antiAffinity({ app: 'web' }, 'zone') })).toEqual(['b1', 'nozone']);
  });

  test('the reason is Kubernetes’ words', () => {
    const cache = cacheOf(nodes, [[makePod('web-1', { labels: { app: 'web' } }), 'a1']]);
    const state = new CycleState();
    const info = pod('new', { affinity: antiAffinity({ app: 'web' }) });
    interPodAntiAffinity.preFilter(state, info, cache);
    expect(interPodAntiAffinity.filter(state, info, cache.nodeInfo('a1')!)).toEqual({ code: 'Unschedulable', reasons: [REASON_ANTI_AFFINITY] });
  });

  test('only pods of the term’s namespaces count (its own by default; an empty namespaceSelector means all)', () => {
    const cache = cacheOf(nodes, [[makePod('web-1', { namespace: 'other', labels: { app: 'web' } }), 'a1']]);
    expect(feasible(cache, { affinity: antiAffinity({ app: 'web' }) })).toEqual(['a1', 'a2', 'b1', 'nozone']);
    expect(feasible(cache, { affinity: antiAffinity({ app: 'web' }, 'kubernetes.io/hostname', { namespaces: ['other'] }) })).toEqual(['a2', 'b1', 'nozone']);
    expect(feasible(cache, { affinity: antiAffinity({ app: 'web' }, 'kubernetes.io/hostname', { namespaceSelector: {} }) })).toEqual(['a2', 'b1', 'nozone']);
  });

  test('symmetric: an existing pod’s anti-affinity keeps a pod it selects away', () => {
    const cache = cacheOf(nodes, [[makePod('db-1', { labels: { app: 'db' }, affinity: antiAffinity({ app: 'web' }, 'zone') }), 'b1']]);
    expect(feasible(cache, { labels: { app: 'web' } })).toEqual(['a1', 'a2', 'nozone']);
    expect(feasible(cache, { labels: { app: 'api' } })).toEqual(['a1', 'a2', 'b1', 'nozone']);
    const state = new CycleState();
    const info = pod('new', { labels: { app: 'web' } });
    interPodAntiAffinity.preFilter(state, info, cache);
    expect(interPodAntiAffinity.filter(state, info, cache.nodeInfo('b1')!).reasons).toEqual([REASON_EXISTING_ANTI_AFFINITY]);
  });

  test('nothing to check: every node passes', () => {
    const cache = cacheOf(nodes, [[makePod('web-1', { labels: { app: 'web' } }), 'a1']]);
    expect(feasible(cache, { labels: { app: 'web' } })).toEqual(['a1', 'a2', 'b1', 'nozone']);
  });
});
