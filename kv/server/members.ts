/**
 * Members as etcd shows them: Raft's configuration (who is a voter, who a learner) joined
 * with the replicated member records (names, URLs). Ids are 52 bits of a SHA-1 over the
 * first peer address and the cluster token, so that a joining member computes the id the
 * cluster gave it (a Raft NodeId must be a safe integer; etcd's are 64-bit, time-salted).
 */
import { createHash } from 'node:crypto';
import type { NodeStatus } from '../../raft/index.js';
import { HEALTH_INTERVAL_MS, LEARNER_READY_FRACTION } from './constants.js';
import type { WireObject } from './etcd-proto.js';
import { EtcdServerError } from './etcd-errors.js';
import type { MemberRecord } from './kv-state-machine.js';

/** A member of the cluster as `member list` shows it. */
export interface MemberView {
  readonly id: number;
  /** Empty until the member has started. */
  readonly name: string;
  readonly peerUrls: readonly string[];
  /** Empty until the member has started. */
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

/** A member's id: 52 bits of a SHA-1 over its peer address and the cluster token. */
export function memberIdOf(peerAddress: string, token: string): number {
  const digest = createHash('sha1').update(`${peerAddress}\n${token}`).digest();
  const id = Number(digest.readBigUInt64BE(0) & ((1n << 52n) - 1n));
  return id === 0 ? 1 : id;
}

/** The cluster's id from its initial members' peer addresses and the token (64 bits; hashed apart from member ids). */
export function clusterIdOf(peerAddresses: readonly string[], token: string): bigint {
  const digest = createHash('sha1')
    .update(`cluster\n${[...peerAddresses].sort().join(',')}\n${token}`)
    .digest();
  return digest.readBigUInt64BE(0);
}

/** host:port of an http or https URL (`http://127.0.0.1:2380` → `127.0.0.1:2380`). */
export function hostPort(url: string): string {
  const parsed = new URL(url);
  // An IPv6 host keeps its brackets in `hostname`, as host:port needs.
  return `${parsed.hostname}:${parsed.port || '80'}`;
}

/**
 * Peer URLs from a MemberAdd or MemberUpdate: each `http://host:port` or `https://host:port`
 * and nothing more, at least one. Else etcd's "given member URLs are invalid".
 */
export function checkPeerUrls(urls: readonly string[]): string[] {
  if (urls.length === 0) throw new EtcdServerError('memberBadUrls');
  for (const url of urls) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new EtcdServerError('memberBadUrls');
    }
    const bare = parsed.pathname === '/' && parsed.search === '' && parsed.hash === '' && parsed.username === '' && !url.endsWith('/');
    if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.port === '' || !bare) throw new EtcdServerError('memberBadUrls');
  }
  return [...urls];
}

/** Every member of Raft's configuration with what the records say of it, by id ascending (as etcd lists them). */
export function memberViews(status: NodeStatus, records: ReadonlyMap<number, MemberRecord>): MemberView[] {
  const view = (raftLearner: boolean) => (member: { id: number; address: string }): MemberView => {
    const record = records.get(member.id);
    return {
      id: member.id,
      name: record?.name ?? '',
      peerUrls: record !== undefined && record.peerUrls.length > 0 ? record.peerUrls : member.address === '' ? [] : [`http://${member.address}`],
      clientUrls: record?.clientUrls ?? [],
      // A voter being added is a Raft learner until it has caught up: not a learner to the user.
      isLearner: raftLearner && (record?.learner ?? true),
    };
  };
  const voters = [...status.members.voters, ...status.members.votersOutgoing.filter((m) => !status.members.voters.some((v) => v.id === m.id))];
  return [...voters.map(view(false)), ...status.members.learners.map(view(true))].sort((a, b) => a.id - b.id);
}

/** etcdserverpb.Member. */
export function wireMember(member: MemberView): WireObject {
  return {
    ID: BigInt(member.id).toString(),
    name: member.name,
    peerURLs: [...member.peerUrls],
    clientURLs: [...member.clientUrls],
    isLearner: member.isLearner,
  };
}

/**
 * etcd's checks before removing voter `id` (strict reconfiguration), on the leader's
 * status: enough of the remaining voters have started, and unless the member removed is
 * already down, enough stay connected to keep a quorum. Connected means heard from within
 * etcd's health interval, not Raft's per-election-timeout flag: every check-quorum round
 * clears that until the next heartbeat answers, so it reads a healthy member as down now
 * and then. Null when the removal may go ahead.
 */
export function voterRemovalRefusal(status: NodeStatus, id: number, started: (id: number) => boolean): 'memberNotEnoughStarted' | 'unhealthy' | null {
  const voters = status.members.voters;
  const remaining = voters.filter((v) => v.id !== id);
  const quorum = (n: number) => Math.floor(n / 2) + 1;
  if (remaining.length === 0 || remaining.filter((v) => started(v.id)).length < quorum(remaining.length)) return 'memberNotEnoughStarted';
  const connected = (memberId: number) => {
    if (memberId === status.id) return true;
    const since = status.progress?.find((p) => p.id === memberId)?.sinceHeardMs;
    return since !== null && since !== undefined && since <= HEALTH_INTERVAL_MS;
  };
  if (!connected(id)) return null;
  return voters.filter((v) => connected(v.id)).length - 1 < quorum(voters.length - 1) ? 'unhealthy' : null;
}

/**
 * etcd's rule for promoting a learner (`isLearnerReady`): its match index is at least 90%
 * of the leader's. Call on the leader; false when the learner is unknown to it.
 */
export function isLearnerReady(status: NodeStatus, id: number): boolean {
  if (status.progress === null) return false;
  const learner = status.progress.find((p) => p.id === id);
  if (learner === undefined) return false;
  const leaderMatch = status.progress.find((p) => p.id === status.id)?.match ?? status.lastIndex;
  return learner.match >= leaderMatch * LEARNER_READY_FRACTION && learner.match > 0;
}
