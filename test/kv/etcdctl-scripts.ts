/**
 * The etcdctl sessions Balsa must answer exactly as etcd 3.4 does (revisions, ids, sizes and
 * addresses aside: see the masking rules in `test/support/etcdctl-script.ts`). Their
 * transcripts against a real etcd 3.4 are `fixtures/etcd-3.4-transcripts/<name>.txt`
 * (`etcd-reference.test.ts` keeps them true); `etcdctl-compat.test.ts` runs the same scripts
 * against Balsa.
 *
 * Together they cover what the issue lists: put / get (prefix, revision, sort, limit,
 * keys-only, count) / del / txn (interactive input) / watch (prefix, rev, prev-kv) / lease
 * grant, keep-alive, timetolive, revoke / member list, add, remove / endpoint status, health /
 * snapshot save / compaction / defrag / alarm list, disarm / move-leader. etcdctl 3.4 has no
 * `get --count-only` (3.5 added it): the count is checked through `-w fields` (`Count`,
 * `More`) and `--limit`, which is what a count-only request returns.
 *
 * Keys and values never equal `PUT` or `DELETE` (the runner counts watch events by those lines).
 */
import type { Capture, EtcdctlScript } from '../support/etcdctl-script.js';

/** The current revision, from any read's response header (`get <key> -w json`). */
const REVISION = (name: string): Capture => ({ name, pattern: /"revision":(\d+)/, kind: 'number' });
/** A lease id from `lease grant`. */
const LEASE = (name: string): Capture => ({ name, pattern: /^lease ([0-9a-f]+) granted/m, kind: 'id' });
/** A member id from `member add` (etcdctl pads it to 16 columns). */
const ADDED_MEMBER = (name: string): Capture => ({ name, pattern: /^Member\s+([0-9a-f]+) added/m, kind: 'id' });

export const KV_SCRIPT: EtcdctlScript = {
  name: 'kv',
  members: 1,
  proves: 'put, get (prefix, range, from-key, revision, sort, limit, keys-only, values-only, count),\ndel (single, prefix, prev-kv), and the errors of put --ignore-value and reads at a future revision.',
  steps: [
    { etcdctl: ['put', 'fruit/apple', 'red'] },
    { etcdctl: ['get', 'fruit/apple', '-w', 'json'], capture: [REVISION('apple_red')], comment: 'the revision where fruit/apple is red' },
    { etcdctl: ['put', 'fruit/banana', 'yellow'] },
    { etcdctl: ['put', 'fruit/cherry', 'dark-red'] },
    { etcdctl: ['put', 'vegetable/carrot', 'orange'] },
    { etcdctl: ['put', 'fruit/apple', 'green', '--prev-kv'], comment: 'a second version of fruit/apple; --prev-kv prints the one it replaced' },
    { etcdctl: ['put', 'fruit/cherry', '--ignore-value'], comment: 'keeps the value, bumps the version' },
    { etcdctl: ['put', 'fruit/durian', '--ignore-value'], comment: 'no such key: an error' },
    { etcdctl: ['get', 'fruit/apple'] },
    { etcdctl: ['get', 'fruit/apple', '-w', 'fields'] },
    { etcdctl: ['get', 'fruit/apple', '-w', 'json'] },
    { etcdctl: ['get', 'fruit/', '--prefix'] },
    { etcdctl: ['get', 'fruit/', '--prefix', '--keys-only'] },
    { etcdctl: ['get', 'fruit/', '--prefix', '--print-value-only'] },
    { etcdctl: ['get', 'fruit/', '--prefix', '--limit=2'] },
    { etcdctl: ['get', 'fruit/', '--prefix', '--limit=1', '-w', 'fields'], comment: 'the count of the whole range, with More: what a count-only request answers' },
    { etcdctl: ['get', 'fruit/', '--prefix', '--sort-by=VALUE', '--order=DESCEND'] },
    { etcdctl: ['get', 'fruit/', '--prefix', '--sort-by=MODIFY', '--order=DESCEND', '--limit=2'] },
    { etcdctl: ['get', 'fruit/', '--prefix', '--sort-by=VERSION', '--order=DESCEND', '--keys-only'] },
    { etcdctl: ['get', 'fruit/', '--prefix', '--sort-by=CREATE', '--order=ASCEND', '--keys-only'] },
    { etcdctl: ['get', 'fruit/', '--prefix', '--sort-by=KEY', '--order=DESCEND', '--keys-only'] },
    { etcdctl: ['get', 'fruit/apple', 'fruit/cherry'], comment: 'the range [fruit/apple, fruit/cherry)' },
    { etcdctl: ['get', 'fruit/b', '--from-key', '--keys-only'] },
    { etcdctl: ['get', 'fruit/', '--prefix', '--rev=${apple_red}'], comment: 'as of the first put' },
    { etcdctl: ['get', 'fruit/apple', '--rev=${apple_red+1000}'], comment: 'a future revision: an error' },
    { etcdctl: ['get', 'fruit/', '--prefix', '--consistency=s', '--keys-only'], comment: 'a serializable read' },
    { etcdctl: ['get', 'no/such/key'] },
    { etcdctl: ['get', 'no/such/key', '-w', 'fields'] },
    { etcdctl: ['del', 'fruit/banana'] },
    { etcdctl: ['del', 'fruit/banana'], comment: 'already gone: deletes nothing' },
    { etcdctl: ['del', 'fruit/', '--prefix', '--prev-kv'] },
    { etcdctl: ['del', 'vegetable/', '--from-key', '-w', 'json'] },
    { etcdctl: ['get', '', '--from-key'], comment: 'nothing left' },
  ],
};

