/**
 * Feeds a service proxy from the API server: informers on Services and Endpoints of every
 * namespace, their adds, updates and deletes passed on as they arrive (so a change reaches
 * the proxy as soon as the watch delivers it). After a broken watch the informers list
 * again and pass on only what differs, so the proxy ends up with the current state.
 */
import { resourceByName } from '../../control-plane/api/resources.js';
import type { ApiObject } from '../../control-plane/api/types.js';
import type { GrpcApiClient } from '../../control-plane/client/grpc-api-client.js';
import { Informer, objectKey } from '../../control-plane/client/informer.js';
import type { ServiceProxyInput } from './service-proxy.js';

export interface ServiceProxyFeed {
  /**
   * Resolves once both kinds have been listed and passed on (or the feed was stopped
   * first). Failed lists are retried by the informers, so this waits for the API server.
   */
  readonly synced: Promise<void>;
  /** Stops the informers: the proxy hears nothing more (it keeps serving what it has; closing it is its owner's job). */
  stop(): void;
}

export interface ServiceProxyFeedOptions {
  /** Told about lists and watches that failed (and are retried). */
  readonly log?: (line: string) => void;
}

/** Starts feeding `proxy` (the handlers are in place before the first list is asked for). */
export function startServiceProxyFromApi(client: GrpcApiClient, proxy: ServiceProxyInput, options: ServiceProxyFeedOptions = {}): ServiceProxyFeed {
  const services = new Informer(client, resourceByName('services')!, { log: options.log });
  const endpoints = new Informer(client, resourceByName('endpoints')!, { log: options.log });
  services.on({
    add: (service: ApiObject) => proxy.setService(service),
    update: (_old: ApiObject, service: ApiObject) => proxy.setService(service),
    delete: (service: ApiObject) => proxy.deleteService(objectKey(service)),
  });
  endpoints.on({
    add: (object: ApiObject) => proxy.setEndpoints(object),
    update: (_old: ApiObject, object: ApiObject) => proxy.setEndpoints(object),
    delete: (object: ApiObject) => proxy.deleteEndpoints(objectKey(object)),
  });
  return {
    synced: Promise.all([endpoints.start(), services.start()]).then(() => undefined),
    stop() {
      services.stop();
      endpoints.stop();
    },
  };
}
