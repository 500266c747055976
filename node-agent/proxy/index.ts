/** The per-node service proxy: what the node agent (and its tests) use of `node-agent/proxy/`. */
export { ServiceProxy } from './service-proxy.js';
export type { CloseOptions, ListenerStatus, ServiceProxyInput, ServiceProxyOptions } from './service-proxy.js';
export { startServiceProxyFromApi } from './api-feed.js';
export type { ServiceProxyFeed, ServiceProxyFeedOptions } from './api-feed.js';
export { planService, readyBackends } from './service-ports.js';
export type { Backend, ProxyProtocol, ServicePlan, ServicePortSpec } from './service-ports.js';
