/**
 * Field errors: what validation reports about one field of an object, rendered the way
 * Kubernetes renders them, so that people and tools that know Kubernetes' messages read
 * ours the same way (`spec.containers[0].image: Required value`).
 *
 * A field error names the field by its JSON path (`spec.containers[0].ports[1].name`, map
 * keys in brackets: `metadata.labels`, `spec.resources.requests[cpu]`), says what kind of
 * problem it is, and may carry the offending value and a detail sentence.
 */
import type { Status, StatusCause } from './types.js';

/** The kinds of problem, as Kubernetes names them (`field.ErrorType`). */
export type FieldErrorType =
  | 'Required'
  | 'Invalid'
  | 'Duplicate'
  | 'NotSupported'
  | 'Forbidden'
  | 'TooLong'
  | 'TooMany';

export interface FieldError {
  /** The JSON path of the field: `metadata.name`, `spec.containers[0].image`, `data[key]`. */
  field: string;
  type: FieldErrorType;
  /**
   * The offending value, rendered into the message. Leave the property out (rather than
   * setting it to `undefined`) when the value must not be shown, a Secret's data for
   * instance; a present `undefined` renders as `null`.
   */
  value?: unknown;
  /** Why the value is wrong, a sentence fragment without a final period; may be empty. */
  detail: string;
}

/** The words each type renders as, Kubernetes' `ErrorType.String()`. */
const TYPE_WORDS: Readonly<Record<FieldErrorType, string>> = {
  Required: 'Required value',
  Invalid: 'Invalid value',
  Duplicate: 'Duplicate value',
  NotSupported: 'Unsupported value',
  Forbidden: 'Forbidden',
  TooLong: 'Too long',
  TooMany: 'Too many',
};

/** The `StatusCause.reason` of each type (`FieldValueRequired`, …). */
const CAUSE_REASONS: Readonly<Record<FieldErrorType, string>> = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  Duplicate: 'FieldValueDuplicate',
  NotSupported: 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden',
  TooLong: 'FieldValueTooLong',
  TooMany: 'FieldValueTooMany',
};

/** Values longer than this render cut short: a message must stay readable. */
const RENDERED_VALUE_LENGTH_MAX = 256;

/**
 * The error without its field: `Required value`, `Invalid value: "Web_1": a lowercase …`,
 * `Unsupported value: "Sometimes": supported values: "Always", "Never"`. This is the
 * `message` of a `StatusCause`. Required, Forbidden and TooLong never show the value (the
 * value is absent, or not the point, or too long to show), as in Kubernetes.
 */
export function fieldErrorBody(error: FieldError): string {
  let body = TYPE_WORDS[error.type];
  const showsValue = error.type !== 'Required' && error.type !== 'Forbidden' && error.type !== 'TooLong';
  if (showsValue && 'value' in error) body += `: ${renderValue(error.value)}`;
  if (error.detail !== '') body += `: ${error.detail}`;
  return body;
}

/** The whole message: `<field>: <body>`, or just the body for an error about the whole object. */
export function fieldErrorMessage(error: FieldError): string {
  const body = fieldErrorBody(error);
  return error.field === '' ? body : `${error.field}: ${body}`;
}

/** The error as one cause of a `Status` (`details.causes[]`). */
export function toStatusCause(error: FieldError): StatusCause {
  return { reason: CAUSE_REASONS[error.type], message: fieldErrorBody(error), field: error.field };
}

/**
 * The message of an `Invalid` Status, as Kubernetes words it:
 * `Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0`
 * for one error, the messages in brackets separated by `, ` for several (duplicates once).
 *
 * @param group the API group (`''` for core kinds, which then render as the bare kind).
 */
export function invalidMessage(kind: string, group: string, name: string, errors: readonly FieldError[]): string {
  const qualifiedKind = group === '' ? kind : `${kind}.${group}`;
  const messages = [...new Set(errors.map(fieldErrorMessage))];
  const joined = messages.length === 1 ? messages[0]! : `[${messages.join(', ')}]`;
  return `${qualifiedKind} ${JSON.stringify(name)} is invalid: ${joined}`;
}

/**
 * The `422 Invalid` Status the API server answers when validation fails.
 *
 * @param errors at least one; validation that found nothing is not a failure.
 */
export function invalidStatus(kind: string, group: string, name: string, errors: readonly FieldError[]): Status {
  if (errors.length === 0) throw new Error('invalidStatus: no field errors to report');
  return {
    apiVersion: 'v1',
    kind: 'Status',
    metadata: {},
    status: 'Failure',
    message: invalidMessage(kind, group, name, errors),
    reason: 'Invalid',
    details: { name, group, kind, causes: errors.map(toStatusCause) },
    code: 422,
  };
}

/**
 * Renders a value the way Go's `%q`/`%v` would for the simple cases: strings quoted,
 * numbers and booleans bare, `null` for nothing, anything else as JSON.
 */
function renderValue(value: unknown): string {
  let text: string;
  if (value === undefined || value === null) text = 'null';
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      // A cyclic value cannot come from JSON; render something rather than fail validation.
      text = String(value);
    }
  }
  return text.length > RENDERED_VALUE_LENGTH_MAX ? `${text.slice(0, RENDERED_VALUE_LENGTH_MAX)}...` : text;
}
