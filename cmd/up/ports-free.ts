/**
 * Checks before `balsa up` starts anything that the ports it would listen on are free:
 * otherwise a member would fail on its own, later, with a message in its log only.
 */
import { createServer } from 'node:net';

export interface PortUse {
  readonly host: string;
  readonly port: number;
  /** Whose it would be (`server m1's API`). */
  readonly owner: string;
}

/** The uses among `uses` whose port cannot be listened on now, each with why. */
export async function unavailablePorts(uses: readonly PortUse[]): Promise<{ use: PortUse; why: string }[]> {
  const results = await Promise.all(uses.map(async (use) => ({ use, why: await listenProblem(use.host, use.port) })));
  return results.filter((result): result is { use: PortUse; why: string } => result.why !== undefined);
}

function listenProblem(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE' ? 'in use' : (error.code ?? error.message)));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}
