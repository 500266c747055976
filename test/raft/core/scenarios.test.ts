/**
 * Runs every script in testdata/ (see scenario-runner.ts for the format). Each script
 * starts by saying what it proves and which section of the Raft paper or thesis it checks.
 * `UPDATE_SCENARIOS=1 npm run jest -- test/raft/core/scenarios` rewrites the expected output.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScenario, renderScenario, runScenarioFile } from './scenario-runner.js';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const update = process.env['UPDATE_SCENARIOS'] === '1';
const scripts = readdirSync(testdata).filter((f) => f.endsWith('.txt')).sort();

describe('scenario scripts', () => {
  test('there are scripts to run', () => {
    expect(scripts.length).toBeGreaterThan(0);
  });

  test.each(scripts)('%s', (script) => {
    const mismatches = runScenarioFile(join(testdata, script), update);
    expect(mismatches).toEqual([]);
  });
});

describe('scenario format', () => {
  test('parses blocks and renders them back unchanged', () => {
    const text = '# proves x\nstatus 1\n----\n1: follower\n\nheal\n----\nok\n';
    const blocks = parseScenario(text);
    expect(blocks.map((b) => b.command)).toEqual(['status 1', 'heal']);
    expect(renderScenario(blocks, [['1: follower'], []])).toBe(text);
  });

  test('a block without its separator is an error', () => {
    expect(() => parseScenario('status 1\n1: follower\n')).toThrow(/expected '----'/);
  });
});
