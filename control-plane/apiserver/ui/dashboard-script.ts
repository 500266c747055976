/**
 * The dashboard's script, served as `/ui/dashboard.js` (an ES module the page loads; no
 * framework, no bundler). Kept as a raw string so that the build carries it as it is: it
 * holds no backtick and no dollar-brace (a test checks that it parses). What it does:
 *
 * - nodes, pods, deployments and events: a list, then a '?watch=1' stream from the list's
 *   resourceVersion, read line by line with fetch and a ReadableStream; a watch the server
 *   ended is resumed from the last version seen, an expired one (410) or a broken one starts
 *   over with a list. No more: a browser holds at most 6 connections to a server over
 *   HTTP/1.1, and each watch keeps one (see WATCHED);
 * - what those changes say to read again: the namespaces, and a BlueGreen Deployment's
 *   active Service and ReplicaSets (see READ_ON_CHANGE);
 * - the Raft members from '/ui/api/members' every 2 s (the KV has no watch of them);
 * - a pod's log followed ('pods/{name}/log?follow=true') in the log pane when clicked;
 * - every call with the browser's credentials: a bearer token given once ('/ui/?token=T' or
 *   the token form after a 401) kept in sessionStorage and sent as 'Authorization'.
 *
 * Elements carry data attributes (data-node + data-ready, data-member + data-role,
 * data-deployment + data-active-colour + data-progress, data-pod + data-phase; body data-live) for the
 * browser test and for anyone scripting the page.
 */

