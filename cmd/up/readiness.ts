/**
 * What `balsa up` waits for before it says the cluster is ready, asked of the API over
 * HTTP as any client would: the API server answers `/readyz`, and every agent's node is
 * Ready. Each check answers false (not yet) rather than throwing: `waitFor` polls it.
 */
import { httpsFetch } from '../../control-plane/cli/https-fetch.js';
import type { TlsMaterial } from '../../control-plane/cli/https-fetch.js';
import { POLL_INTERVAL_MS, REQUEST_TIMEOUT_MS } from './constants.js';

/** Thrown by `waitFor` when its check never held, or when it was told to give up. */
export class WaitError extends Error {
  override readonly name = 'WaitError';
}

/** Lets `up` stop every wait at once (a child died, Ctrl-C). */
export interface Cancellation {
  readonly cancelled: boolean;
}

/** Polls `check` until it holds; a `WaitError` naming `what` after `timeoutMs` or once cancelled. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, cancellation: Cancellation): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (cancellation.cancelled) throw new WaitError(`stopped waiting for ${what}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new WaitError(`${what} did not happen within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** The body of a GET (over https with `tls`: the CA and the admin's certificate), or undefined when the server did not answer 200 in time. */
export async function getText(url: string, tls?: TlsMaterial): Promise<string | undefined> {
  const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const response = tls !== undefined && url.startsWith('https:') ? await httpsFetch(url, { method: 'GET', headers: {}, signal }, tls) : await fetch(url, { signal });
  const body = await response.text();
  return response.status === 200 ? body : undefined;
}

async function getJson(url: string, tls: TlsMaterial | undefined): Promise<Record<string, unknown> | undefined> {
  const body = await getText(url, tls);
  return body === undefined ? undefined : (JSON.parse(body) as Record<string, unknown>);
}

/** Whether the API server at `apiUrl` answers `/readyz` with 200 (it reaches its KV). */
export async function apiReady(apiUrl: string, tls?: TlsMaterial): Promise<boolean> {
  return (await getText(`${apiUrl}/readyz`, tls)) !== undefined;
}

interface NodeLike {
  metadata?: { name?: string };
  status?: { conditions?: { type?: string; status?: string }[] };
}

/** The names among `names` whose Node is not Ready (yet). */
export async function nodesNotReady(apiUrl: string, names: readonly string[], tls?: TlsMaterial): Promise<string[]> {
  const list = await getJson(`${apiUrl}/api/v1/nodes`, tls);
  const items = (list?.items ?? []) as NodeLike[];
  const ready = new Set(
    items.filter((node) => (node.status?.conditions ?? []).some((condition) => condition.type === 'Ready' && condition.status === 'True')).map((node) => node.metadata?.name),
  );
  return names.filter((name) => !ready.has(name));
}

/** Who holds the lease `name` in kube-system (the scheduler's, the controller manager's), if anyone. */
export async function leaseHolder(apiUrl: string, name: string, tls?: TlsMaterial): Promise<string | undefined> {
  const lease = (await getJson(`${apiUrl}/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${name}`, tls)) as { spec?: { holderIdentity?: string } } | undefined;
  const holder = lease?.spec?.holderIdentity;
  return holder === undefined || holder === '' ? undefined : holder;
}
