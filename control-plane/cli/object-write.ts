/**
 * A read-modify-write of one object that never overwrites a concurrent change: the object
 * is read, the caller works out what it should become, and it is written back carrying the
 * resourceVersion it was read at (a PUT), so that a write in between answers 409 Conflict
 * and the change is worked out again from a fresh read. Absent objects can be created, and a
 * create that loses the race to another (409 AlreadyExists) becomes an update.
 */
import type { ResourceInfo } from '../api/resources.js';
import type { ApiObject } from '../api/types.js';
import type { ApiClient } from './api-client.js';
import { CONFLICT_ATTEMPTS_MAX } from './constants.js';
import { ApiClientError, isNotFound } from './errors.js';
import { qualifiedName } from '../api/object-fields.js';

/** What a write did, and the object as the server has it afterwards (as read, when unchanged). */
export interface WriteOutcome {
  readonly action: 'created' | 'updated' | 'unchanged';
  readonly object: ApiObject;
}

export interface WriteObjectOptions {
  /** Create the object when absent (else its 404 NotFound is thrown). */
  readonly create?: boolean;
}

/**
 * Reads `name`, hands `change` the object read (`undefined` when absent and `create` is set)
 * and writes what it answers: a new object to create or the edited copy to put back;
 * `undefined` to leave things as they are. `change` may be called several times (once per
 * conflict) and may throw to refuse; it must not edit what it is given.
 *
 * @throws ApiClientError when the server refuses, or after `CONFLICT_ATTEMPTS_MAX` conflicts.
 */
export async function writeObject(
  client: ApiClient,
  info: ResourceInfo,
  namespace: string,
  name: string,
  change: (current: ApiObject | undefined) => ApiObject | undefined,
  options: WriteObjectOptions = {},
): Promise<WriteOutcome> {
  let lastConflict: ApiClientError | undefined;
  for (let attempt = 0; attempt < CONFLICT_ATTEMPTS_MAX; attempt++) {
    const current = await readOrAbsent(client, info, namespace, name, options.create === true);
    const wanted = change(current);
    if (wanted === undefined) {
      if (current === undefined) throw new Error(`writeObject: nothing to create for ${qualifiedName(info, name)}`);
      return { action: 'unchanged', object: current };
    }
    try {
      if (current === undefined) return { action: 'created', object: await client.create(info, namespace, wanted) };
      return { action: 'updated', object: await client.replace(info, namespace, name, { ...wanted, metadata: { ...wanted.metadata, resourceVersion: current.metadata.resourceVersion } }) };
    } catch (error) {
      const raced = error instanceof ApiClientError && (error.retryable || (current === undefined && error.reason === 'AlreadyExists'));
      if (!raced) throw error;
      lastConflict = error;
    }
  }
  throw lastConflict!.withContext(`writing ${qualifiedName(info, name)} (gave up after ${CONFLICT_ATTEMPTS_MAX} conflicting writes)`);
}

async function readOrAbsent(client: ApiClient, info: ResourceInfo, namespace: string, name: string, absentAllowed: boolean): Promise<ApiObject | undefined> {
  try {
    return await client.get(info, namespace, name);
  } catch (error) {
    if (absentAllowed && isNotFound(error)) return undefined;
    throw error;
  }
}
