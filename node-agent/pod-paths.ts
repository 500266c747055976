/**
 * Where a pod's files live in the agent's data directory:
 * - `pods/<namespace>_<pod>_<uid>/<container>/<attempt>.log`: each container attempt's output
 *   (the logs endpoint serves them; removed with the pod);
 * - `volumes/<namespace>_<pod>_<uid>/<volume>/`: its emptyDir, ConfigMap and Secret volumes
 *   (removed with the pod);
 * - `host-ports.json`: the host ports allocated to each pod (kept across agent restarts).
 */
import { join } from 'node:path';

export interface PodIdentity {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

export class PodPaths {
  constructor(readonly dataDir: string) {}

  /** The pod's log directory. */
  logDir(pod: PodIdentity): string {
    return join(this.dataDir, 'pods', podDirName(pod));
  }

  /** Where attempt `attempt` of `container` writes its output. */
  logPath(pod: PodIdentity, container: string, attempt: number): string {
    return join(this.logDir(pod), container, `${attempt}.log`);
  }

  /** The directory holding the pod's volumes (one subdirectory each). */
  volumesDir(pod: PodIdentity): string {
    return join(this.dataDir, 'volumes', podDirName(pod));
  }

  get hostPortsFile(): string {
    return join(this.dataDir, 'host-ports.json');
  }

  /** Where the runtime keeps its own state (container records, pid files). */
  get runtimeDir(): string {
    return join(this.dataDir, 'runtime');
  }
}

/** `<namespace>_<pod>_<uid>`: names are DNS labels and subdomains, so `_` cannot appear in them. */
export function podDirName(pod: PodIdentity): string {
  return `${pod.namespace}_${pod.name}_${pod.uid}`;
}
