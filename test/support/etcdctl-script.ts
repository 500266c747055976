/**
 * Scripted etcdctl sessions and their transcripts: the same script runs against a real
 * etcd 3.4 and against Balsa, and the two normalized transcripts must be equal.
 *
 * A script is a list of steps (`EtcdctlScript`): etcdctl commands (with optional standard
 * input, and values captured from their output for later steps), commands left running in
 * the background (watch) whose output is collected once they saw N events, and pauses.
 * `runScript` runs one against a cluster's client endpoints and returns its transcript;
 * `renderTranscript` prints it, raw or normalized.
 *
 * Normalizing masks what legitimately differs between two servers (and two runs), and
 * nothing else:
 *
 * 1. Names the runner knows, longest value first: each member is found by `member list`
 *    and named m1, m2, ... in order of its member name, so its id (hex and decimal), name,
 *    client URL and peer URL print as `<id:m1>`, `<name:m1>`, `<client:m1>`, `<peer:m1>`;
 *    the cluster id as `<cluster_id>`; ids captured by the script (leases, added members)
 *    by their capture name (`<lease1>`); the runner's spare peer URLs and files by theirs.
 * 2. etcdctl's own JSON log lines on stderr (zap: level, timestamp, caller, client target,
 *    attempt) become `log <level>: <msg> (<error>)`, keeping the gRPC code and message;
 *    consecutive repeats collapse into one.
 * 3. Fields: revisions of every kind → `<rev>` (`revision`, `create_revision`,
 *    `mod_revision`, `compact_revision` in JSON, `Revision`... in `-w fields`, `compacted
 *    revision N`); raft terms → `<term>`, raft indexes → `<index>` (JSON, fields and the
 *    columns of `endpoint status`); the member that served a request (`member_id` in a
 *    response header) → `<member>`, since a client with several endpoints picks any;
 *    database sizes (`20 kB`, `dbSize`) → `<size>`; server versions `3.x.y` → `<version>`;
 *    durations (`took = 1.2ms`) → `<duration>`; a lease's remaining TTL → `<ttl>` (`remaining(57s)`,
 *    `"ttl":57`; the granted TTL stays).
 * 4. Layout that depends on the masked values or on no order at all: table cells are
 *    trimmed (column widths follow the longest value), the padding etcdctl puts before ids
 *    (`Member %16x`) goes; the members of `ETCD_INITIAL_CLUSTER=`, the keys of `lease
 *    timetolive --keys` (a Go map) and the lines of steps marked `sortLines` (member list:
 *    etcd orders members by id; table rows only) are sorted.
 * 5. Leftovers, so that an unforeseen id never makes a transcript unstable (a script should
 *    capture them instead): 12–16 hex digit ids → `<id>`, 127.0.0.1 ports → `<port>`.
 *
 * Lines lose trailing whitespace (etcdctl's `endpoint status` line ends in ", ").
 */
import { join } from 'node:path';
import { freePort } from '../../raft/testing/process-cluster.js';
import { runEtcdctl, spawnEtcdctl } from './etcd-tools.js';
import type { BackgroundEtcdctl, EtcdctlResult } from './etcd-tools.js';

// ---------------------------------------------------------------------------------------
// Scripts

/** The member a command goes to (m1 is the leader when a script starts), or all of them. */
export type StepTarget = 'm1' | 'm2' | 'm3' | 'all';

/** A value taken from a command's standard output for later steps (`${name}`). */
export interface Capture {
  readonly name: string;
  /** Matched against standard output; group 1 is the value. */
  readonly pattern: RegExp;
  /**
   * `id`: a hexadecimal id (lease, member) masked in every transcript line, in hex and in
   * decimal. `number`: a revision, used in arguments (`${rev+1}`) and never masked itself
   * (the revision rules mask revisions wherever etcdctl prints them).
   */
  readonly kind: 'id' | 'number';
}

