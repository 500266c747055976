/**
 * The client commands' frame: the command list, `--help`, usage errors with exit code 2, the
 * message naming the three ways to set the server when none is, and the message for a
 * server that refuses connections.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { CLIENT_COMMANDS, runClientCommand } from '../../../control-plane/cli/client-commands.js';
import { captureIo, runBalsa } from './cli-test-io.js';

test('the commands balsa.ts dispatches', () => {
  expect(CLIENT_COMMANDS).toEqual(['apply', 'get', 'describe', 'delete', 'label', 'scale', 'rollout', 'logs', 'deploy', 'promote']);
});

test('--help per command, without a server', async () => {
  for (const command of CLIENT_COMMANDS) {
    const captured = captureIo();
    expect(await runClientCommand([command, '--help'], captured.io)).toBe(0);
    expect(captured.stdout()).toContain(`balsa ${command}`);
    expect(captured.stdout()).toContain('-n, --namespace NS');
  }
});

test('unknown flags are usage errors', async () => {
  const captured = captureIo();
  expect(await runClientCommand(['get', 'pods', '--bogus'], captured.io)).toBe(2);
  expect(captured.stderr()).toBe("error: unknown flag: --bogus\nSee 'balsa get --help' for usage.\n");
});

test('no server configured: the three ways to set one', async () => {
  const captured = captureIo({ homeDirectory: '/nonexistent-home' });
  expect(await runClientCommand(['get', 'pods'], captured.io)).toBe(1);
  expect(captured.stderr()).toBe(
    'error: no API server address: pass --server URL, set BALSA_SERVER=URL, or write {"server": "http://127.0.0.1:6443"} to /nonexistent-home/.balsa/config.json (or to the file BALSA_CONFIG names)\n',
  );
});

test('a refused connection says where and what to check', async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const result = await runBalsa({ url: 'http://unused' }, ['get', 'pods', '--server', `http://127.0.0.1:${port}`]);
  expect(result).toEqual({
    code: 1,
    stdout: '',
    stderr: `error: cannot reach the API server at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port} (is it running? set --server, BALSA_SERVER or ~/.balsa/config.json)\n`,
  });
});
