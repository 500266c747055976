/**
 * A certificate authority for a cluster on one machine, as `balsa up` makes it: a self-signed
 * CA, and certificates it signs for the API servers (server and client use, valid for
 * 127.0.0.1 and localhost, of the group `system:masters` since they also read the agents'
 * logs), for each agent (`system:node:<name>` in `system:nodes`, valid for its node IP: it
 * serves its logs endpoint with it) and for the CLI's administrator (`balsa-admin` in
 * `system:masters`). RSA 2048, SHA-256, ten years: a local cluster's, not a long-lived one's.
 */
import { constants, createPrivateKey, generateKeyPair, privateEncrypt, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

/** PEM text of a certificate and its private key. */
export interface IssuedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface CertificateRequest {
  /** The subject's CN: the user name. */
  readonly commonName: string;
  /** The subject's O entries: the groups. */
  readonly organizations?: readonly string[];
  /** IP addresses and DNS names the certificate is valid for (a server's). */
  readonly ipAddresses?: readonly string[];
  readonly dnsNames?: readonly string[];
  readonly serverAuth?: boolean;
  readonly clientAuth?: boolean;
}

const VALIDITY_YEARS = 10;
const KEY_BITS = 2048;

/** An RSA key pair made by Node's native crypto, on its thread pool (node-forge's own takes seconds a key). */
interface KeyPair {
  readonly publicKey: forge.pki.PublicKey;
  readonly privateKeyPem: string;
}

const generateKeyPairAsync = promisify(generateKeyPair);

async function generateKeys(): Promise<KeyPair> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: KEY_BITS,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { publicKey: forge.pki.publicKeyFromPem(publicKey), privateKeyPem: privateKey };
}

/** DER of `DigestInfo { sha256, <digest> }` before the digest (RFC 8017 section 9.2, note 1). */
const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * Signs `cert` with `key` as RSASSA-PKCS1-v1_5 with SHA-256 — forge builds the certificate,
 * Node's native RSA makes the signature (forge's takes half a second).
 */
function sign(cert: forge.pki.Certificate, key: KeyObject): void {
  const signer = {
    sign(md: forge.md.MessageDigest): string {
      const digest = Buffer.from(md.digest().getBytes(), 'binary');
      return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([SHA256_DIGEST_INFO_PREFIX, digest])).toString('binary');
    },
  };
  cert.sign(signer as unknown as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
}

function newCertificate(publicKey: forge.pki.PublicKey): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive serial: the top bit clear.
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime());
  cert.validity.notAfter.setFullYear(now.getFullYear() + VALIDITY_YEARS);
  return cert;
}

/** A new self-signed CA. */
export async function createCertificateAuthority(commonName = 'balsa-ca'): Promise<IssuedCertificate> {
  const keys = await generateKeys();
  const cert = newCertificate(keys.publicKey);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  sign(cert, createPrivateKey(keys.privateKeyPem));
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

/** A certificate `ca` signs for `request`. */
export async function issueCertificate(ca: IssuedCertificate, request: CertificateRequest): Promise<IssuedCertificate> {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const keys = await generateKeys();
  const cert = newCertificate(keys.publicKey);
  cert.setSubject([{ name: 'commonName', value: request.commonName }, ...(request.organizations ?? []).map((value) => ({ name: 'organizationName', value }))]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [...(request.dnsNames ?? []).map((value) => ({ type: 2, value })), ...(request.ipAddresses ?? []).map((ip) => ({ type: 7, ip }))];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: request.serverAuth === true, clientAuth: request.clientAuth === true },
    ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
  ]);
  sign(cert, createPrivateKey(ca.keyPem));
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}
