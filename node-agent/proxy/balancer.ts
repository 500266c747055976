/**
 * The choice of endpoint for new connections of one Service port: round robin over its
 * ready endpoints, and with `sessionAffinity: ClientIP` the endpoint a client IP used last
 * (while it is still an endpoint and the affinity has not timed out).
 *
 * The cursor moves once per endpoint handed out, tried or not, so an endpoint that refuses
 * costs its turn and the others still share the connections evenly. A change of the
 * endpoint list takes effect for the next pick; connections already made are not the
 * balancer's concern (they drain on their own).
 */
import { PROXY_AFFINITY_ENTRIES_MAX } from './constants.js';
import { backendName } from './service-ports.js';
import type { Backend } from './service-ports.js';

interface AffinityEntry {
  readonly backend: string;
  /** When the entry lapses (ms on the balancer's clock). */
  expiresAt: number;
}

export class Balancer {
  private backends: readonly Backend[] = [];
  private byName = new Map<string, Backend>();
  private cursor = 0;
  private affinityTimeoutMs: number | null = null;
  /** Client IP → endpoint, least recently used first (Map order). */
  private readonly affinity = new Map<string, AffinityEntry>();

  /** `now` is the clock affinity timeouts are measured on (ms). */
  constructor(private readonly now: () => number = Date.now) {}

  /** The ready endpoints now, in the order round robin visits them. */
  setBackends(backends: readonly Backend[]): void {
    const names = backends.map(backendName);
    if (names.length === this.backends.length && names.every((name, i) => name === backendName(this.backends[i]!))) return;
    this.backends = [...backends];
    this.byName = new Map(backends.map((backend, i) => [names[i]!, backend]));
    // Keep the rotation where it was; an endpoint added or removed only shifts who is next.
    this.cursor = this.backends.length === 0 ? 0 : this.cursor % this.backends.length;
  }

  /** `null` turns session affinity off (and forgets every client). */
  setAffinity(timeoutMs: number | null): void {
    if (timeoutMs === this.affinityTimeoutMs) return;
    this.affinityTimeoutMs = timeoutMs;
    this.affinity.clear();
  }

  get size(): number {
    return this.backends.length;
  }

  /**
   * The endpoint for the next attempt of a connection from `clientIp`, other than those in
   * `tried`; undefined when every endpoint was tried (or there are none).
   */
  pick(clientIp: string, tried: ReadonlySet<string>): Backend | undefined {
    const sticky = this.stickyBackend(clientIp);
    if (sticky !== undefined && !tried.has(backendName(sticky))) return sticky;
    for (let i = 0; i < this.backends.length; i++) {
      const backend = this.backends[this.cursor]!;
      this.cursor = (this.cursor + 1) % this.backends.length;
      if (!tried.has(backendName(backend))) return backend;
    }
    return undefined;
  }

  /** The connection from `clientIp` was made to `backend`: with affinity, the client sticks to it. */
  served(clientIp: string, backend: Backend): void {
    if (this.affinityTimeoutMs === null) return;
    this.affinity.delete(clientIp);
    this.affinity.set(clientIp, { backend: backendName(backend), expiresAt: this.now() + this.affinityTimeoutMs });
    if (this.affinity.size > PROXY_AFFINITY_ENTRIES_MAX) this.affinity.delete(this.affinity.keys().next().value!);
  }

  private stickyBackend(clientIp: string): Backend | undefined {
    if (this.affinityTimeoutMs === null) return undefined;
    const entry = this.affinity.get(clientIp);
    if (entry === undefined) return undefined;
    const backend = this.byName.get(entry.backend);
    if (backend === undefined || entry.expiresAt <= this.now()) {
      this.affinity.delete(clientIp);
      return undefined;
    }
    return backend;
  }
}
