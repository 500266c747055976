/**
 * The node agent's errors, each with a stable code. The codes that stop a container from
 * starting are the waiting reasons Kubernetes shows for them (`kubectl get pods` prints them
 * as the pod's STATUS), so a person reads the same words as on a kubelet.
 */

export type AgentErrorCode =
  /** The container's environment cannot be built: a ConfigMap, Secret or key it names is missing. */
  | 'CreateContainerConfigError'
  /** A volume cannot be prepared: its ConfigMap or Secret is missing, or its type is not supported. */
  | 'FailedMount'
  /** No free host port could be found for a container port, or the one the spec names is taken. */
  | 'HostPortConflict'
  /** The runtime could not start the container's command. */
  | 'RunContainerError'
  /** A command-line flag is malformed. */
  | 'InvalidFlag';

export class AgentError extends Error {
  constructor(
    readonly code: AgentErrorCode,
    message: string,
    /** Whether trying again later may succeed without anyone changing anything. */
    readonly retryable = true,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}
