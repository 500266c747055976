/** Limits and defaults of `kv/security/`. */

/** RSA modulus of every key the PKI makes: 2048 bits, what etcd's and Kubernetes' tooling default to. */
export const RSA_KEY_BITS = 2048;
/** Random bytes in a certificate's serial number (RFC 5280 allows up to 20 octets). */
export const SERIAL_NUMBER_BYTES = 16;
/** A CA made by `createCertificateAuthority` lasts 10 years unless asked otherwise. */
export const DEFAULT_CA_VALIDITY_DAYS = 3650;
/** A server or client certificate lasts 1 year unless asked otherwise (kubeadm's default too). */
export const DEFAULT_CERT_VALIDITY_DAYS = 365;
