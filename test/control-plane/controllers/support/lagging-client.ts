/**
 * A gRPC API client whose watches deliver every event `lagMs` late (in order): informers
 * built on it keep a cache that trails the API server, as a busy controller manager's does.
 * Reads and writes go through at once. Controllers must behave under it: a controller that
 * trusted its cache right after its own writes would act twice.
 */
import type { GrpcApiClient } from '../../../../control-plane/client/grpc-api-client.js';

export function laggingClient(client: GrpcApiClient, lagMs: number): GrpcApiClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'watch') {
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      }
      const watch: GrpcApiClient['watch'] = (info, namespace, options, onEvent, onEnd) => {
        const timers = new Set<NodeJS.Timeout>();
        let cancelled = false;
        const later = (deliver: () => void): void => {
          const timer = setTimeout(() => {
            timers.delete(timer);
            if (!cancelled) deliver();
          }, lagMs);
          timers.add(timer);
        };
        const inner = target.watch(
          info,
          namespace,
          options,
          (event) => later(() => onEvent(event)),
          (error) => later(() => onEnd(error)),
        );
        return {
          cancel: () => {
            cancelled = true;
            for (const timer of timers) clearTimeout(timer);
            inner.cancel();
          },
        };
      };
      return watch;
    },
  });
}
