/**
 * The ReplicaSet controller's pure parts: which pods go first on a scale-down (Kubernetes'
 * order), slow-start batches, expectations (and their expiry), the status computed from the
 * pods, and the pod made from a template.
 */
import type { ApiObject } from '../../../control-plane/api/types.js';
import { ControllerExpectations } from '../../../control-plane/controllers/replicaset/expectations.js';
import { podsToDelete } from '../../../control-plane/controllers/replicaset/pod-deletion-order.js';
import { isPodActive, isPodAvailable } from '../../../control-plane/controllers/replicaset/pod-readiness.js';
import { podFromTemplate } from '../../../control-plane/controllers/replicaset/replicaset-controller.js';
import { calculateReplicaSetStatus, nextAvailabilityMs, replicaSetStatusChanged } from '../../../control-plane/controllers/replicaset/replicaset-status.js';
import { slowStartBatch } from '../../../control-plane/controllers/replicaset/slow-start.js';
import type { Pod, ReplicaSet } from '../../../control-plane/controllers/replicaset/workload-objects.js';

interface PodShape {
  name: string;
  node?: string;
  phase?: string;
  /** When it became ready (RFC 3339); absent: not ready. */
  readySince?: string;
  restarts?: number;
  created?: string;
  labels?: Record<string, string>;
  deleting?: boolean;
}

function pod(shape: PodShape): Pod {
  const conditions = shape.readySince === undefined ? [] : [{ type: 'Ready', status: 'True', lastTransitionTime: shape.readySince }];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: shape.name,
      namespace: 'default',
      labels: shape.labels ?? { app: 'web' },
      creationTimestamp: shape.created ?? '2026-12-02T01:00:00Z',
      ...(shape.deleting === true ? { deletionTimestamp: '2026-12-02T02:00:00Z' } : {}),
    },
    spec: { ...(shape.node === undefined ? {} : { nodeName: shape.node }), containers: [] },
    status: { phase: shape.phase ?? 'Running', conditions, containerStatuses: [{ name: 'main', restartCount: shape.restarts ?? 0 }] },
  };
}

function replicaSet(replicas: number, minReadySeconds = 0, status: ReplicaSet['status'] = undefined): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'default', uid: 'rs-uid', generation: 4 },
    spec: { replicas, minReadySeconds, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { containers: [] } } },
    ...(status === undefined ? {} : { status }),
  };
}

describe('scale-down order', () => {
  test('unassigned, then Pending < Unknown < Running, then not ready, then ready for less time, then restarts, then newer', () => {
    const pods = [
      pod({ name: 'ready-long', node: 'n', readySince: '2026-12-02T01:00:00Z' }),
      pod({ name: 'ready-recent', node: 'n', readySince: '2026-12-02T01:30:00Z' }),
      pod({ name: 'running-unready-old', node: 'n', created: '2026-12-02T00:00:00Z' }),
      pod({ name: 'running-unready-new', node: 'n', created: '2026-12-02T01:00:00Z' }),
      pod({ name: 'running-unready-crashing', node: 'n', restarts: 4, created: '2026-12-02T00:00:00Z' }),
      pod({ name: 'unknown', node: 'n', phase: 'Unknown' }),
      pod({ name: 'pending', node: 'n', phase: 'Pending' }),
      pod({ name: 'unassigned', phase: 'Pending' }),
    ];
    expect(podsToDelete(pods, pods.length).map((victim) => victim.metadata.name)).toEqual([
      'unassigned',
      'pending',
      'unknown',
      'running-unready-crashing',
      'running-unready-new',
      'running-unready-old',
      'ready-recent',
      'ready-long',
    ]);
    expect(podsToDelete(pods, 2).map((victim) => victim.metadata.name)).toEqual(['unassigned', 'pending']);
    expect(podsToDelete(pods, 0)).toEqual([]);
  });
});

describe('pod readiness', () => {
  test('active pods are neither finished nor being deleted', () => {
    expect(isPodActive(pod({ name: 'a' }))).toBe(true);
    expect(isPodActive(pod({ name: 'b', phase: 'Succeeded' }))).toBe(false);
    expect(isPodActive(pod({ name: 'c', phase: 'Failed' }))).toBe(false);
    expect(isPodActive(pod({ name: 'd', deleting: true }))).toBe(false);
  });

  test('available once ready for longer than minReadySeconds', () => {
    const ready = pod({ name: 'a', readySince: '2026-12-02T01:00:00Z' });
    const at = Date.parse('2026-12-02T01:00:00Z');
    expect(isPodAvailable(ready, 0, at)).toBe(true);
    expect(isPodAvailable(ready, 10, at + 10_000)).toBe(false);
    expect(isPodAvailable(ready, 10, at + 10_001)).toBe(true);
    expect(isPodAvailable(pod({ name: 'b' }), 0, at)).toBe(false);
  });
});

