/** A `tcpSocket` attempt: the port accepts a connection (closed at once) or it does not. */
import net from 'node:net';
import { joinHostPort } from './probe-port.js';
import { failure, runWithDeadline, SUCCESS } from './probe-result.js';
import type { AttemptContext, ProbeResult } from './probe-result.js';

export function probeTcp(host: string, port: number, context: AttemptContext): Promise<ProbeResult> {
  const address = joinHostPort(host, port);
  // The kubelet's wording (Go's dialer), with Node's error text after it.
  const timedOut = (): ProbeResult => failure(`dial tcp ${address}: i/o timeout`);
  return runWithDeadline(context, (signal) => connect(host, port, address, signal), timedOut);
}

function connect(host: string, port: number, address: string, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const onAbort = (): void => {
      socket.destroy();
    };
    const finish = (result: ProbeResult): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish(SUCCESS));
    socket.once('error', (error) => finish(failure(`dial tcp ${address}: ${error.message}`)));
  });
}
