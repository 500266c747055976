/**
 * The registry's memory of recent objects: bounded (the least recently used go first), and
 * never replacing a later state with an earlier one (an answer that arrives late).
 */
import { RecentObjects } from '../../../control-plane/apiserver/recent-objects.js';
import type { KeyValue } from '../../../kv/client/etcd-client.js';

const kv = (key: string, modRevision: number): KeyValue => ({ key: Buffer.from(key), value: Buffer.alloc(0), createRevision: 1, modRevision, version: 1, lease: '0' });
const object = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });

test('a later state is kept over an earlier one that arrives after it', () => {
  const recent = new RecentObjects();
  recent.remember(kv('/a', 7), object('seven'));
  const kept = recent.remember(kv('/a', 5), object('five'));
  expect(kept.object.metadata.name).toBe('seven');
  expect(recent.get(Buffer.from('/a'))!.kv.modRevision).toBe(7);
  recent.remember(kv('/a', 9), object('nine'));
  expect(recent.get(Buffer.from('/a'))!.object.metadata.name).toBe('nine');
  recent.delete(Buffer.from('/a'));
  expect(recent.get(Buffer.from('/a'))).toBeUndefined();
});

test('at capacity, the least recently used key is forgotten', () => {
  const recent = new RecentObjects(2);
  recent.remember(kv('/a', 1), object('a'));
  recent.remember(kv('/b', 2), object('b'));
  recent.get(Buffer.from('/a'));
  recent.remember(kv('/c', 3), object('c'));
  expect(recent.size).toBe(2);
  expect(recent.get(Buffer.from('/b'))).toBeUndefined();
  expect(recent.get(Buffer.from('/a'))).toBeDefined();
  expect(recent.get(Buffer.from('/c'))).toBeDefined();
});