export interface CommandStep {
  /** etcdctl arguments after `--endpoints`; `${name}` / `${name+N}` / `${name-N}` substitute a variable. */
  readonly etcdctl: readonly string[];
  /** Written to standard input, then closed (`txn`, `txn -i`). */
  readonly input?: string;
  /** Where the command goes (default m1). */
  readonly on?: StepTarget;
  readonly capture?: readonly Capture[];
  /** Sort the normalized output lines (for output whose order is the server's choice). */
  readonly sortLines?: boolean;
  /** For commands that run until stopped (`lease keep-alive`): stop after this many output lines. */
  readonly untilLines?: number;
  /** Printed as a `#` line before the command. */
  readonly comment?: string;
}

/** Start a command that runs until stopped (watch); its output is recorded by a later `CollectStep`. */
export interface BackgroundStep {
  readonly background: string;
  readonly etcdctl: readonly string[];
  readonly on?: StepTarget;
  readonly comment?: string;
}

/** Wait until background command `collect` printed `events` watch events (PUT / DELETE lines), stop it, record its output. */
export interface CollectStep {
  readonly collect: string;
  readonly events: number;
  readonly comment?: string;
}

/** Wait (a lease expiring). */
export interface PauseStep {
  readonly pauseMs: number;
  readonly comment: string;
}

export type ScriptStep = CommandStep | BackgroundStep | CollectStep | PauseStep;

export interface EtcdctlScript {
  /** File-name friendly: the transcript is `<name>.txt`. */
  readonly name: string;
  /** Members of the cluster the script needs. */
  readonly members: 1 | 3;
  /** What the script proves, printed at the top of its transcript. */
  readonly proves: string;
  readonly steps: readonly ScriptStep[];
}

// ---------------------------------------------------------------------------------------
// Running

/** A cluster to run a script against. */
export interface ScriptTarget {
  /** Path of etcdctl. */
  readonly etcdctl: string;
  /** Every member's client endpoint (any order; `http://host:port` or `host:port`). */
  readonly clientEndpoints: readonly string[];
  /** A directory the script may write to (`${snapshot_file}`). */
  readonly workDir: string;
}

/** How long a background watch may take to see its events. */
export const COLLECT_TIMEOUT_MS = 15_000;
/** How long the members may take to publish their names and client URLs before a script starts. */
const DISCOVERY_TIMEOUT_MS = 10_000;
/** How long the leader may take to move to m1 before a 3-member script starts. */
const LEADER_SETUP_TIMEOUT_MS = 15_000;

export type VariableKind = 'id' | 'number' | 'url' | 'name' | 'path';

export interface Variable {
  readonly value: string;
  readonly kind: VariableKind;
}

/** One recorded step. */
export interface TranscriptEntry {
  /** `#` lines and the command line(s), as written in the script (variables unsubstituted). */
  readonly header: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
  /** Exit status; `stopped` for a command the runner stopped; `timeout` if it had to be killed. */
  readonly exit: number | null | 'stopped' | 'timeout';
  readonly sortLines: boolean;
  /** Set when a collect step gave up before seeing its events. */
  readonly incomplete?: string;
}

export interface ScriptRun {
  readonly script: EtcdctlScript;
  readonly entries: readonly TranscriptEntry[];
  /** Every variable, for masking: discovered members, runner-provided values, captures. */
  readonly variables: ReadonlyMap<string, Variable>;
}

interface Member {
  readonly alias: string;
  readonly idHex: string;
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
}

