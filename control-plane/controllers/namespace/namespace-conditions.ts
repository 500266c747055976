/**
 * The status conditions Kubernetes' namespace controller keeps on a namespace being deleted,
 * computed from what the last deletion pass found (pure). Each condition is True when
 * something is wrong or still pending, False (with an "all is well" reason) otherwise; the
 * `lastTransitionTime` only moves when the status changes.
 */
import { timestamp } from '../../apiserver/registry.js';

export interface NamespaceCondition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

/** What one pass over the namespace's content found. */
export interface ContentTotals {
  /** Objects still present, per qualified resource (`pods`, `replicasets.apps`). */
  readonly remainingByResource: ReadonlyMap<string, number>;
  /** Objects still present that wait for a finalizer, per finalizer. */
  readonly remainingByFinalizer: ReadonlyMap<string, number>;
  /** Resources whose list or deletes failed, with the first error of each. */
  readonly failures: ReadonlyMap<string, string>;
}

type Verdict = { status: 'True' | 'False'; reason: string; message: string };

/** The conditions for these totals, keeping the transition times of `previous` that did not change status. */
export function namespaceConditions(totals: ContentTotals, previous: readonly NamespaceCondition[], now: Date): NamespaceCondition[] {
  const verdicts: [string, Verdict][] = [
    ['NamespaceDeletionDiscoveryFailure', ok('ResourcesDiscovered', 'All resources successfully discovered')],
    ['NamespaceDeletionGroupVersionParsingFailure', ok('ParsedGroupVersions', 'All legacy kube types successfully parsed')],
    [
      'NamespaceDeletionContentFailure',
      totals.failures.size === 0
        ? ok('ContentDeleted', 'All content successfully deleted, may be waiting on finalization')
        : pending('ContentDeletionFailed', `Failed to delete all resource types, ${totals.failures.size} remaining: ${list(totals.failures, (resource, error) => `${resource}: ${error}`)}`),
    ],
    [
      'NamespaceContentRemaining',
      totals.remainingByResource.size === 0
        ? ok('ContentRemoved', 'All content successfully removed')
        : pending('SomeResourcesRemain', `Some resources are remaining: ${list(totals.remainingByResource, (resource, count) => `${resource} has ${count} resource instances`)}`),
    ],
    [
      'NamespaceFinalizersRemaining',
      totals.remainingByFinalizer.size === 0
        ? ok('ContentHasNoFinalizers', 'All content-preserving finalizers finished')
        : pending('SomeFinalizersRemain', `Some content in the namespace has finalizers remaining: ${list(totals.remainingByFinalizer, (finalizer, count) => `${finalizer} in ${count} resource instances`)}`),
    ],
  ];
  return verdicts.map(([type, verdict]) => {
    const before = previous.find((condition) => condition.type === type);
    const lastTransitionTime = before !== undefined && before.status === verdict.status ? before.lastTransitionTime : timestamp(now);
    return { type, ...verdict, lastTransitionTime };
  });
}

function ok(reason: string, message: string): Verdict {
  return { status: 'False', reason, message };
}

function pending(reason: string, message: string): Verdict {
  return { status: 'True', reason, message };
}

/** `a has 1, b has 2`, sorted by key so that equal totals give equal messages. */
function list<V>(entries: ReadonlyMap<string, V>, format: (key: string, value: V) => string): string {
  return [...entries.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => format(key, value))
    .join(', ');
}
