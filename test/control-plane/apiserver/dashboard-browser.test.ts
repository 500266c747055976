/**
 * The dashboard (`/ui`) in a real browser — headless Chromium driven by puppeteer-core —
 * on a cluster of real processes: `balsa server` (KV, API server, scheduler, controllers,
 * with a short `--node-monitor-grace-period`) and two agents (node-a on 127.0.0.2, node-b on
 * 127.0.0.3). One page stays open throughout, so every change below reaches it through its
 * watches (nothing reloads):
 *
 * - the overview lists both nodes Ready and the Raft leader;
 * - node-b's agent stops: once the node lifecycle controller marks it, node-b shows NotReady;
 * - meanwhile a BlueGreen Deployment (pinned to node-a) shows blue (revision 1) in service,
 *   then a new image rolls out and the page shows the active Service switch to green
 *   (revision 2);
 * - a pod's log follows in the log pane;
 * - credentials, the API server's own (`--token-auth-file`: this test's token is a user in
 *   system:masters; any other token is answered 401): a token given as `?token=` is tried
 *   and leaves the address bar, the page asks for another on the 401, and once given it
 *   goes with every API call as `Authorization: Bearer`;
 * - no script error; a screenshot is saved (in the test's temp dir; also to
 *   `$BALSA_DASHBOARD_SCREENSHOT` when set: `npm run screenshot:ui` writes docs/dashboard.png
 *   that way, with three servers for a fuller Raft table).
 */
