/**
 * Membership changes, on the leader (RaftNode changes membership only there; followers
 * forward the calls). One at a time. Each records what etcd keeps of the member through
 * Raft before Raft's configuration changes, so that a member is never in the
 * configuration without its record.
 *
 * A voter is added the safe way (Raft thesis §4.2.1): as a Raft learner, promoted by
 * `promoteCaughtUp()` once it has caught up, so that a member added but not yet started
 * (etcd's usual sequence: `member add`, then start it) never holds up commitment. To the
 * user it is a voter from the start, as in etcd.
 */
import { ProposalDroppedError, RaftError, RequestTimeoutError } from '../../raft/index.js';
import { CONF_CHANGE_RETRY_MS } from './constants.js';
import { EtcdServerError, fromRaftError } from './etcd-errors.js';
import { checkPeerUrls, hostPort, isLearnerReady, memberIdOf, voterRemovalRefusal } from './members.js';
import type { MemberView } from './members.js';
import type { KvServerContext } from './server-context.js';

export class Membership {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly context: KvServerContext) {}

  /** `member add`: the new member as the response shows it. */
  add(peerUrls: readonly string[], learner: boolean): Promise<MemberView> {
    return this.exclusive(async () => {
      const urls = checkPeerUrls(peerUrls);
      const id = memberIdOf(hostPort(urls[0]!), this.context.options.initialClusterToken);
      const members = this.context.members();
      if (members.some((m) => m.peerUrls.some((url) => urls.includes(url)))) throw new EtcdServerError('peerUrlExist');
      // A removed member's id is never reused, and ids follow from peer URLs: re-adding a
      // removed member's URL is refused as an existing id.
      if (members.some((m) => m.id === id) || this.context.machine.removedMemberIds.has(id)) throw new EtcdServerError('memberExist');
      await this.context.propose({ kind: 'memberAdd', id, peerUrls: urls, learner });
      await this.confChange(() => this.context.node.addLearner(id, hostPort(urls[0]!)));
      return { id, name: '', peerUrls: urls, clientUrls: [], isLearner: learner };
    });
  }

  /** `member remove`, refused (as etcd refuses it) when it would leave too few started or connected voters. */
  remove(id: number): Promise<void> {
    return this.exclusive(async () => {
      const status = this.context.node.status();
      const member = this.context.members().find((m) => m.id === id);
      if (member === undefined) throw new EtcdServerError('memberNotFound');
      if (status.members.voters.some((v) => v.id === id)) {
        const started = (memberId: number) => memberId === this.context.memberId || (this.context.machine.members.get(memberId)?.name ?? '') !== '';
        const refusal = voterRemovalRefusal(status, id, started);
        if (refusal !== null) throw new EtcdServerError(refusal);
      }
      await this.context.propose({ kind: 'memberRemove', id });
      await this.confChange(() => this.context.node.removeMember(id));
    });
  }

  /** `member promote`: a learner in sync with the leader becomes a voter. */
  promote(id: number): Promise<void> {
    return this.exclusive(async () => {
      const member = this.context.members().find((m) => m.id === id);
      if (member === undefined) throw new EtcdServerError('memberNotFound');
      if (!member.isLearner) throw new EtcdServerError('memberNotLearner');
      if (!isLearnerReady(this.context.node.status(), id)) throw new EtcdServerError('learnerNotReady');
      await this.context.propose({ kind: 'memberPromote', id });
      await this.confChange(() => this.context.node.promote(id));
    });
  }

  /**
   * `member update`: new peer URLs. The record first (what `member list` shows), then Raft's
   * address for the member (where every member reaches it), each through the log; should
   * the second step fail, `syncAddresses` finishes it.
   */
  update(id: number, peerUrls: readonly string[]): Promise<void> {
    return this.exclusive(async () => {
      const urls = checkPeerUrls(peerUrls);
      const members = this.context.members();
      if (!members.some((m) => m.id === id)) throw new EtcdServerError('memberNotFound');
      if (members.some((m) => m.id !== id && m.peerUrls.some((url) => urls.includes(url)))) throw new EtcdServerError('peerUrlExist');
      await this.context.propose({ kind: 'memberUpdate', id, peerUrls: urls });
      await this.moveInRaft(id, hostPort(urls[0]!));
    });
  }

  /**
   * On the leader: give Raft the address the record names for each other member where
   * they differ (a `member update` whose second step failed). Called now and then.
   */
  syncAddresses(): Promise<void> {
    return this.exclusive(async () => {
      if (!this.context.isLeader()) return;
      const status = this.context.node.status();
      for (const member of [...status.members.voters, ...status.members.learners]) {
        const url = this.context.machine.members.get(member.id)?.peerUrls[0];
        if (member.id === this.context.memberId || url === undefined || hostPort(url) === member.address) continue;
        await this.moveInRaft(member.id, hostPort(url));
      }
    }).catch(() => undefined);
  }

  /** Promote the voters being added that have caught up (the leader calls it now and then). */
  promoteCaughtUp(): Promise<void> {
    return this.exclusive(async () => {
      if (!this.context.isLeader()) return;
      const status = this.context.node.status();
      for (const learner of status.members.learners) {
        if (this.context.machine.members.get(learner.id)?.learner !== false) continue;
        if (!isLearnerReady(status, learner.id)) continue;
        await this.confChange(() => this.context.node.promote(learner.id));
        return; // one change at a time: the next one on the next call
      }
    }).catch(() => undefined);
  }

  private async moveInRaft(id: number, address: string): Promise<void> {
    try {
      await this.context.node.updateMemberAddress(id, address);
    } catch (error) {
      throw error instanceof RaftError ? fromRaftError(error) : error;
    }
  }

  /** A Raft membership change, retried while the one before it (or a new leader's first entry) is still to apply. */
  private async confChange(change: () => Promise<void>): Promise<void> {
    const deadline = Date.now() + this.context.requestTimeoutMs;
    for (;;) {
      try {
        return await change();
      } catch (error) {
        const pending = error instanceof ProposalDroppedError && error.reason === 'conf-change-pending';
        if (pending && Date.now() + CONF_CHANGE_RETRY_MS < deadline) {
          await new Promise((resolve) => setTimeout(resolve, CONF_CHANGE_RETRY_MS));
          continue;
        }
        if (error instanceof RequestTimeoutError) throw new EtcdServerError('timeout');
        throw error instanceof RaftError ? fromRaftError(error) : error;
      }
    }
  }

  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation, operation);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
