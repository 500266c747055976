/**
 * The real etcd tools for tests, with CI's policy for a missing one: `etcdctl` (to drive
 * Balsa the way operators do) and `etcd` itself (the reference Balsa is compared with),
 * from Debian's `etcd-client` and `etcd-server` packages (3.4), which `.ci/run` installs.
 *
 * - `etcdTools()` finds both. A missing tool fails the suite in CI (`CI=true`); elsewhere
 *   the suite is skipped with the reason printed: `describeWithTools(tools, name, body)`
 *   registers one passing test that says why instead of the real ones.
 * - Running etcdctl (`runEtcdctl`, `spawnEtcdctl`) and a real etcd cluster
 *   (`startRealEtcd`) live in `kv/testing/` (the benchmarks use them too); they are
 *   re-exported here. Whatever a test leaves running is killed when its file ends (and
 *   on process exit). `startRealEtcd`'s `prepareDataDir` fills a member's data directory
 *   before it starts (`etcdctl snapshot restore`).
 */
import {
  BackgroundEtcdctl,
  ETCDCTL_TIMEOUT_MS,
  cleanEtcdEnvironment,
  isCi,
  killTrackedChildren,
  locateTool,
  missingToolReason,
  runEtcdctl,
  spawnEtcdctl,
} from '../../kv/testing/etcd-tools.js';
import type { EtcdctlOptions, EtcdctlResult, ToolName } from '../../kv/testing/etcd-tools.js';
import { ETCD_START_TIMEOUT_MS, RealEtcd, startRealEtcd, stopOpenRealEtcds } from '../../kv/testing/real-etcd.js';
import type { MemberBootstrap, RealEtcdMember, RealEtcdOptions } from '../../kv/testing/real-etcd.js';

export {
  BackgroundEtcdctl,
  ETCDCTL_TIMEOUT_MS,
  ETCD_START_TIMEOUT_MS,
  RealEtcd,
  cleanEtcdEnvironment,
  isCi,
  locateTool,
  runEtcdctl,
  spawnEtcdctl,
  startRealEtcd,
};
export type { EtcdctlOptions, EtcdctlResult, MemberBootstrap, RealEtcdMember, RealEtcdOptions, ToolName };

/** Raised in CI when a test needs a program that is not installed. */
export class MissingToolError extends Error {
  constructor(readonly tool: ToolName, message: string) {
    super(message);
    this.name = 'MissingToolError';
  }
}

/** Reasons printed so far, so that a file asking twice prints once. */
const reported = new Set<string>();

/**
 * The path of `name`. Missing: throws `MissingToolError` in CI; elsewhere prints why the
 * tests that need it are skipped and returns null.
 */
export function requireTool(name: ToolName): string | null {
  const path = locateTool(name);
  if (path !== undefined) return path;
  const reason = missingToolReason(name);
  if (isCi()) throw new MissingToolError(name, `${reason}; CI must have it (.ci/run installs it)`);
  if (!reported.has(reason)) {
    reported.add(reason);
    console.warn(`skipping the tests that need ${name}: ${reason}`);
  }
  return null;
}

export interface EtcdTools {
  /** Absolute path of etcdctl (3.4 from Debian). */
  readonly etcdctl: string;
  /** Absolute path of etcd (3.4 from Debian). */
  readonly etcd: string;
}

/** Both tools (see `requireTool`): null outside CI when either is missing. */
export function etcdTools(): EtcdTools | null {
  const etcdctl = requireTool('etcdctl');
  const etcd = requireTool('etcd');
  return etcdctl !== null && etcd !== null ? { etcdctl, etcd } : null;
}

/**
 * `describe(name, () => body(tools))` when the tools are there. Otherwise (only possible
 * outside CI, since `requireTool` throws in CI) one test that prints why the suite is
 * skipped, and fails after all if it finds itself in CI. `needs` names the tools `tools`
 * stands for, for the message.
 */
export function describeWithTools<T>(tools: T | null, name: string, body: (tools: T) => void, needs: readonly ToolName[] = ['etcdctl', 'etcd']): void {
  if (tools !== null) {
    describe(name, () => body(tools));
    return;
  }
  describe(name, () => {
    test(`is skipped: ${needs.join(' and ')} not installed`, () => {
      if (isCi()) throw new Error(`${name}: ${needs.join(' and ')} missing in CI`);
      console.warn(`${name}: skipped (${needs.filter((t) => locateTool(t) === undefined).map(missingToolReason).join('; ')})`);
    });
  });
}

// A test that failed or timed out may still hold a cluster or a background etcdctl: whatever
// is left is stopped when the file ends.
if (typeof afterAll === 'function') {
  afterAll(async () => {
    await stopOpenRealEtcds();
    killTrackedChildren();
  });
}

/** etcdctl against one member (or several): the raw result, stdout of a success, or a checked failure. */
export function etcdctlAt(etcdctl: string) {
  const endpointsOf = (target: string | readonly string[]) => (typeof target === 'string' ? [target] : target);
  const ctl = (target: string | readonly string[], ...args: string[]) => runEtcdctl(etcdctl, args, { endpoints: endpointsOf(target) });
  return {
    ctl,
    /** stdout of a command that must succeed. */
    async out(target: string | readonly string[], ...args: string[]): Promise<string> {
      const result = await ctl(target, ...args);
      if (result.code !== 0) throw new Error(`etcdctl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
      return result.stdout;
    },
    /** A command that must fail, saying `message` on stderr. */
    async fails(target: string | readonly string[], args: string[], message: string | RegExp): Promise<void> {
      const result = await ctl(target, ...args);
      expect(result.code).not.toBe(0);
      if (typeof message === 'string') expect(result.stderr).toContain(message);
      else expect(result.stderr).toMatch(message);
    },
  };
}
