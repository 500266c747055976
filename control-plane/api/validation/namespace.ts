/**
 * Namespace rules. A namespace has nothing of its own beyond metadata: its spec lists the
 * finalizers that must run before it disappears (`kubernetes`: its content is deleted
 * first), its status whether it is `Active` or `Terminating`.
 */
import { validateFinalizers } from './metadata.js';
import { checkOneOf, readRecord } from './checks.js';
import type { Errors } from './checks.js';

export const NAMESPACE_PHASES = ['Active', 'Terminating'] as const;

export function validateNamespaceSpec(specValue: unknown, errors: Errors): void {
  const spec = readRecord(errors, specValue, 'spec');
  if (spec !== undefined) validateFinalizers(spec.finalizers, 'spec.finalizers', errors);
}

export function validateNamespaceStatus(value: unknown, errors: Errors): void {
  const status = readRecord(errors, value, 'status');
  if (status !== undefined) checkOneOf(errors, status.phase, 'status.phase', NAMESPACE_PHASES);
}
