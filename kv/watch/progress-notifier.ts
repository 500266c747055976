/**
 * The only timer of `kv/watch`: every interval (etcd: 10 minutes) it runs the hub's
 * progress tick, which notifies idle watchers that asked for progress notifications.
 */
import { DEFAULT_PROGRESS_NOTIFY_INTERVAL_MS } from './constants.js';
import type { WatchHub } from './watch-hub.js';

export class WatchProgressNotifier {
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly hub: WatchHub,
    private readonly intervalMs = DEFAULT_PROGRESS_NOTIFY_INTERVAL_MS,
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.hub.notifyProgress(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