import { copyFile, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import puppeteer from 'puppeteer-core';
import type { Browser, Page } from 'puppeteer-core';
import { freePort } from '../../../raft/testing/process-cluster.js';
import { apiCall } from '../../support/api-http.js';
import { chromiumArgs, describeWithChromium } from '../../support/chromium.js';
import { LOCAL_NODES, LocalCluster } from '../../node-agent/support/local-cluster.js';

/** The node lifecycle controller marks a silent node after this long (agents renew every 10 s). */
const NODE_MONITOR_GRACE_PERIOD = '20s';
/** Waits for the page to show a change: generous, the box is busy. */
const PAGE_WAIT_MS = 90_000;
const TOKEN = 'dashboard-test-token';
const SCREENSHOT_TARGET = process.env.BALSA_DASHBOARD_SCREENSHOT;

describeWithChromium('the dashboard in a browser', (chromiumPath) => {
  let local: LocalCluster;
  let browser: Browser;
  let page: Page;
  let shots: string;
  const pageErrors: string[] = [];
  const apiRequests: { url: string; authorization: string | undefined }[] = [];

  beforeAll(async () => {
    shots = await mkdtemp(join(tmpdir(), 'balsa-dashboard-shots-'));
    const tokenFile = join(shots, 'tokens.csv');
    await writeFile(tokenFile, `${TOKEN},dashboard-viewer,dashboard-viewer,"system:masters"\n`, { mode: 0o600 });
    [local, browser] = await Promise.all([
      LocalCluster.start('dashboard', LOCAL_NODES, {
        servers: SCREENSHOT_TARGET !== undefined ? 3 : 1,
        serverFlags: ['--node-monitor-grace-period', NODE_MONITOR_GRACE_PERIOD, '--token-auth-file', tokenFile],
      }),
      puppeteer.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs() }),
    ]);
    page = await browser.newPage();
    await page.setViewport({ width: 1440, height: 1000 });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    // Every data call the page makes, with the credentials it sent (the API server judges them).
    page.on('request', (request) => {
      const path = new URL(request.url()).pathname;
      if (path.startsWith('/api') || path.startsWith('/ui/api/')) apiRequests.push({ url: request.url(), authorization: request.headers().authorization });
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await local?.stop();
    await rm(shots, { recursive: true, force: true });
  }, 120_000);

  const shows = (selector: string): Promise<unknown> => page.waitForSelector(selector, { timeout: PAGE_WAIT_MS });

  test('asks for a token the API refuses, then sends the one given with every call; shows the nodes and the Raft leader, a node going down and a blue-green switch, live; follows a log', async () => {
    await page.goto(`${local.api}/ui?token=wrong`);
    await shows('#token-form:not([hidden])');
    // The token given in the URL was tried, and left the address bar.
    expect(apiRequests.some((request) => request.authorization === 'Bearer wrong')).toBe(true);
    expect(new URL(page.url()).searchParams.has('token')).toBe(false);
    await page.type('#token-input', TOKEN);
    const givenAt = apiRequests.length;
    await page.click('#token-form button[type="submit"]');
    await shows('body[data-live="true"]');
    for (const node of LOCAL_NODES) await shows(`tr[data-node="${node.name}"][data-ready="True"]`);
    await shows('tr[data-member="m1"]');
    expect(await page.$$eval('tr[data-member]', (rows) => rows.filter((row) => row.getAttribute('data-role') === 'leader').length)).toBe(1);

    // node-b's agent stops now: the controller's grace period runs while the Deployment rolls out (on node-a).
    await local.agents.get('node-b')!.stop();
    local.agents.delete('node-b');

    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: await freePort(), targetPort: 'http' }] } };
    expect((await apiCall(local.api, 'POST', '/api/v1/namespaces/default/services', service)).status).toBe(201);
    const web = (image: string) => ({ ...local.webContainer(image), resources: { requests: { cpu: '250m', memory: '64Mi' } } });
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        strategy: { type: 'BlueGreen', blueGreen: { activeService: 'web', scaleDownDelaySeconds: 30 } },
        template: {
          metadata: { labels: { app: 'web' } },
          // On node-a only: node-b's agent stops while the new version rolls out.
          spec: { nodeSelector: { 'kubernetes.io/hostname': 'node-a' }, terminationGracePeriodSeconds: 5, containers: [web('web:1')] },
        },
      },
    };
    expect((await apiCall(local.api, 'POST', '/apis/apps/v1/namespaces/default/deployments', deployment)).status).toBe(201);
    await shows('tr[data-deployment="default/web"][data-active-colour="blue"][data-active-revision="1"][data-progress="NewReplicaSetAvailable"]');

    const release = { spec: { template: { spec: { containers: [web('web:2')] } } } };
    expect((await apiCall(local.api, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/web', release, 'application/merge-patch+json')).status).toBe(200);
    await shows('tr[data-deployment="default/web"][data-active-colour="green"][data-active-revision="2"]');
    await shows('tr[data-node="node-b"]:not([data-ready="True"])');
    expect(await page.$eval('tr[data-node="node-b"] .badge', (badge) => badge.textContent)).toBe('NotReady');
    expect(await page.$eval('tr[data-node="node-a"]', (row) => row.getAttribute('data-ready'))).toBe('True');

    // Clicked in the page (the row may be drawn again between a lookup from here and a click).
    await shows('tr[data-pod^="default/web-"][data-phase="Running"]');
    // (Strings: this file is type-checked without the DOM's types.)
    await page.evaluate(`document.querySelector('tr[data-pod^="default/web-"][data-phase="Running"]').click()`);
    await page.waitForFunction(`document.getElementById('log').textContent.includes('listening on')`, { timeout: PAGE_WAIT_MS });

    // Once given, the token went with every API call.
    expect(apiRequests.length).toBeGreaterThan(givenAt);
    expect(apiRequests.slice(givenAt).filter((request) => request.authorization !== `Bearer ${TOKEN}`)).toEqual([]);

    const shot = join(shots, 'dashboard.png');
    await page.screenshot({ path: shot });
    expect((await stat(shot)).size).toBeGreaterThan(10_000);
    if (SCREENSHOT_TARGET !== undefined) {
      const target = resolve(SCREENSHOT_TARGET);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(shot, target);
    }
    expect(pageErrors).toEqual([]);
  }, 300_000);
});
