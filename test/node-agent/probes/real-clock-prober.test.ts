/**
 * The agent's prober as it runs: real timers and a real HTTP server on 127.0.0.1, whose
 * readiness endpoint fails, then recovers, then fails again; the pod worker hears each
 * change once, with the kubelet's failure message.
 */
import http from 'node:http';
import type net from 'node:net';
import { createContainerProber } from '../../../node-agent/probes/container-prober.js';
import type { ProbeKind, ProbeListener, ProbeTarget } from '../../../node-agent/probes/probe-types.js';
import { eventually } from '../../support/eventually.js';

describe('createContainerProber on the real clock', () => {
  let status = 503;
  const server = http.createServer((_request, response) => response.writeHead(status).end());
  let port = 0;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('follows a readiness endpoint through a named port, and stops', async () => {
    const events: string[] = [];
    const listener: ProbeListener = {
      readinessChanged: (ready) => events.push(ready ? 'ready' : 'unready'),
      started: () => events.push('started'),
      unhealthy: (kind, message) => events.push(`unhealthy ${kind}: ${message}`),
      probeFailed: (kind: ProbeKind, message) => events.push(`${kind} failed: ${message}`),
    };
    const target: ProbeTarget = {
      host: '127.0.0.1',
      ports: [{ name: 'http', containerPort: 8080, hostPort: port, protocol: 'TCP' }],
      exec: () => Promise.reject(new Error('no exec here')),
    };
    const container = { name: 'web', readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1, failureThreshold: 1 } };
    const prober = createContainerProber(container, target, listener);
    prober.start();
    try {
      await eventually(async () => expect(events).toContain('readiness failed: HTTP probe failed with statuscode: 503'));
      expect(events).not.toContain('ready');
      status = 200;
      await eventually(async () => expect(events).toContain('ready'));
      status = 500;
      await eventually(async () => expect(events).toContain('unready'));
    } finally {
      prober.stop();
    }
    const heard = events.length;
    const changes = events.filter((event) => !event.includes('failed'));
    expect(changes).toEqual(['started', 'ready', 'unready']);
    // Stopped: a period and more later, nothing more was heard.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(events).toHaveLength(heard);
  });
});