export const TXN_SCRIPT: EtcdctlScript = {
  name: 'txn',
  members: 1,
  proves: 'txn, interactive (-i) and from standard input: value, version, create and mod compares,\nthe success and failure branches with put, get and del, JSON output, and a refused txn.',
  steps: [
    { etcdctl: ['put', 'user/alice', '1'] },
    {
      comment: 'the compare holds: the success branch runs',
      etcdctl: ['txn', '-i'],
      input: 'value("user/alice") = "1"\n\nput user/alice 2\nget user/alice\n\nput user/alice failed\n\n',
    },
    {
      comment: 'the same compare no longer holds: the failure branch runs',
      etcdctl: ['txn', '-i'],
      input: 'value("user/alice") = "1"\n\nput user/alice 3\n\nget user/alice\nput user/bob created-on-failure\n\n',
    },
    {
      comment: 'several compares, non-interactive',
      etcdctl: ['txn'],
      input: 'version("user/alice") = "2"\ncreate("user/carol") = "0"\nmod("user/bob") > "0"\n\nput user/carol 1\ndel user/bob\nget user/ --prefix\n\n\n',
    },
    {
      comment: 'a compare on a missing key, with a value comparison that fails',
      etcdctl: ['txn'],
      input: 'value("user/nobody") > "a"\n\n\nget user/carol\n\n',
    },
    {
      etcdctl: ['txn', '-w', 'json'],
      input: 'value("user/carol") = "1"\n\nput user/carol 2\nget user/carol\ndel user/nobody\n\n\n',
    },
    {
      comment: 'the same key put twice in one branch: refused',
      etcdctl: ['txn'],
      input: 'create("user/dave") = "0"\n\nput user/dave 1\nput user/dave 2\n\n\n',
    },
    { etcdctl: ['get', 'user/', '--prefix'] },
  ],
};

export const WATCH_SCRIPT: EtcdctlScript = {
  name: 'watch',
  members: 1,
  proves: 'watch: a prefix with prev-kv, a single key, history from a revision, and a watch\ncanceled because its start revision was compacted.',
  steps: [
    { etcdctl: ['get', 'w/', '-w', 'json'], capture: [REVISION('start')], comment: 'watches start after this revision, so that none misses an event' },
    { background: 'prefix', etcdctl: ['watch', 'w/', '--prefix', '--prev-kv', '--rev=${start+1}'] },
    { background: 'key', etcdctl: ['watch', 'w/a', '--rev=${start+1}'] },
    { background: 'range', etcdctl: ['watch', 'w/a', 'w/c', '--rev=${start+1}'], comment: 'the range [w/a, w/c)' },
    { etcdctl: ['put', 'w/a', 'one'] },
    { etcdctl: ['put', 'w/b', 'two'] },
    { etcdctl: ['put', 'w/a', 'three'] },
    { etcdctl: ['put', 'w/c', 'four'] },
    { etcdctl: ['del', 'w/a'] },
    { etcdctl: ['del', 'w/', '--prefix'] },
    { collect: 'prefix', events: 7 },
    { collect: 'key', events: 3 },
    { collect: 'range', events: 5 },
    { background: 'history', etcdctl: ['watch', 'w/', '--prefix', '--rev=${start+2}'], comment: 'from history: everything after the first put' },
    { collect: 'history', events: 6 },
    { etcdctl: ['compaction', '${start+3}'] },
    { etcdctl: ['watch', 'w/', '--prefix', '--rev=${start+1}'], comment: 'before the compacted revision: canceled by the server' },
  ],
};

