/**
 * Where Balsa used to answer differently from etcd 3.4, the same requests now get the
 * same answers: each test sends identical raw gRPC requests, in the same order, to a real
 * etcd 3.4 and to a Balsa member (both fresh, so revisions line up) and compares what
 * comes back.
 *
 * - A transaction that puts a key and deletes it: which combinations etcd refuses as
 *   "duplicate key" (its check reads a from-key delete's end "\0" literally, and checks a
 *   nested put only against the deletes before it), and how it applies the others (one
 *   key changed twice in a revision; watchers' prev_kv from before the revision).
 * - The compaction point of a store never compacted: -1 (HashKV), and compaction at 0.
 * - Range sorts: the order of keys that tie on the sort target (Go's unstable sort), and
 *   order NONE with a target and a limit (only the first limit + 1 keys are sorted).
 * - HTTP on the client URL and on a `--listen-metrics-urls` URL: `/health` (status, type,
 *   body; other methods 405 with `Allow: GET`), `/metrics`, and 404 elsewhere.
 *
 * Needs etcd and etcdctl: fails in CI when they are missing, skipped elsewhere.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WireObject } from '../../../kv/server/etcd-proto.js';
import { etcdGrpcClients } from '../../support/etcd-grpc.js';
import type { EtcdGrpcClients, Unary } from '../../support/etcd-grpc.js';
import { describeWithTools, etcdTools, startRealEtcd } from '../../support/etcd-tools.js';
import type { RealEtcd } from '../../support/etcd-tools.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';
import { ResumingWatch } from '../../support/resuming-watch.js';
import { freePort } from '../../../raft/testing/process-cluster.js';

const B = (text: string) => Buffer.from(text, 'latin1');
const put = (key: string, value = 'v', extra: WireObject = {}): WireObject => ({ requestPut: { key: B(key), value: B(value), ...extra } });
const del = (key: string, rangeEnd?: string): WireObject => ({ requestDeleteRange: { key: B(key), ...(rangeEnd === undefined ? {} : { rangeEnd: B(rangeEnd) }) } });
const nested = (success: WireObject[], failure: WireObject[] = []): WireObject => ({ requestTxn: { success, failure } });
/** A compare that never holds, to run the failure branch. */
const NEVER = { key: B('nothing'), target: 'VERSION', result: 'GREATER', version: 5 };

/** What a call came to: OK, or the gRPC status code and message. */
function outcome(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => 'OK',
    (error: { code?: number; details?: string }) => `${error.code} ${error.details}`,
  );
}

