/**
 * `balsa logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]`: prints a container's log as the
 * API server streams it from the pod's node (`pods/{name}/log`), chunk by chunk as it
 * arrives; with `-f` until the container exits or Ctrl-C. `TYPE/NAME` names a pod
 * (`pod/web-1`) or a Deployment or ReplicaSet, whose first pod is shown (kubectl's choice:
 * a pod on a node first, running before pending, ready first, then the oldest).
 *
 * The container is checked by the server, so a wrong or missing `-c` reads as kubectl's
 * `Error from server (BadRequest): ...`.
 */
import { resourceByName } from '../../api/resources.js';
import type { ResourceInfo } from '../../api/resources.js';
import { formatLabelSelector, labelSelectorFromObject } from '../../api/selectors.js';
import type { LabelSelectorObject } from '../../api/selectors.js';
import type { ApiObject } from '../../api/types.js';
import type { ApiClient, PodLogOptions } from '../api-client.js';
import type { ClientCommand, CommandContext } from '../command-context.js';
import { CliError, CliUsageError } from '../errors.js';
import { booleanFlag, integerFlag, stringFlag } from '../flags.js';
import type { ParsedFlags } from '../flags.js';
import { asNumber, asRecord } from '../../api/object-fields.js';
import { lookupResource } from '../resource-args.js';

const HELP = `Print the logs for a container in a pod or specified resource. If the pod has only one
container, the container name is optional.

Usage:
  balsa logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER] [flags]

Examples:
  # Return snapshot logs from pod nginx with only one container
  balsa logs nginx

  # Begin streaming the logs of the ruby container in pod web-1
  balsa logs -f -c ruby web-1

  # Display only the most recent 20 lines of output in pod nginx
  balsa logs --tail=20 nginx

  # Return snapshot logs of the previous terminated ruby container in pod web-1
  balsa logs -p -c ruby web-1

  # Return snapshot logs from the first pod of a deployment named nginx
  balsa logs deployment/nginx

Flags:
  -c, --container CONTAINER  print the logs of this container
  -f, --follow               specify if the logs should be streamed
  -p, --previous             print the logs for the previous instance of the container in a pod if it exists
      --tail LINES           lines of recent log file to display (default -1: all of them)
      --limit-bytes BYTES    maximum bytes of logs to return (default 0: no limit)`;

const PODS: ResourceInfo = resourceByName('pods')!;

/** The kinds whose pods `TYPE/NAME` may name, by their `spec.selector`. */
const WORKLOAD_KINDS: readonly string[] = ['Deployment', 'ReplicaSet'];

function usageError(message: string): CliUsageError {
  return new CliUsageError(message, 'logs');
}

/** `POD`, `pod/POD`, or the first pod of `deployment/NAME` and `replicaset/NAME`. */
async function resolvePod(target: string, context: CommandContext): Promise<string> {
  const slash = target.indexOf('/');
  if (slash < 0) return target;
  const info = lookupResource(target.slice(0, slash));
  const name = target.slice(slash + 1);
  if (name === '') throw usageError(`arguments in resource/name form must have a single resource and name: "${target}"`);
  if (info.kind === 'Pod') return name;
  if (!WORKLOAD_KINDS.includes(info.kind)) throw new CliError(`cannot get the logs from ${info.plural}: only pods, deployments and replicasets have them`);
  const client = await context.client();
  const workload = await client.get(info, context.namespace, name);
  const selector = formatLabelSelector(labelSelectorFromObject(asRecord(workload.spec).selector as LabelSelectorObject));
  const pods = (await client.list(PODS, { namespace: context.namespace, labelSelector: selector })).items;
  if (pods.length === 0) throw new CliError(`${info.singular} "${name}" has no pods`);
  const chosen = [...pods].sort(byLogging)[0]!;
  if (pods.length > 1) context.io.stderr(`Found ${pods.length} pods, using pod/${chosen.metadata.name ?? ''}\n`);
  return chosen.metadata.name ?? '';
}

const PHASE_ORDER: Readonly<Record<string, number>> = { Running: 0, Unknown: 1, Pending: 2 };

/** kubectl's order for picking the pod whose log to show: the most useful first. */
function byLogging(a: ApiObject, b: ApiObject): number {
  const assigned = (pod: ApiObject): number => (typeof pod.spec?.nodeName === 'string' && pod.spec.nodeName !== '' ? 0 : 1);
  const phase = (pod: ApiObject): number => PHASE_ORDER[String(asRecord(pod.status).phase)] ?? 3;
  const ready = (pod: ApiObject): number => {
    const conditions = asRecord(pod.status).conditions;
    const condition = Array.isArray(conditions) ? (conditions as { type?: unknown; status?: unknown }[]).find((entry) => entry.type === 'Ready') : undefined;
    return condition?.status === 'True' ? 0 : 1;
  };
  const restarts = (pod: ApiObject): number => {
    const statuses = asRecord(pod.status).containerStatuses;
    return Array.isArray(statuses) ? statuses.reduce((sum: number, status) => sum + asNumber(asRecord(status).restartCount), 0) : 0;
  };
  const created = (pod: ApiObject): string => pod.metadata.creationTimestamp ?? '';
  return (
    assigned(a) - assigned(b) ||
    phase(a) - phase(b) ||
    ready(a) - ready(b) ||
    restarts(b) - restarts(a) ||
    created(a).localeCompare(created(b))
  );
}

/** The log options of the command line; kubectl's messages for bad values. */
function logOptions(flags: ParsedFlags): PodLogOptions {
  const tail = integerFlag(flags.values, 'tail', 'logs') ?? -1;
  if (tail < -1) throw usageError('--tail must be greater than or equal to -1');
  const limitBytes = integerFlag(flags.values, 'limit-bytes', 'logs') ?? 0;
  if (limitBytes < 0) throw usageError('--limit-bytes must be greater than 0');
  return {
    follow: booleanFlag(flags.values, 'follow'),
    previous: booleanFlag(flags.values, 'previous'),
    ...(tail === -1 ? {} : { tailLines: tail }),
    ...(limitBytes === 0 ? {} : { limitBytes }),
  };
}

async function run(flags: ParsedFlags, context: CommandContext): Promise<number> {
  const [target, inlineContainer, ...extra] = flags.positionals;
  if (target === undefined) throw usageError('POD or TYPE/NAME is a required argument for the logs command');
  if (extra.length > 0) throw usageError("expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'");
  let container = stringFlag(flags.values, 'container');
  if (inlineContainer !== undefined) {
    if (container !== undefined) throw usageError('only one of -c or an inline [CONTAINER] arg is allowed');
    container = inlineContainer;
  }
  const options = logOptions(flags);
  const pod = await resolvePod(target, context);
  const client: ApiClient = await context.client();
  const decoder = new TextDecoder();
  const { io } = context;
  const stream = client.podLog(context.namespace, pod, {
    ...options,
    ...(container === undefined ? {} : { container }),
    ...(io.signal === undefined ? {} : { signal: io.signal }),
  });
  for await (const chunk of stream) io.stdout(decoder.decode(chunk, { stream: true }));
  const rest = decoder.decode();
  if (rest !== '') io.stdout(rest);
  return 0;
}

export const logsCommand: ClientCommand = {
  name: 'logs',
  summary: 'Print the logs for a container in a pod',
  help: HELP,
  flags: {
    container: { type: 'string', short: 'c' },
    follow: { type: 'boolean', short: 'f' },
    previous: { type: 'boolean', short: 'p' },
    tail: { type: 'string' },
    'limit-bytes': { type: 'string' },
  },
  run,
};
