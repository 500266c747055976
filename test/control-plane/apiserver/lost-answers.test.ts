/**
 * A write whose answer is lost: the KV applied the transaction, the client never heard
 * (its connection or stream broke), and it sent the same transaction again, whose compare
 * now fails. The registry recognises its own bytes in the failure branch and answers the
 * write as done — a create is not "already exists", an update or a binding is not
 * "conflict" — while a different object in the way still is.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';

import { resourceByName } from '../../../control-plane/api/resources.js';
import type { ApiObject } from '../../../control-plane/api/types.js';
import { ApiError } from '../../../control-plane/apiserver/errors.js';
import type { Registry } from '../../../control-plane/apiserver/registry.js';
import { EtcdClient } from '../../../kv/client/etcd-client.js';
import { RegistryOnKv } from './support/registry-on-kv.js';

const CONFIGMAPS = resourceByName('configmaps')!;
const PODS = resourceByName('pods')!;

/** A KV client whose next transaction is applied twice, the first answer dropped: what a resend after a lost answer does. */
class LosingClient extends EtcdClient {
  loseNextAnswer = false;

  override async txn(...args: Parameters<EtcdClient['txn']>): ReturnType<EtcdClient['txn']> {
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      await super.txn(...args);
    }
    return super.txn(...args);
  }
}

const store = new RegistryOnKv((endpoints) => new LosingClient(endpoints));
let kv: LosingClient;
let registry: Registry;

beforeAll(async () => {
  await store.start();
  kv = store.kv;
  registry = store.registry;
});

afterAll(() => store.stop());

const configMap = (name: string, data: Record<string, string>): ApiObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

test('a create whose answer was lost is created, not "already exists"; someone else\'s object still is', async () => {
  kv.loseNextAnswer = true;
  const created = await registry.create(CONFIGMAPS, 'default', configMap('lost-create', { a: '1' }));
  expect(kv.loseNextAnswer).toBe(false);
  const stored = await registry.get(CONFIGMAPS, 'default', 'lost-create');
  expect(created.metadata.uid).toBe(stored.metadata.uid);
  expect(created.metadata.resourceVersion).toBe(stored.metadata.resourceVersion);

  const again = await apiError(registry.create(CONFIGMAPS, 'default', configMap('lost-create', { a: '1' })));
  expect(again.reason).toBe('AlreadyExists');
});

test('an update whose answer was lost is done, not a conflict, with the stored resourceVersion', async () => {
  const created = await registry.create(CONFIGMAPS, 'default', configMap('lost-update', { a: '1' }));
  kv.loseNextAnswer = true;
  const updated = await registry.update(CONFIGMAPS, 'default', 'lost-update', { ...created, data: { a: '2' } });
  expect(kv.loseNextAnswer).toBe(false);
  const stored = await registry.get(CONFIGMAPS, 'default', 'lost-update');
  expect(stored.data).toEqual({ a: '2' });
  expect(updated.metadata.resourceVersion).toBe(stored.metadata.resourceVersion);
  expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));

  // A stale resourceVersion is still a conflict.
  const stale = await apiError(registry.update(CONFIGMAPS, 'default', 'lost-update', { ...created, data: { a: '3' } }));
  expect(stale.reason).toBe('Conflict');
});

test('a binding whose answer was lost is bound, not "already assigned"', async () => {
  await registry.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'lost-bind' }, spec: { containers: [{ name: 'app', image: 'app:1' }] } });
  kv.loseNextAnswer = true;
  const bound = await registry.bind('default', 'lost-bind', { kind: 'Binding', target: { kind: 'Node', name: 'node-a' } });
  expect(kv.loseNextAnswer).toBe(false);
  expect(bound.spec?.nodeName).toBe('node-a');
  expect((await registry.get(PODS, 'default', 'lost-bind')).metadata.resourceVersion).toBe(bound.metadata.resourceVersion);

  // Binding it again (to any node) is the conflict it always was.
  const again = await apiError(registry.bind('default', 'lost-bind', { kind: 'Binding', target: { kind: 'Node', name: 'node-b' } }));
  expect(again.reason).toBe('Conflict');
});
