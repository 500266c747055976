/**
 * What every client command gets: its output sink, the namespace it acts in, and the API
 * client, created on first use so that `--help` and usage errors need no server.
 */
import { ApiClient } from './api-client.js';
import type { CliIo } from './cli-io.js';
import { cliConfigPath, resolveCredentials, resolveServer } from './config.js';
import { ApiClientError, ApiUnreachableError, CliError, formatServerError } from './errors.js';
import { stringFlag } from './flags.js';
import type { FlagSpecs, ParsedFlags } from './flags.js';

/** The namespace used when `-n` is not given. */
export const DEFAULT_NAMESPACE = 'default';

export interface CommandContext {
  readonly io: CliIo;
  /** `get`, `apply`, …: for messages. */
  readonly command: string;
  /** `-n`, else `default`. */
  readonly namespace: string;
  /** Whether `-n` was given (apply then refuses manifests of another namespace, as kubectl). */
  readonly namespaceExplicit: boolean;
  /** The API client for `--server`/`BALSA_SERVER`/the config file; a `CliError` when none is set. */
  client(): Promise<ApiClient>;
}

/** One client command: its flags, its help, and what it does once they are parsed. */
export interface ClientCommand {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The whole `--help` text, common flags excepted. */
  readonly help: string;
  /** Its own flags (the common ones are added). */
  readonly flags: FlagSpecs;
  /** Runs the command; the exit code. Throws `CliError`s and `ApiClientError`s for the caller to print. */
  run(flags: ParsedFlags, context: CommandContext): Promise<number>;
}

export function createCommandContext(command: string, flags: ParsedFlags, io: CliIo): CommandContext {
  const namespaceFlag = stringFlag(flags.values, 'namespace');
  if (namespaceFlag === '') throw new CliError('a namespace must not be empty: pass -n NAME or leave -n out for "default"');
  let client: Promise<ApiClient> | undefined;
  return {
    io,
    command,
    namespace: namespaceFlag ?? DEFAULT_NAMESPACE,
    namespaceExplicit: namespaceFlag !== undefined,
    client() {
      client ??= (async () => {
        const resolved = await resolveServer({ flag: stringFlag(flags.values, 'server'), env: io.env, homeDirectory: io.homeDirectory });
        // The config file's credentials go with its server, and with one named by flag or environment (like kubectl's current context).
        const credentials = await resolveCredentials(cliConfigPath(io.env, io.homeDirectory));
        return new ApiClient(resolved.server, credentials);
      })();
      return client;
    },
  };
}

/**
 * Prints an error about one object and lets the command go on with the others: a server
 * answer as kubectl's `Error from server (Reason): [context: ]message`, a `CliError` as
 * `error: message`. Anything else (an unreachable server, a bug) is rethrown: going on
 * would only repeat it.
 */
export function reportObjectError(io: CliIo, error: unknown, context?: string): void {
  if (error instanceof ApiClientError) {
    io.stderr(`${formatServerError(error, context)}\n`);
    return;
  }
  if (error instanceof CliError && !(error instanceof ApiUnreachableError)) {
    io.stderr(`error: ${error.message}\n`);
    return;
  }
  throw error;
}

/** `No resources found in default namespace.` or, across namespaces or for cluster-scoped kinds, `No resources found`. */
export function noResourcesMessage(namespace: string | undefined): string {
  return namespace === undefined ? 'No resources found\n' : `No resources found in ${namespace} namespace.\n`;
}
