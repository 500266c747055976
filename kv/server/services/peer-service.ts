/**
 * What a member serves other members on its peer listener, beside Raft (through
 * `GrpcTransport`'s `services`): the cluster's member list, which a member joining an
 * existing cluster asks for before it starts (`remote-cluster.ts`), as etcd serves
 * `/members` on its peer URLs. The messages are etcd's `Cluster.MemberList`; the Cluster
 * service's other methods are not served there (UNIMPLEMENTED).
 */
import * as grpc from '@grpc/grpc-js';
import type { GrpcPeerService } from '../../../raft/index.js';
import { loadEtcdProto } from '../etcd-proto.js';
import type { WireObject } from '../etcd-proto.js';
import { etcdStatus, EtcdServerError } from '../etcd-errors.js';
import { wireMember } from '../members.js';
import type { KvServerContext } from '../server-context.js';

export function peerServices(context: KvServerContext): GrpcPeerService[] {
  const memberList: grpc.handleUnaryCall<WireObject, WireObject> = (_call, callback) => {
    let members: WireObject[];
    try {
      members = context.members().map(wireMember);
    } catch {
      // Raft is not running yet (or any more): ask another member.
      callback(etcdStatus(new EtcdServerError('stopped')));
      return;
    }
    callback(null, { header: context.header(), members });
  };
  return [{ definition: loadEtcdProto().services.Cluster, implementation: { MemberList: memberList } }];
}
