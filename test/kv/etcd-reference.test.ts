/**
 * The reference transcripts are what etcd 3.4 prints: every script of `etcdctl-scripts.ts`
 * runs against a fresh real etcd, and its normalized transcript must equal
 * `fixtures/etcd-3.4-transcripts/<script>.txt`. This proves the fixtures true and the
 * normalizer stable (two runs of one server differ in ports, ids, terms and timings too),
 * so that a difference against Balsa (`etcdctl-compat.test.ts`) is Balsa's.
 *
 * `BALSA_UPDATE_FIXTURES=1` rewrites the fixtures from this run instead of comparing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWithTools, etcdTools, startRealEtcd } from '../support/etcd-tools.js';
import { renderTranscript, runScript } from '../support/etcdctl-script.js';
import { ETCDCTL_SCRIPTS } from './etcdctl-scripts.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'etcd-3.4-transcripts');
const UPDATE = process.env.BALSA_UPDATE_FIXTURES === '1';

describeWithTools(etcdTools(), 'etcdctl transcripts of a real etcd 3.4', (tools) => {
  for (const script of ETCDCTL_SCRIPTS) {
    test(`${script.name}: ${script.proves.split('\n')[0]}`, async () => {
      const workDir = await mkdtemp(join(tmpdir(), `balsa-etcdctl-${script.name}-`));
      const etcd = await startRealEtcd({ etcd: tools.etcd, members: script.members, dir: workDir });
      let raw = '';
      try {
        const run = await runScript(script, { etcdctl: tools.etcdctl, clientEndpoints: etcd.clientEndpoints, workDir });
        raw = renderTranscript(run, { normalize: false });
        const actual = renderTranscript(run, { normalize: true });
        const fixture = join(FIXTURES, `${script.name}.txt`);
        if (UPDATE) {
          mkdirSync(FIXTURES, { recursive: true });
          writeFileSync(fixture, actual);
          return;
        }
        if (!existsSync(fixture)) throw new Error(`no fixture ${fixture}: run with BALSA_UPDATE_FIXTURES=1 to write it`);
        expect(actual).toBe(readFileSync(fixture, 'utf8'));
      } catch (error) {
        if (error instanceof Error) error.message += `\n\nraw transcript:\n${raw}\n\nreal etcd logs:\n${etcd.describe(15)}`;
        throw error;
      } finally {
        await etcd.stop();
        await rm(workDir, { recursive: true, force: true });
      }
    });
  }
});