export const LEASE_SCRIPT: EtcdctlScript = {
  name: 'lease',
  members: 1,
  proves: 'leases: grant, attach keys, timetolive (with keys), keep-alive (once and streaming), list,\nrevoke (the keys go with it), expiry, and the errors for a lease that no longer exists.',
  steps: [
    { etcdctl: ['lease', 'grant', '60'], capture: [LEASE('lease1')] },
    { etcdctl: ['lease', 'grant', '120'], capture: [LEASE('lease2')] },
    { etcdctl: ['put', 'leased/a', '1', '--lease=${lease1}'] },
    { etcdctl: ['put', 'leased/b', '2', '--lease=${lease1}'] },
    { etcdctl: ['put', 'leased/c', '3', '--lease=${lease2}'] },
    { etcdctl: ['lease', 'timetolive', '${lease1}'] },
    { etcdctl: ['lease', 'timetolive', '${lease1}', '--keys'] },
    { etcdctl: ['lease', 'timetolive', '${lease2}', '-w', 'json'] },
    { etcdctl: ['lease', 'list'], sortLines: true },
    { etcdctl: ['lease', 'keep-alive', '--once', '${lease1}'] },
    { etcdctl: ['lease', 'keep-alive', '${lease1}'], untilLines: 1 },
    { etcdctl: ['get', 'leased/a', '-w', 'json'] },
    { etcdctl: ['lease', 'revoke', '${lease1}'] },
    { etcdctl: ['get', 'leased/', '--prefix'], comment: 'the keys of the revoked lease are gone' },
    { etcdctl: ['lease', 'timetolive', '${lease1}'] },
    { etcdctl: ['lease', 'revoke', '${lease1}'] },
    { etcdctl: ['lease', 'keep-alive', '--once', '${lease1}'] },
    { etcdctl: ['put', 'leased/d', '4', '--lease=${lease1}'] },
    { etcdctl: ['lease', 'grant', '3'], capture: [LEASE('short')] },
    { etcdctl: ['put', 'leased/e', '5', '--lease=${short}'] },
    { pauseMs: 6_000, comment: 'the 3 s lease expires' },
    { etcdctl: ['get', 'leased/', '--prefix'] },
    { etcdctl: ['lease', 'timetolive', '${short}'] },
    { etcdctl: ['lease', 'revoke', '${lease2}'] },
    { etcdctl: ['lease', 'list'] },
  ],
};

export const MAINTENANCE_SCRIPT: EtcdctlScript = {
  name: 'maintenance',
  members: 1,
  proves: 'endpoint status (simple, JSON, table) and health, compaction (and reads and compactions\nbelow it), defrag, snapshot save, alarm list and disarm.',
  steps: [
    { etcdctl: ['put', 'm/a', '1'] },
    { etcdctl: ['put', 'm/a', '2'] },
    { etcdctl: ['put', 'm/a', '3'] },
    { etcdctl: ['get', 'm/a', '-w', 'json'], capture: [REVISION('latest')] },
    { etcdctl: ['endpoint', 'status'] },
    { etcdctl: ['endpoint', 'status', '-w', 'json'] },
    { etcdctl: ['endpoint', 'status', '-w', 'table'] },
    { etcdctl: ['endpoint', 'health'] },
    { etcdctl: ['endpoint', 'health', '-w', 'json'] },
    { etcdctl: ['compaction', '${latest-1}'] },
    { etcdctl: ['get', 'm/a', '--rev=${latest-1}'], comment: 'the compacted revision itself is still readable' },
    { etcdctl: ['get', 'm/a', '--rev=${latest-2}'], comment: 'below it is not' },
    { etcdctl: ['compaction', '${latest-2}'], comment: 'compacting again below it: an error' },
    { etcdctl: ['compaction', '${latest+100}'], comment: 'a future revision: an error' },
    { etcdctl: ['compaction', '${latest}', '--physical'] },
    { etcdctl: ['get', 'm/a', '-w', 'fields'] },
    { etcdctl: ['defrag'] },
    { etcdctl: ['snapshot', 'save', '${snapshot_file}'] },
    { etcdctl: ['alarm', 'list'] },
    { etcdctl: ['alarm', 'disarm'] },
    { etcdctl: ['alarm', 'list', '-w', 'json'] },
    { etcdctl: ['get', 'm/a'], comment: 'still serving' },
  ],
};

