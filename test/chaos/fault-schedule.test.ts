/**
 * The fault schedule of a chaos run is a function of its seed (printed first, so a failing
 * run can be replayed with the same faults), uses only the faults asked for, never cuts
 * off a majority, and fills the run's duration.
 */
import { FAULT_KINDS, GAP_MS, describeFault, planFaults } from './harness/fault-schedule.js';
import type { Fault, ScheduleOptions } from './harness/fault-schedule.js';

const base: ScheduleOptions = { seed: 42, durationMs: 600_000, members: 5, kinds: FAULT_KINDS };

test('the same seed gives the same schedule; another seed another one', () => {
  expect(planFaults(base)).toEqual(planFaults({ ...base }));
  expect(planFaults(base).map((p) => describeFault(p.fault))).not.toEqual(planFaults({ ...base, seed: 43 }).map((p) => describeFault(p.fault)));
});

test('every kind asked for shows up in a long run, and no other', () => {
  const kinds = new Set(planFaults(base).map((p) => p.fault.kind));
  expect([...kinds].sort()).toEqual([...FAULT_KINDS].sort());
  const only = planFaults({ ...base, kinds: ['kill', 'partition'] });
  expect(new Set(only.map((p) => p.fault.kind))).toEqual(new Set(['kill', 'partition']));
  expect(planFaults({ ...base, kinds: [] })).toEqual([]);
});

test('faults fit the duration, one after another, each after a gap', () => {
  const plan = planFaults({ ...base, durationMs: 60_000 });
  expect(plan.length).toBeGreaterThan(5);
  let previousEnd = 0;
  for (const planned of plan) {
    expect(planned.gapMs).toBeGreaterThanOrEqual(GAP_MS.min);
    expect(planned.plannedAtMs).toBe(previousEnd + planned.gapMs);
    expect(planned.plannedAtMs).toBeLessThan(60_000);
    previousEnd = planned.plannedAtMs + ('holdMs' in planned.fault ? planned.fault.holdMs : 1_000);
  }
});

test.each([3, 5])('with %i members, targets are members and a cut-off group is a minority', (members) => {
  const slotsOf = (fault: Fault): number[] => {
    const targets = 'minority' in fault ? fault.minority : 'target' in fault ? [fault.target] : [];
    return targets.flatMap((t) => (t.kind === 'slot' ? [t.slot] : []));
  };
  for (let seed = 0; seed < 50; seed++) {
    for (const { fault } of planFaults({ ...base, seed, members, durationMs: 60_000 })) {
      for (const slot of slotsOf(fault)) expect(slot).toBeLessThan(members);
      if ('minority' in fault) expect(fault.minority.length).toBeLessThanOrEqual(Math.floor((members - 1) / 2));
    }
  }
});
