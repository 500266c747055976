/**
 * One attempt of a probe, whatever its handler: the port resolved through the container's
 * port mappings, the host defaulted to the target's, then the handler's own attempt.
 */
import { probeExec } from './exec-probe.js';
import { probeGrpc } from './grpc-probe.js';
import { probeHttp } from './http-probe.js';
import { resolveProbePort } from './probe-port.js';
import { probeError } from './probe-result.js';
import type { AttemptContext, ProbeResult } from './probe-result.js';
import type { ProbeHandler } from './probe-spec.js';
import type { ProbeTarget } from './probe-types.js';
import { probeTcp } from './tcp-probe.js';

/** Runs one attempt; never rejects (a problem is a `failure` or an `error` result). */
export type ProbeRunner = (handler: ProbeHandler, target: ProbeTarget, context: AttemptContext) => Promise<ProbeResult>;

export const runProbe: ProbeRunner = async (handler, target, context) => {
  switch (handler.type) {
    case 'httpGet': {
      const port = resolveProbePort(handler.port, target.ports);
      if (!port.ok) return probeError(port.message);
      const request = { host: handler.host ?? target.host, port: port.port, path: handler.path, scheme: handler.scheme, headers: handler.headers };
      return probeHttp(request, context);
    }
    case 'tcpSocket': {
      const port = resolveProbePort(handler.port, target.ports);
      if (!port.ok) return probeError(port.message);
      return probeTcp(handler.host ?? target.host, port.port, context);
    }
    case 'exec':
      return probeExec(handler.command, target, context);
    case 'grpc': {
      const port = resolveProbePort(handler.port, target.ports);
      if (!port.ok) return probeError(port.message);
      return probeGrpc(target.host, port.port, handler.service, context);
    }
    case 'invalid':
      return probeError(handler.message);
    default: {
      const unexpected: never = handler;
      throw new Error(`unknown probe handler ${JSON.stringify(unexpected)}`);
    }
  }
};
