/**
 * The per-node service proxy (Balsa's kube-proxy). It is told the cluster's Services and
 * Endpoints (`ServiceProxyInput`: by the API adapter, or directly in tests) and keeps, for
 * every TCP and UDP port of every Service, a listener on the node's address at the
 * Service's `port` (and its `nodePort` for NodePort and LoadBalancer Services), each
 * balancing new traffic over the port's ready endpoints.
 *
 * Changes apply as they are told: a Service port added opens its listeners, one removed
 * closes them (connections already made continue); an Endpoints change only changes where
 * new connections go, so connections to a removed endpoint drain rather than break. A
 * listener that cannot bind (the port is taken, or privileged) is logged once and tried
 * again every `bindRetryMs`, and at once when another listener of the proxy lets go of the
 * same port; the other listeners serve meanwhile.
 *
 * `sessionAffinity: ClientIP` is honoured (see `Balancer`). Not done: `externalTrafficPolicy`
 * and `internalTrafficPolicy` (every ready endpoint is used, wherever it runs), `externalIPs`
 * and load-balancer ingress addresses, and SCTP ports.
 */
import type { ApiObject } from '../../control-plane/api/types.js';
import { objectKey } from '../../control-plane/client/informer.js';
import { Balancer } from './balancer.js';
import {
  PROXY_BIND_RETRY_MS,
  PROXY_CONNECT_TIMEOUT_MS,
  PROXY_DIAL_ATTEMPTS_MAX,
  PROXY_TCP_CONNECTIONS_MAX,
  PROXY_UDP_IDLE_TIMEOUT_MS,
  PROXY_UDP_PENDING_DATAGRAMS_MAX,
  PROXY_UDP_SESSIONS_MAX,
} from './constants.js';
import { OpenFlows } from './open-flows.js';
import type { ForwardingLimits, ProxyListener } from './proxy-listener.js';
import { hostPort, planService, readyBackends } from './service-ports.js';
import type { ProxyProtocol, ServicePortSpec } from './service-ports.js';
import { TcpListener } from './tcp-listener.js';
import { UdpListener } from './udp-listener.js';

/** What the proxy is fed: the current Services and Endpoints of every namespace. Keys are `namespace/name`. */
export interface ServiceProxyInput {
  /** A Service was added or changed. */
  setService(service: ApiObject): void;
  deleteService(key: string): void;
  /** An Endpoints object was added or changed. */
  setEndpoints(endpoints: ApiObject): void;
  deleteEndpoints(key: string): void;
}

export interface ServiceProxyOptions {
  /** The node's IP: every listener binds it (`127.0.0.2` for a second agent on one machine). */
  readonly listenHost: string;
  /** Where listeners opened, bind failures and turned-away clients are told (default: nowhere). */
  readonly log?: (line: string) => void;
  /** Default `PROXY_BIND_RETRY_MS`. */
  readonly bindRetryMs?: number;
  /** Default `PROXY_CONNECT_TIMEOUT_MS`. */
  readonly connectTimeoutMs?: number;
  /** Default `PROXY_DIAL_ATTEMPTS_MAX`. */
  readonly dialAttemptsMax?: number;
  /** Default `PROXY_UDP_IDLE_TIMEOUT_MS`. */
  readonly udpIdleTimeoutMs?: number;
  /** Default `PROXY_TCP_CONNECTIONS_MAX`. */
  readonly tcpConnectionsMax?: number;
  /** Default `PROXY_UDP_SESSIONS_MAX`. */
  readonly udpSessionsMax?: number;
}

export interface CloseOptions {
  /**
   * How long open TCP connections and UDP sessions may go on after the listeners closed,
   * before they are reset (ms). Default 0: at once, as a node agent that is stopping
   * cannot promise more.
   */
  readonly drainMs?: number;
}

/** One listener the proxy wants, as `listeners()` reports it. */
export interface ListenerStatus {
  /** The Service port's id (`namespace/name:portName/PROTOCOL`). */
  readonly servicePort: string;
  readonly protocol: ProxyProtocol;
  readonly port: number;
  /** Whether this is the Service's `port` or its `nodePort`. */
  readonly kind: 'port' | 'nodePort';
  /** `waiting`: the bind failed; tried again later. */
  readonly state: 'binding' | 'listening' | 'waiting';
}

