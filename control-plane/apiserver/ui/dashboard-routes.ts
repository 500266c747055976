/**
 * The web dashboard at `/ui`: a page, its stylesheet and its script (static, written by
 * hand, embedded in the build: no bundler, no network beyond this server), and one JSON
 * endpoint the API has no resource for, `/ui/api/members` (the KV's Raft members with
 * their status, see `kv/client/member-status.ts`).
 *
 * Everything else the page shows it reads through the API itself — lists, then `?watch=1`
 * streams, and `pods/{name}/log?follow=true` — with the browser's credentials
 * (`Authorization: Bearer <token>` when one was given), so it sees what its user may see.
 * The static files carry no data and need no credentials; `/ui/api/members` is data and
 * belongs behind the same authentication as the API.
 */
import type http from 'node:http';
import type { ClusterStatus } from '../../../kv/client/member-status.js';
import { ApiError } from '../errors.js';
import { DASHBOARD_HTML, DASHBOARD_CSS } from './dashboard-page.js';
import { DASHBOARD_SCRIPT } from './dashboard-script.js';

/** The dashboard's root; `/ui` redirects here so that the page's relative URLs resolve. */
export const DASHBOARD_PATH = '/ui/';
/** The Raft members' status, as JSON (`ClusterStatus`). */
export const DASHBOARD_MEMBERS_PATH = '/ui/api/members';

/** What the dashboard needs of its server beyond the API. */
export interface DashboardBackend {
  /** The KV's Raft members; rejects when the member list cannot be read. */
  readonly clusterStatus: () => Promise<ClusterStatus>;
}

const ASSETS: ReadonlyMap<string, { readonly type: string; readonly body: string }> = new Map([
  [DASHBOARD_PATH, { type: 'text/html; charset=utf-8', body: DASHBOARD_HTML }],
  ['/ui/dashboard.css', { type: 'text/css; charset=utf-8', body: DASHBOARD_CSS }],
  ['/ui/dashboard.js', { type: 'text/javascript; charset=utf-8', body: DASHBOARD_SCRIPT }],
]);

/**
 * The page's policy: its own script and styles only, data from this origin only (a
 * token in sessionStorage is worth keeping from injected scripts).
 */
const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Whether `path` is the dashboard's (`/ui` or under `/ui/`). */
export function isDashboardPath(path: string): boolean {
  return path === '/ui' || path.startsWith('/ui/');
}

/** Answers a dashboard request; 404 for a path under `/ui/` it does not serve, 405 for anything but GET and HEAD. */
export async function serveDashboard(url: URL, method: string, response: http.ServerResponse, backend: DashboardBackend | undefined): Promise<void> {
  const path = url.pathname;
  if (method !== 'GET' && method !== 'HEAD') throw new ApiError('MethodNotAllowed', `the server does not allow this method on the requested resource (${method} ${path})`);
  if (path === '/ui') {
    // The query goes along: '/ui?token=...' is how a token is handed to the page.
    response.writeHead(301, { Location: DASHBOARD_PATH + url.search, 'Content-Length': 0 });
    response.end();
    return;
  }
  if (path === DASHBOARD_MEMBERS_PATH) {
    if (backend === undefined) throw new ApiError('NotFound', 'this API server does not know its KV members (it was started without them)');
    let status: ClusterStatus;
    try {
      status = await backend.clusterStatus();
    } catch (error) {
      throw new ApiError('ServiceUnavailable', `the KV member list could not be read: ${(error as Error).message}`);
    }
    return send(response, method, 'application/json', JSON.stringify(status), { 'Cache-Control': 'no-store' });
  }
  const asset = ASSETS.get(path);
  if (asset === undefined) throw new ApiError('NotFound', `the server could not find the requested resource (GET ${path})`);
  send(response, method, asset.type, asset.body, { 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' });
}

function send(response: http.ServerResponse, method: string, type: string, body: string, headers: Record<string, string>): void {
  response.writeHead(200, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...headers });
  response.end(method === 'HEAD' ? undefined : body);
}
