/**
 * `balsa get`: kubectl's `get` — tables per kind (`-o wide` for more columns), `-o
 * yaml|json|name`, label and field selectors, all namespaces, and `-w` to follow changes.
 */
import type { ResourceInfo } from '../../api/resources.js';
import type { ApiObject, Status } from '../../api/types.js';
import type { ApiClient } from '../api-client.js';
import { noResourcesMessage } from '../command-context.js';
import type { ClientCommand, CommandContext } from '../command-context.js';
import { ApiClientError, CliUsageError, formatServerError, isNotFound } from '../errors.js';
import { booleanFlag, stringFlag } from '../flags.js';
import type { ParsedFlags } from '../flags.js';
import { formatJson, formatName, formatObjects, formatYaml, parseOutputFormat } from '../object-printers.js';
import type { OutputFormat } from '../object-printers.js';
import { parseResourceArgs } from '../resource-args.js';
import type { ResourceRequest } from '../resource-args.js';
import { GrowingTable, formatTable } from '../tab-writer.js';
import { tableHeader, tableRows } from '../../api/table-columns.js';
import type { TableOptions } from '../../api/table-columns.js';

const HELP = `Display one or many resources.

Usage:
  balsa get RESOURCE[,RESOURCE...] [NAME...] [flags]
  balsa get RESOURCE/NAME... [flags]

Examples:
  balsa get pods
  balsa get deploy,svc -A
  balsa get pod web -o yaml
  balsa get pods -l app=web -w

Flags:
  -o, --output FORMAT      wide, yaml, json or name (default: a table)
  -l, --selector SELECTOR  label selector (app=web,tier!=db)
      --field-selector S   field selector (spec.nodeName=n1)
  -A, --all-namespaces     list across all namespaces
  -w, --watch              after listing, print every change until interrupted
      --watch-only         print changes only, not the current objects
      --show-labels        a LABELS column last
      --no-headers         no header row`;

/** What was read for one requested kind. */
interface Fetched {
  readonly info: ResourceInfo;
  readonly objects: ApiObject[];
  /** The list's revision (to watch from); `undefined` for objects read by name. */
  readonly resourceVersion: string | undefined;
}

interface GetOptions {
  readonly output: OutputFormat;
  readonly labelSelector: string | undefined;
  readonly fieldSelector: string | undefined;
  /** `undefined` with `-A`. */
  readonly namespace: string | undefined;
  readonly showLabels: boolean;
  readonly noHeaders: boolean;
}

function checkArguments(requests: readonly ResourceRequest[], flags: ParsedFlags, options: GetOptions): void {
  const named = requests.some((request) => request.names.length > 0);
  if (named && (options.labelSelector !== undefined || options.fieldSelector !== undefined)) {
    throw new CliUsageError('name cannot be provided when a selector is specified', 'get');
  }
  if (named && options.namespace === undefined) {
    throw new CliUsageError('a resource cannot be retrieved by name across all namespaces', 'get');
  }
  const watching = booleanFlag(flags.values, 'watch') || booleanFlag(flags.values, 'watch-only');
  if (watching && requests.length > 1) throw new CliUsageError('you may only specify a single resource type with --watch', 'get');
  if (watching && requests[0]!.names.length > 1) throw new CliUsageError('you may only watch one object by name (or use a selector)', 'get');
}

/**
 * Reads every request. A name not found does not stop the others: its kubectl message is
 * returned in `errors`, to print after what was found (as kubectl does).
 */
async function fetchAll(
  client: ApiClient,
  requests: readonly ResourceRequest[],
  options: GetOptions,
  context: CommandContext,
): Promise<{ fetched: Fetched[]; errors: string[] }> {
  const fetched: Fetched[] = [];
  const errors: string[] = [];
  for (const { info, names } of requests) {
    if (names.length === 0) {
      const list = await client.list(info, {
        namespace: options.namespace,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
      });
      fetched.push({ info, objects: list.items, resourceVersion: list.resourceVersion });
      continue;
    }
    const objects: ApiObject[] = [];
    for (const name of names) {
      try {
        objects.push(await client.get(info, context.namespace, name));
      } catch (error) {
        if (!isNotFound(error)) throw error;
        errors.push(formatServerError(error));
      }
    }
    fetched.push({ info, objects, resourceVersion: undefined });
  }
  return { fetched, errors };
}

function tableOptions(info: ResourceInfo, options: GetOptions, withKind: boolean, now: Date): TableOptions {
  return {
    info,
    wide: options.output === 'wide',
    withNamespace: options.namespace === undefined,
    withKind,
    showLabels: options.showLabels,
    now,
  };
}

/** Prints what was read; whether anything was printed to stdout. */
function printFetched(fetched: readonly Fetched[], singleObject: boolean, options: GetOptions, context: CommandContext): boolean {
  const { io } = context;
  const all = fetched.flatMap((entry) => entry.objects);
  switch (options.output) {
    case 'json':
    case 'yaml':
      if (singleObject && all.length === 0) return false;
      io.stdout(formatObjects(all, options.output, !(singleObject && all.length === 1)));
      return true;
    case 'name':
      for (const entry of fetched) for (const object of entry.objects) io.stdout(formatName(entry.info, object));
      return all.length > 0;
    case '':
    case 'wide': {
      let printed = false;
      const withKind = fetched.length > 1;
      for (const entry of fetched) {
        if (entry.objects.length === 0) continue;
        const tableOptionsForKind = tableOptions(entry.info, options, withKind, io.now());
        const rows = tableRows(entry.objects, tableOptionsForKind);
        if (printed) io.stdout('\n');
        io.stdout(formatTable(options.noHeaders ? rows : [tableHeader(tableOptionsForKind), ...rows]));
        printed = true;
      }
      return printed;
    }
    default: {
      const unexpected: never = options.output;
      throw new Error(`unexpected output format ${String(unexpected)}`);
    }
  }
}

