/**
 * The Deployment controller's pure parts: Kubernetes' surge and unavailability arithmetic,
 * the template hash, revisions and their annotations, the rollout plans (rolling update
 * steps, proportional scaling — Kubernetes' documented 10 → 15 example), and the status
 * with its Progressing judgement against the deadline.
 */
import { REASONS } from '../../../control-plane/controllers/deployment/constants.js';
import type { Deployment } from '../../../control-plane/controllers/deployment/deployment-object.js';
import { deploymentTimedOut, progressRecheckDelayMs, rolloutStatus } from '../../../control-plane/controllers/deployment/deployment-status.js';
import { findNewReplicaSet } from '../../../control-plane/controllers/deployment/replica-set-groups.js';
import { maxRevision, setNewReplicaSetAnnotations } from '../../../control-plane/controllers/deployment/revisions.js';
import { maxSurge, maxUnavailable, resolveFenceposts, scaledValue } from '../../../control-plane/controllers/deployment/rolling-limits.js';
import { isScalingEvent, newReplicaSetSize, planNewReplicaSet, planOldReplicaSets, planScale } from '../../../control-plane/controllers/deployment/rollout-planning.js';
import { canonicalJson, computeTemplateHash, equalIgnoringHash } from '../../../control-plane/controllers/deployment/template-hash.js';
import type { PodTemplate, ReplicaSet } from '../../../control-plane/controllers/replicaset/workload-objects.js';

const TEMPLATE: PodTemplate = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'web:1' }] } };

function deployment(replicas: number, strategy: Deployment['spec']['strategy'] = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } }, status: Deployment['status'] = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: 2, annotations: { 'kubernetes.io/change-cause': 'v2' } },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: TEMPLATE, strategy, progressDeadlineSeconds: 60 },
    status,
  };
}

function rs(name: string, replicas: number, available: number, options: { created?: string; annotations?: Record<string, string>; image?: string } = {}): ReplicaSet {
  const template: PodTemplate = { metadata: { labels: { app: 'web', 'pod-template-hash': name } }, spec: { containers: [{ name: 'main', image: options.image ?? 'web:1' }] } };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default', uid: name, creationTimestamp: options.created ?? '2026-12-02T01:00:00Z', annotations: options.annotations ?? {} },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template },
    status: { replicas, readyReplicas: available, availableReplicas: available },
  };
}

describe('surge and unavailability', () => {
  test('percentages: surge rounds up, unavailability down; both 0 makes one unavailable', () => {
    expect(scaledValue('25%', 10, true)).toBe(3);
    expect(scaledValue('25%', 10, false)).toBe(2);
    expect(scaledValue(4, 10, true)).toBe(4);
    expect(() => scaledValue('a lot', 10, true)).toThrow(RangeError);
    expect(resolveFenceposts('25%', '25%', 10)).toEqual({ surge: 3, unavailable: 2 });
    expect(resolveFenceposts('10%', '10%', 5)).toEqual({ surge: 1, unavailable: 0 });
    expect(resolveFenceposts(0, '10%', 5)).toEqual({ surge: 0, unavailable: 1 });
    expect(resolveFenceposts(undefined, undefined, 1)).toEqual({ surge: 1, unavailable: 0 });
  });

  test('only rolling updates surge; unavailability is at most the replicas', () => {
    expect(maxSurge(deployment(10))).toBe(3);
    expect(maxUnavailable(deployment(10))).toBe(2);
    expect(maxUnavailable(deployment(1, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 5 } }))).toBe(1);
    expect(maxUnavailable(deployment(0))).toBe(0);
    expect(maxSurge(deployment(10, { type: 'Recreate' }))).toBe(0);
    expect(maxUnavailable(deployment(10, { type: 'Recreate' }))).toBe(0);
  });
});

