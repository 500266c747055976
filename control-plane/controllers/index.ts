/** The controllers of the controller manager, each a `Controller` (see `controller.ts`). */
export { ReplicaSetController } from './replicaset/replicaset-controller.js';
export type { ReplicaSetControllerOptions } from './replicaset/replicaset-controller.js';
export { DeploymentController } from './deployment/deployment-controller.js';
export type { DeploymentControllerOptions } from './deployment/deployment-controller.js';
export { EndpointsController } from './endpoints/endpoints-controller.js';
export type { EndpointsControllerOptions } from './endpoints/endpoints-controller.js';
export { NodeLifecycleController } from './node-lifecycle/node-lifecycle-controller.js';
export type { NodeLifecycleControllerOptions } from './node-lifecycle/node-lifecycle-controller.js';
export { GarbageCollector } from './garbage-collector/garbage-collector.js';
export type { GarbageCollectorOptions } from './garbage-collector/garbage-collector.js';
export { NamespaceController } from './namespace/namespace-controller.js';
export type { NamespaceControllerOptions } from './namespace/namespace-controller.js';
export { PodGcController } from './pod-gc/pod-gc-controller.js';
export type { PodGcControllerOptions } from './pod-gc/pod-gc-controller.js';
