/**
 * Auto-compaction decides as etcd's compactors do: revision mode keeps the last N
 * revisions (compacting at current − N once per check, never twice at the same point),
 * periodic mode keeps a retention's worth of history (compacting at the revision seen a
 * retention ago, first after one retention, then every interval); only the leader
 * compacts, and a failed compaction is retried at the next check.
 */
import { AutoCompactor } from '../../../kv/server/auto-compactor.js';
import type { AutoCompactorOptions } from '../../../kv/server/auto-compactor.js';

function harness(policy: AutoCompactorOptions['policy'], checkIntervalMs?: number) {
  const state = { revision: 1, compacted: 0, leader: true, failNext: false, compactions: [] as number[] };
  const compactor = new AutoCompactor({
    policy,
    currentRevision: () => state.revision,
    compactRevision: () => state.compacted,
    isLeader: () => state.leader,
    compact: async (revision) => {
      if (state.failNext) {
        state.failNext = false;
        throw new Error('etcdserver: leader changed');
      }
      state.compactions.push(revision);
      state.compacted = revision;
    },
    ...(checkIntervalMs === undefined ? {} : { checkIntervalMs }),
  });
  return { state, compactor };
}

describe('revision mode', () => {
  test('checks every 5 minutes by default, as etcd', () => {
    expect(harness({ mode: 'revision', retainRevisions: 10 }).compactor.checkIntervalMs).toBe(300_000);
  });

  test('compacts at current − retention, once per point, and only as leader', async () => {
    const { state, compactor } = harness({ mode: 'revision', retainRevisions: 10 }, 1000);
    state.revision = 8;
    await compactor.tick(0);
    expect(state.compactions).toEqual([]); // 8 − 10 is not a revision
    state.revision = 25;
    await compactor.tick(1000);
    expect(state.compactions).toEqual([15]);
    await compactor.tick(2000);
    expect(state.compactions).toEqual([15]); // nothing new
    state.revision = 40;
    state.leader = false;
    await compactor.tick(3000);
    expect(state.compactions).toEqual([15]);
    state.leader = true;
    state.failNext = true;
    await compactor.tick(4000);
    expect(state.compactions).toEqual([15]);
    await compactor.tick(5000); // retried
    expect(state.compactions).toEqual([15, 30]);
  });
});

describe('periodic mode', () => {
  test('samples every tenth of the retention, and every tenth of an hour past an hour', () => {
    expect(harness({ mode: 'periodic', retentionMs: 10_000 }).compactor.checkIntervalMs).toBe(1_000);
    expect(harness({ mode: 'periodic', retentionMs: 24 * 3_600_000 }).compactor.checkIntervalMs).toBe(360_000);
  });

  test('first compacts after one retention, at the revision seen a retention before, then every retention', async () => {
    const { state, compactor } = harness({ mode: 'periodic', retentionMs: 10_000 });
    // One write per second: revision = 1 + seconds.
    for (let second = 0; second <= 30; second++) {
      state.revision = 1 + second;
      await compactor.tick(second * 1000);
    }
    expect(state.compactions).toEqual([1, 11, 21]);
  });

  test('compacts hourly, keeping the whole retention, when the retention is longer than an hour', async () => {
    const hour = 3_600_000;
    const { state, compactor } = harness({ mode: 'periodic', retentionMs: 2 * hour });
    for (let minute = 0; minute <= 4 * 60; minute += 6) {
      state.revision = 100 + minute;
      await compactor.tick(minute * 60_000);
    }
    // At 2 h (the revision of 0 h), 3 h (of 1 h) and 4 h (of 2 h).
    expect(state.compactions).toEqual([100, 160, 220]);
  });

  test('a follower samples but does not compact; it compacts once it leads', async () => {
    const { state, compactor } = harness({ mode: 'periodic', retentionMs: 10_000 });
    state.leader = false;
    for (let second = 0; second <= 15; second++) {
      state.revision = 1 + second;
      await compactor.tick(second * 1000);
    }
    expect(state.compactions).toEqual([]);
    state.leader = true;
    await compactor.tick(16_000);
    expect(state.compactions).toEqual([7]);
  });
});