interface ListenerSlot {
  /** `PROTOCOL:port:servicePortId`. */
  readonly key: string;
  readonly serviceKey: string;
  readonly servicePort: ServicePortSpec;
  readonly port: number;
  readonly kind: 'port' | 'nodePort';
  state: 'binding' | 'listening' | 'waiting' | 'closed';
  listener: ProxyListener | null;
  retryTimer: NodeJS.Timeout | null;
  /** Bind failures in a row (the first is logged, and the success after them). */
  failures: number;
}

export class ServiceProxy implements ServiceProxyInput {
  readonly listenHost: string;
  private readonly log: (line: string) => void;
  private readonly bindRetryMs: number;
  private readonly limits: ForwardingLimits;
  private readonly flows: OpenFlows;
  /** The proxied ports of each Service, by Service key. */
  private readonly services = new Map<string, ServicePortSpec[]>();
  private readonly endpoints = new Map<string, ApiObject>();
  /** By Service port id. */
  private readonly balancers = new Map<string, Balancer>();
  /** By slot key. */
  private readonly slots = new Map<string, ListenerSlot>();
  private closed = false;

  constructor(options: ServiceProxyOptions) {
    this.listenHost = options.listenHost;
    this.log = options.log ?? (() => {});
    this.bindRetryMs = options.bindRetryMs ?? PROXY_BIND_RETRY_MS;
    this.limits = {
      connectTimeoutMs: options.connectTimeoutMs ?? PROXY_CONNECT_TIMEOUT_MS,
      dialAttemptsMax: options.dialAttemptsMax ?? PROXY_DIAL_ATTEMPTS_MAX,
      udpIdleTimeoutMs: options.udpIdleTimeoutMs ?? PROXY_UDP_IDLE_TIMEOUT_MS,
      udpPendingDatagramsMax: PROXY_UDP_PENDING_DATAGRAMS_MAX,
    };
    this.flows = new OpenFlows({
      tcp: options.tcpConnectionsMax ?? PROXY_TCP_CONNECTIONS_MAX,
      udp: options.udpSessionsMax ?? PROXY_UDP_SESSIONS_MAX,
    });
  }

  setService(service: ApiObject): void {
    if (this.closed) return;
    const key = objectKey(service);
    const plan = planService(service);
    for (const line of plan.skipped) this.log(`proxy: ${line}`);
    this.services.set(key, plan.ports);
    this.syncService(key);
  }

  deleteService(key: string): void {
    if (this.closed || !this.services.delete(key)) return;
    this.syncService(key);
  }

  setEndpoints(endpoints: ApiObject): void {
    if (this.closed) return;
    const key = objectKey(endpoints);
    this.endpoints.set(key, endpoints);
    this.syncBackends(key);
  }

  deleteEndpoints(key: string): void {
    if (this.closed || !this.endpoints.delete(key)) return;
    this.syncBackends(key);
  }

  /** Every listener the Services call for, in no particular order. */
  listeners(): ListenerStatus[] {
    return [...this.slots.values()].map((slot) => ({
      servicePort: slot.servicePort.id,
      protocol: slot.servicePort.protocol,
      port: slot.port,
      kind: slot.kind,
      state: slot.state as ListenerStatus['state'],
    }));
  }

  /** TCP connections open (or connecting) now. */
  get openConnections(): number {
    return this.flows.count('tcp');
  }

  get udpSessions(): number {
    return this.flows.count('udp');
  }

