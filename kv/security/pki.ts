/**
 * A small certificate authority: a CA, server certificates and client certificates, as PEM
 * text, for the KV's TLS (`--cert-file`, `--peer-cert-file`, ...) and for whatever else in
 * Balsa speaks TLS. Keys are RSA 2048 made by Node's crypto (native, off the event loop);
 * certificates are X.509 v3 built and signed (SHA-256) by node-forge.
 *
 * What each kind carries, and why:
 * - a CA: basicConstraints CA (critical), keyUsage keyCertSign + cRLSign; self-signed.
 * - a server certificate: extKeyUsage serverAuth **and** clientAuth, because a KV member
 *   uses one certificate both ways, as etcd's members do (its peer certificate is
 *   presented when it dials a peer, its client certificate when it forwards a call to the
 *   leader's client URL); subjectAltName with its IP addresses and DNS names, which is what
 *   clients check (Node and Go ignore the CN for host names).
 * - a client certificate: extKeyUsage clientAuth only; CN = the user, O = its groups, the
 *   way etcd (CN as user name when `--client-cert-auth` and auth are on) and Kubernetes
 *   (CN user, O groups) read them.
 */
import { generateKeyPair, randomBytes, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { DEFAULT_CA_VALIDITY_DAYS, DEFAULT_CERT_VALIDITY_DAYS, RSA_KEY_BITS, SERIAL_NUMBER_BYTES } from './constants.js';

/** A certificate and its private key, both PEM. */
export interface CertificateAndKey {
  /** PEM `CERTIFICATE`. */
  readonly certPem: string;
  /** PEM `PRIVATE KEY` (PKCS#8, unencrypted): keep it readable by its owner only. */
  readonly keyPem: string;
}

export interface CaRequest {
  /** The CA's common name (default `balsa-ca`). */
  readonly commonName?: string;
  /** Days from now until it expires (default `DEFAULT_CA_VALIDITY_DAYS`). */
  readonly validityDays?: number;
}

export interface ServerCertificateRequest {
  readonly commonName: string;
  /** O entries: the groups the certificate's CN is in when it is presented as a client's (an agent's `system:nodes`). */
  readonly groups?: readonly string[];
  /** IPv4/IPv6 addresses the server is reached at (subjectAltName iPAddress). */
  readonly ipAddresses?: readonly string[];
  /** Host names the server is reached at (subjectAltName dNSName). */
  readonly dnsNames?: readonly string[];
  /** Days from now until it expires (default `DEFAULT_CERT_VALIDITY_DAYS`). */
  readonly validityDays?: number;
}

export interface ClientCertificateRequest {
  /** The user name (CN). */
  readonly user: string;
  /** The user's groups (one O each), in order. */
  readonly groups?: readonly string[];
  /** Days from now until it expires (default `DEFAULT_CERT_VALIDITY_DAYS`). */
  readonly validityDays?: number;
}

/** A new self-signed CA. */
export async function createCertificateAuthority(request: CaRequest = {}): Promise<CertificateAndKey> {
  const keys = await newKeyPair();
  const subject = [{ name: 'commonName', value: request.commonName ?? 'balsa-ca' }];
  const cert = newCertificate(keys.publicKeyPem, request.validityDays ?? DEFAULT_CA_VALIDITY_DAYS);
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keys.privateKeyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

/** A server (and member-to-member) certificate signed by `ca`. */
export async function issueServerCertificate(ca: CertificateAndKey, request: ServerCertificateRequest): Promise<CertificateAndKey> {
  const altNames = [
    ...(request.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(request.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
  ];
  const subject = [{ name: 'commonName', value: request.commonName }, ...(request.groups ?? []).map((group) => ({ name: 'organizationName', value: group }))];
  return issue(ca, subject, request.validityDays, [
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
  ]);
}

/** A client certificate signed by `ca`: CN = `user`, one O per group. */
export async function issueClientCertificate(ca: CertificateAndKey, request: ClientCertificateRequest): Promise<CertificateAndKey> {
  const subject = [{ name: 'commonName', value: request.user }, ...(request.groups ?? []).map((group) => ({ name: 'organizationName', value: group }))];
  return issue(ca, subject, request.validityDays, [{ name: 'extKeyUsage', clientAuth: true }]);
}

async function issue(ca: CertificateAndKey, subject: forge.pki.CertificateField[], validityDays: number | undefined, extensions: object[]): Promise<CertificateAndKey> {
  const keys = await newKeyPair();
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = newCertificate(keys.publicKeyPem, validityDays ?? DEFAULT_CERT_VALIDITY_DAYS);
  cert.setSubject(subject);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    ...extensions,
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

function newCertificate(publicKeyPem: string, validityDays: number): forge.pki.Certificate {
  if (!Number.isInteger(validityDays) || validityDays < 1) throw new RangeError(`validity must be a whole number of days >= 1, got ${validityDays}`);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  // A positive DER integer: the top bit of the first byte clear (RFC 5280 §4.1.2.2).
  const serial = randomBytes(SERIAL_NUMBER_BYTES);
  serial[0] = serial[0]! & 0x7f;
  cert.serialNumber = serial.toString('hex');
  const now = Date.now();
  // An hour back, so that a peer whose clock is a little behind already accepts it.
  cert.validity.notBefore = new Date(now - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(now + validityDays * 24 * 60 * 60 * 1000);
  return cert;
}

function newKeyPair(): Promise<{ publicKeyPem: string; privateKeyPem: string }> {
  return new Promise((resolve, reject) =>
    generateKeyPair(
      'rsa',
      { modulusLength: RSA_KEY_BITS, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } },
      (error, publicKeyPem, privateKeyPem) => (error ? reject(error) : resolve({ publicKeyPem, privateKeyPem })),
    ),
  );
}

/**
 * Whether `certPem` was issued by the CA of `caCertPem` (its issuer is the CA's subject and
 * the CA's key signed it). False for text that is not a certificate.
 */
export function signedBy(certPem: string, caCertPem: string): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caCertPem);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    return false;
  }
}
