/**
 * The transcript normalizer masks what differs between two servers (ids, addresses,
 * revisions, terms, sizes, versions, timings, etcdctl's log noise, orders that are the
 * server's choice) and keeps everything else, byte for byte. Pure: no etcd needed.
 */
import { normalizeLogLine, renderTranscript, substitute } from '../../support/etcdctl-script.js';
import type { EtcdctlScript, ScriptRun, TranscriptEntry, Variable } from '../../support/etcdctl-script.js';

const SCRIPT: EtcdctlScript = { name: 'sample', members: 1, proves: 'the normalizer', steps: [] };

const VARIABLES = new Map<string, Variable>([
  ['id:m1', { value: '2e1259d415f2a040', kind: 'id' }],
  ['name:m1', { value: 'n1', kind: 'name' }],
  ['client:m1', { value: 'http://127.0.0.1:23790', kind: 'url' }],
  ['peer:m1', { value: 'http://127.0.0.1:23800', kind: 'url' }],
  ['cluster_id', { value: '48276a8f75b6a87', kind: 'id' }],
  ['lease1', { value: '2040a21a40ab3e1b', kind: 'id' }],
  ['rev', { value: '7', kind: 'number' }],
]);

function normalized(entry: Partial<TranscriptEntry>): string[] {
  const run: ScriptRun = {
    script: SCRIPT,
    entries: [{ header: ['$ etcdctl x'], stdout: '', stderr: '', exit: 0, sortLines: false, ...entry }],
    variables: VARIABLES,
  };
  return renderTranscript(run, { normalize: true }).split('\n').slice(4, -1);
}

test('substitute: variables, and offsets on numbers only', () => {
  expect(substitute(['get', 'k', '--rev=${rev}', '--rev=${rev+3}', '${rev-2}', '--lease=${lease1}'], VARIABLES)).toEqual([
    'get', 'k', '--rev=7', '--rev=10', '5', '--lease=2040a21a40ab3e1b',
  ]);
  expect(() => substitute(['${nope}'], VARIABLES)).toThrow(/unknown variable/);
  expect(() => substitute(['${lease1+1}'], VARIABLES)).toThrow(/only numbers take an offset/);
});

test('known ids, names and URLs become their names, in hex and in decimal', () => {
  expect(normalized({ stdout: '2e1259d415f2a040, started, n1, http://127.0.0.1:23800, http://127.0.0.1:23790, false\n' })).toEqual([
    '<id:m1>, started, <name:m1>, <peer:m1>, <client:m1>, false',
  ]);
  expect(normalized({ stdout: '{"leader":3319814642761637952,"lease":2324035641360989723}\n' })).toEqual(['{"leader":<id:m1>,"lease":<lease1>}']);
  // A name is masked only as a whole field, never inside a key or value.
  expect(normalized({ stdout: 'n1x\nkey/n1\n' })).toEqual(['n1x', 'key/n1']);
});

test('revisions, terms, indexes, sizes, versions and timings are masked; key versions are kept', () => {
  expect(
    normalized({
      stdout:
        '{"header":{"cluster_id":324952591200643719,"member_id":3319814642761637952,"revision":5,"raft_term":2},"kvs":[{"key":"YQ==","create_revision":3,"mod_revision":5,"version":2}]}\n' +
        '"Revision" : 5\n"ModRevision" : 5\n"Version" : 2\n' +
        'http://127.0.0.1:23790, 2e1259d415f2a040, 3.4.23, 20 kB, true, false, 2, 8, 8, \n' +
        'compacted revision 5\n' +
        'lease 2040a21a40ab3e1b granted with TTL(60s), remaining(57s), attached keys([b a])\n',
      stderr: 'http://127.0.0.1:23790 is healthy: successfully committed proposal: took = 5.805873ms\n',
    }),
  ).toEqual([
    '{"header":{"cluster_id":<cluster_id>,"member_id":<member>,"revision":<rev>,"raft_term":<term>},"kvs":[{"key":"YQ==","create_revision":<rev>,"mod_revision":<rev>,"version":2}]}',
    '"Revision" : <rev>',
    '"ModRevision" : <rev>',
    '"Version" : 2',
    '<client:m1>, <id:m1>, <version>, <size>, true, false, <term>, <index>, <index>,',
    'compacted revision <rev>',
    'lease <lease1> granted with TTL(60s), remaining(<ttl>), attached keys([a b])',
    '! <client:m1> is healthy: successfully committed proposal: took = <duration>',
  ]);
});

test("etcdctl's JSON log lines keep level, message and error only, once", () => {
  const line = '{"level":"warn","ts":"2026-11-26T23:46:52.625Z","caller":"clientv3/retry_interceptor.go:62","msg":"retrying of unary invoker failed","target":"endpoint://client-9eb3/127.0.0.1:23790","attempt":0,"error":"rpc error: code = NotFound desc = etcdserver: requested lease not found"}';
  expect(normalizeLogLine(line)).toBe('log warn: retrying of unary invoker failed (rpc error: code = NotFound desc = etcdserver: requested lease not found)');
  expect(normalizeLogLine('Error: plain')).toBe('Error: plain');
  expect(normalized({ stderr: `${line}\n${line.replace('"attempt":0', '"attempt":1')}\nError: etcdserver: requested lease not found\n`, exit: 1 })).toEqual([
    '! log warn: retrying of unary invoker failed (rpc error: code = NotFound desc = etcdserver: requested lease not found)',
    '! Error: etcdserver: requested lease not found',
    '[exit 1]',
  ]);
});

test('tables lose their padding; sorted steps sort table rows only; padded ids lose their padding', () => {
  const table = [
    '+------------------+---------+------+',
    '|        ID        | STATUS  | NAME |',
    '+------------------+---------+------+',
    '| 2e1259d415f2a040 | started |   n1 |',
    '| 0000000000000001 | started |   n0 |',
    '+------------------+---------+------+',
  ].join('\n');
  expect(normalized({ stdout: `${table}\n`, sortLines: true })).toEqual([
    '+-+-+-+',
    '| ID | STATUS | NAME |',
    '+-+-+-+',
    '| 0000000000000001 | started | n0 |',
    '| <id:m1> | started | <name:m1> |',
    '+-+-+-+',
  ]);
  expect(normalized({ stdout: 'Member  2e1259d415f2a040 added to cluster  48276a8f75b6a87\nETCD_INITIAL_CLUSTER="z=http://a:1,n1=http://127.0.0.1:23800"\n' })).toEqual([
    'Member <id:m1> added to cluster <cluster_id>',
    'ETCD_INITIAL_CLUSTER="<name:m1>=<peer:m1>,z=http://a:1"',
  ]);
});

test('unknown ids and ports are masked as a last resort; the raw transcript keeps everything', () => {
  expect(normalized({ stdout: 'lease 694d7f4f3b9d2a0b revoked\nhttp://127.0.0.1:40001\n' })).toEqual(['lease <id> revoked', 'http://127.0.0.1:<port>']);
  const run: ScriptRun = { script: SCRIPT, entries: [{ header: ['$ etcdctl x'], stdout: 'a  \n', stderr: 'b\n', exit: 'stopped', sortLines: false }], variables: VARIABLES };
  expect(renderTranscript(run, { normalize: false })).toBe('# sample (1 member)\n# the normalizer\n\n$ etcdctl x\na  \n! b\n[stopped]\n');
});
