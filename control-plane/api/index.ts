/** The object model: kinds, their shapes, defaults, validation, selectors and quantities. */
export { RESOURCES, apiVersionOf, resourceByName, resourceForKind, resourcePath } from './resources.js';
export type { ResourceInfo } from './resources.js';
export type { ApiList, ApiObject, ListMeta, ObjectMeta, OwnerReference, Status, StatusCause, WatchEvent, WatchEventType } from './types.js';
export { applyCreateDefaults, applyDefaults } from './defaults.js';
export { validateCreate, validateStatusUpdate, validateUpdate } from './validation.js';
export { fieldErrorMessage, invalidMessage, invalidStatus, toStatusCause } from './field-errors.js';
export type { FieldError, FieldErrorType } from './field-errors.js';
export {
  SelectorError,
  formatLabelSelector,
  isEmptyLabelSelector,
  labelSelectorFromObject,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from './selectors.js';
export type { FieldSelector, LabelSelector, LabelSelectorObject } from './selectors.js';
export { QuantityError, parseQuantity } from './quantity.js';
export { jsonClone, jsonEqual } from './json-values.js';
