/**
 * The certificates of a `balsa up` cluster, under `<data-dir>/pki/` (made on the first run,
 * reused on every later one; a file missing is made again, and if the CA itself is missing
 * every certificate is made again under a new CA):
 *
 *     pki/ca.crt, pki/ca.key                 the cluster's CA (10 years), self-signed
 *     pki/kv/<member>.crt, <member>.key      KV member <member> (m1, m2, ...): its client
 *                                            port and its peer port; serverAuth + clientAuth
 *                                            (it dials its peers and forwards to the leader
 *                                            with it); SANs 127.0.0.1 and localhost
 *     pki/kv/root-client.crt, .key           a KV client, CN root (etcd's superuser name,
 *                                            for when KV auth maps a certificate's CN to its
 *                                            user): what the API servers present to the KV;
 *                                            the operator's for etcdctl too
 *
 * With them every member runs with `--cert-file`/`--key-file`, `--trusted-ca-file
 * pki/ca.crt`, `--client-cert-auth` and the `--peer-*` twins, on https:// URLs, so a client
 * or a would-be member without a certificate from this CA is refused at the handshake.
 * Other certificates for the same cluster (the API server's, users') belong under `pki/`
 * too, signed by the same CA (`issueServerCertificate`, `issueClientCertificate` of
 * `kv/security/pki.ts`). Keys are written readable by their owner only (0600).
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCertificateAuthority, issueClientCertificate, issueServerCertificate, signedBy } from '../../kv/security/pki.js';
import type { CertificateAndKey } from '../../kv/security/pki.js';

/** A certificate's and its key's paths. */
export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface UpPki {
  /** `<data-dir>/pki`. */
  readonly dir: string;
  /** The CA's certificate and key. */
  readonly ca: CertificateFiles;
  /** Each KV member's certificate, by member name. */
  readonly kvMembers: ReadonlyMap<string, CertificateFiles>;
  /** The KV client certificate with CN root (the API servers', etcdctl's). */
  readonly kvRootClient: CertificateFiles;
}

/** The user name in `kvRootClient`'s CN. */
export const KV_ROOT_CLIENT_USER = 'root';
/** Where a KV member's certificate is reached: the only addresses `balsa up` binds its KV to. */
const KV_MEMBER_IPS = ['127.0.0.1'];
const KV_MEMBER_DNS_NAMES = ['localhost'];

/** Where the cluster's PKI is under `<dataDir>/pki` (pure: nothing is read or made). */
export function upPkiPaths(dataDir: string, memberNames: readonly string[]): UpPki {
  const dir = join(dataDir, 'pki');
  const files = (base: string): CertificateFiles => ({ certFile: `${base}.crt`, keyFile: `${base}.key` });
  return {
    dir,
    ca: files(join(dir, 'ca')),
    kvMembers: new Map(memberNames.map((name) => [name, files(join(dir, 'kv', name))])),
    kvRootClient: files(join(dir, 'kv', `${KV_ROOT_CLIENT_USER}-client`)),
  };
}

/** Makes the files of `pki` that are missing, or not signed by its CA (all of them under a new CA when the CA is). */
export async function ensureUpPki(pki: UpPki): Promise<void> {
  await mkdir(join(pki.dir, 'kv'), { recursive: true, mode: 0o700 });
  const caExisted = existsSync(pki.ca.certFile) && existsSync(pki.ca.keyFile);
  const ca = caExisted ? await readPair(pki.ca) : await writePair(pki.ca, await createCertificateAuthority({ commonName: 'balsa-up-ca' }));
  await ensureIssued(ca, [...pki.kvMembers].map(([name, target]) => [target, () => issueServerCertificate(ca, { commonName: name, ipAddresses: KV_MEMBER_IPS, dnsNames: KV_MEMBER_DNS_NAMES })]));
  await ensureIssued(ca, [[pki.kvRootClient, () => issueClientCertificate(ca, { user: KV_ROOT_CLIENT_USER })]]);
}

/**
 * Issues each certificate that is missing, or that `ca` did not sign (the CA was made again,
 * say after its files were deleted): everything under one CA always verifies against it.
 */
export async function ensureIssued(ca: CertificateAndKey, wanted: readonly (readonly [CertificateFiles, () => Promise<CertificateAndKey>])[]): Promise<void> {
  await Promise.all(
    wanted.map(async ([target, make]) => {
      if (existsSync(target.keyFile) && existsSync(target.certFile) && signedBy(await readFile(target.certFile, 'utf8'), ca.certPem)) return;
      await writePair(target, await make());
    }),
  );
}

async function readPair(files: CertificateFiles): Promise<CertificateAndKey> {
  return { certPem: await readFile(files.certFile, 'utf8'), keyPem: await readFile(files.keyFile, 'utf8') };
}

async function writePair(files: CertificateFiles, pair: CertificateAndKey): Promise<CertificateAndKey> {
  await writeFile(files.keyFile, pair.keyPem, { mode: 0o600 });
  // writeFile's mode applies only to a new file: an old key's mode is set again.
  await chmod(files.keyFile, 0o600);
  await writeFile(files.certFile, pair.certPem);
  return pair;
}