/** Run `script` against `target` and record what etcdctl printed. */
export async function runScript(script: EtcdctlScript, target: ScriptTarget): Promise<ScriptRun> {
  const variables = new Map<string, Variable>();
  const { members, clusterIdHex } = await discoverMembers(target);
  if (members.length !== script.members) {
    throw new Error(`script ${script.name} needs ${script.members} members, the cluster has ${members.length}`);
  }
  for (const m of members) {
    variables.set(`id:${m.alias}`, { value: m.idHex, kind: 'id' });
    variables.set(`name:${m.alias}`, { value: m.name, kind: 'name' });
    variables.set(`client:${m.alias}`, { value: m.clientUrl, kind: 'url' });
    variables.set(`peer:${m.alias}`, { value: m.peerUrl, kind: 'url' });
  }
  variables.set('cluster_id', { value: clusterIdHex, kind: 'id' });
  for (const n of [1, 2]) variables.set(`spare_peer_url${n}`, { value: `http://127.0.0.1:${await freePort()}`, kind: 'url' });
  variables.set('snapshot_file', { value: join(target.workDir, `${script.name}.snapshot.db`), kind: 'path' });
  if (members.length > 1) await makeLeader(target, members[0]!);

  const endpointsOf = (on: StepTarget | undefined): string[] =>
    on === 'all' ? members.map((m) => m.clientUrl) : [members.find((m) => m.alias === (on ?? 'm1'))!.clientUrl];
  const commandLine = (args: readonly string[], on: StepTarget | undefined): string => {
    const endpoints = on === undefined || on === 'm1' ? [] : [`--endpoints=${on === 'all' ? members.map((m) => `\${client:${m.alias}}`).join(',') : `\${client:${on}}`}`];
    return ['etcdctl', ...endpoints, ...args].map(shellQuote).join(' ');
  };

  const background = new Map<string, { process: BackgroundEtcdctl; header: string[] }>();
  const entries: TranscriptEntry[] = [];
  try {
    for (const step of script.steps) {
      const comments = step.comment === undefined ? [] : step.comment.split('\n').map((line) => `# ${line}`);
      if ('pauseMs' in step) {
        await new Promise((resolve) => setTimeout(resolve, step.pauseMs));
        entries.push({ header: [...comments, `# (paused ${step.pauseMs} ms)`], stdout: '', stderr: '', exit: 0, sortLines: false });
      } else if ('collect' in step) {
        const running = background.get(step.collect);
        if (running === undefined) throw new Error(`script ${script.name}: collect ${step.collect} before it was started`);
        background.delete(step.collect);
        const seen = await running.process.waitFor((out) => countWatchEvents(out) >= step.events, COLLECT_TIMEOUT_MS);
        const exitedByItself = running.process.code !== undefined;
        const code = await running.process.stop();
        entries.push({
          header: [...comments, `# output of ${step.collect} (${running.header.join(' ')}) after ${step.events} events:`],
          stdout: running.process.stdout,
          stderr: running.process.stderr,
          exit: exitedByItself ? code : 'stopped',
          sortLines: false,
          ...(seen ? {} : { incomplete: `saw ${countWatchEvents(running.process.stdout)} of ${step.events} events` }),
        });
      } else if ('background' in step) {
        const args = substitute(step.etcdctl, variables);
        const child = spawnEtcdctl(target.etcdctl, args, { endpoints: endpointsOf(step.on) });
        const line = `$ ${commandLine(step.etcdctl, step.on)} &  # ${step.background}`;
        background.set(step.background, { process: child, header: [commandLine(step.etcdctl, step.on)] });
        entries.push({ header: [...comments, line], stdout: '', stderr: '', exit: 0, sortLines: false });
      } else {
        const args = substitute(step.etcdctl, variables);
        const endpoints = endpointsOf(step.on);
        const header = [...comments, `$ ${commandLine(step.etcdctl, step.on)}${step.input === undefined ? '' : " <<'EOF'"}`];
        if (step.input !== undefined) header.push(...step.input.replace(/\n$/, '').split('\n'), 'EOF');
        let result: EtcdctlResult | { code: number | null | 'stopped'; stdout: string; stderr: string; timedOut: boolean };
        if (step.untilLines === undefined) {
          result = await runEtcdctl(target.etcdctl, args, { endpoints, ...(step.input === undefined ? {} : { input: step.input }) });
        } else {
          const lines = step.untilLines;
          const child = spawnEtcdctl(target.etcdctl, args, { endpoints });
          const seen = await child.waitFor((out) => out.split('\n').length - 1 >= lines, COLLECT_TIMEOUT_MS);
          const exitedByItself = child.code !== undefined;
          const code = await child.stop();
          header[header.length - 1] += `  # stopped after ${lines} line${lines === 1 ? '' : 's'}`;
          result = { code: exitedByItself ? code : 'stopped', stdout: firstLines(child.stdout, lines), stderr: child.stderr, timedOut: !seen && !exitedByItself };
        }
        entries.push({
          header,
          stdout: result.stdout,
          stderr: result.stderr,
          exit: result.timedOut ? 'timeout' : result.code,
          sortLines: step.sortLines ?? false,
        });
        for (const capture of step.capture ?? []) {
          const match = capture.pattern.exec(result.stdout);
          if (match?.[1] === undefined) throw new Error(`\${${capture.name}} not found by ${capture.pattern} in the output of the last step`);
          variables.set(capture.name, { value: match[1], kind: capture.kind });
        }
      }
    }
  } catch (error) {
    // Say where the script stopped, with what it printed so far.
    if (error instanceof Error) {
      error.message = `script ${script.name}: ${error.message}\n\ntranscript so far:\n${renderTranscript({ script, entries, variables }, { normalize: false })}`;
    }
    throw error;
  } finally {
    await Promise.all([...background.values()].map((running) => running.process.stop()));
  }
  return { script, entries, variables };
}

