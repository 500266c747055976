/**
 * The README's five-minute tour, end to end, with the built CLI as a newcomer runs it:
 * `balsa up` (`npm start`), `balsa get nodes`, `balsa apply -f examples/web/demo.yaml`,
 * `balsa rollout status`, the app through a node's proxy, `balsa deploy demo --image web:2`
 * while requests keep coming (a new connection each, through both nodes), `balsa rollout
 * undo` and `status`, then Ctrl-C. Only the ports differ from the README's (free ones, the
 * demo Service's included); the data folder and the CLI's config are temporary.
 *
 * What it asserts, with no timing: every command exits 0 and prints the lines the README
 * shows (and the README still shows them, so that neither drifts silently); no request
 * fails; before the release only web:demo answers; per node, once web:2 has answered, no
 * request started after that gets web:demo (the Service switches in one step, and each
 * node's proxy follows it through its own watch, so the moment differs per node), and the
 * same back to web:demo after the undo; SIGINT ends everything (exit 0, no process left,
 * the demo's port free on both nodes).
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { demoManifest } from '../../cmd/up/demo.js';
import { trackChild } from '../../kv/testing/etcd-tools.js';
import { defaultBalsaCli } from '../../kv/testing/kv-process-cluster.js';
import { freePort } from '../../raft/testing/process-cluster.js';
import { eventually } from '../support/eventually.js';
import { runBalsa } from '../support/balsa-process.js';
import type { BalsaRun } from '../support/balsa-process.js';
import { alive, freePortRange, portFree, UpProcess } from './up-process.js';

const NODES = [
  { name: 'node-1', ip: '127.0.0.2' },
  { name: 'node-2', ip: '127.0.0.3' },
];
/** Requests in flight at once, each on a connection of its own. */
const LOAD_PARALLELISM = 2;
/** How long to wait for a rollout, or for both nodes to answer with a version (busy machine). */
const ROLLOUT_WAIT_MS = 240_000;

/** The output lines the README's tour shows, as the commands print them. */
const SHOWN = {
  ready: 'cluster ready: 3 server(s), 2 node(s) Ready',
  nodesHeader: 'NAME     STATUS   ROLES    AGE   VERSION',
  applied: ['deployment.apps/demo created', 'service/demo created'],
  rolledOut: 'deployment "demo" successfully rolled out (service "demo" serves the new version)',
  deployFirst: 'deployment.apps/demo image updated (web: web:demo -> web:2)',
  deployLast: 'deployment "demo" successfully rolled out (service "demo" serves the new version) (image web:2)',
  undone: 'deployment.apps/demo rolled back',
  stopped: 'balsa up: stopped; every process it started has exited',
};

/** What the web app answers on `/`: its image, then the pod's name. */
const ANSWER = /^hello from (\S+) \((demo-[a-z0-9]+-[a-z0-9]+)\)$/;

interface Answer {
  readonly node: string;
  readonly startMs: number;
  readonly endMs: number;
  /** `web:demo` / `web:2`; undefined when the request failed. */
  readonly image?: string;
  readonly failure?: string;
}

/** `GET /` through `node`'s proxy on a connection of its own; the image that answered, or why it failed. */
function request(node: { name: string; ip: string }, port: number): Promise<Answer> {
  const startMs = performance.now();
  return new Promise((resolve) => {
    const done = (fields: { image?: string; failure?: string }): void => resolve({ node: node.name, startMs, endMs: performance.now(), ...fields });
    const outgoing = http.get(`http://${node.ip}:${port}/`, { agent: false, timeout: 10_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        const match = ANSWER.exec(body.trimEnd());
        if (response.statusCode === 200 && match !== null) done({ image: match[1]! });
        else done({ failure: `HTTP ${response.statusCode}: ${body}` });
      });
      response.on('error', (error) => done({ failure: error.message }));
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error('timed out')));
    outgoing.on('error', (error) => done({ failure: error.message }));
  });
}

/** Terminal 3's curl loop, through both nodes: every answer kept until `stop()`. */
class RequestLoop {
  readonly answers: Answer[] = [];
  private running = true;
  private readonly workers: Promise<void>[];

  constructor(port: number) {
    this.workers = Array.from({ length: LOAD_PARALLELISM }, async (_, worker) => {
      for (let i = 0; this.running; i++) this.answers.push(await request(NODES[(worker + i) % NODES.length]!, port));
    });
  }

