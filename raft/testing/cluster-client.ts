/**
 * A client of a cluster of `cluster-node.ts` processes over their HTTP API, as an
 * application would be: writes and reads that retry on other members (following the
 * leader hint of a 421, backing off on a 503, moving on from a member that does not
 * answer), membership changes on the leader, and the observations tests need: who leads,
 * each member's digest and applied write ids, and waiting until every member converged.
 */
import type { NodeStatus } from '../node.js';
import {
  CLIENT_OPERATION_DEADLINE_MS,
  CLIENT_POLL_INTERVAL_MS,
  CLIENT_PROBE_TIMEOUT_MS,
  CLIENT_RETRY_BACKOFF_MS_MAX,
  CLIENT_RETRY_BACKOFF_MS_MIN,
} from './constants.js';
import { JsonHttpClient } from './http-json.js';
import type { JsonResponse } from './http-json.js';
import type { RegisterWrite } from './register-machine.js';

/** Where to reach one member's HTTP API. */
export interface MemberEndpoint {
  readonly id: number;
  readonly httpAddress: string;
}

export interface ClusterClientOptions {
  /** The members to talk to, asked again at every attempt (restarts move their ports). */
  readonly endpoints: () => readonly MemberEndpoint[];
  /** Deadline of one write or read request, in ms: a little above the nodes' request timeout. */
  readonly requestTimeoutMs: number;
  /** Deadline of one membership request (`addMember` waits for the new member to catch up). Default 60000. */
  readonly membershipTimeoutMs?: number;
  /** Keep-alive sockets per member at most. Default 64. */
  readonly maxSocketsPerHost?: number;
}

/** The error body of the node's API. */
export interface ApiError {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
  readonly leader?: number;
}

export interface WriteAck {
  readonly writeId: string;
  /** The log index it was applied at. */
  readonly index: number;
  /** The member that acknowledged it. */
  readonly memberId: number;
  readonly attempts: number;
}

export interface ReadResult {
  readonly value: string | null;
  readonly index: number;
  readonly memberId: number;
}

export interface MemberDigest {
  readonly appliedIndex: number;
  readonly commitIndex: number;
  readonly digest: string;
  readonly keys: number;
  readonly writes: number;
  /** Snapshots this member's process restored (its own at start, or received). */
  readonly restores: number;
}

export interface Convergence {
  readonly appliedIndex: number;
  readonly digest: string;
  readonly writes: number;
}

/**
 * An operation gave up: every attempt failed until its deadline (`refused` false: its
 * outcome is unknown), or a member refused it for good (`refused` true: a 4xx or 500).
 */
export class ClusterOperationError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    readonly lastError: string,
    readonly refused = false,
  ) {
    super(`${message} after ${attempts} attempts; last: ${lastError}`);
    this.name = 'ClusterOperationError';
  }
}

