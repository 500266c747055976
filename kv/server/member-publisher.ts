/**
 * A started member tells the cluster who it is — its name and client URLs — through Raft,
 * retrying until that is applied (etcd's publish). Until then `member list` shows it
 * "unstarted", and nobody can forward a call to it.
 */
import { PUBLISH_RETRY_MS } from './constants.js';

export class MemberPublisher {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  /** `publish` proposes the attributes and resolves once they are applied. */
  constructor(
    private readonly publish: () => Promise<unknown>,
    private readonly onPublished: () => void = () => undefined,
    private readonly retryMs = PUBLISH_RETRY_MS,
  ) {}

  start(): void {
    void this.attempt();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.publish();
      if (!this.stopped) this.onPublished();
    } catch {
      if (this.stopped) return;
      this.timer = setTimeout(() => void this.attempt(), this.retryMs);
    }
  }
}