  /**
   * Closes every listener (their ports are free when this resolves), lets open connections
   * and sessions go on for `drainMs` (default: none), then resets what is left. The proxy
   * takes no more input. Idempotent.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const slot of [...this.slots.values()]) this.closeSlot(slot);
    }
    await this.flows.drained(options.drainMs ?? 0);
    this.flows.destroyAll();
    // Destroyed sockets say 'close' on a later turn; a flow leaves the table then.
    await this.flows.drained(1_000);
  }

  /** Makes balancers and listeners match the Service's ports (none when it is gone). */
  private syncService(serviceKey: string): void {
    const ports = this.services.get(serviceKey) ?? [];
    const wantedPorts = new Set(ports.map((port) => port.id));
    for (const id of [...this.balancers.keys()]) {
      if (id.startsWith(`${serviceKey}:`) && !wantedPorts.has(id)) this.balancers.delete(id);
    }
    for (const port of ports) {
      let balancer = this.balancers.get(port.id);
      if (balancer === undefined) {
        balancer = new Balancer();
        this.balancers.set(port.id, balancer);
      }
      balancer.setAffinity(port.affinityTimeoutMs);
    }
    this.syncBackends(serviceKey);

    const wanted = new Map<string, Omit<ListenerSlot, 'state' | 'listener' | 'retryTimer' | 'failures'>>();
    for (const servicePort of ports) {
      const listens: [number, 'port' | 'nodePort'][] = [[servicePort.port, 'port']];
      if (servicePort.nodePort !== undefined) listens.push([servicePort.nodePort, 'nodePort']);
      for (const [port, kind] of listens) {
        const key = `${servicePort.protocol}:${port}:${servicePort.id}`;
        wanted.set(key, { key, serviceKey, servicePort, port, kind });
      }
    }
    // Close first: a Service port that moved may want a port it held under another key.
    for (const slot of [...this.slots.values()]) {
      if (slot.serviceKey === serviceKey && !wanted.has(slot.key)) this.closeSlot(slot);
    }
    for (const [key, want] of wanted) {
      if (this.slots.has(key)) continue;
      const slot: ListenerSlot = { ...want, state: 'binding', listener: null, retryTimer: null, failures: 0 };
      this.slots.set(key, slot);
      this.openSlot(slot);
    }
  }

  /** Hands each port of the Service its ready endpoints from the Service's Endpoints. */
  private syncBackends(serviceKey: string): void {
    const ports = this.services.get(serviceKey) ?? [];
    const endpoints = this.endpoints.get(serviceKey);
    for (const port of ports) this.balancers.get(port.id)?.setBackends(readyBackends(port, ports.length, endpoints));
  }

  private openSlot(slot: ListenerSlot): void {
    const balancer = this.balancers.get(slot.servicePort.id)!;
    const label = `${slot.servicePort.id} on ${hostPort(this.listenHost, slot.port)}${slot.kind === 'nodePort' ? ' (nodePort)' : ''}`;
    const options = { host: this.listenHost, port: slot.port, label, balancer, flows: this.flows, limits: this.limits, log: this.log };
    const listener = slot.servicePort.protocol === 'TCP' ? new TcpListener(options) : new UdpListener(options);
    slot.state = 'binding';
    slot.listener = listener;
    listener.listen().then(
      () => {
        if (slot.state === 'closed') {
          listener.close();
          return;
        }
        slot.state = 'listening';
        const after = slot.failures > 0 ? ` (after ${slot.failures} failed attempts)` : '';
        slot.failures = 0;
        this.log(`proxy: listening for ${label}${after}`);
      },
      (error: NodeJS.ErrnoException) => {
        listener.close();
        if (slot.state === 'closed') return;
        slot.state = 'waiting';
        slot.listener = null;
        slot.failures++;
        if (slot.failures === 1) {
          this.log(`proxy: cannot listen for ${label}: ${bindFailure(error)}; trying again every ${this.bindRetryMs} ms, serving the other ports meanwhile`);
        }
        slot.retryTimer = setTimeout(() => {
          slot.retryTimer = null;
          if (slot.state === 'waiting') this.openSlot(slot);
        }, this.bindRetryMs);
      },
    );
  }

  private closeSlot(slot: ListenerSlot): void {
    const wasBound = slot.state === 'listening';
    slot.state = 'closed';
    if (slot.retryTimer !== null) clearTimeout(slot.retryTimer);
    slot.retryTimer = null;
    slot.listener?.close();
    slot.listener = null;
    this.slots.delete(slot.key);
    if (!wasBound) return;
    this.log(`proxy: stopped listening on ${hostPort(this.listenHost, slot.port)}/${slot.servicePort.protocol} for ${slot.servicePort.id}`);
    // Another Service may have been waiting for this very port.
    for (const waiting of this.slots.values()) {
      if (waiting.state !== 'waiting' || waiting.port !== slot.port || waiting.servicePort.protocol !== slot.servicePort.protocol) continue;
      if (waiting.retryTimer !== null) clearTimeout(waiting.retryTimer);
      waiting.retryTimer = null;
      this.openSlot(waiting);
    }
  }
}

/** A bind error in words an operator acts on. */
function bindFailure(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return 'EADDRINUSE (the port is taken on this address, by another process or another Service)';
    case 'EACCES':
      return 'EACCES (binding a port below 1024 needs privileges)';
    case 'EADDRNOTAVAIL':
      return 'EADDRNOTAVAIL (the address is not one of this host\'s)';
    default:
      return error.code ?? error.message;
  }
}
