/**
 * How an accepted client connection reaches the gRPC server: routed by its first request
 * (`routeFirstRequest`), then injected into the server either as the socket itself or
 * through a `FrontConnection`.
 */
import type { Socket } from 'node:net';
import type { ConnectionInjector } from '@grpc/grpc-js';
import { routeFirstRequest } from './first-request-router.js';
import type { FirstRequestRouterOptions, Route } from './first-request-router.js';
import { FrontConnection } from './front-connection.js';

export type FrontOptions = FirstRequestRouterOptions;

/**
 * A `ClientListener` accept function for `injector`; `observe` hears each connection's route
 * (for tests). An HTTP/1.x connection goes to `http1` if given (it serves `/metrics`), else
 * to the gRPC server, which refuses it.
 */
export function handToGrpc(injector: ConnectionInjector, options: FrontOptions, observe?: (route: Route) => void, http1?: (socket: Socket) => void): (socket: Socket) => void {
  return (socket) =>
    routeFirstRequest(socket, options, (route, buffered) => {
      observe?.(route);
      if (route === 'http1' && http1 !== undefined) return http1(socket);
      injector.injectConnection(route === 'front' ? new FrontConnection(socket, options, buffered) : socket);
    });
}
