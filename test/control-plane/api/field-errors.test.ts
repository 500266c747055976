/**
 * Field errors read like Kubernetes' (`<field>: <Type words>[: <value>][: <detail>]`), so
 * that people and tools used to Kubernetes' messages read ours unchanged, and they map to
 * the `StatusCause`s and `422 Invalid` Status of the API.
 */
import {
  fieldErrorBody,
  fieldErrorMessage,
  invalidMessage,
  invalidStatus,
  toStatusCause,
} from '../../../control-plane/api/field-errors.js';
import type { FieldError } from '../../../control-plane/api/field-errors.js';

describe('fieldErrorMessage', () => {
  it('renders a required value without a value', () => {
    expect(fieldErrorMessage({ field: 'spec.containers[0].image', type: 'Required', detail: '' })).toBe(
      'spec.containers[0].image: Required value',
    );
    expect(fieldErrorMessage({ field: 'metadata.name', type: 'Required', detail: 'name or generateName is required' })).toBe(
      'metadata.name: Required value: name or generateName is required',
    );
  });

  it('quotes string values and shows numbers, booleans and null bare', () => {
    expect(fieldErrorMessage({ field: 'metadata.name', type: 'Invalid', value: 'Web_1', detail: 'bad' })).toBe(
      'metadata.name: Invalid value: "Web_1": bad',
    );
    expect(fieldErrorMessage({ field: 'spec.replicas', type: 'Invalid', value: -1, detail: 'must be greater than or equal to 0' })).toBe(
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    );
    expect(fieldErrorMessage({ field: 'spec.paused', type: 'Invalid', value: true, detail: 'x' })).toBe('spec.paused: Invalid value: true: x');
    expect(fieldErrorMessage({ field: 'spec.x', type: 'Invalid', value: undefined, detail: 'x' })).toBe('spec.x: Invalid value: null: x');
  });

  it('renders objects as JSON and cuts very long values short', () => {
    expect(fieldErrorMessage({ field: 'spec.template.metadata.labels', type: 'Invalid', value: { app: 'web' }, detail: 'd' })).toBe(
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: d',
    );
    const long = fieldErrorMessage({ field: 'f', type: 'Invalid', value: 'x'.repeat(1000), detail: 'd' });
    expect(long.length).toBeLessThan(300);
    expect(long).toContain('...');
  });

  it('leaves the value out when the error carries none (secret data)', () => {
    expect(fieldErrorMessage({ field: 'data[password]', type: 'Invalid', detail: 'must be base64-encoded' })).toBe(
      'data[password]: Invalid value: must be base64-encoded',
    );
  });

  it('words each type as Kubernetes does', () => {
    const body = (error: Omit<FieldError, 'field'>): string => fieldErrorBody({ field: 'f', ...error });
    expect(body({ type: 'Duplicate', value: 'web', detail: '' })).toBe('Duplicate value: "web"');
    expect(body({ type: 'NotSupported', value: 'Sometimes', detail: 'supported values: "Always", "Never"' })).toBe(
      'Unsupported value: "Sometimes": supported values: "Always", "Never"',
    );
    expect(body({ type: 'Forbidden', value: 'ignored', detail: 'not allowed on this type' })).toBe('Forbidden: not allowed on this type');
    expect(body({ type: 'TooLong', detail: 'may not be more than 262144 bytes' })).toBe('Too long: may not be more than 262144 bytes');
    expect(body({ type: 'TooMany', value: 5, detail: 'must have at most 3 items' })).toBe('Too many: 5: must have at most 3 items');
  });

  it('omits the field prefix for errors about the whole object', () => {
    expect(fieldErrorMessage({ field: '', type: 'TooLong', detail: 'may not be more than 1048576 bytes' })).toBe(
      'Too long: may not be more than 1048576 bytes',
    );
  });
});

describe('status causes', () => {
  it('maps each type to its FieldValue* reason, with the body as message', () => {
    expect(toStatusCause({ field: 'spec.containers[0].image', type: 'Required', detail: '' })).toEqual({
      reason: 'FieldValueRequired',
      message: 'Required value',
      field: 'spec.containers[0].image',
    });
    const reasons = (['Invalid', 'Duplicate', 'NotSupported', 'Forbidden', 'TooLong', 'TooMany'] as const).map(
      (type) => toStatusCause({ field: 'f', type, detail: '' }).reason,
    );
    expect(reasons).toEqual([
      'FieldValueInvalid',
      'FieldValueDuplicate',
      'FieldValueNotSupported',
      'FieldValueForbidden',
      'FieldValueTooLong',
      'FieldValueTooMany',
    ]);
  });

  it('words the Invalid status like Kubernetes, qualified by group', () => {
    const one: FieldError[] = [{ field: 'spec.replicas', type: 'Invalid', value: -1, detail: 'must be greater than or equal to 0' }];
    expect(invalidMessage('Deployment', 'apps', 'web', one)).toBe(
      'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    );
    const two: FieldError[] = [
      { field: 'spec.containers[0].image', type: 'Required', detail: '' },
      { field: 'spec.containers[0].image', type: 'Required', detail: '' },
      { field: 'metadata.namespace', type: 'Required', detail: '' },
    ];
    expect(invalidMessage('Pod', '', 'web', two)).toBe(
      'Pod "web" is invalid: [spec.containers[0].image: Required value, metadata.namespace: Required value]',
    );
    const status = invalidStatus('Pod', '', 'web', two);
    expect(status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422 });
    expect(status.details?.causes).toHaveLength(3);
    expect(() => invalidStatus('Pod', '', 'web', [])).toThrow();
  });
});
