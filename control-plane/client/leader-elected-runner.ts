/**
 * Runs a component only while this process leads its lease: started when leadership is won,
 * stopped when it is lost (or at `stop()`), never twice at once. A component that fails to
 * start is stopped and the lease released, so that a standby can try.
 */
import { LeaderElector } from './leader-election.js';
import type { LeaderElectionOptions } from './leader-election.js';

/** A running component: stop it to end all its work. */
export interface RunningComponent {
  stop(): Promise<void>;
}

export interface LeaderElectedRunnerOptions extends Omit<LeaderElectionOptions, 'onStartedLeading' | 'onStoppedLeading'> {
  /** Starts the component; called each time leadership is won. */
  readonly start: () => Promise<RunningComponent>;
}

export class LeaderElectedRunner {
  private readonly elector: LeaderElector;
  /** The component's life, one step after another (start, stop, start, ...). */
  private chain: Promise<void> = Promise.resolve();
  private running: RunningComponent | null = null;

  constructor(private readonly options: LeaderElectedRunnerOptions) {
    this.elector = new LeaderElector({
      ...options,
      onStartedLeading: () => this.enqueue(() => this.startComponent()),
      onStoppedLeading: () => this.enqueue(() => this.stopComponent()),
    });
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  /** Whether the component is running now. */
  get active(): boolean {
    return this.running !== null;
  }

  start(): void {
    this.elector.start();
  }

  /** Stops the component (if running) and releases the lease. */
  async stop(): Promise<void> {
    await this.elector.stop();
    this.enqueue(() => this.stopComponent());
    await this.chain;
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step, step);
  }

  private async startComponent(): Promise<void> {
    if (!this.elector.isLeader || this.running !== null) return;
    try {
      this.running = await this.options.start();
    } catch (error) {
      this.options.log?.(`${this.options.name}: failed to start: ${(error as Error).message}`);
    }
  }

  private async stopComponent(): Promise<void> {
    const running = this.running;
    this.running = null;
    await running?.stop();
  }
}
