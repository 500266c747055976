/**
 * An `exec` attempt: the command runs in the container (through the runtime) and exit 0
 * is a success. A failure's message is the command's output, as the kubelet reports it
 * (`cat: can't open '/tmp/healthy': No such file or directory`), or its exit code when it
 * printed nothing; a runtime that cannot run it at all is an error, not a failure.
 */
import type { ProbeTarget } from './probe-types.js';
import { errorMessage, failure, formatSeconds, probeError, runWithDeadline, SUCCESS } from './probe-result.js';
import type { AttemptContext, ProbeResult } from './probe-result.js';

export function probeExec(command: readonly string[], target: ProbeTarget, context: AttemptContext): Promise<ProbeResult> {
  const quoted = JSON.stringify(command.join(' '));
  const timedOut = (output = ''): ProbeResult => failure(withOutput(`command ${quoted} timed out after ${formatSeconds(context.timeoutMs)}`, output));
  const run = async (): Promise<ProbeResult> => {
    let result;
    try {
      result = await target.exec(command, context.timeoutMs);
    } catch (error) {
      return probeError(`exec of ${quoted} failed: ${errorMessage(error)}`);
    }
    if (result.timedOut) return timedOut(result.output);
    if (result.exitCode === 0) return SUCCESS;
    const output = result.output.trim();
    return failure(output === '' ? `command ${quoted} exited with code ${result.exitCode}` : output);
  };
  // The runtime kills the command at the timeout; the deadline here only guards against a runtime that does not answer.
  return runWithDeadline(context, run, () => timedOut());
}

function withOutput(message: string, output: string): string {
  const trimmed = output.trim();
  return trimmed === '' ? message : `${message}: ${trimmed}`;
}
