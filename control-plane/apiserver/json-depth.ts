/**
 * A bound on how deeply a request's JSON nests. No API object comes near it; past it the
 * server's recursive walks (merge patch, defaulting, validation, filtering) would run out of
 * stack and answer 500, so such a body is refused as a 400 before anything reads it.
 */
import { ApiError } from './errors.js';

/** The deepest nesting of arrays and objects accepted in a request body or object. */
export const MAX_JSON_DEPTH = 100;

/** Throws BadRequest when `value` (parsed JSON) nests deeper than `MAX_JSON_DEPTH`; `what` names it in the message. */
export function checkJsonDepth(value: unknown, what: string): void {
  // Iterative, so that the check itself cannot overflow the stack.
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: node, depth } = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= MAX_JSON_DEPTH) throw ApiError.badRequest(`${what} nests deeper than ${MAX_JSON_DEPTH} levels`);
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push({ value: child, depth: depth + 1 });
  }
}

/** The longest label or field selector accepted (Kubernetes' URLs stay far below it). */
export const MAX_SELECTOR_BYTES = 4096;

/** Throws BadRequest when a selector is longer than `MAX_SELECTOR_BYTES` (parsing one that long can stall the server). */
export function checkSelectorLength(selector: string, name: string): string {
  if (Buffer.byteLength(selector) > MAX_SELECTOR_BYTES) throw ApiError.badRequest(`${name} is longer than ${MAX_SELECTOR_BYTES} bytes`);
  return selector;
}
