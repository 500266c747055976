/**
 * The continue token of a paged list: the revision the first page read (every page reads
 * it, so the pages are one snapshot) and the key the next page starts at, relative to the
 * collection's folder. Opaque to clients; a token that does not decode, or belongs to
 * another collection, is 400 BadRequest.
 */
import { ApiError } from './errors.js';

export interface ContinueToken {
  readonly revision: number;
  readonly start: Buffer;
}

export function encodeContinue(revision: number, start: Buffer, collection: Buffer): string {
  const relative = start.subarray(collection.length).toString('base64');
  return Buffer.from(JSON.stringify({ v: 1, rv: revision, start: relative })).toString('base64url');
}

export function decodeContinue(token: string, collection: Buffer): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: unknown; rv?: unknown; start?: unknown };
    if (parsed.v !== 1 || typeof parsed.rv !== 'number' || !Number.isSafeInteger(parsed.rv) || parsed.rv <= 0 || typeof parsed.start !== 'string') throw new Error('bad token');
    return { revision: parsed.rv, start: Buffer.concat([collection, Buffer.from(parsed.start, 'base64')]) };
  } catch {
    throw ApiError.badRequest('invalid continue token: it is not one this server issued for this list');
  }
}

