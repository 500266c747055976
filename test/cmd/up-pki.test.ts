/**
 * `balsa up`'s certificates under one CA: made once and kept across starts, and, when the
 * CA itself was deleted (its certificate alone, say), every certificate is issued again
 * under the new one — the API server's, the admin's, the agents', the KV members' and the
 * KV root client's — so that nothing is left that its clients cannot verify.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from '@jest/globals';

import { ensureClusterPki } from '../../cmd/up/cluster-pki.js';
import { ensureUpPki, upPkiPaths } from '../../cmd/up/up-pki.js';
import { createCertificateAuthority, issueClientCertificate, signedBy } from '../../kv/security/pki.js';

const NODES = [{ name: 'node-1', nodeIp: '127.0.0.2' }];

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'balsa-up-pki-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function everything(): Promise<{ ca: string; certificates: Map<string, string> }> {
  const pki = upPkiPaths(dir, ['m1', 'm2', 'm3']);
  await ensureUpPki(pki);
  const cluster = await ensureClusterPki(dir, NODES);
  const files = [cluster.apiServer.certFile, cluster.admin.certFile, cluster.nodes.get('node-1')!.certFile, ...[...pki.kvMembers.values()].map((member) => member.certFile), pki.kvRootClient.certFile];
  const certificates = new Map<string, string>();
  for (const file of files) certificates.set(file, await readFile(file, 'utf8'));
  return { ca: await readFile(pki.ca.certFile, 'utf8'), certificates };
}

test('kept across starts; all issued again under a new CA when the CA certificate is gone', async () => {
  const first = await everything();
  expect(first.certificates.size).toBe(7);
  for (const certificate of first.certificates.values()) expect(signedBy(certificate, first.ca)).toBe(true);

  const second = await everything();
  expect(second.ca).toBe(first.ca);
  expect(second.certificates).toEqual(first.certificates);

  await rm(upPkiPaths(dir, []).ca.certFile);
  const third = await everything();
  expect(third.ca).not.toBe(first.ca);
  for (const [file, certificate] of third.certificates) {
    expect(signedBy(certificate, third.ca)).toBe(true);
    expect(certificate).not.toBe(first.certificates.get(file));
  }
});

test('signedBy: true for what the CA issued, false for another CA\'s and for what is not a certificate', async () => {
  const ca = await createCertificateAuthority({ commonName: 'one' });
  const other = await createCertificateAuthority({ commonName: 'two' });
  const issued = await issueClientCertificate(ca, { user: 'alice' });
  expect(signedBy(issued.certPem, ca.certPem)).toBe(true);
  expect(signedBy(issued.certPem, other.certPem)).toBe(false);
  expect(signedBy('not a certificate', ca.certPem)).toBe(false);
});
