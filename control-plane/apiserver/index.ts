/** The API server: the registry over an etcd v3 KV and its HTTP+JSON and gRPC front-ends. */
export { ApiServer, DEFAULT_API_GRPC_PORT, DEFAULT_API_HTTP_PORT } from './api-server.js';
export type { ApiServerOptions } from './api-server.js';
export { Registry, SYSTEM_NAMESPACES, timestamp } from './registry.js';
export type { DeleteOptions, ListOptions, RegistryOptions, RegistryWatch, WatchOptions } from './registry.js';
export { ApiError, qualifiedResource } from './errors.js';
export type { StatusReason } from './errors.js';
export { ApiHttpServer } from './http-server.js';
export { ApiGrpcServer, STATUS_METADATA_KEY } from './grpc-server.js';
export { DEFAULT_REGISTRY_PREFIX } from './storage-keys.js';
