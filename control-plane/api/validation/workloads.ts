/**
 * ReplicaSet and Deployment rules. Both keep `spec.replicas` copies of a pod template and
 * find their pods by `spec.selector`, so the selector must be non-empty (an empty one would
 * adopt every pod of the namespace), must select the template's own pods (or the
 * controller would create pods forever), and may not change (apps/v1: a new selector would
 * orphan the existing pods).
 */
import { dns1123LabelErrors, labelKeyErrors, labelValueErrors } from '../names.js';
import { labelSelectorFromObject, matchesLabels } from '../selectors.js';
import type { LabelSelector } from '../selectors.js';
import {
  checkIntegerAtLeast,
  checkLabels,
  checkName,
  child,
  forbidden,
  immutable,
  index,
  invalid,
  isAbsent,
  jsonEqual,
  notSupported,
  readBoolean,
  readRecord,
  readRecordList,
  readString,
  readStringList,
  required,
} from './checks.js';
import type { Errors, Json } from './checks.js';
import { validateTemplateMeta } from './metadata.js';
import { validateConditions, validatePodSpec } from './pod.js';

/** `BlueGreen` is Balsa's own: the deployer brings up a full new ReplicaSet, then switches. */
export const DEPLOYMENT_STRATEGIES = ['RollingUpdate', 'Recreate', 'BlueGreen'] as const;
const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
const PERCENT = /^[0-9]+%$/;

export function validateReplicaSetSpec(specValue: unknown, errors: Errors, kindWord = 'replicaset'): void {
  const spec = readRecord(errors, specValue, 'spec');
  if (spec === undefined) {
    if (isAbsent(specValue)) required(errors, 'spec.selector');
    return;
  }
  checkIntegerAtLeast(errors, spec.replicas, 'spec.replicas', 0);
  checkIntegerAtLeast(errors, spec.minReadySeconds, 'spec.minReadySeconds', 0);
  const selector = validateLabelSelector(spec.selector, 'spec.selector', errors, kindWord);
  validatePodTemplate(spec.template, 'spec.template', selector, errors);
}

export function validateDeploymentSpec(specValue: unknown, errors: Errors): void {
  validateReplicaSetSpec(specValue, errors, 'deployment');
  const spec = readRecord([], specValue, 'spec');
  if (spec === undefined) return;
  validateStrategy(spec.strategy, 'spec.strategy', errors);
  if (readRecord([], spec.strategy, '')?.type === 'BlueGreen') requireReadinessProbes(spec.template, 'spec.template', errors);
  checkIntegerAtLeast(errors, spec.revisionHistoryLimit, 'spec.revisionHistoryLimit', 0);
  readBoolean(errors, spec.paused, 'spec.paused');
  const progressDeadline = checkIntegerAtLeast(errors, spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds', 0);
  const minReady = typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0;
  // A rollout must be given longer to progress than a pod needs just to count as available.
  if (progressDeadline !== undefined && progressDeadline <= minReady) {
    invalid(errors, 'spec.progressDeadlineSeconds', progressDeadline, 'must be greater than minReadySeconds');
  }
}

/** apps/v1: the selector is fixed at create. */
export function validateSelectorUpdate(spec: unknown, oldSpec: unknown, errors: Errors): void {
  const selector = readRecord([], spec, 'spec')?.selector;
  const oldSelector = readRecord([], oldSpec, 'spec')?.selector;
  if (!jsonEqual(selector, oldSelector)) immutable(errors, 'spec.selector', selector ?? null);
}

/** Replica counts are non-negative and nest: available ≤ ready ≤ replicas. */
export function validateWorkloadStatus(value: unknown, kind: 'ReplicaSet' | 'Deployment', errors: Errors): void {
  const status = readRecord(errors, value, 'status');
  if (status === undefined) return;
  const counts =
    kind === 'ReplicaSet'
      ? ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration']
      : ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'observedGeneration', 'collisionCount'];
  const read: Record<string, number | undefined> = {};
  for (const field of counts) read[field] = checkIntegerAtLeast(errors, status[field], `status.${field}`, 0);
  const atMost = (field: string, bound: string, wording: string): void => {
    const value = read[field];
    const limit = read[bound];
    if (value !== undefined && limit !== undefined && value > limit) invalid(errors, `status.${field}`, value, wording);
  };
  atMost('fullyLabeledReplicas', 'replicas', 'cannot be greater than status.replicas');
  atMost('readyReplicas', 'replicas', 'cannot be greater than status.replicas');
  atMost('availableReplicas', 'replicas', 'cannot be greater than status.replicas');
  atMost('availableReplicas', 'readyReplicas', 'cannot be greater than readyReplicas');
  validateConditions(status.conditions, 'status.conditions', errors);
}

