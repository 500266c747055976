/** One seed, one run: the simulator depends on nothing but its seed (and options). */
import { runSeed } from '../../raft/testing/simulator.js';
import type { RunSeedOptions } from '../../raft/testing/simulator.js';

function traced(options: Omit<RunSeedOptions, 'trace'>) {
  const lines: string[] = [];
  const result = runSeed({ ...options, trace: (line) => lines.push(line) });
  return { result, lines };
}

describe('simulator determinism', () => {
  it.each([3, 5])('runs the same seed identically twice (%i nodes)', (nodes) => {
    const first = traced({ seed: 1234, nodes, steps: 800 });
    const second = traced({ seed: 1234, nodes, steps: 800 });
    expect(second.result).toEqual(first.result);
    expect(second.lines).toEqual(first.lines);
    expect(first.lines.length).toBeGreaterThan(10);
    expect(first.result.stats.elections).toBeGreaterThan(0);
    expect(first.result.stats.committedIndex).toBeGreaterThan(0);
  });

  it('runs different seeds differently', () => {
    const a = traced({ seed: 1, nodes: 5, steps: 800 });
    const b = traced({ seed: 2, nodes: 5, steps: 800 });
    expect(b.lines).not.toEqual(a.lines);
    expect(b.result.stats).not.toEqual(a.result.stats);
  });

  it('does not depend on whether a trace is collected', () => {
    const withTrace = traced({ seed: 77, nodes: 3, steps: 600 }).result;
    const without = runSeed({ seed: 77, nodes: 3, steps: 600 });
    expect(without).toEqual(withTrace);
  });

  it('reproduces a failure with a deliberate bug exactly', () => {
    const first = runSeed({ seed: 5, nodes: 5, bug: 'forget-vote' });
    const second = runSeed({ seed: 5, nodes: 5, bug: 'forget-vote' });
    expect(second).toEqual(first);
  });
});
