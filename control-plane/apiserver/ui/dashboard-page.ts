/**
 * The dashboard's page and stylesheet (served by `dashboard-routes.ts`). The page is a
 * skeleton: `dashboard-script.ts` fills every section from the API. Element ids are what
 * the script (and the browser test) look for.
 */

export const DASHBOARD_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Balsa dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="dashboard.css">
<script type="module" src="dashboard.js"></script>
</head>
<body>
<header>
  <h1>Balsa</h1>
  <div id="summary" class="summary"></div>
  <label class="namespace">namespace
    <select id="namespace-filter"><option value="">all namespaces</option></select>
  </label>
  <span id="connection" class="connection" data-state="connecting">connecting</span>
  <button id="token-button" type="button" title="the bearer token sent with every API call">token</button>
</header>
<form id="token-form" hidden>
  <p id="token-reason">The API server asks for credentials.</p>
  <input id="token-input" type="password" autocomplete="off" placeholder="bearer token" aria-label="bearer token">
  <button type="submit">use token</button>
  <button id="token-clear" type="button">forget token</button>
</form>
<main>
  <section class="overview">
    <div class="card" id="raft-card"><h2>Raft members <small id="raft-leader"></small></h2><table id="raft-members"></table><p class="note" id="raft-error" hidden></p></div>
    <div class="card" id="nodes-card"><h2>Nodes</h2><table id="nodes"></table></div>
    <div class="card" id="namespaces-card"><h2>Namespaces</h2><ul id="namespaces" class="chips"></ul></div>
  </section>
  <section class="card"><h2>Deployments</h2><table id="deployments"></table></section>
  <section class="split">
    <div class="card"><h2>Pods</h2><table id="pods"></table></div>
    <div class="card logs"><h2>Logs <small id="log-title">click a pod</small></h2><div id="log-containers"></div><pre id="log"></pre></div>
  </section>
  <section class="card"><h2>Events</h2><table id="events"></table></section>
</main>
</body>
</html>
`;

export const DASHBOARD_CSS = String.raw`:root {
  --bg: #f4f5f7; --card: #fff; --ink: #1d2430; --muted: #6b7280; --line: #e3e6ea;
  --ok: #15803d; --warn: #b45309; --bad: #b91c1c; --blue: #2563eb; --green: #16a34a; --accent: #4f46e5;
  color-scheme: light;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { display: flex; align-items: center; gap: 16px; padding: 10px 20px; background: #111827; color: #f9fafb; }
header h1 { margin: 0; font-size: 18px; letter-spacing: .5px; }
header select, header button, form button, form input { font: inherit; }
.summary { display: flex; gap: 14px; flex: 1; color: #d1d5db; }
.summary b { color: #fff; }
.namespace { color: #d1d5db; }
.connection::before { content: "\25CF "; }
.connection[data-state="live"] { color: #4ade80; }
.connection[data-state="connecting"] { color: #fbbf24; }
.connection[data-state="error"] { color: #f87171; }
#token-form { display: flex; gap: 8px; align-items: center; padding: 8px 20px; background: #fef3c7; }
#token-form[hidden] { display: none; }
#token-form p { margin: 0; }
main { padding: 14px 20px; display: grid; gap: 14px; }
.overview { display: grid; grid-template-columns: minmax(0, 6fr) minmax(0, 7fr) minmax(190px, 2fr); gap: 14px; align-items: start; }
.split { display: grid; grid-template-columns: 3fr 2fr; gap: 14px; align-items: start; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 0; overflow-x: auto; }
.card h2 { margin: 0 0 8px; font-size: 14px; }
.card h2 small { font-weight: normal; color: var(--muted); margin-left: 6px; }
table { width: 100%; border-collapse: collapse; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .4px; }
th, td { padding: 4px 6px; border-bottom: 1px solid var(--line); vertical-align: middle; white-space: nowrap; }
td.wrap { white-space: normal; }
tr:last-child td { border-bottom: none; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.empty { color: var(--muted); font-style: italic; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 11px; font-weight: 600; background: #e5e7eb; color: #374151; }
.badge.ok { background: #dcfce7; color: var(--ok); }
.badge.warn { background: #fef3c7; color: var(--warn); }
.badge.bad { background: #fee2e2; color: var(--bad); }
.badge.leader { background: #ede9fe; color: var(--accent); }
.badge.blue { background: #dbeafe; color: var(--blue); }
.badge.green { background: #dcfce7; color: var(--green); }
tr[data-ready="False"] td, tr[data-ready="Unknown"] td, tr[data-role="unreachable"] td { background: #fff5f5; }
.bar { position: relative; width: 110px; height: 14px; background: #eef0f3; border-radius: 3px; overflow: hidden; display: inline-block; vertical-align: middle; }
.bar > span { position: absolute; inset: 0 auto 0 0; background: #93c5fd; }
.bar.high > span { background: #fca5a5; }
.bar > em { position: relative; font-style: normal; font-size: 10px; padding-left: 4px; }
.progress { display: flex; height: 10px; width: 140px; background: #eef0f3; border-radius: 3px; overflow: hidden; }
.progress > span { display: block; height: 100%; }
.chips { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 6px; }
.chips li { white-space: nowrap; padding: 3px 8px; background: #f3f4f6; border-radius: 12px; }
.chips li small { color: var(--muted); }
#pods tbody tr { cursor: pointer; }
#pods tbody tr:hover td { background: #f9fafb; }
#pods tr.selected td { background: #eef2ff; }
.logs pre { margin: 0; height: 320px; overflow: auto; background: #0f172a; color: #e2e8f0; padding: 8px; border-radius: 6px; font: 12px/1.35 ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre-wrap; word-break: break-all; }
#log-containers button { margin: 0 4px 6px 0; }
.note { color: var(--bad); margin: 6px 0 0; }
.dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 5px; background: #9ca3af; }
.dot.blue { background: var(--blue); }
.dot.green { background: var(--green); }
.event-Warning td { color: var(--bad); }
@media (max-width: 1100px) { .overview, .split { grid-template-columns: 1fr; } }
`;
