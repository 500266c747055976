/**
 * The network between the members of a chaos cluster: a `TcpProxy` in front of every
 * member's peer port, which the others are told is its address. Raft's gRPC transport
 * sends a member's messages only over connections that member dialled (the dialled side
 * answers with nothing but a hello), so the link from A to B is exactly the connections A
 * dialled to B's proxy; `socketOwner` names A from the kernel's socket table, and the
 * proxy cuts that link alone (`blackhole`: bytes vanish, connections stay up, as in a real
 * partition). Cutting both directions between two groups is a partition; one direction
 * only, one-way loss.
 */
import type net from 'node:net';
import { TcpProxy } from '../../../raft/testing/tcp-proxy.js';
import { socketOwner } from './socket-owner.js';

export class PeerNetwork {
  /** Proxy in front of each member, by member name. */
  private readonly proxies = new Map<string, TcpProxy>();
  /** Links cut, as `from>to`. */
  private readonly cut = new Set<string>();
  /** Connections whose dialler could not be named (they follow no link's cut). */
  private unnamed = 0;
  private named = 0;

  /** Member name by process id, as members are spawned (`spawned`). */
  private readonly names = new Map<number, string>();

  /** Starts the proxy in front of member `name`, which listens on `listenAddress`; returns the proxy's address. */
  async proxyFor(name: string, listenAddress: string): Promise<string> {
    const proxy = await TcpProxy.start({ target: listenAddress, identify: (socket) => this.identify(socket) });
    this.proxies.set(name, proxy);
    return proxy.address;
  }

  /** Member `name` now runs as process `pid`: the connections it dials are named after it. */
  spawned(name: string, pid: number): void {
    for (const [known, n] of this.names) if (n === name) this.names.delete(known);
    this.names.set(pid, name);
  }

  /** Drop everything `from` sends to `to` (until `heal`). */
  cutLink(from: string, to: string): void {
    this.cut.add(`${from}>${to}`);
    this.proxies.get(to)?.setLinkMode(from, 'blackhole');
  }

  /** Every link cut is restored (connections that lost bytes are reset, and re-dialled). */
  heal(): void {
    for (const link of this.cut) {
      const [from, to] = link.split('>') as [string, string];
      this.proxies.get(to)?.setLinkMode(from, undefined);
    }
    this.cut.clear();
  }

  /** Links cut now, as `from>to`. */
  cutLinks(): string[] {
    return [...this.cut].sort();
  }

  /** What the proxies saw: connections named and not, bytes dropped. */
  stats(): { readonly connectionsNamed: number; readonly connectionsUnnamed: number; readonly bytesDropped: number } {
    let bytesDropped = 0;
    for (const proxy of this.proxies.values()) bytesDropped += proxy.stats().bytesDropped;
    return { connectionsNamed: this.named, connectionsUnnamed: this.unnamed, bytesDropped };
  }

  async close(): Promise<void> {
    await Promise.all([...this.proxies.values()].map((proxy) => proxy.close()));
    this.proxies.clear();
  }

  private async identify(socket: net.Socket): Promise<string | undefined> {
    if (socket.remotePort === undefined || socket.localPort === undefined) {
      this.unnamed++;
      return undefined;
    }
    const pid = await socketOwner(socket.remotePort, socket.localPort, [...this.names.keys()]);
    const name = pid === undefined ? undefined : this.names.get(pid);
    if (name === undefined) this.unnamed++;
    else this.named++;
    return name;
  }
}