describe('slow start', () => {
  test('batches of 1, 2, 4, ... until the count', async () => {
    const batches: number[] = [];
    let active = 0;
    const result = await slowStartBatch(10, 1, async () => {
      if (active === 0) batches.push(0);
      batches[batches.length - 1]!++;
      active++;
      await new Promise((resolve) => setImmediate(resolve));
      active--;
    });
    expect(result).toEqual({ successes: 10 });
    expect(batches).toEqual([1, 2, 4, 3]);
  });

  test('stops after the first batch with a failure, counting that batch\'s successes', async () => {
    let calls = 0;
    const result = await slowStartBatch(10, 1, async () => {
      calls++;
      if (calls === 5) throw new Error('quota exceeded');
    });
    expect(calls).toBe(7);
    expect(result.successes).toBe(6);
    expect((result.error as Error).message).toBe('quota exceeded');
    await expect(slowStartBatch(1, 0, async () => {})).rejects.toThrow(RangeError);
  });
});

describe('expectations', () => {
  test('creations and deletions (by pod key, counted once) must be observed', () => {
    const expectations = new ControllerExpectations(() => 0);
    expect(expectations.satisfied('ns/web')).toBe(true);
    expectations.expectCreations('ns/web', 2);
    expect(expectations.satisfied('ns/web')).toBe(false);
    expectations.creationObserved('ns/web');
    expect(expectations.pending('ns/web')).toEqual({ adds: 1, deletions: 0 });
    expectations.creationObserved('ns/web');
    expect(expectations.satisfied('ns/web')).toBe(true);
    expectations.expectDeletions('ns/web', ['ns/a', 'ns/b']);
    expectations.deletionObserved('ns/web', 'ns/a');
    expectations.deletionObserved('ns/web', 'ns/a');
    expect(expectations.satisfied('ns/web')).toBe(false);
    expectations.deletionObserved('ns/web', 'ns/b');
    expect(expectations.satisfied('ns/web')).toBe(true);
    expectations.expectCreations('ns/web', 1);
    expectations.delete('ns/web');
    expect(expectations.satisfied('ns/web')).toBe(true);
  });

  test('expire after the timeout', () => {
    let nowMs = 0;
    const expectations = new ControllerExpectations(() => nowMs, 1_000);
    expectations.expectCreations('ns/web', 3);
    nowMs = 1_000;
    expect(expectations.satisfied('ns/web')).toBe(false);
    nowMs = 1_001;
    expect(expectations.satisfied('ns/web')).toBe(true);
  });
});

describe('status', () => {
  const now = new Date('2026-12-02T01:00:30Z');

  test('counts replicas, fully labeled, ready and available pods', () => {
    const pods = [
      pod({ name: 'a', labels: { app: 'web', tier: 'fe' }, readySince: '2026-12-02T01:00:00Z' }),
      pod({ name: 'b', labels: { app: 'web', tier: 'fe' }, readySince: '2026-12-02T01:00:25Z' }),
      pod({ name: 'c', labels: { app: 'web' }, readySince: '2026-12-02T01:00:00Z' }),
      pod({ name: 'd', labels: { app: 'web', tier: 'fe' } }),
    ];
    const rs = replicaSet(4, 10);
    expect(calculateReplicaSetStatus(rs, pods, undefined, now)).toEqual({
      replicas: 4,
      fullyLabeledReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 2,
      observedGeneration: 4,
    });
    // b becomes available at 01:00:35.
    expect(nextAvailabilityMs(rs, pods, now.getTime())).toBe(Date.parse('2026-12-02T01:00:35Z'));
    expect(nextAvailabilityMs(replicaSet(4, 0), pods, now.getTime())).toBeUndefined();
  });

  test('a failure to manage pods is a ReplicaFailure condition until a sync succeeds', () => {
    const rs = replicaSet(3);
    const failed = calculateReplicaSetStatus(rs, [pod({ name: 'a' })], new Error('pods "web-x" is forbidden: quota'), now);
    expect(failed.conditions).toEqual([
      { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "web-x" is forbidden: quota', lastTransitionTime: '2026-12-02T01:00:30Z' },
    ]);
    const stillFailing = calculateReplicaSetStatus(replicaSet(3, 0, failed), [pod({ name: 'a' })], new Error('again'), now);
    expect(stillFailing.conditions).toEqual(failed.conditions);
    const recovered = calculateReplicaSetStatus(replicaSet(3, 0, failed), [pod({ name: 'a' })], undefined, now);
    expect(recovered.conditions).toBeUndefined();
    expect(replicaSetStatusChanged(failed, recovered)).toBe(true);
    expect(replicaSetStatusChanged(recovered, { ...recovered })).toBe(false);
  });
});

describe('pod from template', () => {
  test('labels, annotations, owner and a generated name no longer than Kubernetes allows', () => {
    const rs = replicaSet(1);
    rs.spec.template.metadata!.annotations = { note: 'x' };
    const made: ApiObject = podFromTemplate(rs);
    expect(made.metadata).toEqual({
      generateName: 'web-',
      namespace: 'default',
      labels: { app: 'web', tier: 'fe' },
      annotations: { note: 'x' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }],
    });
    rs.metadata.name = 'a'.repeat(80);
    expect(podFromTemplate(rs).metadata.generateName).toHaveLength(58);
  });
});
