/**
 * The acceptance test: Balsa answers the real etcdctl exactly as etcd 3.4 does.
 * Every script of `etcdctl-scripts.ts` runs against a fresh Balsa KV cluster, and its
 * normalized transcript must equal the one real etcd printed
 * (`fixtures/etcd-3.4-transcripts/<script>.txt`, kept true by `etcd-reference.test.ts`).
 * The normalizer masks only what legitimately differs between servers: revisions, raft
 * terms and indexes, ids, sizes, versions, addresses and timings
 * (`test/support/etcdctl-script.ts`).
 *
 * Needs etcdctl (Debian's etcd-client): a failure in CI when it is missing, skipped
 * elsewhere with the reason printed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWithTools, requireTool } from '../support/etcd-tools.js';
import { renderTranscript, runScript } from '../support/etcdctl-script.js';
import { startKvCluster } from '../support/kv-cluster.js';
import { ETCDCTL_SCRIPTS } from './etcdctl-scripts.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'etcd-3.4-transcripts');

describeWithTools(requireTool('etcdctl'), 'Balsa answers etcdctl like etcd 3.4', (etcdctl) => {
  for (const script of ETCDCTL_SCRIPTS) {
    test(`${script.name}: ${script.proves.split('\n')[0]}`, async () => {
      const dir = await mkdtemp(join(tmpdir(), `balsa-etcdctl-compat-${script.name}-`));
      const cluster = await startKvCluster({ members: script.members, dir });
      let raw = '';
      try {
        const run = await runScript(script, { etcdctl, clientEndpoints: cluster.clientEndpoints, workDir: dir });
        raw = renderTranscript(run, { normalize: false });
        expect(renderTranscript(run, { normalize: true })).toBe(readFileSync(join(FIXTURES, `${script.name}.txt`), 'utf8'));
      } catch (error) {
        if (error instanceof Error) error.message += `\n\nraw transcript against Balsa:\n${raw}`;
        throw error;
      } finally {
        await cluster.stop();
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
}, ['etcdctl']);
