/**
 * A process that `balsa up` started stops when `up` goes, however it goes (even killed with
 * SIGKILL, when it cannot stop its children): `up` holds the write end of the child's stdin,
 * which the system closes when `up` dies, and the child then stops as on SIGTERM (agents
 * stop their pods, members leave cleanly). Without this a killed `up` would leave a whole
 * cluster running in the background, holding its ports.
 */
import { UP_CHILD_ENV } from './constants.js';

/** When started by `balsa up` (its environment says so): on the end of stdin, SIGTERM to this process. */
export function stopWhenUpGoes(): void {
  if (process.env[UP_CHILD_ENV] !== '1') return;
  let signalled = false;
  const stop = (): void => {
    if (signalled) return;
    signalled = true;
    process.kill(process.pid, 'SIGTERM');
  };
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.on('error', stop);
  // Nothing is sent on it: reading only notices the end. `unref` lets the command exit when done.
  process.stdin.resume();
  (process.stdin as unknown as { unref?: () => void }).unref?.();
}
