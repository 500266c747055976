/**
 * The `etcd3` npm client (microsoft/etcd3) works against Balsa as it does against etcd:
 * the same suite runs against a real 3-member etcd 3.4 (which proves the expectations
 * are etcd's) and a 3-member Balsa cluster of `balsa kv serve` processes. It covers the
 * KV builders (put, get, getAll with prefix, sort, limit and count, delete with previous
 * values), transactions through `client.if(...)`, leases (grant, attach, keep-alive,
 * revoke), the watch builder (events in order, prev_kv, start revision, filters), and the
 * client's recipes built on them: Lock, Election and the STM.
 * Needs etcd and etcdctl: fails in CI when they are missing, skipped elsewhere.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3, EtcdLeaseInvalidError, EtcdLockFailedError, STMConflictError } from 'etcd3';
import type { IKeyValue, Watcher } from 'etcd3';
import { describeWithTools, etcdTools, startRealEtcd } from '../../support/etcd-tools.js';
import type { EtcdTools } from '../../support/etcd-tools.js';
import { startKvCluster } from '../../support/kv-cluster.js';

/** A running cluster the suite talks to: its client endpoints and how to stop it. */
interface Target {
  readonly endpoints: readonly string[];
  stop(): Promise<void>;
}

type TargetFactory = (tools: EtcdTools) => Promise<Target>;

const TARGETS: readonly (readonly [string, TargetFactory])[] = [
  [
    'a real etcd 3.4',
    async (tools) => {
      const etcd = await startRealEtcd({ etcd: tools.etcd, members: 3 });
      return { endpoints: etcd.clientEndpoints, stop: () => etcd.stop() };
    },
  ],
  [
    'Balsa',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'balsa-etcd3-'));
      const cluster = await startKvCluster({ members: 3, dir });
      return {
        endpoints: cluster.clientEndpoints,
        stop: async () => {
          await cluster.stop();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  ],
];

/** The smallest TTL both servers grant unchanged with their default timing (etcd's minimum is 1.5 election timeouts, rounded up). */
const SHORT_TTL_SECONDS = 2;

/**
 * A lock holder or election candidate in a process of its own, which the test kills to
 * make it die the way clients die: its keep-alives stop, and its lease expires.
 */
