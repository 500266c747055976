/**
 * The certificates of a `balsa up` cluster, under `<data-dir>/pki/`: made on the first run
 * (and for nodes added later), kept for the next ones, so that the CLI config and every
 * process keep trusting the same CA. `ca.crt`/`ca.key` the CA; `apiserver.*` every API
 * server's (serving, and its client identity towards the agents); `admin.*` the CLI's
 * (`balsa-admin` in `system:masters`); `<node>.*` each agent's (`system:node:<node>` in
 * `system:nodes`, valid for its node IP, where it serves its logs endpoint). Keys are 0600.
 * `tokens.csv` (0600, kube-apiserver's `--token-auth-file` format) holds one bearer token
 * for `balsa-admin` in `system:masters`: what a browser shows the dashboard (`/ui/?token=`),
 * which has no client certificate to present.
 */
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCertificateAuthority, issueClientCertificate, issueServerCertificate } from '../../kv/security/pki.js';
import type { CertificateAndKey } from '../../kv/security/pki.js';
import { ensureIssued } from './up-pki.js';
import type { CertificateFiles } from './up-pki.js';

export interface ClusterPki {
  readonly caFile: string;
  readonly apiServer: CertificateFiles;
  readonly admin: CertificateFiles;
  /** By node name. */
  readonly nodes: ReadonlyMap<string, CertificateFiles>;
  /** The API servers' `--token-auth-file`. */
  readonly tokenFile: string;
  /** Its one token: `balsa-admin` in `system:masters` (the dashboard's). */
  readonly adminToken: string;
}

/** The admin's bearer token in `tokens.csv`, made on the first run. */
async function ensureAdminToken(file: string): Promise<string> {
  if (existsSync(file)) {
    const token = (await readFile(file, 'utf8')).split(',')[0]?.trim();
    if (token !== undefined && token !== '') return token;
  }
  const token = randomBytes(32).toString('base64url');
  await writeFile(file, `${token},balsa-admin,balsa-admin,"system:masters"\n`, { mode: 0o600 });
  return token;
}

export const PKI_FOLDER = 'pki';

function filesOf(dir: string, name: string): CertificateFiles {
  return { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
}

async function store(files: CertificateFiles, issued: CertificateAndKey): Promise<void> {
  await writeFile(files.keyFile, issued.keyPem, { mode: 0o600 });
  await writeFile(files.certFile, issued.certPem, { mode: 0o644 });
}

/** The cluster's certificates in `dataDir`, the missing ones made (all at once: keys are made on Node's thread pool). */
export async function ensureClusterPki(dataDir: string, nodes: readonly { name: string; nodeIp: string }[]): Promise<ClusterPki> {
  const dir = join(dataDir, PKI_FOLDER);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caFiles = filesOf(dir, 'ca');
  let ca: CertificateAndKey;
  if (existsSync(caFiles.certFile) && existsSync(caFiles.keyFile)) {
    ca = { certPem: await readFile(caFiles.certFile, 'utf8'), keyPem: await readFile(caFiles.keyFile, 'utf8') };
  } else {
    ca = await createCertificateAuthority({ commonName: 'balsa-up-ca' });
    await store(caFiles, ca);
  }
  const wanted: [CertificateFiles, () => Promise<CertificateAndKey>][] = [
    [filesOf(dir, 'apiserver'), () => issueServerCertificate(ca, { commonName: 'balsa-apiserver', groups: ['system:masters'], ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'] })],
    [filesOf(dir, 'admin'), () => issueClientCertificate(ca, { user: 'balsa-admin', groups: ['system:masters'] })],
    ...nodes.map((node): [CertificateFiles, () => Promise<CertificateAndKey>] => [
      filesOf(dir, node.name),
      () => issueServerCertificate(ca, { commonName: `system:node:${node.name}`, groups: ['system:nodes'], ipAddresses: [node.nodeIp] }),
    ]),
  ];
  await ensureIssued(ca, wanted);
  const tokenFile = join(dir, 'tokens.csv');
  const adminToken = await ensureAdminToken(tokenFile);
  return {
    tokenFile,
    adminToken,
    caFile: caFiles.certFile,
    apiServer: filesOf(dir, 'apiserver'),
    admin: filesOf(dir, 'admin'),
    nodes: new Map(nodes.map((node) => [node.name, filesOf(dir, node.name)])),
  };
}
