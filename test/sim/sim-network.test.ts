import { createSeededRandom } from '../../raft/core/random.js';
import type { Message } from '../../raft/core/types.js';
import { LATENCY_UNITS_MIN } from '../../raft/testing/constants.js';
import { HEALED_NETWORK, SimNetwork } from '../../raft/testing/sim-network.js';

function heartbeat(from: number, to: number): Message {
  return { type: 'MsgHeartbeat', from, to, term: 1, commit: 0, context: '' };
}

function makeNetwork(seed = 1) {
  const delivered: Array<{ time: number; message: Message }> = [];
  const network = new SimNetwork(createSeededRandom(seed), (time, message) => delivered.push({ time, message }));
  return { network, delivered };
}

describe('SimNetwork', () => {
  it('delivers after a latency within the profile, in varying order', () => {
    const { network, delivered } = makeNetwork();
    network.setProfile({ dropProbability: 0, duplicateProbability: 0, latencyUnitsMax: 100 });
    for (let i = 0; i < 200; i++) network.send(heartbeat(1, 2), 1000);
    expect(delivered).toHaveLength(200);
    for (const { time } of delivered) {
      expect(time).toBeGreaterThanOrEqual(1000 + LATENCY_UNITS_MIN);
      expect(time).toBeLessThanOrEqual(1100);
    }
    expect(new Set(delivered.map((d) => d.time)).size).toBeGreaterThan(20);
  });

  it('keeps each link in order under an in-order profile (the healed network)', () => {
    const { network, delivered } = makeNetwork(3);
    network.setProfile(HEALED_NETWORK);
    for (let i = 0; i < 100; i++) network.send(heartbeat(1 + (i % 2), 3), 1000 + i);
    for (const from of [1, 2]) {
      const times = delivered.filter((d) => d.message.from === from).map((d) => d.time);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
  });

  it('drops and duplicates at the profile rates', () => {
    const { network, delivered } = makeNetwork(2);
    network.setProfile({ dropProbability: 0.2, duplicateProbability: 0.1, latencyUnitsMax: 50 });
    for (let i = 0; i < 5000; i++) network.send(heartbeat(1, 2), 0);
    expect(network.stats.dropped).toBeGreaterThan(800);
    expect(network.stats.dropped).toBeLessThan(1200);
    expect(network.stats.duplicated).toBeGreaterThan(300);
    expect(delivered.length).toBe(5000 - network.stats.dropped + network.stats.duplicated);
  });

  it('blocks directed links (one-way partitions) at send and at arrival, until healed', () => {
    const { network, delivered } = makeNetwork(3);
    network.block(1, 2);
    network.send(heartbeat(1, 2), 0);
    network.send(heartbeat(2, 1), 0);
    expect(delivered.map((d) => d.message.from)).toEqual([2]);
    // A partition raised while a message is in flight swallows it on arrival.
    network.block(2, 1);
    expect(network.arrive(delivered[0]!.message)).toBe(false);
    network.healPartitions();
    expect(network.hasPartition()).toBe(false);
    network.send(heartbeat(1, 2), 0);
    expect(network.arrive(delivered[1]!.message)).toBe(true);
  });
});