/** Lines of etcdctl's simple watch output that start an event. */
function countWatchEvents(stdout: string): number {
  return stdout.split('\n').filter((line) => line === 'PUT' || line === 'DELETE').length;
}

function firstLines(text: string, count: number): string {
  const lines = text.split('\n').slice(0, count);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** `${name}`, `${name+N}`, `${name-N}` in `args`, from `variables`. */
export function substitute(args: readonly string[], variables: ReadonlyMap<string, { readonly value: string; readonly kind: string }>): string[] {
  return args.map((arg) =>
    arg.replace(/\$\{([A-Za-z0-9_:.]+)(?:([+-])(\d+))?\}/g, (_all, name: string, sign: string | undefined, amount: string | undefined) => {
      const variable = variables.get(name);
      if (variable === undefined) throw new Error(`unknown variable \${${name}} in ${JSON.stringify(arg)}`);
      if (sign === undefined) return variable.value;
      if (variable.kind !== 'number') throw new Error(`\${${name}${sign}${amount}}: only numbers take an offset`);
      return String(BigInt(variable.value) + (sign === '+' ? 1n : -1n) * BigInt(amount!));
    }),
  );
}

/** Quote an argument the way a shell would need it (for the transcript only). */
function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=,@%+${}-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** JSON with every integer of 16 digits or more as a string (uint64 ids do not fit a double). */
function parseJsonWithIds(text: string): unknown {
  return JSON.parse(text.replace(/([:[,]\s*)(\d{16,})(?=\s*[,}\]])/g, '$1"$2"'));
}

interface MemberListJson {
  header: { cluster_id: string | number };
  members?: { ID: string | number; name?: string; peerURLs?: string[]; clientURLs?: string[] }[];
}

/**
 * The members (named m1, m2, ... in order of member name) and the cluster id, from `member
 * list -w json`: once every member has published its name and client URL (a member does so
 * shortly after it starts), within `DISCOVERY_TIMEOUT_MS`.
 */
