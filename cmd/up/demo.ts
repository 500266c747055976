/**
 * `balsa up --demo`: applies `examples/web/demo.yaml` (its Service on `--demo-port`) with
 * `balsa apply`, as a user would, then waits until the app answers through a node's proxy.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The demo's manifest, relative to the repository root. */
export const DEMO_MANIFEST = join('examples', 'web', 'demo.yaml');

interface ServiceLike {
  kind?: string;
  spec?: { ports?: { port?: number }[] };
}

/** The demo's manifest as YAML, with its Service on `servicePort`. */
export async function demoManifest(packageRoot: string, servicePort: number): Promise<string> {
  const documents = parseAllDocuments(await readFile(join(packageRoot, DEMO_MANIFEST), 'utf8'));
  const objects = documents.map((document) => document.toJS() as ServiceLike);
  for (const object of objects) {
    if (object.kind === 'Service') for (const port of object.spec?.ports ?? []) port.port = servicePort;
  }
  return objects.map((object) => JSON.stringify(object)).join('\n---\n');
}

/** Runs `balsa apply -f -` against `apiUrl` with `manifest` on stdin; its exit code and output. */
export function applyManifest(balsaCli: string, apiUrl: string, manifest: string, configPath: string): Promise<{ code: number | null; output: string }> {
  // The CLI config `up` wrote carries the credentials (the admin's certificate).
  const child = spawn(process.execPath, [balsaCli, 'apply', '-f', '-', '--server', apiUrl], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, BALSA_CONFIG: configPath } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stdin.on('error', () => {});
  child.stdin.end(manifest);
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: null, output: error.message }));
    child.once('exit', (code) => resolve({ code, output: output.trim() }));
  });
}
