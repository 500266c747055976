/**
 * A Registry on a fresh 1-member KV (real processes), for tests that drive the registry
 * directly: `start()` in a beforeAll, `stop()` in the afterAll. `client` makes the KV client
 * (a test may give one that misbehaves on purpose).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Registry } from '../../../../control-plane/apiserver/registry.js';
import { EtcdClient } from '../../../../kv/client/etcd-client.js';
import { startKvCluster } from '../../../support/kv-cluster.js';
import type { KvCluster } from '../../../support/kv-cluster.js';

export class RegistryOnKv<Client extends EtcdClient = EtcdClient> {
  private dir = '';
  private cluster: KvCluster | null = null;
  private kvClient: Client | null = null;
  private registryNow: Registry | null = null;

  constructor(private readonly client: (endpoints: readonly string[]) => Client = (endpoints) => new EtcdClient(endpoints) as Client) {}

  async start(): Promise<this> {
    this.dir = await mkdtemp(join(tmpdir(), 'balsa-registry-'));
    this.cluster = await startKvCluster({ members: 1, dir: this.dir });
    this.kvClient = this.client(this.cluster.clientEndpoints);
    this.registryNow = new Registry({ kv: this.kvClient, watchCacheSize: 0 });
    await this.registryNow.ensureSystemNamespaces();
    return this;
  }

  get registry(): Registry {
    return this.registryNow!;
  }

  get kv(): Client {
    return this.kvClient!;
  }

  async stop(): Promise<void> {
    this.kvClient?.close();
    await this.cluster?.stop();
    if (this.dir !== '') await rm(this.dir, { recursive: true, force: true });
  }
}
