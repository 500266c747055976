/**
 * Every TCP connection and UDP session the proxy carries, over all its listeners: so that
 * the proxy's limits hold across Services, and `close()` can drain or end them all.
 * A flow is registered when it starts (a TCP client accepted, a UDP session opened) and
 * removes itself when it ends.
 */

/** A TCP connection (client and endpoint sockets) or a UDP session. */
export interface Flow {
  /** Ends the flow at once (its sockets destroyed); it then removes itself. */
  destroy(): void;
}

export type FlowKind = 'tcp' | 'udp';

export class OpenFlows {
  private readonly flows: Record<FlowKind, Set<Flow>> = { tcp: new Set(), udp: new Set() };
  private emptyWaiters: (() => void)[] = [];

  constructor(private readonly limits: Readonly<Record<FlowKind, number>>) {}

  /** Registers `flow`; false (and nothing registered) when `kind` is at its limit. */
  tryAdd(kind: FlowKind, flow: Flow): boolean {
    const set = this.flows[kind];
    if (set.size >= this.limits[kind]) return false;
    set.add(flow);
    return true;
  }

  delete(kind: FlowKind, flow: Flow): void {
    this.flows[kind].delete(flow);
    if (this.size === 0) for (const wake of this.emptyWaiters.splice(0)) wake();
  }

  count(kind: FlowKind): number {
    return this.flows[kind].size;
  }

  get size(): number {
    return this.flows.tcp.size + this.flows.udp.size;
  }

  /** Resolves once no flow is open, or after `timeoutMs`, whichever comes first. */
  async drained(timeoutMs: number): Promise<void> {
    if (this.size === 0 || timeoutMs <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.emptyWaiters.push(resolve);
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
  }

  destroyAll(): void {
    for (const kind of ['tcp', 'udp'] as const) for (const flow of [...this.flows[kind]]) flow.destroy();
  }
}