export const DASHBOARD_SCRIPT = String.raw`
// The Balsa dashboard: reads the cluster through the API (a list, then a watch, per
// resource; no polling where a watch exists) and renders it. Plain modern JS, no framework.
// Credentials: a bearer token given once ('/ui/?token=...' or the token form) is kept in
// sessionStorage (this tab only) and sent as 'Authorization' with every call.

const TOKEN_KEY = 'balsa.dashboard.token';
const NAMESPACE_KEY = 'balsa.dashboard.namespace';
/** The Raft status has no watch: it is asked this often. */
const MEMBERS_REFRESH_MS = 2000;
/** After a failed list or a broken watch, the next try waits this long. */
const WATCH_RETRY_MS = 1000;
/** A watch is ended by the server after this long and opened again from where it was. */
const WATCH_TIMEOUT_SECONDS = 300;
/** The log pane keeps at most this many characters (the oldest go). */
const LOG_CHARS_MAX = 200000;
const LOG_TAIL_LINES = 200;
const EVENTS_SHOWN_MAX = 100;
/** Ages ("12s", "3m") are redrawn this often. */
const AGE_REFRESH_MS = 5000;

/**
 * The resources kept live by a watch each. A browser opens at most 6 HTTP/1.1 connections
 * to one server and every watch (and a followed log) holds one for as long as it runs, so
 * the page holds at most 5: these 4 and the log, leaving one for everything else.
 */
const WATCHED = {
  nodes: '/api/v1/nodes',
  pods: '/api/v1/pods',
  deployments: '/apis/apps/v1/deployments',
  events: '/api/v1/events',
};
/**
 * Read again when a watched object says they may have changed, rather than watched: the
 * namespaces (on activity, at most every NAMESPACES_REFRESH_MS, and at once when an object
 * names one not known), and a BlueGreen Deployment's active Service and ReplicaSets (when
 * the Deployment changes: the deployer records every switch, and the Deployment controller
 * every ReplicaSet count, in the Deployment).
 */
const READ_ON_CHANGE = ['namespaces', 'services', 'replicasets'];
const NAMESPACES_REFRESH_MS = 10000;
/** A Deployment's changes within this long are followed by one read of its Service and ReplicaSets. */
const BLUE_GREEN_READ_DELAY_MS = 200;
const POD_TEMPLATE_HASH = 'pod-template-hash';
const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

/** Each resource's objects by 'namespace/name', and whether its watch is open. */
const stores = new Map([...Object.keys(WATCHED), ...READ_ON_CHANGE].map((name) => [name, new Map()]));
const live = new Map(Object.keys(WATCHED).map((name) => [name, false]));
const state = { members: null, membersError: '', lastError: '', needsToken: false, selectedPod: '', logContainer: '', logAbort: null };

// ---------------------------------------------------------------- credentials

let credentialWaiters = [];

function takeTokenFromUrl() {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (token === null) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  url.searchParams.delete('token');
  // The token leaves the address bar (and the history, bookmarks, screenshots).
  history.replaceState(null, '', url.pathname + url.search + url.hash);
}

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: 'Bearer ' + token } : {};
}

function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  state.needsToken = false;
  document.getElementById('token-form').hidden = true;
  const waiters = credentialWaiters;
  credentialWaiters = [];
  for (const resolve of waiters) resolve();
  if (state.selectedPod) openLog(state.selectedPod, state.logContainer);
}

function askForToken(message) {
  state.needsToken = true;
  document.getElementById('token-reason').textContent = message;
  document.getElementById('token-form').hidden = false;
  scheduleRender();
}

/** Resolves when the token changes (the user gave one after a 401 or 403). */
function credentialsChanged() {
  return new Promise((resolve) => credentialWaiters.push(resolve));
}

// ---------------------------------------------------------------- API calls

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** A GET with the browser's credentials; throws HttpError unless 2xx (asking for a token on 401/403). */
async function apiGet(path, signal) {
  const response = await fetch(path, { headers: { Accept: 'application/json', ...authHeaders() }, signal, cache: 'no-store' });
  if (response.ok) return response;
  let message = response.status + ' ' + response.statusText;
  try {
    const text = await response.text();
    const status = JSON.parse(text);
    if (status && typeof status.message === 'string') message = status.message;
    else if (text) message = text;
  } catch {
    // Not a Status: keep the HTTP status line.
  }
  if (response.status === 401 || response.status === 403) {
    askForToken(response.status === 401 ? 'The API server asks for credentials: ' + message : 'These credentials may not read this: ' + message);
  }
  throw new HttpError(response.status, message);
}

/** Calls 'onLine' with each line of the response body as it arrives. */
async function readLines(response, onLine) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.trim() !== '') onLine(line);
    }
  }
  if (buffered.trim() !== '') onLine(buffered);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function keyOf(object) {
  return (object.metadata.namespace || '') + '/' + object.metadata.name;
}

/**
 * Keeps 'stores[name]' equal to the API's list: list, then watch from the list's
 * resourceVersion; a watch the server ended is opened again from the last version seen,
 * one that expired (410) or broke starts over with a list.
 */
async function syncForever(name) {
  const path = WATCHED[name];
  for (;;) {
    try {
      const list = await (await apiGet(path)).json();
      const store = new Map();
      for (const item of list.items || []) store.set(keyOf(item), item);
      stores.set(name, store);
      for (const item of store.values()) changed(name, 'ADDED', item);
      scheduleRender();
      let resourceVersion = list.metadata.resourceVersion;
      for (;;) {
        const next = await watchOnce(name, path, resourceVersion);
        if (next === null) break;
        resourceVersion = next;
      }
    } catch (error) {
      state.lastError = name + ': ' + error.message;
    }
    setLive(name, false);
    if (state.needsToken) await credentialsChanged();
    else await sleep(WATCH_RETRY_MS);
  }
}

/** One watch stream: the resourceVersion to watch on from when it ended, null when a list must come first. */
async function watchOnce(name, path, resourceVersion) {
  const query = '?watch=1&timeoutSeconds=' + WATCH_TIMEOUT_SECONDS + '&resourceVersion=' + encodeURIComponent(resourceVersion);
  const response = await apiGet(path + query);
  setLive(name, true);
  let expired = false;
  await readLines(response, (line) => {
    const event = JSON.parse(line);
    const object = event.object;
    if (event.type === 'ERROR') {
      expired = true;
      if (object.code !== 410) state.lastError = name + ': ' + object.message;
      return;
    }
    if (object && object.metadata && object.metadata.resourceVersion) resourceVersion = object.metadata.resourceVersion;
    const store = stores.get(name);
    if (event.type === 'ADDED' || event.type === 'MODIFIED') store.set(keyOf(object), object);
    else if (event.type === 'DELETED') store.delete(keyOf(object));
    changed(name, event.type, object);
    scheduleRender();
  });
  setLive(name, false);
  return expired ? null : resourceVersion;
}

/** What a watched object's change makes worth reading again. */
function changed(name, type, object) {
  const namespace = object.metadata.namespace;
  const unknownNamespace = type !== 'DELETED' && namespace && !stores.get('namespaces').has('/' + namespace);
  readNamespacesSoon(unknownNamespace ? 0 : NAMESPACES_REFRESH_MS);
  if (name === 'deployments') readBlueGreenSoon(object, type === 'DELETED');
}

let namespacesTimer = null;
let namespacesReadAt = 0;

/** Lists the namespaces again, at most once per 'minimumGapMs' (0: as soon as possible). */
function readNamespacesSoon(minimumGapMs) {
  const waitMs = Math.max(0, namespacesReadAt + minimumGapMs - Date.now());
  if (namespacesTimer !== null) {
    if (waitMs > 0) return;
    clearTimeout(namespacesTimer);
  }
  namespacesTimer = setTimeout(readNamespaces, waitMs);
}

async function readNamespaces() {
  namespacesReadAt = Date.now();
  try {
    const list = await (await apiGet('/api/v1/namespaces')).json();
    stores.set('namespaces', new Map((list.items || []).map((item) => [keyOf(item), item])));
    scheduleRender();
  } catch (error) {
    state.lastError = 'namespaces: ' + error.message;
  } finally {
    namespacesTimer = null;
  }
}

const blueGreenTimers = new Map();

/** Reads a BlueGreen Deployment's active Service and ReplicaSets shortly (its changes come in bursts). */
function readBlueGreenSoon(deployment, deleted) {
  const key = keyOf(deployment);
  const strategy = deployment.spec.strategy || {};
  if (deleted || strategy.type !== 'BlueGreen') return forgetReplicaSets(deployment);
  if (blueGreenTimers.has(key)) return;
  blueGreenTimers.set(key, setTimeout(() => readBlueGreen(key), BLUE_GREEN_READ_DELAY_MS));
}

async function readBlueGreen(key) {
  blueGreenTimers.delete(key);
  const deployment = stores.get('deployments').get(key);
  // Gone, or no longer BlueGreen, since the read was planned.
  if (!deployment || !deployment.spec.strategy || !deployment.spec.strategy.blueGreen) return;
  const namespace = encodeURIComponent(deployment.metadata.namespace);
  const serviceName = deployment.spec.strategy.blueGreen.activeService;
  const labels = (deployment.spec.selector && deployment.spec.selector.matchLabels) || {};
  const selector = Object.entries(labels).map(([label, value]) => label + '=' + value).join(',');
  try {
    const replicaSets = await (await apiGet('/apis/apps/v1/namespaces/' + namespace + '/replicasets?labelSelector=' + encodeURIComponent(selector))).json();
    forgetReplicaSets(deployment);
    for (const rs of replicaSets.items || []) if (ownedBy(rs, deployment)) stores.get('replicasets').set(keyOf(rs), rs);
    const serviceKey = deployment.metadata.namespace + '/' + serviceName;
    try {
      stores.get('services').set(serviceKey, await (await apiGet('/api/v1/namespaces/' + namespace + '/services/' + encodeURIComponent(serviceName))).json());
    } catch (error) {
      if (error.status !== 404) throw error;
      stores.get('services').delete(serviceKey);
    }
  } catch (error) {
    state.lastError = 'deployment ' + key + ': ' + error.message;
  }
  scheduleRender();
}

function forgetReplicaSets(deployment) {
  const store = stores.get('replicasets');
  for (const [key, rs] of store) if (ownedBy(rs, deployment)) store.delete(key);
}

function setLive(name, isLive) {
  if (live.get(name) === isLive) return;
  live.set(name, isLive);
  if (isLive) state.lastError = '';
  scheduleRender();
}

async function refreshMembersForever() {
  for (;;) {
    try {
      state.members = await (await apiGet('/ui/api/members')).json();
      state.membersError = '';
    } catch (error) {
      state.membersError = error.message;
    }
    scheduleRender();
    if (state.needsToken) await credentialsChanged();
    else await sleep(MEMBERS_REFRESH_MS);
  }
}

// ---------------------------------------------------------------- pod logs

/** Follows the pod's log in the log pane (the previous follow is ended). */
async function openLog(key, container) {
  if (state.logAbort) state.logAbort.abort();
  const abort = new AbortController();
  state.logAbort = abort;
  state.selectedPod = key;
  state.logContainer = container || '';
  const [namespace, name] = key.split('/');
  const pre = document.getElementById('log');
  pre.textContent = '';
  document.getElementById('log-title').textContent = key + (container ? ' (' + container + ')' : '');
  renderLogContainers();
  scheduleRender();
  let path = '/api/v1/namespaces/' + encodeURIComponent(namespace) + '/pods/' + encodeURIComponent(name) + '/log?follow=true&tailLines=' + LOG_TAIL_LINES;
  if (container) path += '&container=' + encodeURIComponent(container);
  try {
    const response = await apiGet(path, abort.signal);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      appendLog(pre, decoder.decode(value, { stream: true }));
    }
    appendLog(pre, '\n[the log stream ended]\n');
  } catch (error) {
    if (!abort.signal.aborted) appendLog(pre, '\n[' + error.message + ']\n');
  }
}

function appendLog(pre, text) {
  const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  let content = pre.textContent + text;
  if (content.length > LOG_CHARS_MAX) content = content.slice(content.length - LOG_CHARS_MAX);
  pre.textContent = content;
  if (atBottom) pre.scrollTop = pre.scrollHeight;
}

function renderLogContainers() {
  const holder = document.getElementById('log-containers');
  const pod = stores.get('pods').get(state.selectedPod);
  const containers = pod ? (pod.spec.containers || []).map((c) => c.name) : [];
  if (containers.length < 2) return holder.replaceChildren();
  holder.replaceChildren(...containers.map((c) => h('button', { type: 'button', onclick: () => openLog(state.selectedPod, c) }, c)));
}

// ---------------------------------------------------------------- formatting

function h(tag, props, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key === 'onclick') element.addEventListener('click', value);
    else if (key === 'style') element.style.cssText = value;
    else element.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Fills 'table' with a header row and 'rows', or one row saying 'emptyText'. */
function fillTable(id, headers, rows, emptyText) {
  const body = rows.length > 0 ? rows : [h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, emptyText))];
  document.getElementById(id).replaceChildren(h('thead', {}, h('tr', {}, headers.map((title) => h('th', {}, title)))), h('tbody', {}, body));
}

function badge(text, kind, title) {
  return h('span', { class: 'badge ' + (kind || ''), title }, text);
}

const SUFFIXES = { n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };

/** A Kubernetes quantity ("250m", "128Mi", "1e3") as a number; 0 when it does not parse. */
function quantity(text) {
  if (text === undefined || text === null) return 0;
  const match = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$/.exec(String(text).trim());
  if (!match) return 0;
  const factor = match[2] === '' ? 1 : SUFFIXES[match[2]];
  return factor === undefined ? 0 : Number(match[1]) * factor;
}

function formatCpu(cores) {
  return cores < 1 ? Math.round(cores * 1000) + 'm' : String(Math.round(cores * 100) / 100);
}

function formatBytes(bytes) {
  const units = ['', 'Ki', 'Mi', 'Gi', 'Ti'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return (value >= 10 || unit === 0 ? Math.round(value) : Math.round(value * 10) / 10) + units[unit];
}

function age(timestamp) {
  if (!timestamp) return '';
  const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(timestamp)) / 1000));
  if (seconds < 120) return seconds + 's';
  if (seconds < 7200) return Math.floor(seconds / 60) + 'm';
  if (seconds < 172800) return Math.floor(seconds / 3600) + 'h';
  return Math.floor(seconds / 86400) + 'd';
}

/** A bar of 'used' against 'total', with its text. */
function usageBar(used, total, format) {
  const fraction = total > 0 ? Math.min(1, used / total) : 0;
  return h('span', { class: 'bar' + (fraction > 0.85 ? ' high' : ''), title: Math.round(fraction * 100) + '% requested' },
    h('span', { style: 'width:' + (fraction * 100).toFixed(1) + '%' }),
    h('em', {}, format(used) + ' / ' + format(total)));
}

function condition(object, type) {
  return ((object.status && object.status.conditions) || []).find((c) => c.type === type);
}

function selectedNamespace() {
  return document.getElementById('namespace-filter').value;
}

function inNamespace(object) {
  const namespace = selectedNamespace();
  return namespace === '' || object.metadata.namespace === namespace;
}

function byName(a, b) {
  return keyOf(a).localeCompare(keyOf(b));
}

function values(name) {
  return [...stores.get(name).values()];
}

// ---------------------------------------------------------------- cluster model

/** A pod that holds its node's resources (not finished). */
function isActivePod(pod) {
  return pod.status === undefined || (pod.status.phase !== 'Succeeded' && pod.status.phase !== 'Failed');
}

function podRequests(pod) {
  let cpu = 0;
  let memory = 0;
  for (const container of pod.spec.containers || []) {
    const requests = (container.resources && container.resources.requests) || {};
    cpu += quantity(requests.cpu);
    memory += quantity(requests.memory);
  }
  return { cpu, memory };
}

/** "Ready" / "NotReady" as kubectl says it, and the Ready condition's status (True, False, Unknown). */
function nodeReadiness(node) {
  const ready = condition(node, 'Ready');
  const status = ready ? ready.status : 'Unknown';
  let text = status === 'True' ? 'Ready' : 'NotReady';
  if (node.spec && node.spec.unschedulable) text += ',SchedulingDisabled';
  return { status, text, title: ready ? (ready.reason || '') + (ready.message ? ': ' + ready.message : '') : 'no Ready condition yet' };
}

/** The pod's status word, as kubectl's STATUS column says it. */
function podStatus(pod) {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  const statuses = (pod.status && pod.status.containerStatuses) || [];
  for (const status of statuses) {
    if (status.state && status.state.waiting && status.state.waiting.reason) return status.state.waiting.reason;
    if (status.state && status.state.terminated && status.state.terminated.reason && pod.status.phase !== 'Succeeded') return status.state.terminated.reason;
  }
  return (pod.status && pod.status.phase) || 'Pending';
}

function revisionOf(object) {
  return Number((object.metadata.annotations || {})[REVISION_ANNOTATION] || 0);
}

/** Blue for odd revisions, green for even ones: a blue-green rollout alternates them. */
function colourOf(replicaSet) {
  return revisionOf(replicaSet) % 2 === 1 ? 'blue' : 'green';
}

function ownedBy(object, owner) {
  return (object.metadata.ownerReferences || []).some((reference) => reference.uid === owner.metadata.uid);
}

/**
 * A BlueGreen Deployment's traffic: the ReplicaSet its active Service selects (by the
 * Service's 'pod-template-hash'), and the newest ReplicaSet when it is not that one (a
 * rollout under way). Null for other strategies.
 */
function blueGreenView(deployment) {
  const strategy = deployment.spec.strategy || {};
  if (strategy.type !== 'BlueGreen' || !strategy.blueGreen) return null;
  const namespace = deployment.metadata.namespace;
  const serviceName = strategy.blueGreen.activeService;
  const service = stores.get('services').get(namespace + '/' + serviceName);
  const replicaSets = values('replicasets').filter((rs) => rs.metadata.namespace === namespace && ownedBy(rs, deployment));
  const hash = service && service.spec && service.spec.selector ? service.spec.selector[POD_TEMPLATE_HASH] : undefined;
  const active = hash === undefined ? undefined : replicaSets.find((rs) => (rs.metadata.labels || {})[POD_TEMPLATE_HASH] === hash);
  const newest = replicaSets.sort((a, b) => revisionOf(b) - revisionOf(a))[0];
  return { serviceName, service, active, preview: newest && newest !== active ? newest : undefined };
}

/** The colour of the blue-green ReplicaSet that owns 'pod', if any. */
function podColour(pod, blueGreenSets) {
  const reference = (pod.metadata.ownerReferences || []).find((r) => r.kind === 'ReplicaSet');
  const rs = reference ? blueGreenSets.get(reference.uid) : undefined;
  return rs ? colourOf(rs) : undefined;
}

// ---------------------------------------------------------------- rendering

let renderTimer = null;

function scheduleRender() {
  if (renderTimer === null) renderTimer = setTimeout(render, 50);
}

function render() {
  renderTimer = null;
  renderConnection();
  renderNamespaceFilter();
  renderMembers();
  renderNodes();
  renderNamespaces();
  const blueGreenSets = renderDeployments();
  renderPods(blueGreenSets);
  renderEvents();
  renderSummary();
}

function renderConnection() {
  const element = document.getElementById('connection');
  const open = [...live.values()].filter(Boolean).length;
  const all = open === live.size;
  let text = all ? 'live' : 'connecting (' + open + '/' + live.size + ' watches)';
  let kind = all ? 'live' : 'connecting';
  if (state.needsToken) {
    text = 'credentials needed';
    kind = 'error';
  } else if (!all && state.lastError) {
    text = 'reconnecting: ' + state.lastError;
    kind = 'error';
  }
  element.textContent = text;
  element.dataset.state = kind;
  document.body.dataset.live = String(all);
}

function renderNamespaceFilter() {
  const select = document.getElementById('namespace-filter');
  const names = values('namespaces').map((ns) => ns.metadata.name).sort();
  const current = [...select.options].slice(1).map((option) => option.value);
  if (current.join(',') === names.join(',')) return;
  const chosen = select.value || sessionStorage.getItem(NAMESPACE_KEY) || '';
  select.replaceChildren(h('option', { value: '' }, 'all namespaces'), ...names.map((name) => h('option', { value: name }, name)));
  select.value = names.includes(chosen) ? chosen : '';
}

function renderMembers() {
  const report = state.members;
  const error = document.getElementById('raft-error');
  error.hidden = state.membersError === '';
  error.textContent = state.membersError;
  if (!report) return fillTable('raft-members', ['member'], [], state.membersError ? 'unavailable' : 'loading…');
  const leader = report.members.find((member) => member.role === 'leader');
  document.getElementById('raft-leader').textContent = leader ? 'leader ' + leader.name + ', term ' + leader.term : 'no leader';
  const rows = [...report.members].sort((a, b) => a.name.localeCompare(b.name)).map((member) => {
    const roleKind = member.role === 'leader' ? 'leader' : member.role === 'unreachable' ? 'bad' : '';
    const lag = member.lag === undefined ? '' : member.lag === 0 ? '0' : badge(String(member.lag), member.lag > 100 ? 'bad' : 'warn');
    return h('tr', { 'data-member': member.name, 'data-role': member.role },
      h('td', { title: 'member ' + member.id }, member.name),
      h('td', {}, badge(member.role, roleKind, member.error)),
      h('td', { class: 'num' }, member.term === undefined ? '' : member.term),
      h('td', { class: 'num' }, member.commitIndex === undefined ? '' : member.commitIndex),
      h('td', { class: 'num' }, member.appliedIndex === undefined ? '' : member.appliedIndex),
      h('td', { class: 'num' }, lag),
      h('td', {}, ((member.clientUrls || [])[0] || '').replace(/^https?:\/\//, '')));
  });
  fillTable('raft-members', ['member', 'role', 'term', 'commit', 'applied', 'lag', 'client'], rows, 'no members');
}

function renderNodes() {
  const pods = values('pods').filter(isActivePod);
  const rows = values('nodes').sort(byName).map((node) => {
    const name = node.metadata.name;
    const onNode = pods.filter((pod) => pod.spec.nodeName === name);
    const requested = onNode.map(podRequests).reduce((a, b) => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory }), { cpu: 0, memory: 0 });
    const allocatable = (node.status && node.status.allocatable) || {};
    const readiness = nodeReadiness(node);
    const address = ((node.status && node.status.addresses) || []).find((a) => a.type === 'InternalIP');
    return h('tr', { 'data-node': name, 'data-ready': readiness.status },
      h('td', {}, name),
      h('td', {}, badge(readiness.text, readiness.status === 'True' ? 'ok' : 'bad', readiness.title)),
      h('td', {}, usageBar(requested.cpu, quantity(allocatable.cpu), formatCpu)),
      h('td', {}, usageBar(requested.memory, quantity(allocatable.memory), formatBytes)),
      h('td', { class: 'num' }, onNode.length + (allocatable.pods ? ' / ' + allocatable.pods : '')),
      h('td', {}, address ? address.address : ''),
      h('td', {}, age(node.metadata.creationTimestamp)));
  });
  fillTable('nodes', ['node', 'status', 'CPU requested', 'memory requested', 'pods', 'address', 'age'], rows, 'no nodes registered');
}

function renderNamespaces() {
  const pods = values('pods');
  const items = values('namespaces').sort(byName).map((namespace) => {
    const name = namespace.metadata.name;
    const count = pods.filter((pod) => pod.metadata.namespace === name).length;
    const phase = namespace.status && namespace.status.phase;
    return h('li', { 'data-namespace': name }, name, ' ', h('small', {}, count + ' pod' + (count === 1 ? '' : 's') + (phase && phase !== 'Active' ? ', ' + phase : '')));
  });
  document.getElementById('namespaces').replaceChildren(...items);
}

/** Renders the Deployments; returns the ReplicaSets of blue-green ones by uid (for the pods' colours). */
function renderDeployments() {
  const blueGreenSets = new Map();
  const rows = values('deployments').filter(inNamespace).sort(byName).map((deployment) => {
    const spec = deployment.spec;
    const status = deployment.status || {};
    const desired = spec.replicas === undefined ? 1 : spec.replicas;
    const updated = status.updatedReplicas || 0;
    const ready = status.readyReplicas || 0;
    const available = status.availableReplicas || 0;
    const progressing = condition(deployment, 'Progressing');
    const view = blueGreenView(deployment);
    let serving = '';
    if (view) {
      for (const rs of values('replicasets')) if (ownedBy(rs, deployment)) blueGreenSets.set(rs.metadata.uid, rs);
      serving = view.active
        ? [h('span', { class: 'dot ' + colourOf(view.active) }), badge(colourOf(view.active), colourOf(view.active)), ' svc/' + view.serviceName + ' → ' + view.active.metadata.name + ' (rev ' + revisionOf(view.active) + ')']
        : [badge('none', 'warn'), ' svc/' + view.serviceName + (view.service ? ' selects no version yet' : ' not found')];
      if (view.preview) {
        const previewStatus = view.preview.status || {};
        serving.push(h('br'), 'preview ', badge(colourOf(view.preview), colourOf(view.preview)), ' rev ' + revisionOf(view.preview) + ': ' + (previewStatus.readyReplicas || 0) + '/' + ((view.preview.spec && view.preview.spec.replicas) || 0) + ' ready');
      }
    }
    const images = (spec.template.spec.containers || []).map((c) => c.image).join(', ');
    const percent = (n) => (desired > 0 ? Math.min(100, (n / desired) * 100) : 0).toFixed(1) + '%';
    return h('tr', {
      'data-deployment': keyOf(deployment),
      'data-active-colour': view && view.active ? colourOf(view.active) : undefined,
      'data-active-revision': view && view.active ? revisionOf(view.active) : undefined,
      'data-progress': progressing ? progressing.reason : undefined,
    },
      h('td', {}, selectedNamespace() === '' ? keyOf(deployment) : deployment.metadata.name),
      h('td', {}, (spec.strategy && spec.strategy.type) || 'RollingUpdate'),
      h('td', {}, h('div', { class: 'progress', title: available + ' available, ' + ready + ' ready, ' + updated + ' updated of ' + desired },
        h('span', { style: 'width:' + percent(available) + ';background:#22c55e' }),
        h('span', { style: 'width:' + percent(Math.max(0, updated - available)) + ';background:#bfdbfe' }))),
      h('td', { class: 'num' }, ready + '/' + desired),
      h('td', { class: 'num' }, updated),
      h('td', { class: 'num' }, available),
      h('td', {}, progressing ? badge(progressing.reason || progressing.status, progressing.status === 'True' ? (progressing.reason === 'NewReplicaSetAvailable' ? 'ok' : 'warn') : 'bad', progressing.message) : ''),
      h('td', { class: 'wrap' }, serving),
      h('td', {}, images),
      h('td', {}, age(deployment.metadata.creationTimestamp)));
  });
  fillTable('deployments', ['deployment', 'strategy', 'rollout', 'ready', 'up-to-date', 'available', 'progress', 'serving', 'image', 'age'], rows, 'no deployments');
  return blueGreenSets;
}

function renderPods(blueGreenSets) {
  const showNamespace = selectedNamespace() === '';
  const rows = values('pods').filter(inNamespace).sort(byName).map((pod) => {
    const key = keyOf(pod);
    const statuses = (pod.status && pod.status.containerStatuses) || [];
    const readyCount = statuses.filter((s) => s.ready).length;
    const restarts = statuses.reduce((sum, s) => sum + (s.restartCount || 0), 0);
    const word = podStatus(pod);
    const kind = word === 'Running' && readyCount === (pod.spec.containers || []).length ? 'ok' : word === 'Running' || word === 'Pending' || word === 'ContainerCreating' || word === 'Succeeded' ? 'warn' : 'bad';
    const colour = podColour(pod, blueGreenSets);
    return h('tr', { 'data-pod': key, 'data-phase': word, class: key === state.selectedPod ? 'selected' : '', onclick: () => openLog(key, '') },
      h('td', {}, colour ? h('span', { class: 'dot ' + colour, title: colour }) : '', showNamespace ? key : pod.metadata.name),
      h('td', {}, badge(word, kind)),
      h('td', { class: 'num' }, readyCount + '/' + (pod.spec.containers || []).length),
      h('td', { class: 'num' }, restarts > 0 ? badge(String(restarts), 'warn') : '0'),
      h('td', {}, pod.spec.nodeName || ''),
      h('td', {}, (pod.status && pod.status.podIP) || ''),
      h('td', {}, age(pod.metadata.creationTimestamp)));
  });
  fillTable('pods', ['pod', 'status', 'ready', 'restarts', 'node', 'IP', 'age'], rows, 'no pods');
}

function eventTime(event) {
  return Date.parse(event.lastTimestamp || event.eventTime || event.firstTimestamp || event.metadata.creationTimestamp) || 0;
}

function renderEvents() {
  const events = values('events').filter(inNamespace).sort((a, b) => eventTime(b) - eventTime(a)).slice(0, EVENTS_SHOWN_MAX);
  const rows = events.map((event) => {
    const involved = event.involvedObject || {};
    return h('tr', { class: 'event-' + (event.type || 'Normal'), 'data-reason': event.reason || '' },
      h('td', {}, age(event.lastTimestamp || event.eventTime || event.metadata.creationTimestamp)),
      h('td', {}, badge(event.type || 'Normal', event.type === 'Warning' ? 'bad' : '')),
      h('td', {}, event.reason || ''),
      h('td', {}, (involved.kind || '').toLowerCase() + '/' + (involved.name || '')),
      h('td', { class: 'wrap' }, event.message || ''),
      h('td', { class: 'num' }, event.count || 1),
      h('td', {}, (event.source && event.source.component) || ''));
  });
  fillTable('events', ['last seen', 'type', 'reason', 'object', 'message', 'count', 'from'], rows, 'no events');
}

function renderSummary() {
  const nodes = values('nodes');
  const readyNodes = nodes.filter((node) => nodeReadiness(node).status === 'True').length;
  const pods = values('pods');
  const running = pods.filter((pod) => pod.status && pod.status.phase === 'Running').length;
  const leader = state.members && state.members.members.find((member) => member.role === 'leader');
  const item = (value, text) => h('span', {}, h('b', {}, value), ' ' + text);
  document.getElementById('summary').replaceChildren(
    item(readyNodes + '/' + nodes.length, 'nodes ready'),
    item(running + '/' + pods.length, 'pods running'),
    item(values('deployments').length, 'deployments'),
    item(leader ? leader.name : '—', 'leads Raft'));
}

// ---------------------------------------------------------------- start

function start() {
  takeTokenFromUrl();
  document.getElementById('token-button').addEventListener('click', () => askForToken('The bearer token sent with every API call (kept in this tab only).'));
  document.getElementById('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = document.getElementById('token-input');
    setToken(input.value.trim());
    input.value = '';
  });
  document.getElementById('token-clear').addEventListener('click', () => setToken(''));
  document.getElementById('namespace-filter').addEventListener('change', (event) => {
    sessionStorage.setItem(NAMESPACE_KEY, event.target.value);
    render();
  });
  for (const name of Object.keys(WATCHED)) void syncForever(name);
  readNamespacesSoon(0);
  void refreshMembersForever();
  setInterval(scheduleRender, AGE_REFRESH_MS);
  render();
}

start();
`;