describe('template hash', () => {
  test('depends on the template alone (not key order, not the hash label), and on the collision count', () => {
    const reordered: PodTemplate = { spec: { containers: [{ image: 'web:1', name: 'main' }] }, metadata: { labels: { app: 'web' } } };
    const hash = computeTemplateHash(TEMPLATE);
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(computeTemplateHash(reordered)).toBe(hash);
    expect(computeTemplateHash({ ...TEMPLATE, metadata: { labels: { app: 'web', 'pod-template-hash': 'x' } } })).toBe(hash);
    expect(computeTemplateHash(TEMPLATE, 1)).not.toBe(hash);
    expect(computeTemplateHash({ ...TEMPLATE, spec: { containers: [{ name: 'main', image: 'web:2' }] } })).not.toBe(hash);
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
  });

  test('null and empty-object fields count as absent: the template kubectl rollout undo copies back hashes as the original', () => {
    // kubectl 1.20's undo sends the ReplicaSet's template as its Go types write it.
    const fromKubectl = {
      metadata: { labels: { app: 'web' }, creationTimestamp: null },
      spec: { containers: [{ name: 'main', image: 'web:1', resources: {} }], securityContext: {} },
    } as unknown as PodTemplate;
    expect(computeTemplateHash(fromKubectl)).toBe(computeTemplateHash(TEMPLATE));
    expect(equalIgnoringHash(fromKubectl, TEMPLATE)).toBe(true);
    expect(canonicalJson({ a: { b: {} }, c: null, d: [{}, null] })).toBe('{"d":[{},null]}');
  });

  test('the new ReplicaSet is the oldest whose template equals the Deployment\'s, the hash label aside', () => {
    const old = rs('old', 1, 1, { image: 'web:0', created: '2026-12-02T00:00:00Z' });
    const current = rs('current', 1, 1, { created: '2026-12-02T01:00:00Z' });
    const twin = rs('twin', 1, 1, { created: '2026-12-02T02:00:00Z' });
    expect(equalIgnoringHash(current.spec.template, TEMPLATE)).toBe(true);
    expect(findNewReplicaSet(deployment(3), [twin, old, current])?.metadata.name).toBe('current');
    expect(findNewReplicaSet(deployment(3), [old])).toBeUndefined();
  });
});

