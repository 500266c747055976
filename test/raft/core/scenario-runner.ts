/**
 * Data-driven scenario scripts (`testdata/*.txt`), in the manner of etcd's raft tests.
 *
 * A script is a series of blocks separated by blank lines:
 *
 *     # comment lines say what the block proves
 *     command arg key=value
 *     ----
 *     expected output, line by line
 *
 * The runner executes each command on a `Cluster` and compares its output with the
 * expected lines. With `UPDATE_SCENARIOS=1` it rewrites the files with the actual output
 * instead (review the diff before committing it).
 *
 * Commands:
 *   add-nodes N [pre-vote=B] [check-quorum=B] [max-size=BYTES] [max-inflight=N] [bug=NAME]
 *             [snapshot-chunk=BYTES] [trailing=N] [inflight-chunks=N] [snapshot-timeout=TICKS]
 *   add-node ID                 start a new node (its storage knows the initial voters only)
 *   campaign ID                 start an election on ID (does not deliver)
 *   propose ID DATA             propose on ID (prints the error, if any)
 *   propose-conf-change ID [v4 l5 r3 ...]
 *                               propose adding voter 4, learner 5, removing 3; no change
 *                               leaves a joint configuration (prints the error, if any)
 *   snapshot ID [INDEX]         the application on ID snapshots at INDEX (default: applied);
 *                               prints the metadata and the compaction
 *   conf [ID...]                the configuration in force on each node
 *   read-index ID CONTEXT       request a read point on ID
 *   transfer-leader FROM TO     ask FROM to hand leadership to TO
 *   tick ID [N] | tick-all [N]  advance logical time
 *   stabilize                   deliver messages until quiet; prints each delivery
 *   deliver-msgs                one round of delivery; prints each delivery
 *   isolate ID | cut A B | heal partitions (messages across them are printed as DROP)
 *   restart ID                  crash ID (losing nothing: storage is synced) and restart it
 *   status [ID...]              role, term, leader, commit, applied, last index
 *   log ID                      the stored log as term/index
 *   applied ID                  applied application data
 *   read-states ID              read states received so far
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { TestingBugs } from '../../../raft/core/config.js';
import { RaftError } from '../../../raft/core/errors.js';
import { Cluster, renderConfState } from './cluster.js';
import type { ClusterOptions } from './cluster.js';
import { confChange } from './fixtures.js';

export interface ScenarioBlock {
  readonly comments: string[];
  readonly command: string;
  readonly expected: string[];
  readonly line: number;
}

export function parseScenario(text: string): ScenarioBlock[] {
  const blocks: ScenarioBlock[] = [];
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length) {
    const comments: string[] = [];
    while (i < lines.length && (lines[i]!.trim() === '' || lines[i]!.startsWith('#'))) {
      if (lines[i]!.startsWith('#')) comments.push(lines[i]!);
      i++;
    }
    if (i >= lines.length) break;
    const line = i + 1;
    const command = lines[i++]!.trim();
    if (lines[i] !== '----') throw new Error(`line ${line}: expected '----' after the command`);
    i++;
    const expected: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '') expected.push(lines[i++]!);
    blocks.push({ comments, command, expected, line });
  }
  return blocks;
}

export function renderScenario(blocks: readonly ScenarioBlock[], outputs: readonly string[][]): string {
  return (
    blocks
      .map((b, k) => [...b.comments, b.command, '----', ...(outputs[k]!.length === 0 ? ['ok'] : outputs[k]!)].join('\n'))
      .join('\n\n') + '\n'
  );
}

export class ScenarioRunner {
  private cluster: Cluster | null = null;

  run(command: string): string[] {
    const [name, ...rest] = command.split(/\s+/);
    const args = rest.filter((a) => !a.includes('='));
    const options = Object.fromEntries(rest.filter((a) => a.includes('=')).map((a) => a.split('=') as [string, string]));
    const id = (k: number): number => Number(args[k]);
    switch (name) {
      case 'add-nodes':
        this.cluster = new Cluster(range(id(0)), clusterOptions(options));
        return [];
      case 'add-node':
        this.c().addMember(id(0));
        return [];
      case 'campaign':
        this.c().node(id(0)).raw.campaign();
        return [];
      case 'propose-conf-change':
        return this.attempt(() => this.c().proposeConfChange(id(0), confChange(args.slice(1).join(' '))));
      case 'snapshot':
        return this.attempt(() => {
          const plan = this.c().takeSnapshot(id(0), args[1] === undefined ? undefined : Number(args[1]));
          const { index, term, confState } = plan.snapshot.metadata;
          return [
            `snapshot index:${index} term:${term} ${renderConfState(confState)} bytes:${plan.snapshot.data.byteLength} compact:${plan.compactIndex}`,
          ];
        });
      case 'conf':
        return (args.length > 0 ? args.map(Number) : [...this.c().ids]).map((n) => `${n}: ${renderConfState(this.c().config(n))}`);
      case 'propose':
        return this.attempt(() => this.c().propose(id(0), args[1] ?? ''));
      case 'read-index':
        return this.attempt(() => this.c().node(id(0)).raw.readIndex(args[1] ?? ''));
      case 'transfer-leader':
        return this.attempt(() => this.c().node(id(0)).raw.transferLeadership(id(1)));
      case 'tick':
        this.c().tick(id(0), args[1] === undefined ? 1 : Number(args[1]));
        return [];
      case 'tick-all':
        this.c().tickAll(args[0] === undefined ? 1 : Number(args[0]));
        return [];
      case 'stabilize':
        this.c().stabilize();
        return this.c().takeTranscript();
      case 'deliver-msgs':
        this.c().deliverAll();
        return this.c().takeTranscript();
      case 'isolate':
        this.c().isolate(id(0));
        return [];
      case 'cut':
        this.c().cut(id(0), id(1));
        return [];
      case 'heal':
        this.c().heal();
        return [];
      case 'restart':
        this.c().restart(id(0));
        return [];
      case 'status':
        return (args.length > 0 ? args.map(Number) : [...this.c().ids]).map((n) => this.statusLine(n));
      case 'log':
        return [this.c().storedLog(id(0)).join(' ') || '(empty)'];
      case 'applied':
        return [this.c().appliedData(id(0)).join(' ') || '(none)'];
      case 'read-states':
        return this.c()
          .node(id(0))
          .readStates.map((rs) => `index:${rs.index} context:${rs.context}`);
      default:
        throw new Error(`unknown scenario command '${name ?? ''}'`);
    }
  }

  private c(): Cluster {
    if (this.cluster === null) throw new Error('add-nodes first');
    return this.cluster;
  }

  private attempt(action: () => string[] | void): string[] {
    try {
      return action() ?? [];
    } catch (error) {
      if (error instanceof RaftError) return [`error: ${error.code}: ${error.message}`];
      throw error;
    }
  }

  private statusLine(n: number): string {
    const s = this.c().status(n);
    return `${n}: ${s.role} term:${s.term} vote:${s.vote} leader:${s.leader} commit:${s.commit} applied:${s.applied} last:${s.lastIndex}`;
  }
}

function clusterOptions(options: Record<string, string>): ClusterOptions {
  const bugs: TestingBugs = {
    commitPriorTerm: options['bug'] === 'commit-prior-term',
    forgetVote: options['bug'] === 'forget-vote',
    staleRead: options['bug'] === 'stale-read',
    skipJoint: options['bug'] === 'skip-joint',
    snapshotWrongTerm: options['bug'] === 'snapshot-wrong-term',
  };
  return {
    preVote: options['pre-vote'] !== 'false',
    checkQuorum: options['check-quorum'] !== 'false',
    ...(options['max-size'] !== undefined ? { maxSizePerMessageBytes: Number(options['max-size']) } : {}),
    ...(options['max-inflight'] !== undefined ? { maxInflightMessages: Number(options['max-inflight']) } : {}),
    ...(options['snapshot-chunk'] !== undefined ? { snapshotChunkBytes: Number(options['snapshot-chunk']) } : {}),
    ...(options['trailing'] !== undefined ? { snapshotTrailingEntries: Number(options['trailing']) } : {}),
    ...(options['inflight-chunks'] !== undefined ? { maxInflightSnapshotChunks: Number(options['inflight-chunks']) } : {}),
    ...(options['snapshot-timeout'] !== undefined ? { snapshotTimeoutTicks: Number(options['snapshot-timeout']) } : {}),
    testingBugs: bugs,
  };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, k) => k + 1);
}

/** Run a script file; returns the mismatches (empty when it passes). Rewrites it when updating. */
export function runScenarioFile(path: string, update: boolean): string[] {
  const blocks = parseScenario(readFileSync(path, 'utf8'));
  const runner = new ScenarioRunner();
  const outputs: string[][] = [];
  const mismatches: string[] = [];
  for (const block of blocks) {
    const output = runner.run(block.command);
    outputs.push(output);
    const actual = output.length === 0 ? ['ok'] : output;
    if (actual.join('\n') !== block.expected.join('\n')) {
      mismatches.push(`${path}:${block.line}: ${block.command}\n--- expected\n${block.expected.join('\n')}\n--- actual\n${actual.join('\n')}`);
    }
  }
  if (update) writeFileSync(path, renderScenario(blocks, outputs));
  return update ? [] : mismatches;
}
