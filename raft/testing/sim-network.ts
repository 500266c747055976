/**
 * The simulated network: every message gets a random latency (so messages reorder), may
 * be dropped or duplicated, and is blocked by partitions, which are a set of directed
 * links (so a partition can be symmetric or one-way). Delivery is the simulator's job:
 * the network only decides each message's fate and when it arrives.
 */
import type { SeededRandom } from '../core/random.js';
import type { Message, NodeId } from '../core/types.js';
import { LATENCY_UNITS_MAX_CALM, LATENCY_UNITS_MIN, NETWORK_IN_FLIGHT_MAX } from './constants.js';

/** How unreliable the network currently is. */
export interface NetworkProfile {
  /** Probability that a message is lost. */
  readonly dropProbability: number;
  /** Probability that a delivered message arrives twice. */
  readonly duplicateProbability: number;
  /** One-way latency is drawn uniformly from [LATENCY_UNITS_MIN, latencyUnitsMax]. */
  readonly latencyUnitsMax: number;
  /**
   * Each link delivers in the order it was sent (a TCP connection): a message never
   * overtakes an earlier one on the same link. Off, messages reorder freely.
   */
  readonly inOrder?: boolean;
}

export const CALM_NETWORK: NetworkProfile = Object.freeze({
  dropProbability: 0,
  duplicateProbability: 0,
  latencyUnitsMax: LATENCY_UNITS_MAX_CALM,
});

/**
 * The network of a healed cluster: calm, and in order per link, like the TCP connections
 * of a real deployment. Pipelined appends then arrive in order, so that a member that has
 * to catch up a long log (a node added late, with no snapshot to start from) gets it at
 * the pipeline's speed instead of one probe per round trip; reordering stays a fault.
 */
export const HEALED_NETWORK: NetworkProfile = Object.freeze({ ...CALM_NETWORK, inOrder: true });

export interface NetworkStats {
  sent: number;
  dropped: number;
  duplicated: number;
  blocked: number;
}

/** Called for each copy of a message that will arrive, with its arrival time. */
export type ScheduleDelivery = (time: number, message: Message) => void;

export class SimNetwork {
  private profile: NetworkProfile = CALM_NETWORK;
  /** Blocked directed links, as `from * LINK_STRIDE + to`. */
  private readonly blocked = new Set<number>();
  private inFlight = 0;
  /** Per link, the arrival time of its latest message (for in-order profiles). */
  private readonly lastArrival = new Map<number, number>();
  readonly stats: NetworkStats = { sent: 0, dropped: 0, duplicated: 0, blocked: 0 };

  constructor(
    private readonly random: SeededRandom,
    private readonly schedule: ScheduleDelivery,
  ) {}

  get currentProfile(): NetworkProfile {
    return this.profile;
  }

  setProfile(profile: NetworkProfile): void {
    this.profile = profile;
  }

  /** Block the directed link `from → to`. */
  block(from: NodeId, to: NodeId): void {
    this.blocked.add(linkKey(from, to));
  }

  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.blocked.has(linkKey(from, to));
  }

  hasPartition(): boolean {
    return this.blocked.size > 0;
  }

  /** Remove every partition. */
  healPartitions(): void {
    this.blocked.clear();
  }

  /** Hand a message to the network at virtual time `now`. */
  send(message: Message, now: number): void {
    this.stats.sent++;
    if (this.isBlocked(message.from, message.to)) {
      this.stats.blocked++;
      return;
    }
    if (this.inFlight >= NETWORK_IN_FLIGHT_MAX || chance(this.random, this.profile.dropProbability)) {
      this.stats.dropped++;
      return;
    }
    this.deliverAfterLatency(message, now);
    if (chance(this.random, this.profile.duplicateProbability)) {
      this.stats.duplicated++;
      this.deliverAfterLatency(message, now);
    }
  }

  /**
   * Called by the simulator when a scheduled message arrives. Returns false when a
   * partition raised while it was in flight swallows it.
   */
  arrive(message: Message): boolean {
    this.inFlight--;
    if (this.isBlocked(message.from, message.to)) {
      this.stats.blocked++;
      return false;
    }
    return true;
  }

  /** A random latency in the current profile. */
  latency(): number {
    const max = Math.max(LATENCY_UNITS_MIN, this.profile.latencyUnitsMax);
    return LATENCY_UNITS_MIN + this.random.int(max - LATENCY_UNITS_MIN + 1);
  }

  private deliverAfterLatency(message: Message, now: number): void {
    this.inFlight++;
    let time = now + this.latency();
    if (this.profile.inOrder === true) {
      const key = linkKey(message.from, message.to);
      time = Math.max(time, this.lastArrival.get(key) ?? 0);
      this.lastArrival.set(key, time);
    }
    this.schedule(time, message);
  }
}

const LINK_STRIDE = 1 << 16;

function linkKey(from: NodeId, to: NodeId): number {
  return from * LINK_STRIDE + to;
}

/** `random.chance(p)`, without drawing when `p` is 0 (the common calm case; saves time). */
function chance(random: SeededRandom, p: number): boolean {
  return p > 0 && random.chance(p);
}
