/**
 * Running a command in a running Docker container (exec probes, preStop hooks): an exec
 * instance created with stdout and stderr attached, started, its multiplexed output read
 * until it ends, then its exit code read from the daemon.
 *
 * A timeout has no API: the daemon cannot kill an exec. Its process is a process of this
 * host (the daemon's socket is local), so the runtime SIGKILLs it by the PID the daemon
 * reports, as a containerd-based kubelet does. An agent without the rights to (not root)
 * abandons it instead: the result is the same timeout, and the command runs on.
 */
import type { ExecResult } from '../container-runtime.js';
import { EXEC_OUTPUT_MAX_BYTES, EXEC_TIMEOUT_EXIT_CODE, EXIT_NOT_FOUND } from '../process/constants.js';
import { EXEC_EXIT_POLL_MS, EXEC_EXIT_POLLS } from './constants.js';
import { DockerApiError } from './docker-api.js';
import type { DockerApi } from './docker-api.js';
import { FrameDecoder } from './frame-decoder.js';

/** What the daemon's `GET /exec/{id}/json` says that this runtime reads. */
interface ExecInspect {
  readonly Running: boolean;
  readonly ExitCode: number | null;
  readonly Pid: number;
}

/**
 * Runs `command` in container `containerId` and resolves with its exit code and output
 * (the first `EXEC_OUTPUT_MAX_BYTES`). The daemon reports a command that could not be
 * executed as 126 whatever the cause; one that was not found is 127 here, as from a shell
 * and from the `process` runtime. Rejects with `DockerApiError` when the exec cannot be
 * created (404: no such container; 409: it is not running).
 */
export async function execInContainer(api: DockerApi, containerId: string, command: readonly string[], timeoutMs: number): Promise<ExecResult> {
  const { Id: execId } = await api.json<{ Id: string }>('POST', `/containers/${containerId}/exec`, {
    body: { AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, Cmd: command },
  });
  const response = await api.stream('POST', `/exec/${execId}/start`, { body: { Detach: false, Tty: false }, timeoutMs: 0 });
  const chunks: Buffer[] = [];
  let bytes = 0;
  const decoder = new FrameDecoder();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void killExec(api, execId).finally(() => response.destroy());
  }, timeoutMs);
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      for (const frame of decoder.push(chunk)) {
        const room = EXEC_OUTPUT_MAX_BYTES - bytes;
        if (room <= 0) continue;
        const kept = frame.payload.length <= room ? frame.payload : frame.payload.subarray(0, room);
        chunks.push(Buffer.from(kept));
        bytes += kept.length;
      }
    }
  } catch (error) {
    if (!timedOut) throw new DockerApiError(0, `the output of exec ${execId} broke: ${(error as Error).message}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
  const output = Buffer.concat(chunks).toString('utf8');
  if (timedOut) return { exitCode: EXEC_TIMEOUT_EXIT_CODE, output, timedOut: true };
  const exitCode = await exitCodeOf(api, execId);
  const notFound = exitCode === 126 && /executable file not found|no such file or directory/.test(output);
  return { exitCode: notFound ? EXIT_NOT_FOUND : exitCode, output, timedOut: false };
}

/** The exec's exit code, once the daemon has it (its output may end a moment before). */
async function exitCodeOf(api: DockerApi, execId: string): Promise<number> {
  for (let poll = 0; ; poll++) {
    const inspect = await api.json<ExecInspect>('GET', `/exec/${execId}/json`);
    if (!inspect.Running && inspect.ExitCode !== null) return inspect.ExitCode;
    if (poll >= EXEC_EXIT_POLLS) throw new DockerApiError(0, `exec ${execId} ended its output but the daemon reports no exit code`);
    await new Promise((resolve) => setTimeout(resolve, EXEC_EXIT_POLL_MS));
  }
}

/** SIGKILLs the exec's process by its host PID; does nothing when it is gone or not ours to kill. */
async function killExec(api: DockerApi, execId: string): Promise<void> {
  try {
    const inspect = await api.json<ExecInspect>('GET', `/exec/${execId}/json`);
    if (inspect.Running && inspect.Pid > 0) process.kill(inspect.Pid, 'SIGKILL');
  } catch {
    // Gone already, the daemon did not answer, or no permission: the timeout stands.
  }
}
