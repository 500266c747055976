/**
 * The names of the client commands, apart from the commands themselves so that `balsa.ts`
 * can dispatch to them without loading them (a KV member never loads YAML or tables).
 * `client-commands.ts` checks at load that its commands are exactly these.
 */
export const CLIENT_COMMANDS: readonly string[] = ['apply', 'get', 'describe', 'delete', 'label', 'scale', 'rollout', 'logs', 'deploy', 'promote'];
