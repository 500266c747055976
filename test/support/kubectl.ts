/**
 * The real kubectl 1.20 for tests: `.tools/kubernetes-client/usr/bin/kubectl`, which
 * `.ci/kubectl-setup.sh` unpacks from Debian's kubernetes-client (`BALSA_KUBECTL`
 * overrides; the kubectl on PATH is never used, it is often another version). Missing, it
 * fails the suite in CI and skips it elsewhere with the reason printed (`requireTool`).
 *
 * `Kubectl.forServer(path, server, dir)` writes the kubeconfig `balsa up` writes (for an
 * insecure API server) into `dir` and runs every command with it, with HOME in `dir` (kubectl caches discovery under
 * `~/.kube`: nothing leaks between runs or into the developer's home).
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeKubeconfig } from '../../cmd/up/kubeconfig.js';
import { BackgroundEtcdctl, runProgram } from '../../kv/testing/etcd-tools.js';
import type { EtcdctlResult } from '../../kv/testing/etcd-tools.js';
import { requireTool } from './etcd-tools.js';

/** One kubectl command is killed after this long (a busy machine, a `--wait` that waits). */
export const KUBECTL_TIMEOUT_MS = 60_000;

/** The path of kubectl 1.20 (see `requireTool`): null outside CI when it is missing. */
export function kubectlTool(): string | null {
  return requireTool('kubectl');
}

export type KubectlResult = EtcdctlResult;

export class Kubectl {
  private constructor(
    private readonly kubectl: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** A kubectl whose kubeconfig (written to `dir/kubeconfig`) points at `server` (`http://127.0.0.1:port`). */
  static async forServer(kubectl: string, server: string, dir: string): Promise<Kubectl> {
    return Kubectl.withConfig(kubectl, join(dir, 'kubeconfig'), dir, server);
  }

  /** A kubectl that reads the kubeconfig at `kubeconfig` (written first when `server` is given), with HOME `home`. */
  static async withConfig(kubectl: string, kubeconfig: string, home: string, server?: string): Promise<Kubectl> {
    await mkdir(home, { recursive: true });
    if (server !== undefined) await writeKubeconfig(kubeconfig, server);
    return new Kubectl(kubectl, { PATH: process.env.PATH, HOME: home, KUBECONFIG: kubeconfig, LANG: 'C' });
  }

  /** `kubectl args` to completion; `input` goes to its standard input (`apply -f -`). */
  run(args: readonly string[], input?: string): Promise<KubectlResult> {
    return runProgram(this.kubectl, args, { env: this.env, input, timeoutMs: KUBECTL_TIMEOUT_MS });
  }

  /** Standard output of a command that must succeed (its stderr in the error otherwise). */
  async out(args: readonly string[], input?: string): Promise<string> {
    const result = await this.run(args, input);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}${result.timedOut ? ' (timed out)' : ''}: ${result.stderr}${result.stdout}`);
    return result.stdout;
  }

  /** A command that runs until stopped (`get -w`, `logs -f`); stop it with `stop()`. */
  spawn(args: readonly string[]): BackgroundEtcdctl {
    return new BackgroundEtcdctl(spawn(this.kubectl, args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] }));
  }
}

/** The rows of kubectl's table output, each split on its column gaps (two spaces or more). */
export function tableRows(output: string): string[][] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.trim().split(/ {2,}/));
}