export const CLUSTER_SCRIPT: EtcdctlScript = {
  name: 'cluster',
  members: 3,
  proves: 'a 3-member cluster: member list, endpoint status and health of every member, move-leader\n(to a member, from a follower, to a stranger), member add (learner and voter), promote,\nremove (added, unknown and started members), and reads and writes through a follower.',
  steps: [
    { etcdctl: ['member', 'list'], sortLines: true },
    { etcdctl: ['member', 'list', '-w', 'table'], sortLines: true },
    { etcdctl: ['endpoint', 'status'], on: 'all', comment: 'm1 leads when a script starts' },
    { etcdctl: ['endpoint', 'health', '--cluster'], sortLines: true },
    { etcdctl: ['put', 'c/written-on-follower', 'yes'], on: 'm3' },
    { etcdctl: ['get', 'c/', '--prefix'], on: 'm2' },
    { etcdctl: ['get', 'c/', '--prefix', '--consistency=s'], on: 'm3' },
    { etcdctl: ['move-leader', '${id:m2}'] },
    { etcdctl: ['endpoint', 'status'], on: 'all' },
    { etcdctl: ['move-leader', '${id:m3}'], on: 'm1', comment: 'm1 no longer leads: etcdctl finds no leader among the endpoints given' },
    { etcdctl: ['move-leader', '1234'], on: 'all', comment: 'not a member' },
    { etcdctl: ['move-leader', '${id:m1}'], on: 'all' },
    {
      pauseMs: 5_000,
      comment: 'etcd refuses to change the membership until the leader has been connected to every peer\nfor 5 s (its strict reconfiguration check); the cluster may have started less than 5 s ago',
    },
    { etcdctl: ['member', 'add', 'learner1', '--learner', '--peer-urls=${spare_peer_url1}'], capture: [ADDED_MEMBER('learner1')] },
    { etcdctl: ['member', 'list'], sortLines: true },
    { etcdctl: ['member', 'promote', '${learner1}'], comment: 'a learner that never started is not in sync: refused' },
    { etcdctl: ['member', 'remove', '${learner1}'] },
    { etcdctl: ['member', 'promote', '${learner1}'], comment: 'no longer a member' },
    { etcdctl: ['member', 'add', 'voter4', '--peer-urls=${spare_peer_url2}'], capture: [ADDED_MEMBER('voter4')] },
    { etcdctl: ['member', 'list'], sortLines: true },
    { etcdctl: ['member', 'remove', '${voter4}'] },
    { etcdctl: ['member', 'remove', '${voter4}'], comment: 'removed already' },
    { etcdctl: ['member', 'remove', '${id:m3}'], comment: 'a started member' },
    { etcdctl: ['member', 'list'], sortLines: true },
    { etcdctl: ['put', 'c/after-remove', 'yes'] },
    { etcdctl: ['get', 'c/', '--prefix', '--keys-only'], on: 'm2' },
  ],
};

/** Every script, in the order the reference test runs them. */
export const ETCDCTL_SCRIPTS: readonly EtcdctlScript[] = [KV_SCRIPT, TXN_SCRIPT, WATCH_SCRIPT, LEASE_SCRIPT, MAINTENANCE_SCRIPT, CLUSTER_SCRIPT];
