/**
 * A probe's port reaches the container where it listens on the node: names and declared
 * container ports go through the pod's host port mappings; anything else is used as is.
 */
import { joinHostPort, resolveProbePort } from '../../../node-agent/probes/probe-port.js';
import type { PortMapping } from '../../../node-agent/runtime/container-runtime.js';

const ports: PortMapping[] = [
  { name: 'dns', containerPort: 53, hostPort: 30053, protocol: 'UDP' },
  { name: 'dns-tcp', containerPort: 53, hostPort: 31053, protocol: 'TCP' },
  { name: 'http', containerPort: 8080, hostPort: 31000, protocol: 'TCP' },
  { containerPort: 9090, hostPort: 31001, protocol: 'TCP' },
];

describe('resolveProbePort', () => {
  it('maps a name to the host port of the port of that name', () => {
    expect(resolveProbePort('http', ports)).toEqual({ ok: true, port: 31000 });
  });

  it('maps a declared container port to its host port, the TCP one when declared per protocol', () => {
    expect(resolveProbePort(8080, ports)).toEqual({ ok: true, port: 31000 });
    expect(resolveProbePort(9090, ports)).toEqual({ ok: true, port: 31001 });
    expect(resolveProbePort(53, ports)).toEqual({ ok: true, port: 31053 });
  });

  it('uses an undeclared number as is', () => {
    expect(resolveProbePort(7000, ports)).toEqual({ ok: true, port: 7000 });
    expect(resolveProbePort(7000, [])).toEqual({ ok: true, port: 7000 });
  });

  it('refuses a name the container does not have, and a number that is no port', () => {
    expect(resolveProbePort('metrics', ports)).toEqual({
      ok: false,
      message: 'couldn\'t find port: "metrics" among the container\'s named ports [dns, dns-tcp, http]',
    });
    expect(resolveProbePort(0, ports)).toEqual({ ok: false, message: 'invalid port number: 0' });
    expect(resolveProbePort(70000, ports)).toEqual({ ok: false, message: 'invalid port number: 70000' });
  });
});

describe('joinHostPort', () => {
  it('brackets an IPv6 host', () => {
    expect(joinHostPort('127.0.0.2', 80)).toBe('127.0.0.2:80');
    expect(joinHostPort('::1', 80)).toBe('[::1]:80');
  });
});
