/**
 * The cluster node program's command line and its mapping of Raft errors to HTTP answers
 * (the process itself is exercised by the multi-process tests in test/cluster).
 */
import { LeadershipLostError, NodeStoppedError, NotLeaderError, ProposalDroppedError, InvalidConfChangeError } from '../../../raft/core/errors.js';
import { UsageError, errorReply, parseClusterNodeArgs } from '../../../raft/testing/cluster-node-api.js';
import { formatMembers, parseMembers } from '../../../raft/testing/member-list.js';

const REQUIRED = ['--id', '2', '--raft', '127.0.0.1:0', '--http', '127.0.0.1:0', '--data', '/tmp/x', '--members', '1=127.0.0.1:7001,2=127.0.0.1:7002'];

describe('cluster-node command line', () => {
  it('parses the required flags and the optional ones', () => {
    const options = parseClusterNodeArgs([...REQUIRED, '--join', '--tick-ms', '50', '--snapshot-every', '100', '--snapshot-trailing', '0']);
    expect(options).toMatchObject({
      id: 2,
      raftListen: '127.0.0.1:0',
      join: true,
      tickMs: 50,
      snapshotEveryEntries: 100,
      snapshotTrailingEntries: 0,
      electionTicks: undefined,
      exitOnStdinClose: false,
    });
    expect(options.members).toEqual([
      { id: 1, address: '127.0.0.1:7001' },
      { id: 2, address: '127.0.0.1:7002' },
    ]);
    expect(formatMembers(options.members)).toBe('1=127.0.0.1:7001,2=127.0.0.1:7002');
  });

  it('refuses missing flags, bad numbers and addresses off loopback', () => {
    expect(() => parseClusterNodeArgs(REQUIRED.slice(2))).toThrow(UsageError);
    expect(() => parseClusterNodeArgs([...REQUIRED, '--tick-ms', '0'])).toThrow(/--tick-ms must be an integer ≥ 1/);
    expect(() => parseClusterNodeArgs([...REQUIRED.slice(0, 4), '--http', '10.1.1.1:80', ...REQUIRED.slice(6)])).toThrow(/--http: .*not on loopback/);
    expect(() => parseMembers('x=127.0.0.1:1')).toThrow(/bad member id/);
    expect(() => parseClusterNodeArgs([...REQUIRED.slice(0, 8), '--members', '1=10.0.0.1:1'])).toThrow(/--members: .*not on loopback/);
    expect(() => parseMembers('1=example.com:1')).toThrow(/not on loopback/);
    expect(() => parseClusterNodeArgs([...REQUIRED, '--bogus'])).toThrow(/Unknown option '--bogus'/);
  });
});

describe('cluster-node HTTP errors', () => {
  it('maps not-leader to 421 with the hint, retryable Raft errors to 503, refusals to 400', () => {
    expect(errorReply(new NotLeaderError(3))).toEqual({
      status: 421,
      body: { code: 'NOT_LEADER', message: expect.any(String), retryable: true, leader: 3 },
    });
    expect(errorReply(new ProposalDroppedError('no-leader'))).toMatchObject({ status: 503, body: { code: 'PROPOSAL_DROPPED', retryable: true } });
    expect(errorReply(new LeadershipLostError(2))).toMatchObject({ status: 503, body: { code: 'LEADERSHIP_LOST', retryable: true, leader: 2 } });
    expect(errorReply(new NodeStoppedError())).toMatchObject({ status: 503, body: { code: 'NODE_STOPPED', retryable: false } });
    expect(errorReply(new InvalidConfChangeError('no'))).toMatchObject({ status: 400, body: { code: 'INVALID_CONF_CHANGE', retryable: false } });
    expect(errorReply(new Error('boom'))).toMatchObject({ status: 500, body: { code: 'INTERNAL', message: 'boom', retryable: false } });
  });
});
