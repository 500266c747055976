/**
 * Node rules. A node's taints repel pods that do not tolerate them; `unschedulable`
 * (cordon) keeps new pods off; its status, written by its node agent, says what it has
 * (`capacity`) and what pods may use (`allocatable`), which the scheduler sums requests
 * against.
 */
import { labelValueErrors, qualifiedNameErrors } from '../names.js';
import {
  checkName,
  checkOneOf,
  child,
  duplicate,
  isAbsent,
  readBoolean,
  readRecord,
  readRecordList,
  readRequiredString,
  readString,
  required,
} from './checks.js';
import type { Errors } from './checks.js';
import { TAINT_EFFECTS, readQuantities, validateConditions } from './pod.js';

export function validateNodeSpec(specValue: unknown, errors: Errors): void {
  const spec = readRecord(errors, specValue, 'spec');
  if (spec === undefined) return;
  readBoolean(errors, spec.unschedulable, 'spec.unschedulable');
  readString(errors, spec.podCIDR, 'spec.podCIDR');
  readString(errors, spec.providerID, 'spec.providerID');
  // A taint is identified by its key and effect: two with both equal would be one taint.
  const seen = new Set<string>();
  for (const { item: taint, path } of readRecordList(errors, spec.taints, 'spec.taints')) {
    const taintKey = readString(errors, taint.key, child(path, 'key'));
    if (taintKey !== undefined || isAbsent(taint.key)) {
      checkName(errors, child(path, 'key'), taintKey ?? '', qualifiedNameErrors);
    }
    const value = readString(errors, taint.value, child(path, 'value'));
    if (value !== undefined) checkName(errors, child(path, 'value'), value, labelValueErrors);
    const effect = readString(errors, taint.effect, child(path, 'effect'));
    if (effect === undefined || effect === '') {
      if (isAbsent(taint.effect) || effect === '') required(errors, child(path, 'effect'));
    } else {
      checkOneOf(errors, effect, child(path, 'effect'), TAINT_EFFECTS);
    }
    readString(errors, taint.timeAdded, child(path, 'timeAdded'));
    const identity = `${taintKey ?? ''}:${effect ?? ''}`;
    if (seen.has(identity)) duplicate(errors, path, identity, 'taints must be unique by key and effect pair');
    seen.add(identity);
  }
}

export function validateNodeStatus(value: unknown, errors: Errors): void {
  const status = readRecord(errors, value, 'status');
  if (status === undefined) return;
  readQuantities(status.capacity, 'status.capacity', errors);
  readQuantities(status.allocatable, 'status.allocatable', errors);
  validateConditions(status.conditions, 'status.conditions', errors);
  for (const { item, path } of readRecordList(errors, status.addresses, 'status.addresses')) {
    readRequiredString(errors, item.type, child(path, 'type'));
    readRequiredString(errors, item.address, child(path, 'address'));
  }
}
