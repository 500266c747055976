/**
 * Taint-based eviction decisions and readiness taints, as pure functions: a pod goes at
 * once when it does not tolerate a NoExecute taint, after the smallest toleration time of
 * the tolerations it used otherwise, never when none of them is time-limited; pods that say
 * nothing about readiness taints get the default toleration; a node's readiness taints
 * follow its Ready status and keep everything else.
 */
import {
  NOT_READY_TAINT_KEY,
  UNREACHABLE_TAINT_KEY,
  effectiveTolerations,
  evictionDecision,
  taintsForReadiness,
} from '../../../control-plane/controllers/node-lifecycle/taint-eviction.js';
import type { NodeTaint } from '../../../control-plane/controllers/node-lifecycle/taint-eviction.js';
import { parseTolerations } from '../../../control-plane/api/taints.js';

const unreachable: NodeTaint = { key: UNREACHABLE_TAINT_KEY, effect: 'NoExecute' };
const dedicated: NodeTaint = { key: 'dedicated', value: 'db', effect: 'NoExecute' };

test('eviction follows the tolerations the NoExecute taints use', () => {
  // Tolerations as a pod spec writes them.
  const defaults = (tolerations: Record<string, unknown>[] = []) => effectiveTolerations(parseTolerations(tolerations), 300);
  expect(evictionDecision([], defaults())).toEqual({ kind: 'stay' });
  expect(evictionDecision([{ key: 'x', effect: 'NoSchedule' }], defaults())).toEqual({ kind: 'stay' });
  expect(evictionDecision([unreachable], defaults())).toEqual({ kind: 'evict-after', seconds: 300 });
  expect(evictionDecision([unreachable, dedicated], defaults())).toEqual({ kind: 'evict-now' });
  expect(evictionDecision([unreachable], defaults([{ key: UNREACHABLE_TAINT_KEY, operator: 'Exists', effect: 'NoExecute' }]))).toEqual({ kind: 'stay' });
  expect(evictionDecision([unreachable], defaults([{ operator: 'Exists' }]))).toEqual({ kind: 'stay' });
  expect(evictionDecision([unreachable, dedicated], defaults([{ key: 'dedicated', value: 'db', effect: 'NoExecute', tolerationSeconds: 60 }]))).toEqual({
    kind: 'evict-after',
    seconds: 60,
  });
  expect(evictionDecision([dedicated], defaults([{ key: 'dedicated', value: 'other', effect: 'NoExecute' }]))).toEqual({ kind: 'evict-now' });
  expect(evictionDecision([unreachable], defaults([{ key: UNREACHABLE_TAINT_KEY, operator: 'Exists', tolerationSeconds: 0, effect: 'NoExecute' }]))).toEqual({ kind: 'evict-now' });
});

test('readiness taints follow the Ready status and leave the other taints alone', () => {
  const now = new Date('2026-12-02T01:47:50.123Z');
  const other: NodeTaint = { key: 'gpu', value: 'yes', effect: 'NoSchedule' };
  expect(taintsForReadiness([other], 'True', now)).toBeNull();
  const unknown = taintsForReadiness([other], 'Unknown', now)!;
  expect(unknown).toEqual([other, { key: UNREACHABLE_TAINT_KEY, effect: 'NoSchedule' }, { key: UNREACHABLE_TAINT_KEY, effect: 'NoExecute', timeAdded: '2026-12-02T01:47:50Z' }]);
  expect(taintsForReadiness(unknown, 'Unknown', new Date())).toBeNull();
  expect(taintsForReadiness(unknown, 'False', now)).toEqual([
    other,
    { key: NOT_READY_TAINT_KEY, effect: 'NoSchedule' },
    { key: NOT_READY_TAINT_KEY, effect: 'NoExecute', timeAdded: '2026-12-02T01:47:50Z' },
  ]);
  expect(taintsForReadiness(unknown, 'True', now)).toEqual([other]);
  // No Ready condition yet: no opinion.
  expect(taintsForReadiness([], undefined, now)).toBeNull();
});