/** `get -w`: the current objects (unless `--watch-only`), then one row or object per change. */
async function watchAndPrint(
  client: ApiClient,
  request: ResourceRequest,
  options: GetOptions,
  watchOnly: boolean,
  context: CommandContext,
): Promise<number> {
  const { io } = context;
  const { info } = request;
  const name = request.names[0];
  // Watched by name through a client-side filter, so that any server field selector support will do.
  const namespace = name === undefined ? options.namespace : context.namespace;
  const list = await client.list(info, { namespace, labelSelector: options.labelSelector, fieldSelector: options.fieldSelector });
  const initial = list.items.filter((object) => name === undefined || object.metadata.name === name);
  if (name !== undefined && initial.length === 0 && !watchOnly) {
    throw new ApiClientError(notFoundStatus(info, name));
  }
  const table = new GrowingTable();
  let headerPrinted = options.noHeaders;
  let printedObjects = 0;
  const print = (objects: readonly ApiObject[]): void => {
    if (objects.length === 0) return;
    switch (options.output) {
      case '':
      case 'wide': {
        const tableOptionsForKind = tableOptions(info, options, false, io.now());
        const rows = tableRows(objects, tableOptionsForKind);
        io.stdout(table.format(headerPrinted ? rows : [tableHeader(tableOptionsForKind), ...rows]));
        headerPrinted = true;
        break;
      }
      case 'json':
        for (const object of objects) io.stdout(formatJson(object));
        break;
      case 'yaml':
        for (const object of objects) io.stdout(`${printedObjects++ > 0 ? '---\n' : ''}${formatYaml(object)}`);
        break;
      case 'name':
        for (const object of objects) io.stdout(formatName(info, object));
        break;
      default: {
        const unexpected: never = options.output;
        throw new Error(`unexpected output format ${String(unexpected)}`);
      }
    }
  };
  if (!watchOnly) print(initial);
  const events = client.watch(info, {
    namespace,
    labelSelector: options.labelSelector,
    fieldSelector: options.fieldSelector,
    resourceVersion: list.resourceVersion,
    ...(io.signal === undefined ? {} : { signal: io.signal }),
  });
  for await (const event of events) {
    if (event.type === 'ERROR') throw new ApiClientError(event.object as Status);
    if (event.type === 'BOOKMARK') continue;
    const object = event.object as ApiObject;
    if (name !== undefined && object.metadata.name !== name) continue;
    print([object]);
  }
  return 0;
}

function notFoundStatus(info: ResourceInfo, name: string): Status {
  return {
    apiVersion: 'v1',
    kind: 'Status',
    metadata: {},
    status: 'Failure',
    message: `${info.group === '' ? info.plural : `${info.plural}.${info.group}`} "${name}" not found`,
    reason: 'NotFound',
    details: { name, kind: info.plural },
    code: 404,
  };
}

async function run(flags: ParsedFlags, context: CommandContext): Promise<number> {
  const { values } = flags;
  const options: GetOptions = {
    output: parseOutputFormat(stringFlag(values, 'output'), 'get'),
    labelSelector: stringFlag(values, 'selector'),
    fieldSelector: stringFlag(values, 'field-selector'),
    namespace: booleanFlag(values, 'all-namespaces') ? undefined : context.namespace,
    showLabels: booleanFlag(values, 'show-labels'),
    noHeaders: booleanFlag(values, 'no-headers'),
  };
  const requests = parseResourceArgs(flags.positionals, 'get');
  checkArguments(requests, flags, options);
  const client = await context.client();
  const watchOnly = booleanFlag(values, 'watch-only');
  if (booleanFlag(values, 'watch') || watchOnly) return watchAndPrint(client, requests[0]!, options, watchOnly, context);

  const { fetched, errors } = await fetchAll(client, requests, options, context);
  const failed = errors.length > 0;
  const singleObject = requests.length === 1 && requests[0]!.names.length === 1;
  const printed = printFetched(fetched, singleObject, options, context);
  for (const error of errors) context.io.stderr(`${error}\n`);
  if (!printed && !failed && options.output !== 'json' && options.output !== 'yaml') {
    const namespaced = requests.some((request) => request.info.namespaced);
    context.io.stderr(noResourcesMessage(namespaced ? options.namespace : undefined));
  }
  return failed ? 1 : 0;
}

export const getCommand: ClientCommand = {
  name: 'get',
  summary: 'Display one or many resources',
  help: HELP,
  flags: {
    output: { type: 'string', short: 'o' },
    selector: { type: 'string', short: 'l' },
    'field-selector': { type: 'string' },
    'all-namespaces': { type: 'boolean', short: 'A' },
    watch: { type: 'boolean', short: 'w' },
    'watch-only': { type: 'boolean' },
    'show-labels': { type: 'boolean' },
    'no-headers': { type: 'boolean' },
  },
  run,
};
