/**
 * What the proxy reads from Services and Endpoints, and how it picks among endpoints,
 * without sockets: which ports are served, which endpoint port belongs to which Service
 * port, round robin that skips what a connection already tried, and ClientIP affinity
 * that lapses.
 */
import { Balancer } from '../../../node-agent/proxy/balancer.js';
import { planService, readyBackends } from '../../../node-agent/proxy/index.js';
import { endpoints, service } from './proxy-fixtures.js';

test('a Service port is served at its port, and at its nodePort only for NodePort and LoadBalancer Services', () => {
  const ports = [{ name: 'http', port: 80, nodePort: 30080 }];
  expect(planService(service('web', ports, { type: 'NodePort' })).ports).toEqual([
    { id: 'default/web:http/TCP', serviceKey: 'default/web', name: 'http', protocol: 'TCP', port: 80, nodePort: 30080, affinityTimeoutMs: null },
  ]);
  expect(planService(service('web', ports, { type: 'LoadBalancer' })).ports[0]!.nodePort).toBe(30080);
  expect(planService(service('web', ports)).ports[0]!.nodePort).toBeUndefined();
});

test('ClientIP affinity takes its timeout from sessionAffinityConfig, else three hours', () => {
  const sticky = (config?: object) => planService(service('web', [{ port: 80 }], { sessionAffinity: 'ClientIP', ...(config ? { sessionAffinityConfig: config } : {}) })).ports[0]!.affinityTimeoutMs;
  expect(sticky()).toBe(10_800_000);
  expect(sticky({ clientIP: { timeoutSeconds: 60 } })).toBe(60_000);
});

test('endpoint ports belong to the Service port of the same name and protocol; a single port takes the single one', () => {
  const [http, dns] = planService(service('app', [{ name: 'http', port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }])).ports;
  const ep = endpoints('app', [
    { ready: ['10.0.0.1', '10.0.0.2'], notReady: ['10.0.0.9'], ports: [{ name: 'http', port: 8080 }, { name: 'dns', port: 5353, protocol: 'UDP' }] },
    { ready: ['10.0.0.3'], ports: [{ name: 'http', port: 9090 }] },
  ]);
  expect(readyBackends(http!, 2, ep)).toEqual([
    { ip: '10.0.0.1', port: 8080 },
    { ip: '10.0.0.2', port: 8080 },
    { ip: '10.0.0.3', port: 9090 },
  ]);
  expect(readyBackends(dns!, 2, ep)).toEqual([
    { ip: '10.0.0.1', port: 5353 },
    { ip: '10.0.0.2', port: 5353 },
  ]);
  expect(readyBackends(http!, 2, undefined)).toEqual([]);

  // An unnamed Service port and an Endpoints port written by hand with a name.
  const [single] = planService(service('one', [{ port: 80 }])).ports;
  expect(readyBackends(single!, 1, endpoints('one', [{ ready: ['10.0.0.1'], ports: [{ name: 'web', port: 8080 }] }]))).toEqual([{ ip: '10.0.0.1', port: 8080 }]);
  // ... but not one of another protocol.
  expect(readyBackends(single!, 1, endpoints('one', [{ ready: ['10.0.0.1'], ports: [{ port: 8080, protocol: 'UDP' }] }]))).toEqual([]);
});

test('round robin visits each endpoint in turn and skips the ones a connection already tried', () => {
  const balancer = new Balancer();
  const a = { ip: '10.0.0.1', port: 1 };
  const b = { ip: '10.0.0.2', port: 1 };
  const c = { ip: '10.0.0.3', port: 1 };
  balancer.setBackends([a, b, c]);
  const none = new Set<string>();
  expect([balancer.pick('x', none), balancer.pick('x', none), balancer.pick('x', none), balancer.pick('x', none)]).toEqual([a, b, c, a]);
  expect(balancer.pick('x', new Set(['10.0.0.2:1']))).toEqual(c);
  expect(balancer.pick('x', new Set(['10.0.0.1:1', '10.0.0.2:1', '10.0.0.3:1']))).toBeUndefined();
  balancer.setBackends([]);
  expect(balancer.pick('x', none)).toBeUndefined();
});

test('ClientIP affinity sticks to the endpoint served last until it lapses or the endpoint goes', () => {
  let now = 0;
  const balancer = new Balancer(() => now);
  const a = { ip: '10.0.0.1', port: 1 };
  const b = { ip: '10.0.0.2', port: 1 };
  balancer.setBackends([a, b]);
  balancer.setAffinity(1_000);
  const none = new Set<string>();
  balancer.served('client', b);
  expect(balancer.pick('client', none)).toEqual(b);
  expect(balancer.pick('client', none)).toEqual(b);
  // Another client is balanced as usual.
  expect(balancer.pick('other', none)).toEqual(a);
  now = 999;
  expect(balancer.pick('client', none)).toEqual(b);
  // Lapsed: round robin again (b is next in turn after a).
  now = 1_000;
  expect(balancer.pick('client', none)).toEqual(b);
  expect(balancer.pick('client', none)).toEqual(a);
  // The endpoint it stuck to is gone: it is balanced anew.
  balancer.served('client', b);
  balancer.setBackends([a]);
  expect(balancer.pick('client', none)).toEqual(a);
});