async function discoverMembers(target: ScriptTarget): Promise<{ members: Member[]; clusterIdHex: string }> {
  const deadline = Date.now() + DISCOVERY_TIMEOUT_MS;
  const bare = (url: string) => url.replace(/^https?:\/\//, '');
  for (;;) {
    const result = await runEtcdctl(target.etcdctl, ['member', 'list', '-w', 'json'], { endpoints: target.clientEndpoints });
    let problem: string;
    if (result.code === 0) {
      const list = parseJsonWithIds(result.stdout) as MemberListJson;
      const raw = (list.members ?? []).map((m) => ({
        idHex: BigInt(m.ID).toString(16),
        name: m.name ?? '',
        clientUrl: m.clientURLs?.[0] ?? '',
        peerUrl: m.peerURLs?.[0] ?? '',
      }));
      raw.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const members = raw.map((m, i) => ({ ...m, alias: `m${i + 1}` }));
      const stranger = members.find((m) => !target.clientEndpoints.some((endpoint) => bare(endpoint) === bare(m.clientUrl)));
      if (stranger === undefined) return { members, clusterIdHex: BigInt(list.header.cluster_id).toString(16) };
      problem = `member ${stranger.idHex} (name "${stranger.name}") advertises client URL "${stranger.clientUrl}", not one of ${target.clientEndpoints.join(', ')}`;
    } else {
      problem = `member list failed (${result.code}):\n${result.stdout}${result.stderr}`;
    }
    if (Date.now() >= deadline) throw new Error(`could not learn the members within ${DISCOVERY_TIMEOUT_MS} ms: ${problem}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface EndpointStatusJson {
  Endpoint: string;
  Status: { header: { member_id: string | number }; leader: string | number };
}

/** Move leadership to `member` (so that every run of a 3-member script starts alike). */
async function makeLeader(target: ScriptTarget, member: Member): Promise<void> {
  const deadline = Date.now() + LEADER_SETUP_TIMEOUT_MS;
  for (;;) {
    const status = await runEtcdctl(target.etcdctl, ['endpoint', 'status', '-w', 'json'], { endpoints: target.clientEndpoints });
    if (status.code === 0) {
      const statuses = parseJsonWithIds(status.stdout) as EndpointStatusJson[];
      const leaders = new Set(statuses.map((s) => BigInt(s.Status.leader).toString(16)));
      if (leaders.size === 1 && leaders.has(member.idHex)) return;
    }
    if (Date.now() >= deadline) throw new Error(`could not make ${member.name} the leader:\n${status.stdout}${status.stderr}`);
    await runEtcdctl(target.etcdctl, ['move-leader', member.idHex], { endpoints: target.clientEndpoints });
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// ---------------------------------------------------------------------------------------
// Transcripts

export interface RenderOptions {
  /** Apply the masking rules (the form compared and stored as fixtures); raw otherwise. */
  readonly normalize: boolean;
}

/** The transcript as text: the script's purpose, then each step's command, output (`! ` for stderr) and non-zero exit. */
export function renderTranscript(run: ScriptRun, options: RenderOptions): string {
  const masks = options.normalize ? masksOf(run.variables) : [];
  const lines: string[] = [`# ${run.script.name} (${run.script.members} member${run.script.members === 1 ? '' : 's'})`];
  for (const line of run.script.proves.split('\n')) lines.push(`# ${line}`.trimEnd());
  for (const entry of run.entries) {
    lines.push('');
    lines.push(...entry.header);
    let stdout = splitLines(entry.stdout);
    let stderr = splitLines(entry.stderr);
    if (options.normalize) {
      stdout = normalizeLines(stdout, masks);
      stderr = collapseRepeats(normalizeLines(stderr.map(normalizeLogLine), masks));
      if (entry.sortLines) {
        stdout = sortRows(stdout);
        stderr = sortRows(stderr);
      }
    }
    lines.push(...stdout, ...stderr.map((line) => `! ${line}`.trimEnd()));
    if (entry.incomplete !== undefined) lines.push(`[incomplete: ${entry.incomplete}]`);
    if (entry.exit === 'stopped') lines.push('[stopped]');
    else if (entry.exit === 'timeout') lines.push('[timed out]');
    else if (entry.exit !== 0) lines.push(`[exit ${entry.exit}]`);
  }
  return `${lines.join('\n')}\n`;
}

/** Sorted lines; of a table (`+---+` border, header, border, rows, border), only the rows. */
function sortRows(lines: readonly string[]): string[] {
  const border = (line: string | undefined) => line !== undefined && /^\+[-+]+\+$/.test(line);
  if (lines.length >= 4 && border(lines[0]) && border(lines[2]) && border(lines.at(-1))) {
    return [...lines.slice(0, 3), ...lines.slice(3, -1).sort(), lines.at(-1)!];
  }
  return [...lines].sort();
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

interface Mask {
  readonly pattern: RegExp;
  readonly replacement: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Masks for every variable except numbers, longest value first (a client URL before its host). */
function masksOf(variables: ReadonlyMap<string, Variable>): Mask[] {
  const masks: { value: string; mask: Mask }[] = [];
  for (const [name, variable] of variables) {
    const replacement = `<${name}>`;
    switch (variable.kind) {
      case 'number':
        break;
      case 'id': {
        masks.push({ value: variable.value, mask: { pattern: new RegExp(`\\b${escapeRegExp(variable.value)}\\b`, 'g'), replacement } });
        const decimal = BigInt(`0x${variable.value}`).toString();
        masks.push({ value: decimal, mask: { pattern: new RegExp(`\\b${decimal}\\b`, 'g'), replacement } });
        break;
      }
      case 'url':
      case 'path':
        masks.push({ value: variable.value, mask: { pattern: new RegExp(`${escapeRegExp(variable.value)}(?![0-9])`, 'g'), replacement } });
        break;
      case 'name':
        if (variable.value !== '') {
          masks.push({
            value: variable.value,
            mask: { pattern: new RegExp(`(?<=^|[\\s,="|\\[])${escapeRegExp(variable.value)}(?=$|[\\s,="|\\]])`, 'g'), replacement },
          });
        }
        break;
      default: {
        const unexpected: never = variable.kind;
        throw new Error(`unknown variable kind ${String(unexpected)}`);
      }
    }
  }
  masks.sort((a, b) => b.value.length - a.value.length);
  return masks.map((m) => m.mask);
}

/** A zap JSON log line of etcdctl's (`{"level":"warn","ts":...,"msg":...}`) without its time, caller and target. */
export function normalizeLogLine(line: string): string {
  if (!line.startsWith('{"level":')) return line;
  let entry: { level?: unknown; msg?: unknown; error?: unknown };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    return line;
  }
  const error = typeof entry.error === 'string' ? ` (${entry.error})` : '';
  return `log ${String(entry.level)}: ${String(entry.msg)}${error}`;
}

function collapseRepeats(lines: readonly string[]): string[] {
  return lines.filter((line, i) => i === 0 || line !== lines[i - 1]);
}

/** Field rules: `[pattern, replacement]`, applied to every line after the variable masks. */
const FIELD_RULES: readonly (readonly [RegExp, string])[] = [
  // The cluster id, when the runner could not learn it (it always can from member list).
  [/"cluster_id":\d+/g, '"cluster_id":<cluster_id>'],
  [/"ClusterID" : \d+/g, '"ClusterID" : <cluster_id>'],
  // The member that served the request: any of the endpoints given.
  [/"member_id":(?:\d+|<[^>]+>)/g, '"member_id":<member>'],
  [/"MemberID" : (?:\d+|<[^>]+>)/g, '"MemberID" : <member>'],
  // Revisions.
  [/"(revision|create_revision|mod_revision|compact_revision)":\d+/g, '"$1":<rev>'],
  [/"(Revision|CreateRevision|ModRevision|CompactRevision)" : \d+/g, '"$1" : <rev>'],
  [/\bcompacted revision \d+/g, 'compacted revision <rev>'],
  // Raft terms and indexes.
  [/"(raft_term|raftTerm)":\d+/g, '"$1":<term>'],
  [/"(RaftTerm)" : \d+/g, '"$1" : <term>'],
  [/"(raftIndex|raftAppliedIndex)":\d+/g, '"$1":<index>'],
  [/"(RaftIndex|RaftAppliedIndex)" : \d+/g, '"$1" : <index>'],
  // Sizes, versions, durations, remaining TTLs.
  [/"(dbSize|dbSizeInUse)":\d+/g, '"$1":<size>'],
  [/"(DbSize|DbSizeInUse|DBSize|DBSizeInUse)" : \d+/g, '"$1" : <size>'],
  [/\b\d+(?:\.\d+)? (?:B|kB|MB|GB|TB)\b/g, '<size>'],
  [/\b3\.\d+\.\d+\b/g, '<version>'],
  [/\btook = [0-9.]+(?:[µnm]?s)\b/g, 'took = <duration>'],
  [/"took":"[0-9.]+(?:[µnm]?s)"/g, '"took":"<duration>"'],
  [/remaining\(\d+s\)/g, 'remaining(<ttl>)'],
  [/"ttl":\d+/g, '"ttl":<ttl>'],
  // Leftovers.
  [/\b(?=[0-9a-f]*[a-f])[0-9a-f]{12,16}\b/g, '<id>'],
  [/\b127\.0\.0\.1:\d+\b/g, '127.0.0.1:<port>'],
];

/** Mask one transcript's lines (see the file comment). */
export function normalizeLines(lines: readonly string[], masks: readonly Mask[]): string[] {
  return lines.map((original) => {
    let line = normalizeTableRow(original);
    for (const mask of masks) line = line.replace(mask.pattern, mask.replacement);
    for (const [pattern, replacement] of FIELD_RULES) line = line.replace(pattern, replacement);
    line = maskEndpointStatusColumns(line);
    line = sortInitialCluster(line);
    line = sortAttachedKeys(line);
    // etcdctl pads some ids to 16 columns (`Member %16x added to cluster %16x`): the padding
    // follows the id's value, so it goes with the id.
    line = line.replace(/(\S) {2,}(<[^>]+>)/g, '$1 $2');
    return line.trimEnd();
  });
}

/** `| a   |  b |` → `| a | b |`; `+----+---+` → `+-+-+` (widths follow the values). */
function normalizeTableRow(line: string): string {
  if (/^\+[-+]+\+$/.test(line)) return line.replace(/-+/g, '-');
  if (!/^\|.*\|$/.test(line)) return line;
  const cells = line.slice(1, -1).split('|').map((cell) => cell.trim());
  return `| ${cells.join(' | ')} |`;
}

/**
 * `endpoint status` rows (simple: `ep, id, version, size, leader, learner, term, index, applied, errors`;
 * table: the same cells): the term and both indexes.
 */
function maskEndpointStatusColumns(line: string): string {
  const table = line.startsWith('| ');
  const cells = table ? line.slice(2, -2).split(' | ') : line.split(', ');
  if (cells.length < 9 || cells[2] !== '<version>' || !/^(true|false)$/.test(cells[4] ?? '')) return line;
  cells[6] = '<term>';
  cells[7] = '<index>';
  cells[8] = '<index>';
  return table ? `| ${cells.join(' | ')} |` : cells.join(', ');
}

/** `lease timetolive --keys` prints the keys in no particular order (a Go map): sort them. */
function sortAttachedKeys(line: string): string {
  return line.replace(/attached keys\(\[([^\]]*)\]\)/, (_all, keys: string) => `attached keys([${keys.split(' ').sort().join(' ')}])`);
}

/** `ETCD_INITIAL_CLUSTER="a=...,b=..."` lists members in the server's (id) order: sort them. */
function sortInitialCluster(line: string): string {
  const match = /^ETCD_INITIAL_CLUSTER="(.*)"$/.exec(line);
  if (match === null) return line;
  return `ETCD_INITIAL_CLUSTER="${match[1]!.split(',').sort().join(',')}"`;
}
