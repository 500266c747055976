/**
 * The kubeconfig `balsa up` writes beside its data (`<data-dir>/kubeconfig`, by default
 * `~/.balsa/up/kubeconfig`), so that kubectl (1.20) reaches the cluster with
 * `KUBECONFIG=~/.balsa/up/kubeconfig kubectl get nodes`: one cluster, one user and one
 * context, all named `balsa`, the context current.
 *
 * Credentials: the API server is reached over plain HTTP for now, so the user carries none.
 * `KubeconfigCredentials` is where the cluster's CA and the client's certificate or token go
 * once the API server authenticates (the fields are kubeconfig's own, base64 data inline).
 */
import { chmod, writeFile } from 'node:fs/promises';

/** The file's name in `balsa up`'s data folder. */
export const KUBECONFIG_FILE = 'kubeconfig';
/** The name of the cluster, the user and the context. */
export const KUBECONFIG_NAME = 'balsa';

/**
 * CREDENTIALS GO HERE: what kubectl needs to trust the API server and prove who it is.
 * Every field is optional; absent ones are left out of the file.
 */
export interface KubeconfigCredentials {
  /** The cluster CA's certificate, PEM, base64 (`clusters[].cluster.certificate-authority-data`). */
  readonly certificateAuthorityData?: string;
  /** The client's certificate and key, PEM, base64 (`users[].user.client-certificate-data` / `client-key-data`). */
  readonly clientCertificateData?: string;
  readonly clientKeyData?: string;
  /** A bearer token (`users[].user.token`). */
  readonly token?: string;
}

/** A value as a YAML double-quoted scalar (JSON's string syntax is a subset of it). */
function quoted(value: string): string {
  return JSON.stringify(value);
}

/** The kubeconfig's text for the API server at `server` (`http://127.0.0.1:6443`). */
export function kubeconfigText(server: string, credentials: KubeconfigCredentials = {}): string {
  const cluster = [`    server: ${quoted(server)}`];
  if (credentials.certificateAuthorityData !== undefined) cluster.push(`    certificate-authority-data: ${quoted(credentials.certificateAuthorityData)}`);
  const user: string[] = [];
  if (credentials.clientCertificateData !== undefined) user.push(`    client-certificate-data: ${quoted(credentials.clientCertificateData)}`);
  if (credentials.clientKeyData !== undefined) user.push(`    client-key-data: ${quoted(credentials.clientKeyData)}`);
  if (credentials.token !== undefined) user.push(`    token: ${quoted(credentials.token)}`);
  return [
    '# Written by `balsa up`: KUBECONFIG=<this file> kubectl get nodes',
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${KUBECONFIG_NAME}`,
    '  cluster:',
    ...cluster,
    'users:',
    `- name: ${KUBECONFIG_NAME}`,
    ...(user.length === 0 ? ['  user: {}'] : ['  user:', ...user]),
    'contexts:',
    `- name: ${KUBECONFIG_NAME}`,
    '  context:',
    `    cluster: ${KUBECONFIG_NAME}`,
    `    user: ${KUBECONFIG_NAME}`,
    `current-context: ${KUBECONFIG_NAME}`,
    '',
  ].join('\n');
}

/** Writes the kubeconfig to `path`, readable by its owner only (it may hold a key or a token). */
export async function writeKubeconfig(path: string, server: string, credentials: KubeconfigCredentials = {}): Promise<void> {
  await writeFile(path, kubeconfigText(server, credentials), { mode: 0o600 });
  await chmod(path, 0o600); // a file of an earlier run keeps its mode through writeFile
}
