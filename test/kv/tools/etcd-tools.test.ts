/**
 * The etcd tooling works: etcdctl is 3.4, a real etcd 3.4 starts on free loopback ports,
 * etcdctl and the `etcd3` npm client both talk to it (including the client's Lock and
 * Election recipes), and stopping it leaves no process and no directory behind. Every
 * comparison with real etcd rests on this. Also: the member and cluster ids of a real
 * 3-member etcd are the ones `kv/server/config.ts` computes.
 */
import { existsSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import { clusterIdFor, memberIdFor } from '../../../kv/server/config.js';
import { describeWithTools, etcdTools, locateTool, runEtcdctl, spawnEtcdctl, startRealEtcd } from '../../support/etcd-tools.js';
import type { RealEtcd } from '../../support/etcd-tools.js';

test('locateTool finds programs on PATH and answers undefined for missing ones', () => {
  expect(locateTool('etcdctl', '/nonexistent-directory')).toBe(locateTool('etcdctl', ''));
  expect(locateTool('etcd', '/nonexistent-directory')).toBe(locateTool('etcd', ''));
});

describeWithTools(etcdTools(), 'the real etcd tools', (tools) => {
  test('etcdctl is version 3.4 and speaks API 3', async () => {
    const result = await runEtcdctl(tools.etcdctl, ['version'], { endpoints: ['http://127.0.0.1:1'] });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^etcdctl version: 3\.4\.\d+$/m);
    expect(result.stdout).toMatch(/^API version: 3\.4$/m);
  });

  describe('a single-member real etcd', () => {
    let etcd: RealEtcd;
    let client: Etcd3 | undefined;

    beforeAll(async () => {
      etcd = await startRealEtcd({ etcd: tools.etcd });
    });

    afterAll(async () => {
      client?.close();
      const rootDir = etcd.rootDir;
      await etcd.stop();
      expect(existsSync(rootDir)).toBe(false);
    });

    test('serves etcdctl put and get', async () => {
      const endpoints = etcd.clientEndpoints;
      const put = await runEtcdctl(tools.etcdctl, ['put', 'tools/greeting', 'hello'], { endpoints });
      expect(put).toMatchObject({ code: 0, stdout: 'OK\n' });
      const get = await runEtcdctl(tools.etcdctl, ['get', 'tools/greeting'], { endpoints });
      expect(get).toMatchObject({ code: 0, stdout: 'tools/greeting\nhello\n' });
    });

    test('runs an interactive txn from standard input', async () => {
      const endpoints = etcd.clientEndpoints;
      const input = 'value("tools/greeting") = "hello"\n\nput tools/greeting bye\n\nput tools/greeting lost\n\n';
      const txn = await runEtcdctl(tools.etcdctl, ['txn'], { endpoints, input });
      expect(txn).toMatchObject({ code: 0, stdout: 'SUCCESS\n\nOK\n' });
    });

    test('a background watch sees events until stopped', async () => {
      const endpoints = etcd.clientEndpoints;
      const watch = spawnEtcdctl(tools.etcdctl, ['watch', 'tools/watched', '--rev=1'], { endpoints });
      try {
        await runEtcdctl(tools.etcdctl, ['put', 'tools/watched', 'seen'], { endpoints });
        expect(await watch.waitFor((out) => out.includes('seen'), 10_000)).toBe(true);
        expect(watch.stdout).toBe('PUT\ntools/watched\nseen\n');
      } finally {
        await watch.stop();
      }
      expect(watch.code).not.toBeUndefined();
    });

    test('serves the etcd3 npm client: put, get, Lock and Election', async () => {
      client = new Etcd3({ hosts: etcd.clientEndpoints, dialTimeout: 5_000 });
      await client.put('npm/key').value('npm-value');
      expect(await client.get('npm/key').string()).toBe('npm-value');
      expect(await client.getAll().prefix('npm/').count()).toBe(1);

      // Lock: a second acquire fails while the first holder has it, and succeeds once it is released.
      const first = await client.lock('npm/lock').ttl(10).acquire();
      await expect(client.lock('npm/lock').ttl(10).acquire()).rejects.toThrow();
      await first.release();
      const second = await client.lock('npm/lock').ttl(10).acquire();
      await second.release();

      // Election: the first campaigner leads; when it resigns, the next one is elected.
      const election = client.election('npm-election', 10);
      const alice = election.campaign('alice');
      await alice.wait();
      expect(await election.leader()).toBe('alice');
      const bob = election.campaign('bob');
      const bobElected = bob.wait();
      await alice.resign();
      await bobElected;
      expect(await election.leader()).toBe('bob');
      await bob.resign();
    });
  });

  test('a three-member real etcd starts, lists its members with the ids kv/server/config computes, and stops cleanly', async () => {
    const etcd = await startRealEtcd({ etcd: tools.etcd, members: 3 });
    try {
      const list = await runEtcdctl(tools.etcdctl, ['member', 'list', '-w', 'json'], { endpoints: etcd.clientEndpoints });
      expect(list.code).toBe(0);
      // uint64 ids do not fit a double: read them as strings.
      const json = JSON.parse(list.stdout.replace(/([:[,])(\d{16,})/g, '$1"$2"')) as {
        header: { cluster_id: string };
        members: { ID: string; name: string; peerURLs: string[] }[];
      };
      expect(json.members.map((m) => m.name).sort()).toEqual(['m1', 'm2', 'm3']);
      for (const member of json.members) expect(BigInt(member.ID)).toBe(memberIdFor(member.peerURLs, etcd.clusterToken));
      expect(BigInt(json.header.cluster_id)).toBe(clusterIdFor(json.members.map((m) => BigInt(m.ID))));
    } finally {
      await etcd.stop();
    }
    expect(existsSync(etcd.rootDir)).toBe(false);
  });
});
