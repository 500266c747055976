/**
 * go-grpc-prometheus's server series, which etcd serves and its dashboards read:
 * `grpc_server_started_total` and `grpc_server_handled_total` by type, service, method and
 * (for handled) status code name. `instrumentService` wraps a service implementation, so
 * that the services themselves know nothing of metrics.
 */
import * as grpc from '@grpc/grpc-js';
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

type GrpcType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';

/** The status names Go's `codes.Code.String()` gives, which the series carry. */
const CODE_NAMES: Readonly<Record<number, string>> = {
  0: 'OK', 1: 'Canceled', 2: 'Unknown', 3: 'InvalidArgument', 4: 'DeadlineExceeded', 5: 'NotFound', 6: 'AlreadyExists',
  7: 'PermissionDenied', 8: 'ResourceExhausted', 9: 'FailedPrecondition', 10: 'Aborted', 11: 'OutOfRange',
  12: 'Unimplemented', 13: 'Internal', 14: 'Unavailable', 15: 'DataLoss', 16: 'Unauthenticated',
};

export class GrpcServerMetrics {
  private readonly started: Counter;
  private readonly handled: Counter;

  constructor(registry: Registry) {
    const labelNames = ['grpc_type', 'grpc_service', 'grpc_method'];
    this.started = new Counter({ name: 'grpc_server_started_total', help: 'Total number of RPCs started on the server.', labelNames, registers: [registry] });
    this.handled = new Counter({
      name: 'grpc_server_handled_total',
      help: 'Total number of RPCs completed on the server, regardless of success or failure.',
      labelNames: [...labelNames, 'grpc_code'],
      registers: [registry],
    });
  }

  /** `implementation` with every method counted; `serviceName` is the proto's full name (`etcdserverpb.KV`). */
  instrumentService(serviceName: string, definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): grpc.UntypedServiceImplementation {
    const wrapped: grpc.UntypedServiceImplementation = {};
    for (const [method, handler] of Object.entries(implementation)) {
      const spec = definition[method];
      if (spec === undefined) {
        wrapped[method] = handler;
        continue;
      }
      const type: GrpcType = spec.requestStream ? (spec.responseStream ? 'bidi_stream' : 'client_stream') : spec.responseStream ? 'server_stream' : 'unary';
      const labels = { grpc_type: type, grpc_service: serviceName, grpc_method: method };
      wrapped[method] = type === 'unary' || type === 'client_stream' ? this.withCallback(labels, handler) : this.withStream(labels, handler);
    }
    return wrapped;
  }

  private withCallback(labels: Record<string, string>, handler: grpc.UntypedHandleCall): grpc.UntypedHandleCall {
    const original = handler as (call: unknown, callback: grpc.sendUnaryData<unknown>) => void;
    return ((call: unknown, callback: grpc.sendUnaryData<unknown>) => {
      this.started.inc(labels);
      original(call, (error, value, ...rest) => {
        this.handled.inc({ ...labels, grpc_code: codeName(error) });
        callback(error, value, ...rest);
      });
    }) as grpc.UntypedHandleCall;
  }

  private withStream(labels: Record<string, string>, handler: grpc.UntypedHandleCall): grpc.UntypedHandleCall {
    const original = handler as (call: grpc.ServerWritableStream<unknown, unknown>) => void;
    return ((call: grpc.ServerWritableStream<unknown, unknown>) => {
      this.started.inc(labels);
      let counted = false;
      const count = (code: string): void => {
        if (counted) return;
        counted = true;
        this.handled.inc({ ...labels, grpc_code: code });
      };
      // A stream ends by `end()` (OK), by `destroy(status)` (its code), or by the client going (Canceled).
      const destroy = call.destroy.bind(call);
      call.destroy = (error?: Error) => {
        count(codeName(error ?? null));
        return destroy(error);
      };
      call.once('finish', () => count('OK'));
      call.once('cancelled', () => count('Canceled'));
      original(call);
    }) as grpc.UntypedHandleCall;
  }
}

function codeName(error: Partial<grpc.StatusObject> | Error | null | undefined): string {
  if (error === null || error === undefined) return 'OK';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? (CODE_NAMES[code] ?? String(code)) : 'Unknown';
}
