/**
 * `rollout status`'s judgement of one Deployment, kubectl's lines in kubectl's order, and the
 * history helpers: revisions from the ReplicaSets' annotations, kubectl's table, and which
 * ReplicaSet an undo goes back to.
 */
import type { ApiObject } from '../../../control-plane/api/types.js';
import { historyTable, replicaSetForRevision, revisions } from '../../../control-plane/cli/deployment-history.js';
import { CliError } from '../../../control-plane/cli/errors.js';
import { deploymentRolloutStatus } from '../../../control-plane/cli/rollout-status.js';

function deployment(generation: number, status: Record<string, unknown>, replicas = 3, revision = '2'): ApiObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', generation, annotations: { 'deployment.kubernetes.io/revision': revision } },
    spec: { replicas },
    status,
  };
}

function rs(name: string, revision: string | undefined, cause?: string): ApiObject {
  const annotations: Record<string, string> = {};
  if (revision !== undefined) annotations['deployment.kubernetes.io/revision'] = revision;
  if (cause !== undefined) annotations['kubernetes.io/change-cause'] = cause;
  return { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, annotations } };
}

test('kubectl\'s lines, in its order', () => {
  expect(deploymentRolloutStatus(deployment(2, { observedGeneration: 1 }))).toEqual({ message: 'Waiting for deployment spec update to be observed...\n', done: false });
  expect(deploymentRolloutStatus(deployment(2, { observedGeneration: 2, updatedReplicas: 1, replicas: 4 }))).toEqual({
    message: 'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...\n',
    done: false,
  });
  expect(deploymentRolloutStatus(deployment(2, { observedGeneration: 2, updatedReplicas: 3, replicas: 4 })).message).toBe(
    'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...\n',
  );
  expect(deploymentRolloutStatus(deployment(2, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 1 })).message).toBe(
    'Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...\n',
  );
  expect(deploymentRolloutStatus(deployment(2, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }))).toEqual({
    message: 'deployment "web" successfully rolled out\n',
    done: true,
  });
});

test('a rollout past its deadline, or of another revision than asked, is an error', () => {
  const stuck = deployment(2, { observedGeneration: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] });
  expect(() => deploymentRolloutStatus(stuck)).toThrow(new CliError('deployment "web" exceeded its progress deadline'));
  const done = deployment(2, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 });
  expect(deploymentRolloutStatus(done, 2).done).toBe(true);
  expect(() => deploymentRolloutStatus(done, 1)).toThrow(new CliError('desired revision (1) is different from the running revision (2)'));
});

test('history: revisions in order with their change causes', () => {
  const sets = [rs('c', '10', 'ten'), rs('a', '2'), rs('none', undefined), rs('b', '9', 'nine')];
  expect(revisions(sets).map((entry) => entry.revision)).toEqual([2, 9, 10]);
  expect(historyTable(sets)).toBe('REVISION  CHANGE-CAUSE\n2         <none>\n9         nine\n10        ten\n');
  expect(historyTable([])).toBe('No rollout history found.\n');
});

test('undo goes to the revision before the latest, or the one asked for', () => {
  const sets = [rs('a', '1'), rs('c', '3'), rs('b', '2')];
  expect(replicaSetForRevision('web', sets, 0).metadata.name).toBe('b');
  expect(replicaSetForRevision('web', sets, 1).metadata.name).toBe('a');
  expect(() => replicaSetForRevision('web', sets, 7)).toThrow(new CliError('unable to find specified revision 7 in history'));
  expect(() => replicaSetForRevision('web', [rs('a', '1')], 0)).toThrow(new CliError('no rollout history found for deployment "web"'));
});
