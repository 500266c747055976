/**
 * The PKI's certificates say what their users rely on (a CA that signs; a server
 * certificate for its addresses, usable both ways; a client certificate naming its user
 * and groups), and a client certificate's CN reaches a gRPC call served the way the KV
 * serves its client port (a TLS listener under the HTTP/2 front): the hook KV auth reads
 * the user name from, as etcd does with `--client-cert-auth`.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { clientCertificateUser } from '../../../kv/security/client-identity.js';
import { createCertificateAuthority, issueClientCertificate, issueServerCertificate } from '../../../kv/security/pki.js';
import type { CertificateAndKey } from '../../../kv/security/pki.js';
import { readTlsMaterial, tlsServerOptions } from '../../../kv/security/tls-files.js';
import { loadEtcdProto } from '../../../kv/server/etcd-proto.js';
import type { WireObject } from '../../../kv/server/etcd-proto.js';
import { ClientListener } from '../../../kv/server/http2-front/client-listener.js';
import { handToGrpc } from '../../../kv/server/http2-front/grpc-handoff.js';

const FRONT = { maxHeaderBlockBytes: 64 * 1024, headerTableBytes: 4096, ackTimeoutMs: 10_000, maxUnroutedBytes: 256 * 1024 };

let dir: string;
let ca: CertificateAndKey;
let server: CertificateAndKey;
let alice: CertificateAndKey;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'balsa-client-certs-'));
  ca = await createCertificateAuthority({ commonName: 'test-ca' });
  [server, alice] = await Promise.all([
    issueServerCertificate(ca, { commonName: 'm1', ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'] }),
    issueClientCertificate(ca, { user: 'alice', groups: ['dev', 'ops'] }),
  ]);
}, 60_000);

afterAll(() => rm(dir, { recursive: true, force: true }));

test('a CA signs; a server certificate names its addresses and serves both ways; a client certificate names its user and groups', () => {
  const caCert = new X509Certificate(ca.certPem);
  expect(caCert.ca).toBe(true);
  const serverCert = new X509Certificate(server.certPem);
  expect(serverCert.verify(caCert.publicKey)).toBe(true);
  expect(serverCert.ca).toBe(false);
  expect(serverCert.checkIP('127.0.0.1')).toBe('127.0.0.1');
  expect(serverCert.checkHost('localhost')).toBe('localhost');
  expect(serverCert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  const clientCert = new X509Certificate(alice.certPem);
  expect(clientCert.verify(caCert.publicKey)).toBe(true);
  expect(clientCert.subject).toBe('CN=alice\nO=dev\nO=ops');
  expect(clientCert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
});

test("a verified client certificate's CN reaches the call through the KV's TLS listener and front; no certificate, no user", async () => {
  const files = { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key') };
  await writeFile(files.certFile, server.certPem);
  await writeFile(files.keyFile, server.keyPem);
  const grpcServer = new grpc.Server();
  const { services } = loadEtcdProto();
  // The user name comes back in a string field of the answer.
  grpcServer.addService(services.Maintenance, {
    Status: (call: grpc.ServerUnaryCall<WireObject, WireObject>, callback: grpc.sendUnaryData<WireObject>) => callback(null, { version: clientCertificateUser(call) ?? '(none)' }),
  });
  const injector = grpcServer.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  // No trusted CA and no --client-cert-auth: a certificate is asked for but not required.
  const material = readTlsMaterial({ ...files, clientCertAuth: false });
  const listener = await ClientListener.listen('127.0.0.1:0', handToGrpc(injector, FRONT), { ...tlsServerOptions(material), requestCert: true, ca: ca.certPem });
  const Maintenance = grpc.makeGenericClientConstructor(services.Maintenance, 'Maintenance');
  const userSeen = (credentials: grpc.ChannelCredentials) => {
    const client = new Maintenance(listener.address, credentials) as unknown as grpc.Client & {
      Status: (request: WireObject, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: WireObject) => void) => void;
    };
    return new Promise<string>((resolve, reject) =>
      client.Status({}, { deadline: Date.now() + 10_000 }, (error, response) => {
        client.close();
        if (error) reject(error);
        else resolve(String(response!.version));
      }),
    );
  };
  try {
    expect(await userSeen(grpc.credentials.createSsl(Buffer.from(ca.certPem), Buffer.from(alice.keyPem), Buffer.from(alice.certPem)))).toBe('alice');
    expect(await userSeen(grpc.credentials.createSsl(Buffer.from(ca.certPem)))).toBe('(none)');
  } finally {
    const closed = listener.close();
    grpcServer.forceShutdown();
    listener.destroyConnections();
    await closed;
  }
}, 60_000);
