/**
 * Which objects a list or watch asked for: a label selector, a field selector, and (for a
 * watch of one object) a name. Parsed once per request; a selector that does not parse is a
 * 400 BadRequest naming the bad part.
 */
import type { ResourceInfo } from '../api/resources.js';
import { SelectorError, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from '../api/selectors.js';
import type { FieldSelector, LabelSelector } from '../api/selectors.js';
import type { ApiObject } from '../api/types.js';
import { ApiError } from './errors.js';

export interface FilterOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export class ObjectFilter {
  private constructor(
    private readonly labels: LabelSelector | null,
    private readonly fields: FieldSelector | null,
  ) {}

  /** Throws ApiError BadRequest when a selector does not parse. */
  static parse(info: ResourceInfo, options: FilterOptions): ObjectFilter {
    try {
      const labels = options.labelSelector ? parseLabelSelector(options.labelSelector) : null;
      const fields = options.fieldSelector ? parseFieldSelector(options.fieldSelector, info) : null;
      return new ObjectFilter(labels, fields);
    } catch (error) {
      if (error instanceof SelectorError) throw ApiError.badRequest(error.message);
      throw error;
    }
  }

  /** True when every object passes (no selector given). */
  get everything(): boolean {
    return this.labels === null && this.fields === null;
  }

  matches(object: ApiObject): boolean {
    if (this.labels !== null && !matchesLabels(this.labels, object.metadata.labels)) return false;
    if (this.fields !== null && !matchesFields(this.fields, object)) return false;
    return true;
  }
}
