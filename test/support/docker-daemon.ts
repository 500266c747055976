/**
 * The Docker daemon and test image for the tests of the `docker` runtime, with CI's policy
 * for a missing one (as `etcd-tools.ts` has for etcd): `.ci/docker-setup.sh` starts
 * `dockerd` without a bridge network and imports `balsa-test/busybox:1` from the host's
 * busybox-static, so in CI (`CI=true`) a daemon that does not answer, or has not the
 * image, fails the suite. Elsewhere the suite is skipped with the reason printed.
 */
import { request } from 'node:http';
import { describe, test } from '@jest/globals';
import { isCi } from './etcd-tools.js';

/** The image `.ci/docker-setup.sh` imports: a busybox root filesystem (`/bin/busybox` and its applets, `PATH=/bin`). */
export const DOCKER_TEST_IMAGE = 'balsa-test/busybox:1';

/** How long the daemon may take to answer the availability check, in ms. */
const PING_TIMEOUT_MS = 10_000;

export interface DockerDaemon {
  readonly socketPath: string;
  readonly image: string;
}

/** The daemon's socket: `unix://` of `DOCKER_HOST` when set, else `/var/run/docker.sock`. */
export function dockerSocketPath(): string {
  const host = process.env.DOCKER_HOST;
  return host?.startsWith('unix://') === true ? host.slice('unix://'.length) : '/var/run/docker.sock';
}

/** The status of a GET on the daemon's socket, or the reason it did not answer. */
function get(socketPath: string, path: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path, method: 'GET', timeout: PING_TIMEOUT_MS }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)));
    req.once('error', (error) => resolve(error.message));
    req.end();
  });
}

/**
 * The daemon with the test image, or null outside CI when there is none (the reason
 * printed). In CI a missing daemon or image throws.
 */
export async function dockerDaemon(): Promise<DockerDaemon | null> {
  const socketPath = dockerSocketPath();
  const ping = await get(socketPath, '/_ping');
  let reason: string | undefined;
  if (ping !== 200) {
    reason = `no Docker daemon answers on ${socketPath} (${typeof ping === 'number' ? `HTTP ${ping}` : ping}); start one with .ci/docker-setup.sh`;
  } else if ((await get(socketPath, `/images/${DOCKER_TEST_IMAGE}/json`)) !== 200) {
    reason = `the Docker daemon on ${socketPath} has no image ${DOCKER_TEST_IMAGE}; .ci/docker-setup.sh imports it`;
  }
  if (reason === undefined) return { socketPath, image: DOCKER_TEST_IMAGE };
  if (isCi()) throw new Error(`${reason}; CI must have it`);
  console.warn(`skipping the docker runtime tests: ${reason}`);
  return null;
}

/**
 * `describe(name, () => body(daemon))` with a daemon; without one (only outside CI), one
 * test that says why the suite is skipped, and fails if it finds itself in CI after all.
 */
export function describeWithDocker(daemon: DockerDaemon | null, name: string, body: (daemon: DockerDaemon) => void): void {
  if (daemon !== null) {
    describe(name, () => body(daemon));
    return;
  }
  describe(name, () => {
    test('is skipped: no Docker daemon with the test image', () => {
      if (isCi()) throw new Error(`${name}: no Docker daemon in CI`);
    });
  });
}