/** A response without the header fields that differ between two clusters (ids, term). */
function comparable(response: WireObject): unknown {
  return JSON.parse(
    JSON.stringify(response, (name, value: unknown) => {
      if (name === 'clusterId' || name === 'memberId' || name === 'raftTerm') return undefined;
      if (value !== null && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer') return Buffer.from((value as { data: number[] }).data).toString('latin1');
      return value;
    }),
  );
}

describeWithTools(etcdTools(), 'answers that used to differ from etcd 3.4', (tools) => {
  let etcd: RealEtcd;
  let dir: string;
  let balsa: KvCluster;
  /** [etcd, Balsa] */
  let rpc: EtcdGrpcClients;
  let endpoints: string[];
  /** [etcd's, Balsa's] `--listen-metrics-urls`. */
  let metricsUrls: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'balsa-kv-parity-'));
    const [etcdMetricsPort, balsaMetricsPort] = [await freePort(), await freePort()];
    metricsUrls = [`http://127.0.0.1:${etcdMetricsPort}`, `http://127.0.0.1:${balsaMetricsPort}`];
    [etcd, balsa] = await Promise.all([
      startRealEtcd({ etcd: tools.etcd, extraArgs: [`--listen-metrics-urls=${metricsUrls[0]}`] }),
      startKvCluster({ members: 1, dir, flags: ['--listen-metrics-urls', metricsUrls[1]!] }),
    ]);
    endpoints = [etcd.clientEndpoints[0]!.replace('http://', ''), balsa.clientEndpoints[0]!];
    rpc = etcdGrpcClients(endpoints);
  });
  afterAll(async () => {
    rpc?.close();
    await Promise.all([etcd?.stop(), balsa?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  /** The same calls against etcd, then Balsa: [etcd's, Balsa's]. */
  const onBoth = async <T>(calls: (kv: Unary, maintenance: Unary) => Promise<T>): Promise<[T, T]> => [
    await calls(rpc.kv[0]!, rpc.maintenance[0]!),
    await calls(rpc.kv[1]!, rpc.maintenance[1]!),
  ];

  test('a put and a delete of one key in a transaction: refused or applied as etcd does, with the same events', async () => {
    const cases: Record<string, WireObject[]> = {
      'put k; delete k': [put('t/k'), del('t/k')],
      'delete k; put k': [del('t/k'), put('t/k')],
      'put k; delete [a, z)': [put('t/k'), del('t/a', 't/z')],
      'put k; delete [a, k\\0)': [put('t/k'), del('t/a', 't/k\0')],
      'put k; delete [a, k)': [put('t/k'), del('t/a', 't/k')],
      'put k; delete [z, a)': [put('t/k'), del('t/z', 't/a')],
      'put k; delete from a': [put('t/k'), del('t/a', '\0')],
      'put k; delete from k': [put('t/k'), del('t/k', '\0')],
      'put k; delete everything': [put('t/k'), del('\0', '\0')],
      'put \\0; delete from \\0': [put('\0'), del('\0', '\0')],
      'put k; txn{delete k}': [put('t/k'), nested([del('t/k')])],
      'txn{put k}; delete k': [nested([put('t/k')]), del('t/k')],
      'txn{put k}; txn{delete k}': [nested([put('t/k')]), nested([del('t/k')])],
      'txn{delete k}; txn{put k}': [nested([del('t/k')]), nested([put('t/k')])],
      'txn{put k | delete k}': [nested([put('t/k')], [del('t/k')])],
      'txn{delete from a}; put k': [nested([del('t/a', '\0')]), put('t/k')],
      'txn{put k}; txn{| put k}': [nested([put('t/k')]), nested([], [put('t/k')])],
      'txn{put k | put k}; txn{| put k}': [nested([put('t/k')], [put('t/k')]), nested([], [put('t/k')])],
    };
    const [etcdOutcomes, balsaOutcomes] = await onBoth(async (kv) => {
      const outcomes: Record<string, string> = {};
      for (const [name, ops] of Object.entries(cases)) {
        await kv('Put', { key: B('t/k'), value: B('before') });
        outcomes[name] = `${await outcome(kv('Txn', { success: ops }))} | ${await outcome(kv('Txn', { compare: [NEVER], failure: ops }))}`;
      }
      return outcomes;
    });
    expect(balsaOutcomes).toEqual(etcdOutcomes);
    // What etcd's rules come to, spelled out.
    const duplicate = '3 etcdserver: duplicate key given in txn request';
    expect(etcdOutcomes['put k; delete from a']).toBe('OK | OK');
    expect(etcdOutcomes['txn{put k}; txn{delete k}']).toBe('OK | OK');
    expect(etcdOutcomes['put k; delete [a, k\\0)']).toBe(`${duplicate} | ${duplicate}`);
    expect(etcdOutcomes['txn{delete k}; txn{put k}']).toBe(`${duplicate} | ${duplicate}`);
  });

  test('a key changed twice in one revision: the same reads, responses and watch events (prev_kv from before the revision)', async () => {
    const [etcdResult, balsaResult] = await onBoth(async (kv) => {
      const start = Number(((await kv('Put', { key: B('m/c'), value: B('c0') })).header as WireObject).revision);
      await kv('Put', { key: B('m/x'), value: B('x0') });
      const responses = [
        await kv('Txn', { success: [nested([put('m/a', 'new')]), nested([del('m/a')])] }),
        await kv('Txn', { success: [put('m/c', 'c1', { prevKv: true }), { requestDeleteRange: { key: B('m/'), rangeEnd: B('\0'), prevKv: true } }, { requestRange: { key: B('m/c') } }] }),
        await kv('Put', { key: B('m/c'), value: B('c2') }),
        await kv('Txn', { success: [{ requestDeleteRange: { key: B('m/'), rangeEnd: B('\0'), prevKv: true } }, put('m/c', 'c3', { prevKv: true })] }),
        await kv('Txn', { success: [del('m/', '\0'), nested([put('m/c', 'c4')]), nested([del('m/c')])] }),
      ].map(comparable);
      const end = Number(((await kv('Range', { key: B('m/') })).header as WireObject).revision);
      const reads = [];
      for (let revision = start; revision <= end; revision++) reads.push(comparable(await kv('Range', { key: B('m/'), rangeEnd: B('m0'), revision })));
      return { start, end, responses, reads };
    });
    expect(balsaResult).toEqual(etcdResult);

    const { start, end } = etcdResult;
    const watches = endpoints.map((endpoint) => new ResumingWatch({ endpoints: [endpoint], key: 'm/', rangeEnd: 'm0', startRevision: start }));
    try {
      const deadline = Date.now() + 10_000;
      while (watches.some((w) => w.lastRevision < end) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      const [etcdEvents, balsaEvents] = watches.map((w) => w.events.map(({ endpoint: _endpoint, ...event }) => event));
      expect(balsaEvents).toEqual(etcdEvents);
      // A put then a delete of m/a at one revision: neither carries the new value as prev_kv.
      expect(etcdEvents!.filter((e) => e.key === 'm/a').map((e) => `${e.type} prev ${e.prevValue}`)).toEqual(['PUT prev null', 'DELETE prev null']);
    } finally {
      for (const w of watches) w.stop();
    }
  });

  test('/health, /metrics and other paths over HTTP, on the client URL and on a metrics URL, as etcd answers them', async () => {
    const answer = async (url: string, init: RequestInit = {}) => {
      const response = await fetch(url, init);
      return { status: response.status, type: response.headers.get('content-type'), allow: response.headers.get('allow'), nosniff: response.headers.get('x-content-type-options'), body: await response.text() };
    };
    for (const [etcdBase, balsaBase] of [[`http://${endpoints[0]}`, `http://${endpoints[1]}`], metricsUrls] as const) {
      const health = await Promise.all([answer(`${etcdBase}/health`), answer(`${balsaBase}/health`)]);
      expect(health[0]).toEqual({ status: 200, type: 'text/plain; charset=utf-8', allow: null, nosniff: null, body: '{"health":"true"}' });
      expect(health[1]).toEqual(health[0]);
      const posted = await Promise.all([answer(`${etcdBase}/health`, { method: 'POST' }), answer(`${balsaBase}/health`, { method: 'POST' })]);
      expect(posted.map(({ status, allow }) => ({ status, allow }))).toEqual([{ status: 405, allow: 'GET' }, { status: 405, allow: 'GET' }]);
      const metrics = await Promise.all([answer(`${etcdBase}/metrics`), answer(`${balsaBase}/metrics`)]);
      for (const scrape of metrics) {
        expect(scrape.status).toBe(200);
        expect(scrape.body).toMatch(/^etcd_server_has_leader 1$/m);
      }
      const elsewhere = await Promise.all([answer(`${etcdBase}/nothing-here`), answer(`${balsaBase}/nothing-here`)]);
      expect(elsewhere.map(({ status }) => status)).toEqual([404, 404]);
    }

    // An alarm raised: unhealthy, on both, until it is cleared.
    const alarm = (action: 'ACTIVATE' | 'DEACTIVATE') =>
      onBoth(async (_kv, maintenance) => {
        const status = await maintenance('Status', {});
        return maintenance('Alarm', { action, memberID: (status.header as WireObject).memberId, alarm: 'NOSPACE' });
      });
    await alarm('ACTIVATE');
    try {
      const unhealthy = await Promise.all(metricsUrls.map((base) => answer(`${base}/health`)));
      expect(unhealthy[0]).toEqual({ status: 503, type: 'text/plain; charset=utf-8', allow: null, nosniff: 'nosniff', body: '{"health":"false"}\n' });
      expect(unhealthy[1]).toEqual(unhealthy[0]);
    } finally {
      await alarm('DEACTIVATE');
    }
    expect(await Promise.all(metricsUrls.map(async (base) => (await answer(`${base}/health`)).status))).toEqual([200, 200]);
  });

  test('a store never compacted says compact_revision -1, and compacts at 0 once', async () => {
    const [etcdResult, balsaResult] = await onBoth(async (kv, maintenance) => {
      const compactRevision = async () => Number((await maintenance('HashKV', {})).compactRevision);
      return [
        await compactRevision(),
        await outcome(kv('Compact', { revision: 0 })),
        await compactRevision(),
        await outcome(kv('Compact', { revision: 0 })),
        await outcome(kv('Compact', { revision: -1 })),
      ];
    });
    expect(balsaResult).toEqual(etcdResult);
    expect(etcdResult).toEqual([-1, 'OK', 0, '11 etcdserver: mvcc: required revision has been compacted', '11 etcdserver: mvcc: required revision has been compacted']);
  });

  test('range sorts: ties in etcd’s order, and order NONE with a target sorts only the first limit + 1 keys', async () => {
    /** Values with many ties (and a few without), for runs below and above Go's insertion-sort size. */
    const patterns: Record<string, (i: number, n: number) => number> = {
      cycle: (i) => (i * 7) % 3,
      same: () => 0,
      halves: (i, n) => (i < n / 2 ? 1 : 0),
      descending: (i, n) => n - i,
      oneOff: (i) => (i === 3 ? 1 : 0),
      scattered: (i) => (i * i * 31 + 7) % 5,
    };
    const [etcdAnswers, balsaAnswers] = await onBoth(async (kv) => {
      const answers: string[] = [];
      for (const n of [9, 13, 33, 50, 77, 129]) {
        for (const [name, valueOf] of Object.entries(patterns)) {
          const prefix = `s/${n}${name}/`;
          const keys = Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
          for (let i = 0; i < n; i += 64) await kv('Txn', { success: keys.slice(i, i + 64).map((key, j) => put(key, String(valueOf(i + j, n)))) });
          // Every third key again: versions tie too.
          for (let i = 0; i < n; i += 3) await kv('Put', { key: B(keys[i]!), value: B(String(valueOf(i, n))) });
          for (const sortTarget of ['VALUE', 'VERSION', 'MOD', 'CREATE', 'KEY']) {
            for (const sortOrder of ['NONE', 'ASCEND', 'DESCEND']) {
              for (const limit of [0, 5]) {
                const response = await kv('Range', { key: B(prefix), rangeEnd: B(`${prefix.slice(0, -1)}0`), sortTarget, sortOrder, limit, keysOnly: true });
                const order = (response.kvs as WireObject[]).map((item) => (item.key as Buffer).toString().slice(prefix.length)).join(' ');
                answers.push(`${n} ${name} ${sortTarget} ${sortOrder} ${limit}: ${order} more=${String(response.more)} count=${String(response.count)}`);
              }
            }
          }
        }
      }
      return answers;
    });
    expect(balsaAnswers.length).toBe(etcdAnswers.length);
    for (const [i, answer] of balsaAnswers.entries()) expect(answer).toBe(etcdAnswers[i]);
  });
});
