/**
 * The Raft view of an etcd v3 cluster, as an operator's dashboard shows it: every member
 * (Cluster `MemberList`, asked of the configured endpoints in turn) with its own answer to
 * Maintenance `Status` (asked at each member's first client URL): the leader it knows, its
 * term, commit index (`raftIndex`) and applied index, and how far its commit index is
 * behind the leader's. Works against Balsa's KV and a real etcd alike (both answer these
 * calls the same way).
 *
 * The statuses are asked in parallel, not at one instant: on a busy cluster a follower
 * may show a small lag that was already gone, never a negative one (clamped at 0).
 */
import * as grpc from '@grpc/grpc-js';
import { loadEtcdProto } from '../server/etcd-proto.js';
import type { WireObject } from '../server/etcd-proto.js';
import { endpointAddress, endpointCredentials } from './etcd-client.js';
import type { EtcdClientTls } from './etcd-client.js';
import { EtcdClientError } from './errors.js';

/** Each call of a status round gives up after this long (the member is then shown unreachable). */
export const MEMBER_STATUS_TIMEOUT_MS = 2_000;

/** One member, as its own Status call described it (the `status` fields absent when it did not answer). */
export interface MemberStatus {
  /** The member id, hexadecimal (as etcdctl prints it). */
  readonly id: string;
  readonly name: string;
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
  /** `leader` / `follower` / `learner` by its own answer; `unreachable` when it gave none. */
  readonly role: 'leader' | 'follower' | 'learner' | 'unreachable';
  readonly term?: number;
  /** Its commit index (`raftIndex`). */
  readonly commitIndex?: number;
  readonly appliedIndex?: number;
  /** The leader's commit index minus this member's (0 for the leader); absent when either is unknown. */
  readonly lag?: number;
  /** Why it is `unreachable`. */
  readonly error?: string;
}

export interface ClusterStatus {
  /** The leader's member id (hexadecimal), as the members that answered agree; absent when none knows one. */
  readonly leader?: string;
  readonly members: readonly MemberStatus[];
}

interface MemberListEntry {
  readonly id: bigint;
  readonly name: string;
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

interface RawStatus {
  readonly leader: bigint;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
}

/**
 * Asks an etcd cluster for its members' Raft status. Holds one gRPC channel per address
 * it has talked to (members come and go: a channel is opened on first use); `close()`
 * closes them all.
 */
export class MemberStatusClient {
  private readonly channels = new Map<string, grpc.Client>();
  private closed = false;

  /** `endpoints`: where to ask for the member list (`host:port` or `http://host:port`), tried in order. */
  constructor(
    private readonly endpoints: readonly string[],
    /** The KV client's TLS files, for `https://` members (`--kv-cacert` ...). */
    private readonly tls?: EtcdClientTls,
  ) {
    if (endpoints.length === 0) throw new EtcdClientError('INVALID_ENDPOINT', 'no etcd endpoint given');
    endpoints.forEach(endpointAddress);
  }

  /** Every member with its status; rejects only when no endpoint answers the member list. */
  async clusterStatus(): Promise<ClusterStatus> {
    const members = await this.memberList();
    const answers = await Promise.all(
      members.map(async (member) => {
        const url = member.clientUrls[0];
        if (url === undefined) return { member, error: 'the member has no client URL (it has not started yet)' };
        try {
          return { member, status: await this.status(url) };
        } catch (error) {
          return { member, error: (error as Error).message };
        }
      }),
    );
    // The leader as the answers say; the one with the highest term wins a disagreement (a stale member still names the old one).
    const leaderAnswer = answers
      .filter((answer) => answer.status !== undefined && answer.status.leader !== 0n)
      .sort((a, b) => b.status!.term - a.status!.term)[0];
    const leaderId = leaderAnswer?.status?.leader;
    const leaderCommit = answers.find((answer) => answer.member.id === leaderId)?.status?.commitIndex;
    return {
      ...(leaderId !== undefined ? { leader: leaderId.toString(16) } : {}),
      members: answers.map(({ member, status, error }): MemberStatus => {
        const base = { id: member.id.toString(16), name: member.name, clientUrls: member.clientUrls, isLearner: member.isLearner };
        if (status === undefined) return { ...base, role: 'unreachable', error: error ?? 'no answer' };
        const role = member.id === leaderId ? 'leader' : member.isLearner ? 'learner' : 'follower';
        return {
          ...base,
          role,
          term: status.term,
          commitIndex: status.commitIndex,
          appliedIndex: status.appliedIndex,
          ...(leaderCommit !== undefined ? { lag: Math.max(0, leaderCommit - status.commitIndex) } : {}),
        };
      }),
    };
  }

  close(): void {
    this.closed = true;
    for (const channel of this.channels.values()) channel.close();
    this.channels.clear();
  }

  private async memberList(): Promise<MemberListEntry[]> {
    let lastError: Error = new Error('no endpoint');
    for (const endpoint of this.endpoints) {
      try {
        const response = await this.unary(endpoint, 'Cluster', 'MemberList', {});
        return ((response.members ?? []) as WireObject[]).map((member) => ({
          id: BigInt(member.ID as string),
          name: String(member.name ?? ''),
          clientUrls: (member.clientURLs ?? []) as string[],
          isLearner: member.isLearner === true,
        }));
      } catch (error) {
        lastError = error as Error;
      }
    }
    throw lastError;
  }

  private async status(endpoint: string): Promise<RawStatus> {
    const response = await this.unary(endpoint, 'Maintenance', 'Status', {});
    return {
      leader: BigInt((response.leader ?? '0') as string),
      term: Number(response.raftTerm ?? 0),
      commitIndex: Number(response.raftIndex ?? 0),
      appliedIndex: Number(response.raftAppliedIndex ?? 0),
    };
  }

  /** `endpoint`: a member's client URL or `host:port`; its scheme picks the channel's credentials. */
  private unary(endpoint: string, service: 'Cluster' | 'Maintenance', method: string, request: WireObject): Promise<WireObject> {
    const address = endpointAddress(endpoint);
    if (this.closed) return Promise.reject(new EtcdClientError('CLOSED', 'etcd client is closed'));
    const definition = loadEtcdProto().services[service][method] as grpc.MethodDefinition<WireObject, WireObject>;
    let channel = this.channels.get(address);
    if (channel === undefined) {
      channel = new grpc.Client(address, endpointCredentials(endpoint, this.tls), { 'grpc.enable_channelz': 0 });
      this.channels.set(address, channel);
    }
    return new Promise((resolve, reject) => {
      channel.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + MEMBER_STATUS_TIMEOUT_MS },
        (error, response) => (error ? reject(EtcdClientError.fromGrpc(error)) : resolve(response ?? {})),
      );
    });
  }
}