async function startHolder(endpoints: readonly string[], recipe: 'lock' | 'campaign', name: string, ttlSeconds: number, value = ''): Promise<ChildProcess> {
  const script = `
    const { Etcd3 } = require('etcd3');
    const [hosts, recipe, name, ttl, value] = process.argv.slice(1);
    const client = new Etcd3({ hosts: hosts.split(',') });
    const held = recipe === 'lock' ? client.lock(name).ttl(Number(ttl)).acquire() : client.election(name, Number(ttl)).campaign(value).wait();
    held.then(() => console.log('held'), (error) => { console.error(error); process.exit(1); });`;
  const child = spawn(process.execPath, ['-e', script, endpoints.join(','), recipe, name, String(ttlSeconds), value], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('held')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the ${recipe} holder exited with ${code}: ${output}`)));
  });
  return child;
}

/** SIGKILL, and wait until it is gone. */
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Until `check` resolves true; false after `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

/** The events a watcher emits, as `TYPE key=value (prev: value)` lines, in arrival order. */
function recordEvents(watcher: Watcher): string[] {
  const seen: string[] = [];
  const text = (kv: IKeyValue) => `${kv.key.toString()}=${kv.value.toString()}@${kv.mod_revision}`;
  watcher.on('data', (response) => {
    for (const event of response.events) {
      const prev = event.prev_kv ? ` (prev ${event.prev_kv.value.toString()}@${event.prev_kv.mod_revision})` : '';
      seen.push(`${event.type} ${text(event.kv)}${prev}`);
    }
  });
  return seen;
}

describeWithTools(etcdTools(), 'the etcd3 npm client', (tools) => {
  describe.each(TARGETS)('against %s', (_name, start) => {
    let target: Target;
    let client: Etcd3;
    const clients: Etcd3[] = [];
    const holders: ChildProcess[] = [];
    /** A client of its own (closing it is how a holder dies). */
    const newClient = () => {
      const fresh = new Etcd3({ hosts: [...target.endpoints], dialTimeout: 5_000 });
      clients.push(fresh);
      return fresh;
    };

    beforeAll(async () => {
      target = await start(tools);
      client = newClient();
    });
    afterAll(async () => {
      await Promise.all(holders.map(kill));
      for (const c of clients) c.close();
      await target?.stop();
    });

    test('put, get, getAll (prefix, sort, limit, count, keys) and delete with previous values', async () => {
      await client.put('kv/a').value('3');
      await client.put('kv/b').value('1');
      await client.put('kv/c').value('2');
      await client.put('kw/outside').value('x');
      expect(await client.get('kv/a').string()).toBe('3');
      expect(await client.get('kv/missing').string()).toBeNull();
      expect(await client.get('kv/missing').exists()).toBe(false);
      expect(await client.getAll().prefix('kv/').strings()).toEqual({ 'kv/a': '3', 'kv/b': '1', 'kv/c': '2' });
      expect(await client.getAll().prefix('kv/').count()).toBe(3);
      expect(await client.getAll().prefix('kv/').sort('Value', 'Descend').keys()).toEqual(['kv/a', 'kv/c', 'kv/b']);
      expect(await client.getAll().prefix('kv/').sort('Key', 'Ascend').limit(2).keys()).toEqual(['kv/a', 'kv/b']);
      const limited = await client.getAll().prefix('kv/').limit(1).exec();
      expect(limited).toMatchObject({ count: '3', more: true });

      const previous = await client.put('kv/a').value('4').getPrevious();
      expect(previous?.value.toString()).toBe('3');
      const single = await client.delete().key('kv/a').getPrevious();
      expect(single.map((kv) => `${kv.key.toString()}=${kv.value.toString()}`)).toEqual(['kv/a=4']);
      const all = await client.delete().prefix('kv/').exec();
      expect(all.deleted).toBe('2');
      expect(await client.getAll().prefix('kv/').count()).toBe(0);
      expect(await client.get('kw/outside').string()).toBe('x');
      // An old revision is still readable.
      const revision = Number(all.header.revision);
      expect(await client.getAll().prefix('kv/').revision(String(revision - 1)).count()).toBe(2);
      await expect(client.get('kv/a').revision(String(revision + 1000)).exec()).rejects.toThrow('etcdserver: mvcc: required revision is a future revision');
    });

    test('namespaces: keys under a prefix, the whole namespace read, watched and deleted', async () => {
      const ns = client.namespace('ns/');
      const watcher = await ns.watch().prefix('').create();
      const seen = recordEvents(watcher);
      await ns.put('a').value('1');
      await ns.put('b').value('2');
      await client.put('ns0').value('outside'); // just past the namespace's range end
      expect(await ns.getAll().all().strings()).toEqual({ a: '1', b: '2' });
      expect(await client.getAll().prefix('ns/').keys()).toEqual(['ns/a', 'ns/b']);
      expect(await ns.getAll().all().count()).toBe(2);
      const deleted = await ns.delete().all().exec();
      expect(deleted.deleted).toBe('2');
      expect(await client.get('ns0').string()).toBe('outside');
      expect(await eventually(async () => seen.length === 4, 10_000)).toBe(true);
      expect(seen.map((line) => line.replace(/@\d+/g, ''))).toEqual(['Put a=1', 'Put b=2', 'Delete a=', 'Delete b=']);
      await watcher.cancel();
    });

    test('transactions through client.if(...): compares, both branches, and etcd’s refusals', async () => {
      await client.put('txn/k').value('before');
      const won = await client.if('txn/k', 'Value', '==', 'before').then(client.put('txn/k').value('after')).else(client.get('txn/k')).commit();
      expect(won.succeeded).toBe(true);
      expect(await client.get('txn/k').string()).toBe('after');

      const lost = await client.if('txn/k', 'Value', '==', 'before').then(client.put('txn/k').value('never')).else(client.get('txn/k')).commit();
      expect(lost.succeeded).toBe(false);
      expect(lost.responses[0]!.response_range.kvs[0]!.value.toString()).toBe('after');

      const created = await client.if('txn/new', 'Create', '==', 0).and('txn/k', 'Version', '>', 1).then(client.put('txn/new').value('1')).commit();
      expect(created.succeeded).toBe(true);
      const again = await client.if('txn/new', 'Create', '==', 0).then(client.put('txn/new').value('2')).commit();
      expect(again.succeeded).toBe(false);
      expect(await client.get('txn/new').string()).toBe('1');

      // A key put twice in one branch: etcd's error, and nothing changes.
      const duplicate = client.if('txn/k', 'Value', '==', 'after').then(client.put('txn/dup').value('1'), client.put('txn/dup').value('2')).commit();
      await expect(duplicate).rejects.toThrow('etcdserver: duplicate key given in txn request');
      expect(await client.get('txn/dup').exists()).toBe(false);
    });

    test('leases: grant, attach, keep-alive, time-to-live, revoke deletes the keys', async () => {
      const lease = client.lease(30, { autoKeepAlive: false });
      const id = await lease.grant();
      expect(id).toMatch(/^\d+$/);
      await lease.put('lease/a').value('1');
      await lease.put('lease/b').value('2');
      const kv = await client.get('lease/a').exec();
      expect(kv.kvs[0]!.lease).toBe(id);
      const renewed = await lease.keepaliveOnce();
      expect(renewed).toMatchObject({ ID: id, TTL: '30' });
      await lease.revoke();
      expect(await client.getAll().prefix('lease/').count()).toBe(0);
      // A revoked lease cannot be renewed, and a put cannot attach it.
      const gone = client.lease(30, { autoKeepAlive: false });
      gone.on('lost', () => undefined);
      await gone.grant();
      await gone.revoke();
      await expect(client.put('lease/late').value('x').lease(await gone.grant()).exec()).rejects.toThrow('etcdserver: requested lease not found');
    });

    test('leases kept alive by the client outlive their TTL; released ones expire with their keys', async () => {
      const lease = client.lease(SHORT_TTL_SECONDS);
      let renewals = 0;
      lease.on('keepaliveSucceeded', () => renewals++);
      await lease.put('alive/k').value('v');
      await sleep(SHORT_TTL_SECONDS * 2_000 + 500);
      expect(renewals).toBeGreaterThan(1);
      expect(await client.get('alive/k').string()).toBe('v');
      lease.release(); // stop renewing, do not revoke
      expect(await eventually(async () => !(await client.get('alive/k').exists()), 15_000)).toBe(true);
      const lost = new Promise<unknown>((resolve) => lease.on('lost', resolve));
      await expect(lease.keepaliveOnce()).rejects.toThrow(EtcdLeaseInvalidError);
      await expect(lost).resolves.toBeInstanceOf(EtcdLeaseInvalidError);
    });

    test('the watch builder: catch-up from a revision, live events in order with prev_kv, filters, cancel', async () => {
      const first = await client.put('watch/a').value('1');
      const start = first.header.revision;
      await client.put('watch/b').value('1');
      await client.put('watch/a').value('2');

      const all = await client.watch().prefix('watch/').startRevision(start).withPreviousKV().create();
      const allSeen = recordEvents(all);
      const deletes = await client.watch().prefix('watch/').only('delete').create();
      const deleteSeen = recordEvents(deletes);
      await client.delete().key('watch/b');
      await client.put('watch/a').value('3');
      const txn = await client.if('watch/a', 'Value', '==', '3').then(client.put('watch/c').value('1'), client.delete().key('watch/a')).commit();
      const last = Number(txn.header.revision);
      const r = Number(start);

      expect(await eventually(async () => allSeen.length === 7, 10_000)).toBe(true);
      expect(allSeen).toEqual([
        `Put watch/a=1@${r}`,
        `Put watch/b=1@${r + 1}`,
        `Put watch/a=2@${r + 2} (prev 1@${r})`,
        `Delete watch/b=@${r + 3} (prev 1@${r + 1})`,
        `Put watch/a=3@${r + 4} (prev 2@${r + 2})`,
        `Put watch/c=1@${last}`,
        `Delete watch/a=@${last} (prev 3@${r + 4})`,
      ]);
      expect(await eventually(async () => deleteSeen.length === 2, 10_000)).toBe(true);
      expect(deleteSeen).toEqual([`Delete watch/b=@${r + 3}`, `Delete watch/a=@${last}`]);

      await all.cancel();
      await client.put('watch/after-cancel').value('1');
      await sleep(500);
      expect(allSeen).toHaveLength(7);
      await deletes.cancel();
    });

    test('compaction: reads below it fail with etcd’s error, a watch from below it is canceled as etcd cancels it', async () => {
      const first = await client.put('compacted/k').value('1');
      const second = await client.put('compacted/k').value('2');
      await client.put('compacted/k').value('3');
      // etcd3 has no compact builder: the raw KV client does it.
      await client.kv.compact({ revision: second.header.revision, physical: true });
      await expect(client.get('compacted/k').revision(first.header.revision).exec()).rejects.toThrow('etcdserver: mvcc: required revision has been compacted');
      expect(await client.get('compacted/k').revision(second.header.revision).string()).toBe('2');
      const watcher = client.watch().key('compacted/k').startRevision(first.header.revision).watcher();
      const error = await new Promise<Error>((resolve) => watcher.on('error', resolve));
      // etcd 3.4 cancels it with the compaction point and no reason text; this client says so.
      expect(error.message).toBe('Watcher canceled: ');
    });

    test('Lock: a second acquire fails while the first holds it and succeeds after release', async () => {
      const first = await client.lock('locks/a').ttl(30).acquire();
      await expect(client.lock('locks/a').ttl(30).acquire()).rejects.toThrow(EtcdLockFailedError);
      // The failed attempt leaves nothing behind: the lock key is still the holder's.
      const held = await client.get('locks/a').exec();
      expect(held.kvs[0]!.lease).toBe(await first.leaseId());
      await first.release();
      expect(await client.get('locks/a').exists()).toBe(false);
      const second = await client.lock('locks/a').ttl(30).acquire();
      await second.release();
      let ran = false;
      await client.lock('locks/a').do(async () => {
        ran = true;
        await expect(client.lock('locks/a').acquire()).rejects.toThrow(EtcdLockFailedError);
      });
      expect(ran).toBe(true);
    });

    test('Lock: a lock whose holder’s lease is revoked, or expires when the holder dies, is free again', async () => {
      const holder = newClient();
      const revoked = await holder.lock('locks/revoked').ttl(30).acquire();
      await client.leaseClient.leaseRevoke({ ID: (await revoked.leaseId())! });
      const taken = await client.lock('locks/revoked').ttl(30).acquire();
      await taken.release();

      const dying = await startHolder(target.endpoints, 'lock', 'locks/expiring', SHORT_TTL_SECONDS);
      holders.push(dying);
      await expect(client.lock('locks/expiring').acquire()).rejects.toThrow(EtcdLockFailedError);
      await kill(dying); // the holder dies: no more keep-alives
      let next: Awaited<ReturnType<ReturnType<Etcd3['lock']>['acquire']>> | undefined;
      const acquired = await eventually(async () => {
        try {
          next = await client.lock('locks/expiring').ttl(30).acquire();
          return true;
        } catch (error) {
          if (!(error instanceof EtcdLockFailedError)) throw error;
          return false;
        }
      }, 15_000);
      expect(acquired).toBe(true);
      await next!.release();
    });

    test('Election: campaign, observe the leader change, resign, and the next candidate takes over', async () => {
      const election = client.election('jobs', 30);
      expect(await election.leader()).toBeUndefined();
      const alice = election.campaign('alice');
      await alice.wait();
      expect(await election.leader()).toBe('alice');

      const observer = await election.observe();
      const changes: (string | undefined)[] = [observer.leader()];
      observer.on('change', (leader) => changes.push(leader));

      const bob = election.campaign('bob');
      let bobElected = false;
      const bobWaits = bob.wait().then(() => (bobElected = true));
      await sleep(1_000);
      expect(bobElected).toBe(false);
      expect(await election.leader()).toBe('alice');

      await alice.proclaim('alice-2');
      expect(await eventually(async () => changes.includes('alice-2'), 10_000)).toBe(true);
      await alice.resign();
      await bobWaits;
      expect(await election.leader()).toBe('bob');
      expect(await eventually(async () => changes.at(-1) === 'bob', 10_000)).toBe(true);
      expect(changes).toEqual(['alice', 'alice-2', 'bob']);

      // A leader whose client dies loses the election when its lease expires.
      await bob.resign();
      const carol = await startHolder(target.endpoints, 'campaign', 'jobs', SHORT_TTL_SECONDS, 'carol');
      holders.push(carol);
      expect(await eventually(async () => changes.at(-1) === 'carol', 10_000)).toBe(true);
      const dave = election.campaign('dave');
      await kill(carol);
      await dave.wait();
      expect(await election.leader()).toBe('dave');
      expect(await eventually(async () => changes.at(-1) === 'dave', 10_000)).toBe(true);
      await dave.resign();
      await observer.cancel();
    });

    test('STM: concurrent read-modify-write transactions serialize (conflicts retried)', async () => {
      await client.put('stm/counter').value('0');
      const increment = async () => {
        for (;;) {
          try {
            return await client.stm({ retries: 0 }).transact(async (tx) => {
              const value = Number(await tx.get('stm/counter').string());
              await tx.put('stm/counter').value(String(value + 1));
            });
          } catch (error) {
            if (!(error instanceof STMConflictError)) throw error;
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, increment));
      expect(await client.get('stm/counter').string()).toBe('8');
    });
  });
});