/**
 * The structured selector: required, non-empty, keys and values of label syntax, known
 * operators with values exactly when they need some. Answers the selector when it is
 * valid, to check the template against.
 */
export function validateLabelSelector(
  value: unknown,
  path: string,
  errors: Errors,
  kindWord: string,
): LabelSelector | undefined {
  const selector = readRecord(errors, value, path);
  if (selector === undefined) {
    if (isAbsent(value)) required(errors, path);
    return undefined;
  }
  const before = errors.length;
  const matchLabels = checkLabels(errors, selector.matchLabels, child(path, 'matchLabels'));
  const expressions = readRecordList(errors, selector.matchExpressions, child(path, 'matchExpressions'));
  for (const { item: expression, path: expressionPath } of expressions) {
    validateSelectorRequirement(expression, expressionPath, errors);
  }
  if (errors.length > before) return undefined;
  if (Object.keys(matchLabels ?? {}).length === 0 && expressions.length === 0) {
    invalid(errors, path, selector, `empty selector is invalid for ${kindWord}`);
    return undefined;
  }
  return labelSelectorFromObject({
    matchLabels: matchLabels ?? {},
    matchExpressions: expressions.map(({ item }) => ({
      key: item.key as string,
      operator: item.operator as string,
      values: (item.values as string[] | undefined) ?? [],
    })),
  });
}

function validateSelectorRequirement(expression: Json, path: string, errors: Errors): void {
  const keyPath = child(path, 'key');
  const selectorKey = readString(errors, expression.key, keyPath);
  if (selectorKey === undefined && isAbsent(expression.key)) required(errors, keyPath);
  if (selectorKey !== undefined) checkName(errors, keyPath, selectorKey, labelKeyErrors);
  const valuesPath = child(path, 'values');
  const values = readStringList(errors, expression.values, valuesPath);
  values.forEach((entry, i) => checkName(errors, index(valuesPath, i), entry, labelValueErrors));
  const operator = readString(errors, expression.operator, child(path, 'operator'));
  if (operator === undefined) {
    if (isAbsent(expression.operator)) required(errors, child(path, 'operator'));
    return;
  }
  if (!SELECTOR_OPERATORS.includes(operator)) {
    invalid(errors, child(path, 'operator'), operator, 'not a valid selector operator');
  } else if ((operator === 'In' || operator === 'NotIn') && values.length === 0) {
    required(errors, valuesPath, "must be specified when `operator` is 'In' or 'NotIn'");
  } else if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) {
    forbidden(errors, valuesPath, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
  }
}

/**
 * The template of the pods: its labels must be selected by the selector, and its pods
 * restart forever (`Always`), since the controller replaces pods rather than letting them
 * finish.
 */
function validatePodTemplate(value: unknown, path: string, selector: LabelSelector | undefined, errors: Errors): void {
  const template = readRecord(errors, value, path);
  if (template === undefined) {
    if (isAbsent(value)) required(errors, path);
    return;
  }
  const metadataPath = child(path, 'metadata');
  const metadata = validateTemplateMeta(template.metadata, metadataPath, errors);
  const labels = readRecord([], metadata?.labels, '');
  if (selector !== undefined && !matchesLabels(selector, labels as Record<string, string> | undefined)) {
    invalid(errors, child(metadataPath, 'labels'), labels ?? {}, '`selector` does not match template `labels`');
  }
  const specPath = child(path, 'spec');
  validatePodSpec(template.spec, specPath, errors);
  const spec = readRecord([], template.spec, '');
  if (spec === undefined) return;
  if (!isAbsent(spec.restartPolicy) && spec.restartPolicy !== 'Always') {
    notSupported(errors, child(specPath, 'restartPolicy'), spec.restartPolicy, ['Always']);
  }
  if (!isAbsent(spec.activeDeadlineSeconds)) {
    forbidden(errors, child(specPath, 'activeDeadlineSeconds'), 'activeDeadlineSeconds in a pod template is not supported');
  }
}

/**
 * `RollingUpdate` takes `maxSurge`/`maxUnavailable` (counts or percentages, not both zero,
 * since the rollout could then make no step); `BlueGreen` takes `blueGreen` (its Services
 * and timings); `Recreate` takes neither.
 */
