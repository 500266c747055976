/** A probe is read from the container spec with Kubernetes' defaults for what it leaves out. */
import { readContainerProbe } from '../../../node-agent/probes/probe-spec.js';

describe('readContainerProbe', () => {
  it('applies the defaults to a probe that sets only its handler', () => {
    const container = { name: 'app', readinessProbe: { httpGet: { port: 'http' } } };
    expect(readContainerProbe(container, 'readiness')).toEqual({
      handler: { type: 'httpGet', port: 'http', path: '/', scheme: 'HTTP', headers: [] },
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    });
  });

  it('keeps what the spec says', () => {
    const container = {
      livenessProbe: {
        tcpSocket: { host: '127.0.0.3', port: 5432 },
        initialDelaySeconds: 4,
        periodSeconds: 2,
        timeoutSeconds: 3,
        failureThreshold: 6,
      },
      readinessProbe: {
        httpGet: { path: '/ready?full=1', port: 8080, scheme: 'HTTPS', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] },
        successThreshold: 2,
      },
      startupProbe: { grpc: { port: 9000, service: 'db' }, failureThreshold: 30 },
    };
    expect(readContainerProbe(container, 'liveness')).toEqual({
      handler: { type: 'tcpSocket', host: '127.0.0.3', port: 5432 },
      initialDelaySeconds: 4,
      periodSeconds: 2,
      timeoutSeconds: 3,
      successThreshold: 1,
      failureThreshold: 6,
    });
    expect(readContainerProbe(container, 'readiness')).toMatchObject({
      handler: { type: 'httpGet', path: '/ready?full=1', port: 8080, scheme: 'HTTPS', headers: [{ name: 'X-Probe', value: 'yes' }] },
      successThreshold: 2,
    });
    expect(readContainerProbe(container, 'startup')).toMatchObject({ handler: { type: 'grpc', port: 9000, service: 'db' }, failureThreshold: 30 });
  });

  it('reads no probe where there is none, and a probe without a handler as one that errors', () => {
    expect(readContainerProbe({ name: 'app' }, 'startup')).toBeUndefined();
    expect(readContainerProbe({ startupProbe: { periodSeconds: 3 } }, 'startup')?.handler).toEqual({
      type: 'invalid',
      message: 'probe has no handler (exec, httpGet, tcpSocket or grpc)',
    });
  });
});
