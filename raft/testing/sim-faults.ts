/**
 * The fault schedule of the fault phase: crashes (of a minority or a majority, always
 * restarted later), pauses (a frozen process: SIGSTOP, a long GC), partitions of random
 * shapes (isolating the leader more often than not; symmetric or one-way), network
 * profiles (drop, duplicate and latency rates), disk stalls, and operator actions
 * (leadership transfers, forced campaigns). Some faults aim at the moments where Raft is
 * most fragile: right after a node becomes leader, and right after a node votes.
 *
 * Every recovery is scheduled through `defer`, and nothing deferred runs after `stop()`,
 * when the simulator heals the cluster.
 */
import type { SeededRandom } from '../core/random.js';
import type { NodeId } from '../core/types.js';
import { LATENCY_UNITS_MAX_CALM, LATENCY_UNITS_MAX_SLOW, TICK_UNITS } from './constants.js';
import type { NetworkProfile, SimNetwork } from './sim-network.js';
import type { SimNode } from './sim-node.js';

export const FAULT_KINDS = [
  'crash',
  'restart',
  'pause',
  'resume',
  'partition',
  'one-way-partition',
  'partition-heal',
  'network-profile',
  'disk-stall',
  'transfer-leadership',
  'campaign',
  'leader-flapping',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export type FaultCounts = Record<FaultKind, number>;

/** What the injector acts on; implemented by the simulator. */
export interface FaultTarget {
  readonly nodes: readonly SimNode[];
  readonly network: SimNetwork;
  /** The running node that leads in the highest term, if any. */
  leader(): SimNode | null;
  /** The voters (of either half) of the newest configuration: what "a majority" means now. */
  voters(): readonly SimNode[];
  crash(node: SimNode): void;
  restart(node: SimNode): void;
  pause(node: SimNode): void;
  resume(node: SimNode): void;
  /** Ask a running node's core to hand leadership to `to`, or to campaign now. */
  transferLeadership(node: SimNode, to: NodeId): void;
  campaign(node: SimNode): void;
  /** Run `action` after `delayUnits` of virtual time. */
  defer(delayUnits: number, action: () => void): void;
  trace(line: string): void;
}

/** Per-step probabilities of each fault; drawn per seed around a base intensity. */
export interface FaultRates {
  readonly crash: number;
  readonly crashMajority: number;
  readonly pause: number;
  readonly partition: number;
  readonly networkProfile: number;
  readonly diskStall: number;
  readonly transferLeadership: number;
  readonly campaign: number;
  /** Chance of striking a node shortly after it becomes leader. */
  readonly newLeaderStrike: number;
  /** Chance of crashing a node right after it voted for another node. */
  readonly voterCrash: number;
  /** Chance per step of starting a leader-flapping period (every new leader struck at once). */
  readonly flapping: number;
}

/**
 * Swarm testing: each seed switches whole fault families on or off and scales the rest,
 * so that some seeds are calm enough to make long stretches of progress and others are
 * relentless; together they cover more behaviour than one fixed mix.
 */
export function drawFaultRates(random: SeededRandom): FaultRates {
  const intensity = 0.5 + random.float();
  const on = (p: number) => (random.chance(p) ? intensity : 0);
  return {
    crash: 0.006 * on(0.85),
    crashMajority: 0.001 * on(0.5),
    pause: 0.006 * on(0.8),
    partition: 0.012 * on(0.85),
    networkProfile: 0.01 * on(0.8),
    diskStall: 0.003 * on(0.5),
    transferLeadership: 0.004 * on(0.6),
    campaign: 0.004 * on(0.6),
    newLeaderStrike: 0.25 * on(0.7),
    voterCrash: 0.15 * on(0.7),
    flapping: 0.01 * on(0.8),
  };
}

const DROP_CHOICES = [0, 0, 0.01, 0.05, 0.15, 0.3];
const DUPLICATE_CHOICES = [0, 0.01, 0.05, 0.15];
const LATENCY_CHOICES = [60, LATENCY_UNITS_MAX_CALM, 300, LATENCY_UNITS_MAX_SLOW];
const DISK_STALL_CHOICES = [0, 0, 0.02, 0.1];

export class FaultInjector {
  private active = true;
  /** Bumped at each partition, so that a stale scheduled heal does nothing. */
  private partitionGeneration = 0;
  /** Steps left in the current leader-flapping period. */
  private flappingSteps = 0;
  readonly counts: FaultCounts = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as FaultCounts;

  constructor(
    private readonly random: SeededRandom,
    private readonly target: FaultTarget,
    private readonly rates: FaultRates,
  ) {}

  /** Once per step of the fault phase. */
  step(): void {
    const r = this.rates;
    if (this.flappingSteps > 0) this.flappingSteps--;
    else if (this.chance(r.flapping)) this.startFlapping();
    if (this.chance(r.crash)) this.crashSome(1);
    if (this.chance(r.crashMajority)) this.crashSome(Math.floor(this.target.voters().length / 2) + 1);
    if (this.chance(r.pause)) this.pauseOne();
    if (!this.target.network.hasPartition() && this.chance(r.partition)) this.partition();
    if (this.chance(r.networkProfile)) this.changeNetworkProfile();
    if (this.chance(r.diskStall)) this.changeDiskStall();
    if (this.chance(r.transferLeadership)) this.transferLeadership();
    if (this.chance(r.campaign)) this.campaign();
  }

  /** End of the fault phase: nothing scheduled runs any more. */
  stop(): void {
    this.active = false;
  }

  /**
   * `node` just became leader: sometimes (always, while flapping) strike it before its
   * first entries spread. Repeated, this leaves uncommitted tails of several terms on
   * different nodes and re-elects leaders with old tails: the Figure 8 situation (§5.4.2).
   */
  onNewLeader(node: SimNode): void {
    if (!this.active) return;
    const flapping = this.flappingSteps > 0;
    if (!flapping && !this.chance(this.rates.newLeaderStrike)) return;
    // A new leader's first round trips (probe, catch-up of divergent followers) take a few
    // ticks; strike anywhere in them.
    const delay = this.random.int((flapping ? 6 : 3) * TICK_UNITS);
    const kind = this.random.int(5);
    this.defer(delay, () => {
      if (!node.isRunning) return;
      if (kind === 0) this.crash(node, this.downtimeUnits(20));
      else if (kind === 1) this.pause(node, (2 + this.random.int(20)) * TICK_UNITS);
      else this.isolate(node, (flapping ? 20 : 5) + this.random.int(40));
    });
  }

  private startFlapping(): void {
    this.flappingSteps = 30 + this.random.int(120);
    this.count('leader-flapping');
    this.target.trace(`fault: leader flapping for ${this.flappingSteps} ticks`);
    const leader = this.target.leader();
    if (leader !== null) this.onNewLeader(leader);
  }

  /** `node` just made a vote for another node durable: sometimes crash it at once. */
  onVoted(node: SimNode): void {
    if (!this.active || !this.chance(this.rates.voterCrash)) return;
    this.defer(1 + this.random.int(30), () => {
      if (node.isUp) this.crash(node, 1 + this.random.int(3 * TICK_UNITS));
    });
  }

  /** Crash `count` voters that are up (now and then any node: a learner, a spare). */
  private crashSome(count: number): void {
    const pool = count === 1 && this.random.chance(0.2) ? this.target.nodes : this.target.voters();
    const up = pool.filter((node) => node.isUp);
    this.shuffle(up);
    for (const node of up.slice(0, count)) this.crash(node, this.downtimeUnits(80));
  }

  /** Mostly short outages (a quick restart is where lost writes hurt), sometimes long. */
  private downtimeUnits(maxTicks: number): number {
    const ticks = this.random.chance(0.5) ? 1 + this.random.int(5) : 1 + this.random.int(maxTicks);
    return ticks * TICK_UNITS + this.random.int(TICK_UNITS);
  }

  private crash(node: SimNode, downUnits: number): void {
    this.count('crash');
    this.target.trace(`fault: crash n${node.id} for ${(downUnits / TICK_UNITS).toFixed(2)} ticks`);
    this.target.crash(node);
    this.defer(downUnits, () => {
      if (node.isUp) return;
      this.count('restart');
      this.target.trace(`fault: restart n${node.id}`);
      this.target.restart(node);
    });
  }

  private pauseOne(): void {
    const leader = this.target.leader();
    const node = leader !== null && this.random.chance(0.5) ? leader : this.randomRunningNode();
    if (node !== null) this.pause(node, (3 + this.random.int(60)) * TICK_UNITS);
  }

  private pause(node: SimNode, durationUnits: number): void {
    if (!node.isRunning) return;
    this.count('pause');
    this.target.trace(`fault: pause n${node.id} for ${(durationUnits / TICK_UNITS).toFixed(2)} ticks`);
    this.target.pause(node);
    const incarnation = node.incarnation;
    this.defer(durationUnits, () => {
      if (!node.isPaused || node.incarnation !== incarnation) return;
      this.count('resume');
      this.target.trace(`fault: resume n${node.id}`);
      this.target.resume(node);
    });
  }

  private partition(): void {
    const ids = this.target.nodes.map((node) => node.id);
    const leader = this.target.leader();
    const durationTicks = 5 + this.random.int(120);
    const shape = this.random.int(10);
    if (shape < 4) {
      const isolated = leader !== null && this.random.chance(0.75) ? leader : this.target.nodes[this.random.int(ids.length)]!;
      this.isolate(isolated, durationTicks);
      return;
    }
    this.shuffle(ids);
    const cut = 1 + this.random.int(ids.length - 1);
    const a = ids.slice(0, cut);
    const b = ids.slice(cut);
    if (shape < 7) {
      this.blockGroups(a, b, true);
      this.count('partition');
      this.target.trace(`fault: partition ${group(a)} | ${group(b)} for ${durationTicks} ticks`);
    } else if (shape < 9) {
      // One-way: often the leader can talk but not hear, or hear but not talk.
      const from = leader !== null && this.random.chance(0.5) ? [leader.id] : a;
      const to = ids.filter((id) => !from.includes(id));
      const [source, sink] = this.random.chance(0.5) ? [from, to] : [to, from];
      this.blockGroups(source, sink, false);
      this.count('one-way-partition');
      this.target.trace(`fault: one-way ${group(source)} -/-> ${group(sink)} for ${durationTicks} ticks`);
    } else {
      const blocked: string[] = [];
      for (const from of ids) {
        for (const to of ids) {
          if (from !== to && this.random.chance(0.3)) {
            this.target.network.block(from, to);
            blocked.push(`${from}->${to}`);
          }
        }
      }
      this.count('one-way-partition');
      this.target.trace(`fault: links blocked ${blocked.join(' ') || '(none)'} for ${durationTicks} ticks`);
    }
    this.scheduleHeal(durationTicks);
  }

  private isolate(node: SimNode, durationTicks: number): void {
    const others = this.target.nodes.filter((other) => other !== node).map((other) => other.id);
    this.target.network.healPartitions();
    this.blockGroups([node.id], others, true);
    this.count('partition');
    this.target.trace(`fault: partition ${group([node.id])} | ${group(others)} for ${durationTicks} ticks`);
    this.scheduleHeal(durationTicks);
  }

  private blockGroups(a: readonly NodeId[], b: readonly NodeId[], symmetric: boolean): void {
    for (const from of a) {
      for (const to of b) {
        this.target.network.block(from, to);
        if (symmetric) this.target.network.block(to, from);
      }
    }
  }

  private scheduleHeal(durationTicks: number): void {
    const generation = ++this.partitionGeneration;
    this.defer(durationTicks * TICK_UNITS, () => {
      if (generation !== this.partitionGeneration) return;
      this.count('partition-heal');
      this.target.trace('fault: partition healed');
      this.target.network.healPartitions();
    });
  }

  private changeNetworkProfile(): void {
    const profile: NetworkProfile = {
      dropProbability: pick(this.random, DROP_CHOICES),
      duplicateProbability: pick(this.random, DUPLICATE_CHOICES),
      latencyUnitsMax: pick(this.random, LATENCY_CHOICES),
    };
    this.count('network-profile');
    this.target.trace(
      `fault: network drop ${profile.dropProbability} duplicate ${profile.duplicateProbability} latency ≤${profile.latencyUnitsMax}`,
    );
    this.target.network.setProfile(profile);
  }

  private changeDiskStall(): void {
    const probability = pick(this.random, DISK_STALL_CHOICES);
    this.count('disk-stall');
    this.target.trace(`fault: disk stall probability ${probability}`);
    for (const node of this.target.nodes) node.disk.stallProbability = probability;
  }

  private transferLeadership(): void {
    const leader = this.target.leader();
    if (leader === null) return;
    const others = this.target.nodes.filter((node) => node !== leader);
    if (others.length === 0) return;
    const to = others[this.random.int(others.length)]!;
    this.count('transfer-leadership');
    this.target.trace(`fault: transfer leadership n${leader.id} -> n${to.id}`);
    this.target.transferLeadership(leader, to.id);
  }

  private campaign(): void {
    // Sometimes two at once, to provoke split votes in one term.
    const running = this.target.nodes.filter((node) => node.isRunning);
    this.shuffle(running);
    const count = this.random.chance(0.3) ? 2 : 1;
    for (const node of running.slice(0, count)) {
      this.count('campaign');
      this.target.trace(`fault: n${node.id} campaigns`);
      this.target.campaign(node);
    }
  }

  private randomRunningNode(): SimNode | null {
    const running = this.target.nodes.filter((node) => node.isRunning);
    return running.length === 0 ? null : running[this.random.int(running.length)]!;
  }

  private defer(delayUnits: number, action: () => void): void {
    this.target.defer(delayUnits, () => {
      if (this.active) action();
    });
  }

  /** `random.chance(p)`, without drawing when `p` is 0 (a fault family switched off). */
  private chance(p: number): boolean {
    return p > 0 && this.random.chance(p);
  }

  private count(kind: FaultKind): void {
    this.counts[kind]++;
  }

  private shuffle<T>(items: T[]): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.random.int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
  }
}

function pick<T>(random: SeededRandom, choices: readonly T[]): T {
  return choices[random.int(choices.length)]!;
}

function group(ids: readonly NodeId[]): string {
  return `{${[...ids].sort((x, y) => x - y).join(',')}}`;
}