function validateStrategy(value: unknown, path: string, errors: Errors): void {
  const strategy = readRecord(errors, value, path);
  if (strategy === undefined) return;
  const type = readString(errors, strategy.type, child(path, 'type'));
  if (type !== undefined && !(DEPLOYMENT_STRATEGIES as readonly string[]).includes(type)) {
    notSupported(errors, child(path, 'type'), type, DEPLOYMENT_STRATEGIES);
  }
  const blueGreenPath = child(path, 'blueGreen');
  if (type === 'BlueGreen') validateBlueGreen(strategy.blueGreen, blueGreenPath, errors);
  else if (!isAbsent(strategy.blueGreen)) forbidden(errors, blueGreenPath, `may not be specified when strategy \`type\` is '${type ?? 'RollingUpdate'}'`);
  const rollingPath = child(path, 'rollingUpdate');
  if (type !== undefined && type !== 'RollingUpdate' && !isAbsent(strategy.rollingUpdate)) {
    forbidden(errors, rollingPath, `may not be specified when strategy \`type\` is '${type}'`);
    return;
  }
  const rollingUpdate = readRecord(errors, strategy.rollingUpdate, rollingPath);
  if (rollingUpdate === undefined) return;
  const maxUnavailable = checkIntOrPercent(rollingUpdate.maxUnavailable, child(rollingPath, 'maxUnavailable'), errors);
  const maxSurge = checkIntOrPercent(rollingUpdate.maxSurge, child(rollingPath, 'maxSurge'), errors);
  if (maxUnavailable === 0 && maxSurge === 0) {
    invalid(errors, child(rollingPath, 'maxUnavailable'), rollingUpdate.maxUnavailable, 'may not be 0 when `maxSurge` is 0');
  }
  if (typeof rollingUpdate.maxUnavailable === 'string' && maxUnavailable !== undefined && maxUnavailable > 100) {
    invalid(errors, child(rollingPath, 'maxUnavailable'), rollingUpdate.maxUnavailable, 'must not be greater than 100%');
  }
}

/**
 * `blueGreen`: the active Service (required) and the preview one (optional, another one)
 * are Service names; the delays are whole seconds, 0 or more.
 */
function validateBlueGreen(value: unknown, path: string, errors: Errors): void {
  const blueGreen = readRecord(errors, value, path);
  if (blueGreen === undefined) {
    if (isAbsent(value)) required(errors, child(path, 'activeService'));
    return;
  }
  const activePath = child(path, 'activeService');
  const active = readString(errors, blueGreen.activeService, activePath);
  if (active === undefined || active === '') {
    if (isAbsent(blueGreen.activeService) || active === '') required(errors, activePath);
  } else {
    checkName(errors, activePath, active, dns1123LabelErrors);
  }
  const previewPath = child(path, 'previewService');
  const preview = readString(errors, blueGreen.previewService, previewPath);
  if (preview !== undefined && preview !== '') {
    if (checkName(errors, previewPath, preview, dns1123LabelErrors) && preview === active) {
      invalid(errors, previewPath, preview, 'must not be the same as `activeService`');
    }
  }
  readBoolean(errors, blueGreen.autoPromote, child(path, 'autoPromote'));
  checkIntegerAtLeast(errors, blueGreen.scaleDownDelaySeconds, child(path, 'scaleDownDelaySeconds'), 0);
  checkIntegerAtLeast(errors, blueGreen.healthTimeoutSeconds, child(path, 'healthTimeoutSeconds'), 0);
}

/**
 * A blue-green rollout switches traffic only once every new pod is Ready, so "Ready" must
 * mean something: every container declares a readiness probe.
 */
function requireReadinessProbes(templateValue: unknown, path: string, errors: Errors): void {
  const spec = readRecord([], readRecord([], templateValue, '')?.spec, '');
  const containers = Array.isArray(spec?.containers) ? spec.containers : [];
  containers.forEach((container, i) => {
    if (isAbsent(readRecord([], container, '')?.readinessProbe)) {
      required(errors, child(index(child(child(path, 'spec'), 'containers'), i), 'readinessProbe'), 'a BlueGreen deployment needs a readiness probe on every container');
    }
  });
}

/** A non-negative integer or a percentage string (`25%`); answers the number (the percent, for a string). */
function checkIntOrPercent(value: unknown, path: string, errors: Errors): number | undefined {
  if (isAbsent(value)) return undefined;
  if (typeof value === 'string') {
    if (PERCENT.test(value)) return Number(value.slice(0, -1));
    invalid(errors, path, value, "must be an integer or percentage (e.g '5%')");
    return undefined;
  }
  return checkIntegerAtLeast(errors, value, path, 0);
}
