/**
 * Who a client is by its certificate (`call.getAuthContext()` of grpc-js, on any server call): etcd 3.4, with `--client-cert-auth` and auth enabled,
 * takes the common name of a verified client certificate as the user name of a request that
 * carries no token. This is where the KV's auth reads it (the hook; the auth store decides
 * what the user may do).
 *
 * Only a verified certificate counts (the client port's TLS refuses unverified ones when it
 * asks for certificates at all). A connection the HTTP/2 front rewrites (its first request's
 * :authority carried a scheme: etcdctl's per-endpoint commands, `http2-front/`) reaches the
 * gRPC server as a stream of its own, not as the TLS socket, so its calls show no
 * certificate: such a request then needs a token, as a request without a certificate does.
 */
import type { PeerCertificate } from 'node:tls';

/** The CN of the client's verified certificate, or undefined (no TLS, no certificate, none verified, or no CN). */
export function clientCertificateUser(call: { getAuthContext(): { readonly sslPeerCertificate?: PeerCertificate } }): string | undefined {
  const certificate = call.getAuthContext().sslPeerCertificate;
  const commonName = certificate?.subject?.CN;
  // Node gives a repeated attribute as an array: a certificate with two CNs names no one user.
  return typeof commonName === 'string' && commonName !== '' ? commonName : undefined;
}
