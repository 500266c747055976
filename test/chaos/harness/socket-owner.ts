/**
 * Which process dialled a loopback TCP connection, from Linux's socket table: the proxy in
 * front of a member's peer port sees only a connection from 127.0.0.1:<some port>, and
 * needs to know which member it came from to cut one link and not the others.
 *
 * The dialler's socket is the one in `/proc/net/tcp{,6}` whose local port is the port the
 * connection came from and whose remote port is the one it reached; its inode is then
 * looked for among the open files (`/proc/<pid>/fd`) of the candidate processes.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

const SOCKET_TABLES = ['/proc/net/tcp', '/proc/net/tcp6'];

/** Whether this system has the socket tables (Linux with /proc). */
export async function socketTablesAvailable(): Promise<boolean> {
  try {
    await readFile(SOCKET_TABLES[0]!, 'utf8');
    return true;
  } catch {
    return false;
  }
}

/**
 * The one of `pids` holding the socket connected from local port `fromPort` to remote port
 * `toPort` (both on this host), or undefined when none does (it exited, or is not a candidate).
 */
export async function socketOwner(fromPort: number, toPort: number, pids: readonly number[]): Promise<number | undefined> {
  const inode = await socketInode(fromPort, toPort);
  if (inode === undefined) return undefined;
  const target = `socket:[${inode}]`;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch {
      continue; // exited
    }
    for (const fd of fds) {
      const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      if (link === target) return pid;
    }
  }
  return undefined;
}

/** The inode of the socket from `fromPort` to `toPort`, from the socket tables. */
async function socketInode(fromPort: number, toPort: number): Promise<string | undefined> {
  const local = `:${hexPort(fromPort)}`;
  const remote = `:${hexPort(toPort)}`;
  for (const table of SOCKET_TABLES) {
    let text: string;
    try {
      text = await readFile(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || !fields[1]!.endsWith(local) || !fields[2]!.endsWith(remote)) continue;
      if (fields[9] !== '0') return fields[9];
    }
  }
  return undefined;
}

function hexPort(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}