type Attempt =
  | { readonly done: true; readonly response: JsonResponse }
  /** `next`: the member to try next; `hinted`: it is the leader a 421 named (tried at once). */
  | { readonly done: false; readonly next: number | null; readonly why: string; readonly hinted?: boolean };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ClusterClient {
  private readonly http: JsonHttpClient;
  /** The member that answered last: tried first next time. */
  private preferred: number | null = null;

  constructor(private readonly options: ClusterClientOptions) {
    this.http = new JsonHttpClient({ maxSocketsPerHost: options.maxSocketsPerHost ?? 64 });
  }

  close(): void {
    this.http.close();
  }

  // ---- Writes and reads ----

  /** Write until a member acknowledges it (200), retrying elsewhere, for at most `deadlineMs`. */
  async write(write: RegisterWrite, deadlineMs = CLIENT_OPERATION_DEADLINE_MS): Promise<WriteAck> {
    const { response, endpoint, attempts } = await this.retrying(`write ${write.writeId}`, deadlineMs, this.options.requestTimeoutMs, (e, timeout) =>
      this.http.request(e.httpAddress, 'POST', '/write', write, timeout),
    );
    return { writeId: write.writeId, index: (response.body as { index: number }).index, memberId: endpoint.id, attempts };
  }

  /** A linearizable read of `key` on whichever member answers. */
  async read(key: string, deadlineMs = CLIENT_OPERATION_DEADLINE_MS): Promise<ReadResult> {
    const path = `/read?key=${encodeURIComponent(key)}`;
    const { response, endpoint } = await this.retrying(`read ${key}`, deadlineMs, this.options.requestTimeoutMs, (e, timeout) =>
      this.http.request(e.httpAddress, 'GET', path, undefined, timeout),
    );
    const body = response.body as { value: string | null; index: number };
    return { value: body.value, index: body.index, memberId: endpoint.id };
  }

  /** A linearizable read of `key` on member `id` only (a follower serves it through ReadIndex). */
  async readFrom(id: number, key: string): Promise<ReadResult> {
    const response = await this.http.request<{ value: string | null; index: number } | ApiError>(
      this.endpoint(id).httpAddress,
      'GET',
      `/read?key=${encodeURIComponent(key)}`,
      undefined,
      this.options.requestTimeoutMs,
    );
    if (response.status !== 200) throw new Error(`member ${id} /read: ${response.status} ${JSON.stringify(response.body)}`);
    const body = response.body as { value: string | null; index: number };
    return { value: body.value, index: body.index, memberId: id };
  }

  // ---- Membership (on the leader) ----

  /** Add a voter (learner, catch up, promote) through the leader. */
  async addMember(id: number, address: string, deadlineMs = CLIENT_OPERATION_DEADLINE_MS * 2): Promise<void> {
    await this.onLeader(`add member ${id}`, deadlineMs, '/members/add', { id, address }, (status) => status.members.voters.some((m) => m.id === id));
  }

  async removeMember(id: number, deadlineMs = CLIENT_OPERATION_DEADLINE_MS): Promise<void> {
    const isGone = (status: NodeStatus) => ![...status.members.voters, ...status.members.learners].some((m) => m.id === id);
    await this.onLeader(`remove member ${id}`, deadlineMs, '/members/remove', { id }, isGone);
  }

  async transferLeadership(to: number, deadlineMs = CLIENT_OPERATION_DEADLINE_MS): Promise<void> {
    await this.onLeader(`transfer to ${to}`, deadlineMs, '/transfer', { to }, (status) => status.leader === to && status.role === 'leader');
  }

  // ---- Observation ----

  async status(id: number): Promise<NodeStatus> {
    return this.probe<NodeStatus>(id, '/status');
  }

  async digest(id: number): Promise<MemberDigest> {
    return this.probe<MemberDigest>(id, '/digest');
  }

  async writeIds(id: number): Promise<string[]> {
    return (await this.probe<{ writeIds: string[] }>(id, '/writes')).writeIds;
  }

  /** The acknowledged write ids that member `id` has not applied. */
  async missingWrites(id: number, acknowledged: Iterable<string>): Promise<string[]> {
    const applied = new Set(await this.writeIds(id));
    return [...acknowledged].filter((writeId) => !applied.has(writeId));
  }

  /**
   * Wait for a leader that the members agree on: it says it leads, and a majority of its
   * voters (itself included) name it at its term. Members in `exclude` do not count as
   * leaders (e.g. one that was just cut off).
   */
  async leader(timeoutMs: number, exclude: readonly number[] = []): Promise<{ id: number; term: number }> {
    const deadline = Date.now() + timeoutMs;
    let seen = '';
    for (;;) {
      const statuses = await this.statuses();
      const leaders = [...statuses.values()].filter((s) => s.role === 'leader' && !exclude.includes(s.id)).sort((a, b) => b.term - a.term);
      for (const candidate of leaders) {
        const voters = candidate.members.voters.map((m) => m.id);
        const agreeing = voters.filter((v) => {
          const s = statuses.get(v);
          return s !== undefined && s.leader === candidate.id && s.term === candidate.term;
        });
        if (agreeing.length > voters.length / 2) return { id: candidate.id, term: candidate.term };
      }
      seen = [...statuses.values()].map((s) => `${s.id}:${s.role}@${s.term}→${s.leader}`).join(' ');
      if (Date.now() > deadline) throw new Error(`no agreed leader within ${timeoutMs} ms; members say ${seen || 'nothing'}`);
      await sleep(CLIENT_POLL_INTERVAL_MS);
    }
  }

  /** The status of every member that answers (within the probe timeout). */
  async statuses(): Promise<Map<number, NodeStatus>> {
    const endpoints = this.options.endpoints();
    const answers = await Promise.all(endpoints.map((e) => this.status(e.id).catch(() => null)));
    const statuses = new Map<number, NodeStatus>();
    for (const status of answers) if (status !== null) statuses.set(status.id, status);
    return statuses;
  }

  /**
   * Wait until members `ids` have all applied the same index and hold the same state
   * digest, and no member's commit index is ahead of it (nothing left to apply).
   */
  async waitConverged(ids: readonly number[], timeoutMs: number): Promise<Convergence> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const digests = await Promise.all(ids.map((id) => this.digest(id).catch((error: Error) => error)));
      const answered = digests.filter((d): d is MemberDigest => !(d instanceof Error));
      if (answered.length === ids.length) {
        const first = answered[0]!;
        const maxCommit = Math.max(...answered.map((d) => d.commitIndex));
        const same = answered.every((d) => d.appliedIndex === first.appliedIndex && d.digest === first.digest);
        if (same && first.appliedIndex >= maxCommit) return { appliedIndex: first.appliedIndex, digest: first.digest, writes: first.writes };
      }
      last = ids
        .map((id, i) => {
          const d = digests[i]!;
          return d instanceof Error ? `${id}: ${d.message}` : `${id}: applied ${d.appliedIndex} commit ${d.commitIndex} writes ${d.writes} digest ${d.digest.slice(0, 12)}`;
        })
        .join('; ');
      if (Date.now() > deadline) throw new Error(`members ${ids.join(',')} did not converge within ${timeoutMs} ms: ${last}`);
      await sleep(CLIENT_POLL_INTERVAL_MS);
    }
  }

  // ---- Plumbing ----

  private endpoint(id: number): MemberEndpoint {
    const endpoint = this.options.endpoints().find((e) => e.id === id);
    if (endpoint === undefined || endpoint.httpAddress === '') throw new Error(`member ${id} has no HTTP address`);
    return endpoint;
  }

  private async probe<T>(id: number, path: string): Promise<T> {
    const response = await this.http.request<T>(this.endpoint(id).httpAddress, 'GET', path, undefined, CLIENT_PROBE_TIMEOUT_MS);
    if (response.status !== 200) throw new Error(`member ${id} ${path}: status ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  /** The member after `id` in id order (wrapping), or the first. */
  private nextAfter(id: number | null): number | null {
    const ids = this.options.endpoints().map((e) => e.id).sort((a, b) => a - b);
    if (ids.length === 0) return null;
    if (id === null) return ids[0]!;
    return ids.find((other) => other > id) ?? ids[0]!;
  }

  /**
   * Send with `send` to one member after another until one answers 200: a 421 moves to
   * the hinted leader, a retryable 503 backs off (and moves on after the same member failed
   * twice), a network error or timeout moves on; anything else fails at once.
   */
  private async retrying(
    what: string,
    deadlineMs: number,
    requestTimeoutMs: number,
    send: (endpoint: MemberEndpoint, timeoutMs: number) => Promise<JsonResponse>,
  ): Promise<{ response: JsonResponse; endpoint: MemberEndpoint; attempts: number }> {
    const deadline = Date.now() + deadlineMs;
    let target = this.preferred ?? this.nextAfter(null);
    let attempts = 0;
    let failuresHere = 0;
    let hintsInARow = 0;
    let backoffMs = CLIENT_RETRY_BACKOFF_MS_MIN;
    let lastError = 'no member to try';
    while (Date.now() < deadline && target !== null) {
      attempts++;
      const endpoint = this.options.endpoints().find((e) => e.id === target);
      let attempt: Attempt;
      if (endpoint === undefined || endpoint.httpAddress === '') {
        attempt = { done: false, next: this.nextAfter(target), why: `member ${target} unknown` };
      } else {
        const timeoutMs = Math.max(1, Math.min(requestTimeoutMs, deadline - Date.now()));
        attempt = await send(endpoint, timeoutMs).then(
          (response) => this.judge(endpoint.id, response, failuresHere),
          (error: NodeJS.ErrnoException) => ({ done: false, next: this.nextAfter(endpoint.id), why: `member ${endpoint.id}: ${error.code ?? error.message}` }),
        );
        if (attempt.done) {
          this.preferred = endpoint.id;
          return { response: attempt.response, endpoint, attempts };
        }
      }
      lastError = attempt.why;
      failuresHere = attempt.next === target ? failuresHere + 1 : 0;
      target = attempt.next ?? this.nextAfter(target);
      hintsInARow = attempt.hinted === true ? hintsInARow + 1 : 0;
      // Follow a leader hint at once, but only once in a row: two members naming each other back off.
      if (hintsInARow !== 1) {
        await sleep(Math.min(backoffMs * (0.5 + Math.random()), Math.max(0, deadline - Date.now())));
        backoffMs = Math.min(backoffMs * 2, CLIENT_RETRY_BACKOFF_MS_MAX);
      }
    }
    throw new ClusterOperationError(`${what} gave up`, attempts, lastError);
  }

  private judge(id: number, response: JsonResponse, failuresHere: number): Attempt {
    if (response.status === 200) return { done: true, response };
    const error = (response.body ?? {}) as ApiError;
    const why = `member ${id}: ${response.status} ${error.code} ${error.message}`;
    if (response.status === 421) {
      const hinted = typeof error.leader === 'number' && error.leader > 0 && error.leader !== id ? error.leader : null;
      return { done: false, next: hinted ?? this.nextAfter(id), why, hinted: hinted !== null };
    }
    if (response.status === 503 && error.retryable) return { done: false, next: failuresHere >= 1 ? this.nextAfter(id) : id, why };
    if (response.status === 503) return { done: false, next: this.nextAfter(id), why };
    throw new ClusterOperationError(`member ${id} refused`, 1, why, true);
  }

  /**
   * A membership request on the leader, retried until `isDone` holds on the leader's status
   * (a retry of a change that already took effect may be refused: the status decides).
   */
  private async onLeader(what: string, deadlineMs: number, path: string, body: unknown, isDone: (status: NodeStatus) => boolean): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    let lastError = '';
    let attempts = 0;
    while (Date.now() < deadline) {
      attempts++;
      try {
        const leader = await this.leader(Math.max(1, deadline - Date.now()));
        const status = await this.status(leader.id);
        if (isDone(status)) return;
        const timeoutMs = Math.min(this.options.membershipTimeoutMs ?? 60_000, Math.max(1, deadline - Date.now()));
        const response = await this.http.request<ApiError>(this.endpoint(leader.id).httpAddress, 'POST', path, body, timeoutMs);
        if (response.status === 200) return;
        lastError = `member ${leader.id}: ${response.status} ${response.body.code} ${response.body.message}`;
      } catch (error) {
        lastError = (error as Error).message;
      }
      await sleep(CLIENT_RETRY_BACKOFF_MS_MAX);
    }
    throw new ClusterOperationError(`${what} gave up`, attempts, lastError);
  }
}
