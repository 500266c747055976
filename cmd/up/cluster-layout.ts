/**
 * Where each process of `balsa up` listens and keeps its data: computed from the flags
 * alone (no port is picked at random), so that `balsa up` on the same folder starts the
 * same members at the same peer URLs, as their KV membership remembers them.
 *
 * Under the data folder: `servers/<name>/` (a member's KV data), `agents/<name>/` (a node's
 * pods, logs and runtime state), `logs/<name>.log` (each process's output),
 * `cluster.json` (see `data-dir.ts`), `pki/` (the certificates, see `up-pki.ts`): the KV
 * serves clients and peers over TLS with mutual authentication only.
 */
import { join } from 'node:path';
import { CLUSTER_TOKEN, FIRST_NODE_HOST } from './constants.js';
import { UpUsageError } from './up-flags.js';
import { upPkiPaths } from './up-pki.js';
import type { UpPki } from './up-pki.js';
import type { ClusterPki } from './cluster-pki.js';

export interface ServerPlan {
  /** The KV member's name (`m1`, `m2`, ...). */
  readonly name: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** `https://127.0.0.1:PORT`: KV clients (etcdctl's --endpoints, with a certificate from `pki`). */
  readonly clientUrl: string;
  /** `https://127.0.0.1:PORT`: the other members. */
  readonly peerUrl: string;
  /** `http://127.0.0.1:PORT`: the API over HTTP (the CLI). */
  readonly apiUrl: string;
  /** `127.0.0.1:PORT`: the API over gRPC (agents, control loops). */
  readonly apiGrpcAddress: string;
}

export interface AgentPlan {
  /** The node's name (`node-1`, ...). */
  readonly name: string;
  /** Its own loopback address (127.0.0.2, ...): its Services' ports never collide with another node's. */
  readonly nodeIp: string;
  readonly dataDir: string;
  readonly logFile: string;
}

export interface ClusterLayout {
  readonly dataDir: string;
  readonly servers: readonly ServerPlan[];
  readonly agents: readonly AgentPlan[];
  /** Every agent's logs port (0: each picks one). */
  readonly agentPort: number;
  /** The certificates' paths (made by `ensureUpPki` before the servers start). */
  readonly pki: UpPki;
  /** The API's certificates (same CA): the API over TLS with RBAC, each agent's and the CLI's (absent with `--insecure`). */
  readonly apiPki?: ClusterPki;
}

export interface LayoutRequest {
  readonly dataDir: string;
  readonly servers: number;
  readonly agents: number;
  readonly kvPort: number;
  readonly apiPort: number;
  readonly agentPort: number;
  /** Whether the API is served over TLS (the certificates are added to the layout once made). */
  readonly secure?: boolean;
}

/** The layout the request asks for; an `UpUsageError` when its port ranges leave 1-65535 or overlap. */
export function planLayout(request: LayoutRequest): ClusterLayout {
  const kvPorts = portRange(request.kvPort, 2 * request.servers, 'kv-port');
  const apiPorts = portRange(request.apiPort, 2 * request.servers, 'api-port');
  if (kvPorts.first <= apiPorts.last && apiPorts.first <= kvPorts.last) {
    throw new UpUsageError(`--kv-port and --api-port overlap: the KV uses ${kvPorts.first}-${kvPorts.last} and the API ${apiPorts.first}-${apiPorts.last} for ${request.servers} server(s)`);
  }
  const servers: ServerPlan[] = [];
  for (let i = 0; i < request.servers; i++) {
    const name = `m${i + 1}`;
    servers.push({
      name,
      dataDir: join(request.dataDir, 'servers', name),
      logFile: join(request.dataDir, 'logs', `${name}.log`),
      clientUrl: `https://127.0.0.1:${request.kvPort + 2 * i}`,
      peerUrl: `https://127.0.0.1:${request.kvPort + 2 * i + 1}`,
      apiUrl: `${request.secure === true ? 'https' : 'http'}://127.0.0.1:${request.apiPort + 2 * i}`,
      apiGrpcAddress: `127.0.0.1:${request.apiPort + 2 * i + 1}`,
    });
  }
  const agents: AgentPlan[] = [];
  for (let i = 0; i < request.agents; i++) {
    const name = `node-${i + 1}`;
    agents.push({
      name,
      nodeIp: `127.0.0.${FIRST_NODE_HOST + i}`,
      dataDir: join(request.dataDir, 'agents', name),
      logFile: join(request.dataDir, 'logs', `${name}.log`),
    });
  }
  const pki = upPkiPaths(request.dataDir, servers.map((server) => server.name));
  return { dataDir: request.dataDir, servers, agents, agentPort: request.agentPort, pki };
}

/** `balsa server`'s arguments for member `server` of `layout`. */
export function serverArgs(layout: ClusterLayout, server: ServerPlan): string[] {
  const initialCluster = layout.servers.map((member) => `${member.name}=${member.peerUrl}`).join(',');
  const own = layout.pki.kvMembers.get(server.name)!;
  const ca = layout.pki.ca.certFile;
  return [
    'server',
    '--name', server.name,
    '--data-dir', server.dataDir,
    '--listen-client-urls', server.clientUrl,
    '--advertise-client-urls', server.clientUrl,
    '--listen-peer-urls', server.peerUrl,
    '--initial-advertise-peer-urls', server.peerUrl,
    '--initial-cluster', initialCluster,
    // `new` also on a restart: like etcd, a member whose data folder holds a member ignores
    // the initial-cluster flags and is who its data says (kv/server/kv-server.ts).
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', CLUSTER_TOKEN,
    '--cert-file', own.certFile,
    '--key-file', own.keyFile,
    '--trusted-ca-file', ca,
    '--client-cert-auth',
    '--peer-cert-file', own.certFile,
    '--peer-key-file', own.keyFile,
    '--peer-trusted-ca-file', ca,
    '--peer-client-cert-auth',
    // The API server's client of its member: the root client certificate.
    '--kv-cacert', ca,
    '--kv-cert', layout.pki.kvRootClient.certFile,
    '--kv-key', layout.pki.kvRootClient.keyFile,
    '--api-host', '127.0.0.1',
    '--api-port', new URL(server.apiUrl).port,
    '--api-grpc-port', server.apiGrpcAddress.split(':')[1]!,
    ...(layout.apiPki === undefined
      ? []
      : ['--api-cert-file', layout.apiPki.apiServer.certFile, '--api-key-file', layout.apiPki.apiServer.keyFile, '--api-trusted-ca-file', layout.apiPki.caFile, '--token-auth-file', layout.apiPki.tokenFile, '--authorization-mode', 'RBAC']),
  ];
}

/**
 * The gRPC target an agent is given: every member's API, this agent's "own" member first
 * (agents spread over the members), so that the client moves to the next when one is down
 * (gRPC's `ipv4:` target takes a list, tried in order).
 */
export function agentServerTarget(layout: ClusterLayout, agentIndex: number): string {
  const addresses = layout.servers.map((server) => server.apiGrpcAddress);
  const first = agentIndex % addresses.length;
  return `ipv4:${[...addresses.slice(first), ...addresses.slice(0, first)].join(',')}`;
}

/** `balsa agent`'s arguments for `agent`, the `agentIndex`th of `layout`. */
export function agentArgs(layout: ClusterLayout, agent: AgentPlan, agentIndex: number): string[] {
  return [
    'agent',
    '--server', agentServerTarget(layout, agentIndex),
    '--name', agent.name,
    '--node-ip', agent.nodeIp,
    '--port', String(layout.agentPort),
    '--data-dir', agent.dataDir,
    ...agentCredentialArgs(layout, agent),
  ];
}

/** The node's certificate and the CA, when the cluster is secure. */
function agentCredentialArgs(layout: ClusterLayout, agent: AgentPlan): string[] {
  const files = layout.apiPki?.nodes.get(agent.name);
  if (layout.apiPki === undefined || files === undefined) return [];
  return ['--trusted-ca-file', layout.apiPki.caFile, '--cert-file', files.certFile, '--key-file', files.keyFile];
}

function portRange(first: number, count: number, flag: string): { first: number; last: number } {
  const last = first + count - 1;
  if (last > 65535) throw new UpUsageError(`--${flag} ${first} leaves no room for ${count} ports (up to ${last}); choose at most ${65535 - count + 1}`);
  return { first, last };
}
