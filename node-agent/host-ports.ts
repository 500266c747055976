/**
 * Host ports, allocated per pod: every container port of a pod gets a port on the node's
 * IP — the `hostPort` its spec names, else a free one — for the pod's whole life (restarts
 * of its containers and of the agent included: the allocations are kept in a file), and
 * released when the pod goes. Two pods never hold the same port.
 *
 * A free port is found by binding port 0 on the node IP and closing again: the container
 * binds it moments later. Another program could take it in between; the container then
 * fails to bind and restarts, keeping the same port.
 */
import { createSocket } from 'node:dgram';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { HOST_PORT_ALLOCATION_ATTEMPTS } from './constants.js';
import { AgentError } from './errors.js';
import type { PortMapping } from './runtime/container-runtime.js';

/** One container port of a pod, as its spec asks for it. */
export interface PortRequest {
  readonly container: string;
  readonly name?: string;
  readonly containerPort: number;
  readonly protocol: PortMapping['protocol'];
  /** The spec's `hostPort`, when it names one. */
  readonly hostPort?: number;
}

/** A port allocated to a pod's container. */
export interface AllocatedPort extends PortMapping {
  readonly container: string;
}

export class HostPortAllocator {
  private readonly byPod = new Map<string, AllocatedPort[]>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly nodeIp: string,
  ) {}

  /** The allocator with the allocations an earlier run of the agent kept in `file`. */
  static async load(file: string, nodeIp: string): Promise<HostPortAllocator> {
    const allocator = new HostPortAllocator(file, nodeIp);
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) {
      const saved = JSON.parse(text) as Record<string, AllocatedPort[]>;
      for (const [uid, ports] of Object.entries(saved)) allocator.byPod.set(uid, ports);
    }
    return allocator;
  }

  /** The pod's ports: those it already holds, else new ones for `requests` (all or none). */
  async allocate(uid: string, requests: readonly PortRequest[]): Promise<readonly AllocatedPort[]> {
    const held = this.byPod.get(uid);
    if (held !== undefined) return held;
    const taken = new Set([...this.byPod.values()].flat().map((port) => `${port.protocol}/${port.hostPort}`));
    const ports: AllocatedPort[] = [];
    for (const request of requests) {
      const hostPort = request.hostPort !== undefined && request.hostPort !== 0 ? request.hostPort : await this.freePort(request.protocol, taken);
      const key = `${request.protocol}/${hostPort}`;
      if (taken.has(key)) throw new AgentError('HostPortConflict', `host port ${hostPort}/${request.protocol} is already allocated to another pod`);
      taken.add(key);
      ports.push({
        container: request.container,
        ...(request.name !== undefined && request.name !== '' ? { name: request.name } : {}),
        containerPort: request.containerPort,
        hostPort,
        protocol: request.protocol,
      });
    }
    this.byPod.set(uid, ports);
    await this.save();
    return ports;
  }

  /** The pod's ports, if it holds any. */
  ports(uid: string): readonly AllocatedPort[] | undefined {
    return this.byPod.get(uid);
  }

  /** Takes the ports an adopted container was started with (after the allocation file was lost). */
  async adopt(uid: string, ports: readonly AllocatedPort[]): Promise<void> {
    if (this.byPod.has(uid) || ports.length === 0) return;
    this.byPod.set(uid, [...ports]);
    await this.save();
  }

  async release(uid: string): Promise<void> {
    if (!this.byPod.delete(uid)) return;
    await this.save();
  }

  /** Pods holding ports. */
  get podUids(): string[] {
    return [...this.byPod.keys()];
  }

  private async freePort(protocol: PortMapping['protocol'], taken: ReadonlySet<string>): Promise<number> {
    for (let attempt = 0; attempt < HOST_PORT_ALLOCATION_ATTEMPTS; attempt++) {
      const port = protocol === 'UDP' ? await this.probeUdp() : await this.probeTcp();
      if (!taken.has(`${protocol}/${port}`)) return port;
    }
    throw new AgentError('HostPortConflict', `no free ${protocol} port found on ${this.nodeIp} in ${HOST_PORT_ALLOCATION_ATTEMPTS} attempts`);
  }

  private probeTcp(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, this.nodeIp, () => {
        const address = server.address();
        server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
      });
    });
  }

  private probeUdp(): Promise<number> {
    return new Promise((resolve, reject) => {
      const socket = createSocket(this.nodeIp.includes(':') ? 'udp6' : 'udp4');
      socket.once('error', reject);
      socket.bind(0, this.nodeIp, () => {
        const { port } = socket.address();
        socket.close(() => resolve(port));
      });
    });
  }

  /** Writes the allocations (one write at a time, each replacing the file whole). */
  private save(): Promise<void> {
    const text = JSON.stringify(Object.fromEntries(this.byPod));
    // A failed write is reported to its caller; the next one starts from a clean chain.
    this.writing = this.writing.catch(() => {}).then(async () => {
      await mkdir(dirname(this.file), { recursive: true });
      await writeFile(`${this.file}.tmp`, text);
      await rename(`${this.file}.tmp`, this.file);
    });
    return this.writing;
  }
}