describe('revisions', () => {
  test('a new ReplicaSet gets the next revision, the Deployment\'s annotations and its sizes', () => {
    const created = rs('new', 0, 0);
    expect(setNewReplicaSetAnnotations(deployment(10), created, 3, false)).toBe(true);
    expect(created.metadata.annotations).toEqual({
      'kubernetes.io/change-cause': 'v2',
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/desired-replicas': '10',
      'deployment.kubernetes.io/max-replicas': '13',
    });
    expect(setNewReplicaSetAnnotations(deployment(10), created, 3, true)).toBe(false);
  });

  test('a ReplicaSet brought back gets a new revision and remembers its old ones', () => {
    const reused = rs('old', 0, 0, { annotations: { 'deployment.kubernetes.io/revision': '1' } });
    setNewReplicaSetAnnotations(deployment(2), reused, 3, true);
    expect(reused.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    expect(reused.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1');
    setNewReplicaSetAnnotations(deployment(2), reused, 5, true);
    expect(reused.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1,3');
    expect(maxRevision([reused, rs('x', 0, 0, { annotations: { 'deployment.kubernetes.io/revision': '4' } })])).toBe(5);
  });
});

describe('rolling update plans (10 replicas, maxSurge 3, maxUnavailable 2)', () => {
  const d = deployment(10);

  test('the new ReplicaSet starts at the surge, and grows as room appears', () => {
    expect(newReplicaSetSize(d, [rs('old', 10, 10)], 0)).toBe(3);
    const newRS = rs('new', 3, 0, { image: 'web:2' });
    expect(planNewReplicaSet(d, [rs('old', 10, 10), newRS], newRS)).toBeUndefined();
    expect(planNewReplicaSet(d, [rs('old', 8, 8), newRS], newRS)).toBe(5);
    const tooBig = rs('new', 12, 12);
    expect(planNewReplicaSet(d, [tooBig], tooBig)).toBe(10);
  });

  test('old ReplicaSets shrink down to the minimum availability, unavailable pods first, oldest first', () => {
    const newRS = rs('new', 3, 0, { image: 'web:2' });
    const old = rs('old', 10, 10);
    expect(planOldReplicaSets(d, [old, newRS], [old], newRS).map((step) => [step.rs.metadata.name, step.replicas])).toEqual([['old', 8]]);
    // No room while the new pods are not available.
    const stuck = rs('old', 8, 8);
    expect(planOldReplicaSets(d, [stuck, rs('new', 5, 0)], [stuck], rs('new', 5, 0))).toEqual([]);
    // The 3 unavailable old pods go first (they cost no availability), then 2 available
    // ones, oldest ReplicaSet first: 8 available remain.
    const older = rs('older', 4, 1, { created: '2026-12-02T00:00:00Z' });
    const newer = rs('newer', 6, 6, { created: '2026-12-02T00:30:00Z' });
    const ready = rs('new', 3, 3, { image: 'web:2' });
    expect(planOldReplicaSets(d, [older, newer, ready], [older, newer], ready).map((step) => [step.rs.metadata.name, step.replicas])).toEqual([
      ['older', 0],
      ['newer', 5],
    ]);
  });

  test('a stale status counting pods already being deleted does not scale down twice', () => {
    // Scaled 10 → 8 a moment ago; its status still counts the 2 pods being deleted.
    const old = rs('old', 8, 10);
    const newRS = rs('new', 5, 2, { image: 'web:2' });
    // Available: 8 old (not 10) + 2 new, so 2 may go and 8 stay available. Trusting the
    // stale 10 would remove 4 and leave 6.
    expect(planOldReplicaSets(d, [old, newRS], [old], newRS).map((step) => step.replicas)).toEqual([6]);
  });
});

describe('proportional scaling', () => {
  test('Kubernetes\' example: a stuck rollout of 10 (8 old, 5 new) scaled to 15 gives 3 to the old and 2 to the new', () => {
    const annotations = { 'deployment.kubernetes.io/desired-replicas': '10', 'deployment.kubernetes.io/max-replicas': '13' };
    const old = rs('old', 8, 8, { annotations, created: '2026-12-02T00:00:00Z' });
    const newRS = rs('new', 5, 0, { annotations, image: 'web:2' });
    const scaled = deployment(15, undefined, { replicas: 13 });
    expect(isScalingEvent(scaled, newRS, [old])).toBe(true);
    expect(planScale(scaled, newRS, [old]).map((step) => [step.rs.metadata.name, step.replicas])).toEqual([
      ['old', 11],
      ['new', 7],
    ]);
    // And back down to 10: the older ReplicaSet gives first on a tie, leftovers go to the largest.
    const down = deployment(10, undefined, { replicas: 18 });
    const bigOld = rs('old', 11, 11, { annotations: { 'deployment.kubernetes.io/max-replicas': '18' } });
    const bigNew = rs('new', 7, 0, { annotations: { 'deployment.kubernetes.io/max-replicas': '18' }, image: 'web:2' });
    expect(planScale(down, bigNew, [bigOld]).map((step) => [step.rs.metadata.name, step.replicas])).toEqual([
      ['old', 8],
      ['new', 5],
    ]);
  });

  test('one active ReplicaSet takes every replica; none active: the new one', () => {
    const only = rs('only', 3, 3);
    expect(planScale(deployment(5), undefined, [only]).map((step) => [step.rs.metadata.name, step.replicas])).toEqual([['only', 5]]);
    const idle = rs('idle', 0, 0);
    const newRS = rs('new', 0, 0, { image: 'web:2' });
    expect(planScale(deployment(2), newRS, [idle]).map((step) => [step.rs.metadata.name, step.replicas])).toEqual([['new', 2]]);
    expect(planScale(deployment(3), only, [])).toEqual([]);
  });
});

describe('rollout status', () => {
  const start = new Date('2026-12-02T01:00:00Z');

  test('progress refreshes Progressing; no progress past the deadline is ProgressDeadlineExceeded; completion is NewReplicaSetAvailable', () => {
    const newRS = rs('new', 2, 0, { image: 'web:2' });
    newRS.status = { replicas: 0 };
    const d = deployment(2, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    d.spec.progressDeadlineSeconds = 60;
    let status = rolloutStatus([newRS], newRS, d, start);
    expect(status.conditions?.find((c) => c.type === 'Progressing')).toBeUndefined();
    newRS.status = { replicas: 2, readyReplicas: 0, availableReplicas: 0 };
    status = rolloutStatus([newRS], newRS, d, start);
    const progressing = status.conditions!.find((c) => c.type === 'Progressing')!;
    expect(progressing).toMatchObject({ status: 'True', reason: REASONS.replicaSetUpdated, message: 'ReplicaSet "new" is progressing.', lastUpdateTime: '2026-12-02T01:00:00Z' });
    expect(status.conditions!.find((c) => c.type === 'Available')).toMatchObject({ status: 'False', reason: REASONS.minimumReplicasUnavailable });
    d.status = status;
    expect(progressRecheckDelayMs(d, status, start)).toBe(60_000);
    const later = new Date(start.getTime() + 60_001);
    expect(deploymentTimedOut(d, status, later)).toBe(true);
    const timedOut = rolloutStatus([newRS], newRS, d, later);
    expect(timedOut.conditions!.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', reason: REASONS.progressDeadlineExceeded, message: 'ReplicaSet "new" has timed out progressing.' });
    expect(progressRecheckDelayMs(d, timedOut, later)).toBeUndefined();
    newRS.status = { replicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 };
    d.status = timedOut;
    const done = rolloutStatus([newRS], newRS, d, later);
    expect(done).toMatchObject({ replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, unavailableReplicas: 0, observedGeneration: 2 });
    expect(done.conditions!.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: REASONS.newReplicaSetAvailable });
    expect(done.conditions!.find((c) => c.type === 'Available')).toMatchObject({ status: 'True', reason: REASONS.minimumReplicasAvailable });
  });
});
