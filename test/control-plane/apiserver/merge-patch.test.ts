/**
 * JSON merge patch (RFC 7386), the cases of its appendix A that matter to objects: nested
 * merge, null removes, arrays and scalars replace, the target is not modified.
 */
import { applyMergePatch } from '../../../control-plane/apiserver/merge-patch.js';
import { jsonEqual } from '../../../control-plane/api/json-values.js';

test('objects merge key by key; null removes; arrays replace whole', () => {
  const target = { metadata: { labels: { a: '1', b: '2' } }, spec: { ports: [1, 2], replicas: 1 } };
  const patched = applyMergePatch(target, { metadata: { labels: { b: null, c: '3' } }, spec: { ports: [3] } });
  expect(patched).toEqual({ metadata: { labels: { a: '1', c: '3' } }, spec: { ports: [3], replicas: 1 } });
  expect(target.metadata.labels).toEqual({ a: '1', b: '2' });
});

test('RFC 7386 appendix A edge cases', () => {
  expect(applyMergePatch({ a: 'b' }, { a: 'c' })).toEqual({ a: 'c' });
  expect(applyMergePatch({ a: [{ b: 'c' }] }, { a: [1] })).toEqual({ a: [1] });
  expect(applyMergePatch(['a', 'b'], { a: 'b' })).toEqual({ a: 'b' });
  expect(applyMergePatch({ a: 'foo' }, null)).toBeNull();
  expect(applyMergePatch({ a: 'foo' }, 'bar')).toBe('bar');
  expect(applyMergePatch({ e: null }, { a: 1 })).toEqual({ e: null, a: 1 });
  expect(applyMergePatch({}, { a: { bb: { ccc: null } } })).toEqual({ a: { bb: {} } });
});

test('jsonEqual ignores key order and undefined keys, not values', () => {
  expect(jsonEqual({ a: 1, b: { c: [1, { d: 2 }] } }, { b: { c: [1, { d: 2 }] }, a: 1 })).toBe(true);
  expect(jsonEqual({ a: 1, gone: undefined }, { a: 1 })).toBe(true);
  expect(jsonEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
  expect(jsonEqual({ a: null }, { a: {} })).toBe(false);
  expect(jsonEqual({ a: '1' }, { a: 1 })).toBe(false);
});
