/**
 * The garbage collector's dependency graph: owners are uids; an owner only named by
 * references is virtual until observed and kept while anything references it; removing a
 * reference or a dependent unlinks it; deletion states come from `deletionTimestamp` and
 * the foreground and orphan finalizers.
 */
import { resourceByName } from '../../../control-plane/api/resources.js';
import type { ApiObject } from '../../../control-plane/api/types.js';
import { DependencyGraph } from '../../../control-plane/controllers/garbage-collector/dependency-graph.js';

const REPLICASETS = resourceByName('replicasets')!;
const PODS = resourceByName('pods')!;

const rs = (uid: string, extra: Partial<ApiObject['metadata']> = {}): ApiObject => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', namespace: 'ns', uid, ...extra } });
const pod = (name: string, uid: string, owners: string[]): ApiObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', uid, ownerReferences: owners.map((owner) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: owner, blockOwnerDeletion: true })) },
});

test('references make virtual owners, observed owners become real, and unlinking forgets what nobody names', () => {
  const graph = new DependencyGraph();
  graph.observe(PODS, pod('p1', 'p1-uid', ['rs-uid']));
  const virtual = graph.get('rs-uid')!;
  expect(virtual.observed).toBe(false);
  expect(virtual.ref).toMatchObject({ info: REPLICASETS, namespace: 'ns', name: 'rs' });
  expect(graph.dependents('rs-uid').map((node) => node.uid)).toEqual(['p1-uid']);

  graph.observe(REPLICASETS, rs('rs-uid'));
  expect(graph.get('rs-uid')!.observed).toBe(true);
  graph.observe(PODS, pod('p2', 'p2-uid', ['rs-uid']));
  expect(graph.dependents('rs-uid').map((node) => node.uid).sort()).toEqual(['p1-uid', 'p2-uid']);

  // p2 is let go; p1 is deleted.
  const { previousOwners } = graph.observe(PODS, pod('p2', 'p2-uid', []));
  expect(previousOwners.map((reference) => reference.uid)).toEqual(['rs-uid']);
  const gone = graph.forget('p1-uid')!;
  expect(gone.owners.map((reference) => reference.uid)).toEqual(['rs-uid']);
  expect(graph.dependents('rs-uid')).toEqual([]);

  // The owner goes while p3 still names it: it stays, virtual, until p3 goes too.
  graph.observe(PODS, pod('p3', 'p3-uid', ['rs-uid']));
  const ownerGone = graph.forget('rs-uid')!;
  expect([...ownerGone.dependents]).toEqual(['p3-uid']);
  expect(graph.get('rs-uid')!.observed).toBe(false);
  graph.forget('p3-uid');
  expect(graph.get('rs-uid')).toBeUndefined();
});

test('deletion states come from the deletion mark and the finalizers', () => {
  const graph = new DependencyGraph();
  const at = '2026-12-02T01:47:50Z';
  expect(graph.observe(REPLICASETS, rs('a', { deletionTimestamp: at, finalizers: ['foregroundDeletion'] })).node).toMatchObject({ beingDeleted: true, deletingDependents: true, orphaning: false });
  expect(graph.observe(REPLICASETS, rs('b', { deletionTimestamp: at, finalizers: ['orphan'] })).node).toMatchObject({ beingDeleted: true, deletingDependents: false, orphaning: true });
  // A finalizer without the deletion mark means nothing yet.
  expect(graph.observe(REPLICASETS, rs('c', { finalizers: ['foregroundDeletion'] })).node).toMatchObject({ beingDeleted: false, deletingDependents: false });
});
