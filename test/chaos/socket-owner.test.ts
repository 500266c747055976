/**
 * The kernel's socket table names the process that dialled a loopback connection: what
 * lets the chaos proxies cut the link from one member and not the others.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { socketOwner, socketTablesAvailable } from './harness/socket-owner.js';

test('the process that dialled a connection is found among the candidates, and only there', async () => {
  if (!(await socketTablesAvailable())) throw new Error('this test needs Linux /proc/net/tcp (the chaos proxies need it too)');
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const children: ChildProcess[] = [];
  try {
    const accepted = once(server, 'connection') as Promise<[net.Socket]>;
    const dialler = spawn(process.execPath, ['-e', `require('node:net').connect(${port}, '127.0.0.1'); setTimeout(() => {}, 60000)`], { stdio: 'ignore' });
    const bystander = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    children.push(dialler, bystander);
    const [socket] = await accepted;
    expect(await socketOwner(socket.remotePort!, socket.localPort!, [bystander.pid!, dialler.pid!])).toBe(dialler.pid);
    expect(await socketOwner(socket.remotePort!, socket.localPort!, [bystander.pid!])).toBeUndefined();
    // The server's own end of the connection (ports the other way round) is not the dialler's.
    expect(await socketOwner(socket.localPort!, socket.remotePort!, [dialler.pid!])).toBeUndefined();
    socket.destroy();
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
