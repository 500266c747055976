/**
 * Members as `member list` shows them, from Raft's configuration and the replicated
 * records; the peer URLs etcd accepts in `member add`; etcd's rule for a learner ready to
 * be promoted; and etcd's quota costs.
 */
import type { NodeStatus } from '../../../raft/index.js';
import { checkPeerUrls, isLearnerReady, memberIdOf, memberViews, voterRemovalRefusal } from '../../../kv/server/members.js';
import type { MemberRecord } from '../../../kv/server/kv-state-machine.js';
import { fitsQuota, putCost, txnCost } from '../../../kv/server/quota.js';

function status(overrides: Partial<NodeStatus> = {}): NodeStatus {
  return {
    id: 1,
    role: 'leader',
    term: 2,
    leader: 1,
    commitIndex: 100,
    appliedIndex: 100,
    lastIndex: 100,
    members: { voters: [{ id: 1, address: '127.0.0.1:2380' }, { id: 3, address: '127.0.0.1:2382' }], learners: [{ id: 2, address: '127.0.0.1:2381' }], votersOutgoing: [] },
    progress: [
      { id: 1, match: 100, next: 101, state: 'replicate', recentActive: true, sinceHeardMs: null },
      { id: 2, match: 95, next: 96, state: 'replicate', recentActive: true, sinceHeardMs: 40 },
      { id: 3, match: 10, next: 11, state: 'probe', recentActive: false, sinceHeardMs: 60_000 },
    ],
    ...overrides,
  };
}

const record = (id: number, learner: boolean, name = ''): MemberRecord => ({ id, name, peerUrls: [`http://h${id}:2380`], clientUrls: name === '' ? [] : [`http://h${id}:2379`], learner });

test('member views: records win over Raft addresses, by id; a voter being added is no learner to the user', () => {
  const records = new Map([
    [1, record(1, false, 'one')],
    [2, record(2, false)],
  ]);
  expect(memberViews(status(), records)).toEqual([
    { id: 1, name: 'one', peerUrls: ['http://h1:2380'], clientUrls: ['http://h1:2379'], isLearner: false },
    { id: 2, name: '', peerUrls: ['http://h2:2380'], clientUrls: [], isLearner: false },
    { id: 3, name: '', peerUrls: ['http://127.0.0.1:2382'], clientUrls: [], isLearner: false },
  ]);
  expect(memberViews(status(), new Map([[2, record(2, true)]]))[1]).toMatchObject({ id: 2, isLearner: true });
});

test('peer URLs must be http://host:port or https://host:port', () => {
  expect(checkPeerUrls(['http://127.0.0.1:2380', 'http://[::1]:2380', 'https://127.0.0.1:2381'])).toEqual(['http://127.0.0.1:2380', 'http://[::1]:2380', 'https://127.0.0.1:2381']);
  for (const bad of [[], ['127.0.0.1:2380'], ['unix://a:1'], ['https://a'], ['http://a'], ['http://a:1/path'], ['not a url']]) {
    expect(() => checkPeerUrls(bad)).toThrow('etcdserver: given member URLs are invalid');
  }
});

test('a learner is ready once its match index is at least 90% of the leader’s', () => {
  expect(isLearnerReady(status(), 2)).toBe(true);
  expect(isLearnerReady(status(), 3)).toBe(false);
  expect(isLearnerReady(status({ progress: null }), 2)).toBe(false);
  expect(isLearnerReady(status(), 4)).toBe(false);
});

describe('removing a voter (etcd strict reconfiguration)', () => {
  const voters = (...ids: number[]) => ({ voters: ids.map((id) => ({ id, address: `127.0.0.1:${2379 + id}` })), learners: [], votersOutgoing: [] });
  const heard = (entries: Array<[number, number | null, boolean]>) =>
    entries.map(([id, sinceHeardMs, recentActive]) => ({ id, match: 100, next: 101, state: 'replicate' as const, recentActive, sinceHeardMs }));
  const allStarted = () => true;

  test('a peer heard from a moment ago counts as connected, though check-quorum has just cleared its recent-activity flag', () => {
    const justAfterCheckQuorum = status({ members: voters(1, 2, 3), progress: heard([[1, null, true], [2, 80, false], [3, 90, false]]) });
    expect(voterRemovalRefusal(justAfterCheckQuorum, 1, allStarted)).toBeNull();
    expect(voterRemovalRefusal(justAfterCheckQuorum, 2, allStarted)).toBeNull();
  });

  test('refused as unhealthy when the removal of a live member would leave too few connected voters', () => {
    const oneDown = status({ members: voters(1, 2, 3), progress: heard([[1, null, true], [2, 100, true], [3, 6_000, false]]) });
    expect(voterRemovalRefusal(oneDown, 2, allStarted)).toBe('unhealthy');
    // Removing the member that is down leaves the two live ones: allowed.
    expect(voterRemovalRefusal(oneDown, 3, allStarted)).toBeNull();
    const neverHeard = status({ members: voters(1, 2, 3), progress: heard([[1, null, true], [2, 100, true], [3, null, false]]) });
    expect(voterRemovalRefusal(neverHeard, 2, allStarted)).toBe('unhealthy');
  });

  test('refused when too few of the remaining voters have started (published their name)', () => {
    const healthy = status({ members: voters(1, 2, 3, 4), progress: heard([[1, null, true], [2, 10, true], [3, 10, true], [4, 10, true]]) });
    expect(voterRemovalRefusal(healthy, 4, (id) => id === 1)).toBe('memberNotEnoughStarted');
    expect(voterRemovalRefusal(healthy, 4, (id) => id !== 3)).toBeNull();
    expect(voterRemovalRefusal(status({ members: voters(1), progress: heard([[1, null, true]]) }), 1, allStarted)).toBe('memberNotEnoughStarted');
  });
});

test('member ids are 52-bit, stable, and differ with the peer address or the token', () => {
  const id = memberIdOf('127.0.0.1:2380', 'token');
  expect(Number.isSafeInteger(id) && id > 0 && id < 2 ** 52).toBe(true);
  expect(memberIdOf('127.0.0.1:2380', 'token')).toBe(id);
  expect(memberIdOf('127.0.0.1:2381', 'token')).not.toBe(id);
  expect(memberIdOf('127.0.0.1:2380', 'other')).not.toBe(id);
});

test('quota costs are etcd’s: 256 bytes per key besides its bytes; a transaction costs its dearer branch', () => {
  const put = (key: string, value: string) => ({ op: 'put' as const, key: Buffer.from(key), value: Buffer.from(value) });
  expect(putCost(put('k', 'vv'))).toBe(259);
  expect(txnCost({ compare: [], success: [put('a', 'b'), { op: 'txn', compare: [], success: [put('c', 'd')], failure: [] }], failure: [put('e', 'ffff')] })).toBe(516);
  expect(fitsQuota(1000, 259, 1260)).toBe(true);
  expect(fitsQuota(1001, 259, 1260)).toBe(false);
  expect(fitsQuota(5000, 0, 1260)).toBe(true);
});
