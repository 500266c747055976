/**
 * Server-side printing: a client that asks for `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`
 * (kubectl `get` does) gets a `meta.k8s.io/v1` Table instead of the objects: the columns
 * Kubernetes prints for the kind (`control-plane/api/table-columns.ts`, which the balsa CLI
 * prints from too), the `-o wide` ones at priority 1, and a row per object. Each row
 * carries the object as `?includeObject=` asks: `Metadata` (the default: a
 * PartialObjectMetadata, enough for kubectl's NAMESPACE and LABELS columns), `Object`, or
 * `None`. A watch in Table form sends each event's object as a one-row Table.
 */
import type { ResourceInfo } from '../api/resources.js';
import { tableCells, tableColumnDefinitions } from '../api/table-columns.js';
import type { ApiList, ApiObject } from '../api/types.js';
import { ApiError } from './errors.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** What a request asked for, when it asked for a Table. */
export interface TableRequest {
  /** `meta.k8s.io/v1` (or `meta.k8s.io/v1beta1`, which has the same shape). */
  readonly apiVersion: string;
  readonly includeObject: IncludeObject;
}

const TABLE_GROUP = 'meta.k8s.io';
const TABLE_VERSIONS = ['v1', 'v1beta1'];

/**
 * The Table a request's `Accept` header asks for, or null for plain JSON. The media ranges
 * are taken in the order given (kubectl lists its preference first); one this server cannot
 * produce is passed over; 406 NotAcceptable when none is left.
 */
export function tableRequest(accept: string | undefined, query: URLSearchParams): TableRequest | null {
  if (accept === undefined || accept.trim() === '') return null;
  for (const range of accept.split(',')) {
    const [type = '', ...parameterTexts] = range.split(';').map((part) => part.trim());
    const parameters = new Map(parameterTexts.map((text) => {
      const equals = text.indexOf('=');
      return [text.slice(0, equals).trim().toLowerCase(), text.slice(equals + 1).trim()] as const;
    }));
    const mediaType = type.toLowerCase();
    if (mediaType !== 'application/json' && mediaType !== 'application/*' && mediaType !== '*/*') continue;
    const as = parameters.get('as');
    if (as === undefined) return null;
    if (as === 'Table' && parameters.get('g') === TABLE_GROUP && TABLE_VERSIONS.includes(parameters.get('v') ?? '')) {
      return { apiVersion: `${TABLE_GROUP}/${parameters.get('v')}`, includeObject: includeObject(query.get('includeObject')) };
    }
  }
  throw new ApiError('NotAcceptable', `only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=${TABLE_GROUP}`);
}

function includeObject(value: string | null): IncludeObject {
  if (value === null || value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw ApiError.badRequest(`includeObject must be None, Metadata or Object, got "${value}"`);
}

function row(info: ResourceInfo, object: ApiObject, request: TableRequest, now: Date): Record<string, unknown> {
  const cells = tableCells(info, object, now);
  switch (request.includeObject) {
    case 'None':
      return { cells };
    case 'Object':
      return { cells, object };
    case 'Metadata':
      return { cells, object: { kind: 'PartialObjectMetadata', apiVersion: request.apiVersion, metadata: object.metadata } };
  }
}

function table(info: ResourceInfo, objects: readonly ApiObject[], metadata: Record<string, unknown>, request: TableRequest, now: Date): Record<string, unknown> {
  return {
    kind: 'Table',
    apiVersion: request.apiVersion,
    metadata,
    columnDefinitions: tableColumnDefinitions(info),
    rows: objects.map((object) => row(info, object, request, now)),
  };
}

/** A list as a Table; its paging and resourceVersion carry over. */
export function listTable(info: ResourceInfo, list: ApiList, request: TableRequest, now: Date): Record<string, unknown> {
  return table(info, list.items, { ...list.metadata }, request, now);
}

/** One object as a one-row Table (a GET of one object, a watch event). */
export function objectTable(info: ResourceInfo, object: ApiObject, request: TableRequest, now: Date): Record<string, unknown> {
  const resourceVersion = object.metadata.resourceVersion;
  return table(info, [object], resourceVersion === undefined ? {} : { resourceVersion }, request, now);
}
