/**
 * `balsa agent`: flags become the node's registration, the agent runs pods on the runtime
 * it was given, says so in one line, and on the stop signal stops every container and
 * exits 0; bad flags are usage errors (exit 2) that name the flag.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceByName } from '../../../control-plane/api/resources.js';
import { runAgentCommand } from '../../../node-agent/cli/agent-command.js';
import { startControlPlane } from '../../control-plane/controllers/support/control-plane.js';
import type { ControlPlane } from '../../control-plane/controllers/support/control-plane.js';
import { eventually } from '../../support/eventually.js';
import { PODS, boundPod } from '../support/agent-harness.js';
import { FakeProbers } from '../support/fake-prober.js';
import { FakeRuntime } from '../support/fake-runtime.js';

const NODES = resourceByName('nodes')!;

let plane: ControlPlane;
let dataDir: string;

beforeAll(async () => {
  plane = await startControlPlane();
  dataDir = await mkdtemp(join(tmpdir(), 'balsa-agent-cli-'));
});

afterAll(async () => {
  await plane?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

test('registers the node from its flags, runs pods, and stops their containers on the signal', async () => {
  const runtime = new FakeRuntime();
  const out: string[] = [];
  let stop!: () => void;
  const untilStopped = new Promise<void>((resolve) => (stop = resolve));
  let runtimeAsked: { name: string; stateDir: string } | undefined;
  const exit = runAgentCommand(
    ['--server', plane.api.grpc.address, '--name', 'cli-node', '--node-ip', '127.0.0.1', '--port', '0', '--data-dir', dataDir,
      '--labels', 'zone=b,tier=db', '--taints', 'dedicated=db:NoSchedule,spot:PreferNoSchedule', '--cpu', '2', '--memory', '4Gi', '--max-pods', '12'],
    {
      runtime: async (name, stateDir) => {
        runtimeAsked = { name, stateDir };
        return runtime;
      },
      proberFactory: new FakeProbers().factory,
      untilStopped,
      out: (line) => out.push(line),
      err: () => {},
    },
  );
  await eventually(async () => expect(out.join('\n')).toMatch(/^balsa agent: node cli-node registered, logs on http:\/\/127\.0\.0\.1:\d+$/));
  expect(runtimeAsked).toEqual({ name: 'process', stateDir: join(dataDir, 'runtime') });
  const node = await plane.client.get(NODES, undefined, 'cli-node');
  expect(node.metadata.labels).toMatchObject({ zone: 'b', tier: 'db' });
  expect(node.spec?.taints).toEqual([
    { key: 'dedicated', value: 'db', effect: 'NoSchedule' },
    { key: 'spot', effect: 'PreferNoSchedule' },
  ]);
  expect((node.status as Record<string, unknown>).capacity).toEqual({ cpu: '2', memory: '4Gi', pods: '12' });

  const namespace = await plane.namespace('cli');
  await plane.client.create(PODS, namespace, boundPod('web', 'cli-node', { terminationGracePeriodSeconds: 3, containers: [{ name: 'app', image: 'app:1' }] }));
  await eventually(async () => expect(runtime.running()).toHaveLength(1));
  const id = runtime.running()[0]!.id;
  stop();
  expect(await exit).toBe(0);
  expect(runtime.running()).toHaveLength(0);
  expect(runtime.calls).toContainEqual(expect.objectContaining({ kind: 'stop', id, gracePeriodSeconds: 3 }));
});

test('bad flags are usage errors naming the flag', async () => {
  const errors: string[] = [];
  const run = (argv: string[]): Promise<number> => runAgentCommand(argv, { err: (line) => errors.push(line), out: () => {}, runtime: async () => new FakeRuntime() });
  expect(await run(['--name', 'n'])).toBe(2);
  expect(errors.pop()).toContain('--server is required');
  expect(await run(['--server', '127.0.0.1:1', '--name', 'n', '--taints', 'dedicated=db:Sometimes'])).toBe(2);
  expect(errors.pop()).toContain('--taints: "dedicated=db:Sometimes": the effect must be one of NoSchedule, PreferNoSchedule, NoExecute');
  expect(await run(['--server', '127.0.0.1:1', '--name', 'n', '--memory', 'lots'])).toBe(2);
  expect(errors.pop()).toContain('--memory must be a positive quantity');
  expect(await run(['--server', '127.0.0.1:1', '--name', 'n', '--bogus'])).toBe(2);
  expect(errors.pop()).toContain('unknown flag: --bogus');
  expect(await runAgentCommand(['--server', '127.0.0.1:1', '--name', 'n', '--runtime', 'lxc'], { err: (line) => errors.push(line), out: () => {} })).toBe(2);
  expect(errors.pop()).toContain('--runtime must be one of process, docker, got "lxc"');
});
