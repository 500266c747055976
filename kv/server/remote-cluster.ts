/**
 * Joining an existing cluster, as etcd does it: a member started with
 * `--initial-cluster-state existing` on an empty data directory first asks the members
 * `--initial-cluster` names for the cluster's member list (served on their peer listeners,
 * `services/peer-service.ts`), and checks that `--initial-cluster` lists exactly the
 * cluster's members at their peer URLs. That holds once this member was added with
 * `member add` (which prints the `--initial-cluster` to use); otherwise it would wait
 * forever for a leader that does not know it, so it refuses to start with etcd's words.
 * The ids come from the answer (etcd's ValidateClusterAndAssignIDs): this member's, its
 * peers', and the cluster's.
 *
 * Nothing here writes to the data directory: a member refused leaves none behind.
 */
import * as grpc from '@grpc/grpc-js';
import type { Member } from '../../raft/index.js';
import { REMOTE_MEMBER_LIST_TIMEOUT_MS } from './constants.js';
import { int64ToBigInt, loadEtcdProto } from './etcd-proto.js';
import type { Int64Value, WireObject } from './etcd-proto.js';
import { KvStartError } from './etcd-errors.js';
import { hostPort } from './members.js';
import type { MemberView } from './members.js';
import type { KvPeer } from './server-options.js';

/** The cluster as a member of it answered. */
export interface RemoteCluster {
  readonly clusterId: bigint;
  /** As its `member list` shows them, by id ascending. */
  readonly members: readonly MemberView[];
}

/** What a member joining the cluster starts with. */
export interface JoinPlan {
  /** Its own id, as the cluster recorded it at `member add`. */
  readonly memberId: number;
  readonly clusterId: bigint;
  /** The other members, to reach until the log says who they are. */
  readonly peers: readonly Member[];
}

/** The peer URLs of a member of `--initial-cluster` (each at least one). */
function urlsOf(peer: KvPeer): readonly string[] {
  return peer.peerUrls ?? [`http://${peer.peerAddress}`];
}

/**
 * Asks each member of `initialCluster` but `self` for the member list, in order, until one
 * answers, dialling with `credentials` (the peer TLS, if any); `warn` hears about each that
 * does not (etcd logs the same). Throws
 * `KvStartError` CLUSTER_UNREACHABLE when none answers.
 */
export async function fetchRemoteCluster(
  initialCluster: readonly KvPeer[],
  self: string,
  warn: (line: string) => void,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  timeoutMs = REMOTE_MEMBER_LIST_TIMEOUT_MS,
): Promise<RemoteCluster> {
  for (const peer of initialCluster) {
    if (peer.name === self) continue;
    for (const url of urlsOf(peer)) {
      try {
        return await memberList(hostPort(url), credentials, timeoutMs);
      } catch (error) {
        warn(`could not get cluster response from ${url}: ${(error as Error).message}`);
      }
    }
  }
  throw new KvStartError('CLUSTER_UNREACHABLE', 'cannot fetch cluster info from peer urls: could not retrieve cluster information from the given URLs');
}

/**
 * etcd's check of `--initial-cluster` against the cluster: as many members, and each of the
 * cluster's matched by one listed at the same peer URLs. Throws `KvStartError`
 * CLUSTER_MISMATCH with etcd's message; else the ids this member starts with.
 */
export function planJoin(initialCluster: readonly KvPeer[], self: string, remote: RemoteCluster): JoinPlan {
  const fail = (why: string) => new KvStartError('CLUSTER_MISMATCH', `error validating peerURLs ${describeCluster(remote)}: ${why}`);
  if (initialCluster.length !== remote.members.length) throw fail('member count is unequal');
  const idOf = new Map<string, number>();
  for (const member of remote.members) {
    let lastMismatch = '';
    const match = initialCluster.find((peer) => {
      if (sameUrls(urlsOf(peer), member.peerUrls)) return true;
      lastMismatch = `resolved urls: "${sortedText(member.peerUrls)}" != "${sortedText(urlsOf(peer))}"`;
      return false;
    });
    if (match === undefined) {
      throw fail(`PeerURLs: no match found for existing member (${member.id.toString(16)}, [${member.peerUrls.join(' ')}]), last resolver error (${lastMismatch})`);
    }
    idOf.set(match.name, member.id);
  }
  const memberId = idOf.get(self);
  if (memberId === undefined) throw fail(`couldn't find local name "${self}" in the initial cluster configuration`);
  const peers = remote.members.filter((m) => m.id !== memberId).map((m) => ({ id: m.id, address: hostPort(m.peerUrls[0]!) }));
  return { memberId, clusterId: remote.clusterId, peers };
}

/** The cluster as etcd prints it in its refusal (Go's %+v of its RaftCluster, ids in hex). */
function describeCluster(remote: RemoteCluster): string {
  const members = remote.members.map(
    (m) =>
      `&{ID:${m.id.toString(16)} RaftAttributes:{PeerURLs:[${m.peerUrls.join(' ')}] IsLearner:${m.isLearner}} ` +
      `Attributes:{Name:${m.name} ClientURLs:[${m.clientUrls.join(' ')}]}}`,
  );
  return `{ClusterID:${remote.clusterId.toString(16)} Members:[${members.join(' ')}]}`;
}

function sortedText(urls: readonly string[]): string {
  return [...urls].sort().join(',');
}

function sameUrls(a: readonly string[], b: readonly string[]): boolean {
  return sortedText(a) === sortedText(b);
}

/** One `MemberList` call to a member's peer listener at `address` (host:port). */
function memberList(address: string, credentials: grpc.ChannelCredentials, timeoutMs: number): Promise<RemoteCluster> {
  const definition = loadEtcdProto().services.Cluster.MemberList as grpc.MethodDefinition<WireObject, WireObject>;
  const client = new grpc.Client(address, credentials);
  return new Promise<RemoteCluster>((resolve, reject) => {
    client.makeUnaryRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      {},
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
      (error, response) => {
        if (error) return reject(new Error(error.details || error.message));
        try {
          resolve(remoteClusterOf(response!));
        } catch (invalid) {
          reject(invalid as Error);
        }
      },
    );
  }).finally(() => client.close());
}

function remoteClusterOf(response: WireObject): RemoteCluster {
  const header = (response.header ?? {}) as WireObject;
  const members = ((response.members ?? []) as WireObject[]).map((m): MemberView => {
    const id = int64ToBigInt((m.ID ?? '0') as Int64Value, 'ID');
    if (id <= 0n || id > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`a member id out of range: ${id}`);
    const peerUrls = (m.peerURLs ?? []) as string[];
    if (peerUrls.length === 0) throw new Error(`member ${id.toString(16)} has no peer URLs`);
    return { id: Number(id), name: String(m.name ?? ''), peerUrls, clientUrls: (m.clientURLs ?? []) as string[], isLearner: m.isLearner === true };
  });
  return { clusterId: BigInt.asUintN(64, int64ToBigInt((header.clusterId ?? '0') as Int64Value, 'cluster_id')), members: members.sort((a, b) => a.id - b.id) };
}
