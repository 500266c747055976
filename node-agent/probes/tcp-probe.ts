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
    // The deadline aborts the signal once the attempt is decided, whoever decided it.
    signal.addEventListener('abort', () => socket.destroy(), { once: true });
    socket.once('connect', () => resolve(SUCCESS));
    socket.on('error', (error) => resolve(failure(`dial tcp ${address}: ${error.message}`)));
  });
}
