/** The node agent's container runtimes and the contract they share. */
export type {
  ContainerInfo,
  ContainerRuntime,
  ContainerSpec,
  ContainerState,
  ExecResult,
  PortMapping,
  ResourceLimits,
  VolumeMount,
} from './container-runtime.js';
export { RuntimeError } from './errors.js';
export type { RuntimeErrorCode } from './errors.js';
export { ProcessRuntime } from './process/process-runtime.js';
export type { ProcessRuntimeOptions } from './process/process-runtime.js';
export { DockerRuntime } from './docker/docker-runtime.js';
export type { DockerRuntimeOptions } from './docker/docker-runtime.js';