  /** The answers to requests started at or after `sinceMs` (a `performance.now()`). */
  since(sinceMs: number): Answer[] {
    return this.answers.filter((answer) => answer.startMs >= sinceMs);
  }

  /** Until every node has answered with `image` a request started at or after `sinceMs`. */
  async untilEveryNodeAnswers(image: string, sinceMs: number): Promise<void> {
    await eventually(async () => {
      const answered = new Set(this.since(sinceMs).filter((answer) => answer.image === image).map((answer) => answer.node));
      expect(NODES.filter((node) => !answered.has(node.name))).toEqual([]);
    }, ROLLOUT_WAIT_MS);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }
}

/**
 * One switch seen by the loop: only `from` and `to` answered, and per node, no request that
 * started after the first `to` answer ended got `from`.
 */
function expectOneWaySwitch(answers: readonly Answer[], from: string, to: string): void {
  expect([...new Set(answers.map((answer) => answer.image))].filter((image) => image !== from && image !== to)).toEqual([]);
  for (const node of NODES) {
    const through = answers.filter((answer) => answer.node === node.name);
    const firstNew = Math.min(...through.filter((answer) => answer.image === to).map((answer) => answer.endMs));
    const wentBack = through.filter((answer) => answer.startMs > firstNew && answer.image !== to);
    expect({ node: node.name, switched: Number.isFinite(firstNew), wentBack }).toEqual({ node: node.name, switched: true, wentBack: [] });
  }
}

/**
 * `balsa ...args` to its end, however long a rollout takes on a busy machine (the test's
 * own timeout bounds it); `runBalsa` gives up after a minute.
 */
