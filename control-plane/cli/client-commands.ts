/**
 * The client commands of `balsa`, kubectl's verbs against the API server: `apply`, `get`,
 * `describe`, `delete`, `label`, `scale`, `rollout`, `logs`;
 * and for build pipelines `deploy` (a new image, followed until live) and `promote` (what is live in
 * one namespace, to another). `balsa.ts` hands them `argv` from the command name on; each
 * returns its exit code (0 done, 1 failed, 2 the command line is wrong) and writes only to
 * the `CliIo` it is given.
 */
import { CLIENT_COMMANDS } from './client-command-names.js';
import { ApiClientError, CliError, CliUsageError, formatServerError } from './errors.js';
import { processIo } from './cli-io.js';
import type { CliIo } from './cli-io.js';
import { createCommandContext } from './command-context.js';
import type { ClientCommand } from './command-context.js';
import { applyCommand } from './commands/apply.js';
import { deleteCommand } from './commands/delete.js';
import { deployCommand } from './commands/deploy.js';
import { describeCommand } from './commands/describe.js';
import { getCommand } from './commands/get.js';
import { labelCommand } from './commands/label.js';
import { logsCommand } from './commands/logs.js';
import { promoteCommand } from './commands/promote.js';
import { rolloutCommand } from './commands/rollout.js';
import { scaleCommand } from './commands/scale.js';
import { COMMON_FLAGS, COMMON_FLAGS_HELP, booleanFlag, parseFlags } from './flags.js';

const COMMANDS: readonly ClientCommand[] = [applyCommand, getCommand, describeCommand, deleteCommand, labelCommand, scaleCommand, rolloutCommand, logsCommand, deployCommand, promoteCommand];

/** The command names `runClientCommand` handles. */
export { CLIENT_COMMANDS };

// The dispatcher routes by CLIENT_COMMANDS: a command missing from it could never be run.
if (COMMANDS.map((command) => command.name).join() !== CLIENT_COMMANDS.join()) {
  throw new Error(`client-command-names.ts lists ${CLIENT_COMMANDS.join(', ')} but the commands are ${COMMANDS.map((command) => command.name).join(', ')}`);
}

/** The `--help` text of a command: its own, then the flags every command takes. */
export function commandHelp(command: ClientCommand): string {
  return `${command.help.trimEnd()}\n\nCommon flags:\n${COMMON_FLAGS_HELP}\n`;
}

/**
 * Runs `argv` (`['get', 'pods', '-n', 'kube-system']`). Errors end up on `io.stderr` as
 * kubectl words them: `error: …` for the client's own, `Error from server (Reason): …` for
 * the server's, with a pointer to `--help` after a usage error.
 */
export async function runClientCommand(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const command = COMMANDS.find((candidate) => candidate.name === argv[0]);
  if (command === undefined) {
    io.stderr(`error: unknown command ${JSON.stringify(argv[0] ?? '')}: expected one of ${CLIENT_COMMANDS.join(', ')}\n`);
    return 2;
  }
  try {
    const flags = parseFlags(argv.slice(1), { ...COMMON_FLAGS, ...command.flags }, command.name);
    if (booleanFlag(flags.values, 'help')) {
      io.stdout(commandHelp(command));
      return 0;
    }
    return await command.run(flags, createCommandContext(command.name, flags, io));
  } catch (error) {
    if (error instanceof CliUsageError) {
      io.stderr(`error: ${error.message}\nSee 'balsa ${error.command ?? command.name} --help' for usage.\n`);
      return error.exitCode;
    }
    if (error instanceof CliError) {
      io.stderr(`error: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof ApiClientError) {
      io.stderr(`${formatServerError(error)}\n`);
      return 1;
    }
    throw error;
  }
}