function runLong(args: readonly string[], env: NodeJS.ProcessEnv): Promise<BalsaRun> {
  const child = spawn(process.execPath, [defaultBalsaCli(), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

function lines(text: string): string[] {
  return text.trimEnd().split('\n');
}

/** `get nodes` rows as columns, AGE (the 4th) left out: it depends on when one looks. */
function nodeRows(rows: readonly string[]): string[][] {
  return rows.map((row) => row.trim().split(/\s+/).filter((_, column) => column !== 3));
}

/** This package's version, which `get nodes` shows (`balsa-0.1.0`). */
async function packageVersion(): Promise<string> {
  return (JSON.parse(await readFile(join(process.cwd(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** The `get nodes` rows (AGE left out) of a fresh cluster. */
function expectedNodeRows(version: string): string[][] {
  return NODES.map((node) => [node.name, 'Ready', '<none>', `balsa-${version}`]);
}

/** A port free on both nodes' addresses, for the demo Service. */
async function demoServicePort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if ((await Promise.all(NODES.map((node) => portFree(node.ip, port)))).every(Boolean)) return port;
  }
}

describe('the README\'s five-minute tour', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let demoPort: number;
  let up: UpProcess | undefined;
  let loop: RequestLoop | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'balsa-tour-'));
    // BALSA_SERVER would win over the config `up` writes.
    env = { BALSA_CONFIG: join(dir, 'config.json'), BALSA_SERVER: '' };
    demoPort = await demoServicePort();
  });

  afterAll(async () => {
    await loop?.stop();
    await up?.kill();
    await rm(dir, { recursive: true, force: true });
  }, 120_000);

  test('the README shows the lines this test checks', async () => {
    const readme = await readFile(join(process.cwd(), 'README.md'), 'utf8');
    const tour = readme.slice(readme.indexOf('## Five-minute tour'), readme.indexOf('\n## ', readme.indexOf('## Five-minute tour') + 1));
    expect(tour).toContain('`test/cmd/tour.test.ts`');
    const shown = (line: string): string => `    #   ${line}\n`;
    for (const line of [SHOWN.ready, SHOWN.nodesHeader, ...SHOWN.applied, SHOWN.rolledOut, SHOWN.deployFirst, SHOWN.deployLast, SHOWN.undone]) expect(tour).toContain(shown(line));
    expect(tour.replace(/\s+/g, ' ')).toContain(SHOWN.stopped); // wrapped in the prose
    const readmeNodes = [...tour.matchAll(/^ {4}# {3}(node-\d.*)$/gm)].map((match) => match[1]!);
    expect(nodeRows(readmeNodes)).toEqual(expectedNodeRows(await packageVersion()));
    const curlAnswers = [...tour.matchAll(/^ {4}(?:# {3})?(hello from .*)$/gm)].map((match) => ANSWER.exec(match[1]!)?.[1]);
    expect(curlAnswers).toEqual(['web:demo', 'web:demo', 'web:demo', 'web:2', 'web:2']);
  });

  test('npm start: balsa up says the cluster is ready; balsa get nodes shows both nodes Ready', async () => {
    const kvPort = await freePortRange(6);
    const apiPort = await freePortRange(6, Array.from({ length: 6 }, (_, i) => kvPort + i));
    up = new UpProcess(['--data-dir', join(dir, 'up'), '--kv-port', String(kvPort), '--api-port', String(apiPort), '--agent-port', '0'], env);
    await up.waitForOutput(/^cluster ready/m);
    expect(lines(up.output())).toContain(SHOWN.ready);

    const nodes = await runBalsa(['get', 'nodes'], { env });
    expect(nodes).toMatchObject({ code: 0, stderr: '' });
    const [header, ...rows] = lines(nodes.stdout);
    expect(header).toBe(SHOWN.nodesHeader);
    expect(nodeRows(rows)).toEqual(expectedNodeRows(await packageVersion()));
  }, 300_000);

  test('balsa apply -f examples/web/demo.yaml, rollout status, and the app answers through each node\'s proxy', async () => {
    const applied = await runBalsa(['apply', '-f', '-'], { env, input: await demoManifest(process.cwd(), demoPort) });
    expect(applied).toEqual({ code: 0, stdout: SHOWN.applied.map((line) => `${line}\n`).join(''), stderr: '' });
    const status = await runLong(['rollout', 'status', 'deployment/demo'], env);
    expect({ code: status.code, stderr: status.stderr, last: lines(status.stdout).at(-1) }).toEqual({ code: 0, stderr: '', last: SHOWN.rolledOut });
    for (const node of NODES) expect(await request(node, demoPort)).toMatchObject({ node: node.name, image: 'web:demo' });
  }, 300_000);

  test('balsa deploy demo --image web:2 under a request loop: exit 0, no request fails, each node switches once to web:2', async () => {
    loop = new RequestLoop(demoPort);
    await eventually(async () => expect(loop!.answers.length).toBeGreaterThanOrEqual(10), 60_000);
    const deployedAt = performance.now();

    const deploy = await runLong(['deploy', 'demo', '--image', 'web:2'], env);
    expect({ code: deploy.code, stderr: deploy.stderr }).toEqual({ code: 0, stderr: '' });
    expect([lines(deploy.stdout)[0], lines(deploy.stdout).at(-1)]).toEqual([SHOWN.deployFirst, SHOWN.deployLast]);
    await loop.untilEveryNodeAnswers('web:2', deployedAt);

    const answers = loop.answers.slice();
    expect(answers.filter((answer) => answer.failure !== undefined)).toEqual([]);
    expect([...new Set(answers.filter((answer) => answer.startMs < deployedAt).map((answer) => answer.image))]).toEqual(['web:demo']);
    expectOneWaySwitch(loop.since(deployedAt), 'web:demo', 'web:2');
  }, 600_000);

  test('balsa rollout undo deployment/demo, then rollout status: back to web:demo, no request fails', async () => {
    const undoneAt = performance.now();
    const undo = await runBalsa(['rollout', 'undo', 'deployment/demo'], { env });
    expect(undo).toEqual({ code: 0, stdout: `${SHOWN.undone}\n`, stderr: '' });
    const status = await runLong(['rollout', 'status', 'deployment/demo'], env);
    expect({ code: status.code, stderr: status.stderr, last: lines(status.stdout).at(-1) }).toEqual({ code: 0, stderr: '', last: SHOWN.rolledOut });
    await loop!.untilEveryNodeAnswers('web:demo', undoneAt);
    await loop!.stop();

    expect(loop!.answers.filter((answer) => answer.failure !== undefined)).toEqual([]);
    expectOneWaySwitch(loop!.since(undoneAt), 'web:2', 'web:demo');
  }, 600_000);

  test('Ctrl-C: balsa up stops everything it started, the app\'s processes too, and exits 0', async () => {
    const tree = up!.processTree();
    expect(await up!.stop('SIGINT')).toEqual({ code: 0, signal: null });
    expect(lines(up!.output())).toContain(SHOWN.stopped);
    expect(alive(tree)).toEqual([]);
    for (const node of NODES) expect(await portFree(node.ip, demoPort)).toBe(true);
  }, 180_000);
});
