/**
 * The prober follows Kubernetes' rules for liveness, readiness and startup probes: run on
 * a virtual clock against a container whose exec probes answer from a script, each test
 * reads what the pod worker would hear, as `time event` lines.
 */
import { makeContainerProberFactory } from '../../../node-agent/probes/container-prober.js';
import type { ContainerProber } from '../../../node-agent/probes/probe-types.js';
import { execProbe, FakeContainer, RecordingListener } from './fake-container.js';
import { VirtualClock } from './virtual-clock.js';

interface Harness {
  readonly clock: VirtualClock;
  readonly container: FakeContainer;
  readonly listener: RecordingListener;
  readonly prober: ContainerProber;
}

function harness(probes: Record<string, unknown>, script: (container: FakeContainer) => void): Harness {
  const clock = new VirtualClock();
  const container = new FakeContainer(clock);
  script(container);
  const listener = new RecordingListener(clock);
  const factory = makeContainerProberFactory({ clock });
  const prober = factory({ name: 'app', image: 'app:1', ...probes }, container, listener);
  return { clock, container, listener, prober };
}

describe('defaults', () => {
  it('probes every 10 s and restarts after 3 failures in a row when the liveness probe sets nothing', async () => {
    const { clock, container, listener, prober } = harness({ livenessProbe: execProbe('live') }, (c) => c.script('live', 'fail'));
    prober.start();
    await clock.advanceSeconds(60);
    expect(container.callTimes('live')).toEqual([0, 10, 20]);
    expect(listener.events).toEqual([
      '0s started',
      '0s ready',
      '0s liveness failed: live says no',
      '10s liveness failed: live says no',
      '20s liveness failed: live says no',
      '20s unhealthy liveness: live says no',
    ]);
  });

  it('times an attempt out after 1 s', async () => {
    const { clock, listener, prober } = harness({ readinessProbe: execProbe('ready') }, (c) => c.script('ready', 'never', 'ok'));
    prober.start();
    await clock.advanceSeconds(10);
    expect(listener.events).toEqual(['0s started', '1s readiness failed: command "ready" timed out after 1s', '10s ready']);
  });

  it('becomes ready on the first success and unready on the third failure in a row', async () => {
    const { clock, listener, prober } = harness({ readinessProbe: execProbe('ready') }, (c) =>
      c.script('ready', 'ok', 'fail', 'fail', 'fail', 'ok'),
    );
    prober.start();
    await clock.advanceSeconds(45);
    expect(listener.events).toEqual([
      '0s started',
      '0s ready',
      '10s readiness failed: ready says no',
      '20s readiness failed: ready says no',
      '30s readiness failed: ready says no',
      '30s unready',
      '40s ready',
    ]);
  });
});

describe('without probes', () => {
  it('is started and ready at once, and sets no timer', () => {
    const { clock, listener, prober } = harness({}, () => {});
    prober.start();
    expect(listener.events).toEqual(['0s started', '0s ready']);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('startup probe', () => {
  it('holds liveness and readiness until it succeeds, then is not run again', async () => {
    const { clock, container, listener, prober } = harness(
      {
        startupProbe: execProbe('startup', { periodSeconds: 5, failureThreshold: 5 }),
        livenessProbe: execProbe('live', { periodSeconds: 3 }),
        readinessProbe: execProbe('ready', { periodSeconds: 4 }),
      },
      (c) => c.script('startup', 'fail', 'fail', 'ok').script('live', 'ok').script('ready', 'ok'),
    );
    prober.start();
    await clock.advanceSeconds(9);
    expect(container.calls).toEqual(['0s startup', '5s startup']);
    expect(listener.events).toEqual(['0s startup failed: startup says no', '5s startup failed: startup says no']);
    await clock.advanceSeconds(10);
    expect(container.callTimes('startup')).toEqual([0, 5, 10]);
    expect(container.callTimes('live')).toEqual([10, 13, 16, 19]);
    expect(container.callTimes('ready')).toEqual([10, 14, 18]);
    expect(listener.events.slice(2)).toEqual(['10s started', '10s ready']);
  });

  it('makes the container unhealthy after failureThreshold failures, and nothing runs after', async () => {
    const { clock, container, listener, prober } = harness(
      {
        startupProbe: execProbe('startup', { periodSeconds: 2, failureThreshold: 2 }),
        livenessProbe: execProbe('live'),
        readinessProbe: execProbe('ready'),
      },
      (c) => c.script('startup', 'fail').script('live', 'ok').script('ready', 'ok'),
    );
    prober.start();
    await clock.advanceSeconds(100);
    expect(container.calls).toEqual(['0s startup', '2s startup']);
    expect(listener.events).toEqual([
      '0s startup failed: startup says no',
      '2s startup failed: startup says no',
      '2s unhealthy startup: startup says no',
    ]);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('initialDelaySeconds', () => {
  it('delays the first attempt; the period counts from there', async () => {
    const { clock, container, prober } = harness({ readinessProbe: execProbe('ready', { initialDelaySeconds: 7 }) }, (c) => c.script('ready', 'ok'));
    prober.start();
    await clock.advanceSeconds(30);
    expect(container.callTimes('ready')).toEqual([7, 17, 27]);
  });

  it('counts from the container start, not from the end of startup', async () => {
    const { clock, container, prober } = harness(
      {
        startupProbe: execProbe('startup', { periodSeconds: 5 }),
        livenessProbe: execProbe('live', { initialDelaySeconds: 15, periodSeconds: 10 }),
        readinessProbe: execProbe('ready', { initialDelaySeconds: 2, periodSeconds: 10 }),
      },
      (c) => c.script('startup', 'fail', 'fail', 'ok').script('live', 'ok').script('ready', 'ok'),
    );
    prober.start();
    await clock.advanceSeconds(30);
    // Started at 10 s: readiness's 2 s have passed by then, liveness's 15 s have not.
    expect(container.callTimes('ready')).toEqual([10, 20, 30]);
    expect(container.callTimes('live')).toEqual([15, 25]);
  });
});

describe('readiness', () => {
  it('starts unready, and reports each change once, after its threshold in a row', async () => {
    const { clock, listener, prober } = harness(
      { readinessProbe: execProbe('ready', { periodSeconds: 1, successThreshold: 2, failureThreshold: 2 }) },
      // 0 1 | 2 3 | 4 5 | 6 7 | 8 9 10
      (c) => c.script('ready', 'fail', 'ok', 'ok', 'ok', 'fail', 'ok', 'fail', 'fail', 'ok', 'fail', 'ok', 'ok'),
    );
    prober.start();
    await clock.advanceSeconds(12);
    const changes = listener.events.filter((event) => !event.includes('failed'));
    expect(changes).toEqual(['0s started', '2s ready', '7s unready', '11s ready']);
    // Every failure is reported, counted or not.
    expect(listener.events.filter((event) => event.includes('failed')).map((event) => event.split(' ')[0])).toEqual(['0s', '4s', '6s', '7s', '9s']);
  });

  it('is reported as a change only: successes while ready say nothing', async () => {
    const { clock, listener, prober } = harness({ readinessProbe: execProbe('ready', { periodSeconds: 1 }) }, (c) => c.script('ready', 'ok'));
    prober.start();
    await clock.advanceSeconds(20);
    expect(listener.events).toEqual(['0s started', '0s ready']);
  });
});

describe('liveness', () => {
  it('needs failureThreshold failures in a row: a success starts the count again', async () => {
    const { clock, listener, prober } = harness(
      { livenessProbe: execProbe('live', { periodSeconds: 1, failureThreshold: 3 }) },
      (c) => c.script('live', 'fail', 'fail', 'ok', 'fail', 'fail', 'fail'),
    );
    prober.start();
    await clock.advanceSeconds(4);
    expect(listener.events.some((event) => event.includes('unhealthy'))).toBe(false);
    await clock.advanceSeconds(1);
    expect(listener.events.at(-1)).toBe('5s unhealthy liveness: live says no');
  });

  it('stops every probe once unhealthy: no attempt and no listener call follow', async () => {
    const { clock, container, listener, prober } = harness(
      {
        livenessProbe: execProbe('live', { periodSeconds: 2, failureThreshold: 1 }),
        readinessProbe: execProbe('ready', { periodSeconds: 1, failureThreshold: 1 }),
      },
      (c) => c.script('live', 'ok', 'fail').script('ready', 'ok', { afterMs: 500, answer: 'fail' }),
    );
    prober.start();
    await clock.advanceSeconds(2);
    const eventsAtUnhealthy = [...listener.events];
    expect(eventsAtUnhealthy.at(-1)).toBe('2s unhealthy liveness: live says no');
    const callsAtUnhealthy = container.calls.length;
    await clock.advanceSeconds(60);
    // The readiness attempt in flight at 2 s answered a failure at 2.5 s: nobody heard it.
    expect(listener.events).toEqual(eventsAtUnhealthy);
    expect(container.calls).toHaveLength(callsAtUnhealthy);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('attempts of one probe', () => {
  it('never overlap: one longer than the period is followed at once by the next', async () => {
    const { clock, container, listener, prober } = harness(
      { readinessProbe: execProbe('ready', { periodSeconds: 10, timeoutSeconds: 30 }) },
      (c) => c.script('ready', { afterMs: 25_000, answer: 'ok' }, { afterMs: 1_000, answer: 'ok' }),
    );
    prober.start();
    await clock.advanceSeconds(50);
    expect(container.callTimes('ready')).toEqual([0, 25, 35, 45]);
    expect(container.maxInFlight).toBe(1);
    expect(listener.events).toEqual(['0s started', '25s ready']);
  });

  it('fail at the timeout when the runtime kills the command, and again when it never answers', async () => {
    const { clock, container, listener, prober } = harness(
      { livenessProbe: execProbe('live', { periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 }) },
      (c) => c.script('live', 'timeout', 'never'),
    );
    prober.start();
    await clock.advanceSeconds(20);
    expect(container.callTimes('live')).toEqual([0, 5]);
    expect(listener.events.slice(2)).toEqual([
      '2s liveness failed: command "live" timed out after 2s',
      '7s liveness failed: command "live" timed out after 2s',
      '7s unhealthy liveness: command "live" timed out after 2s',
    ]);
  });
});

describe('errors', () => {
  it('are reported but never counted: a missing port name does not restart the container', async () => {
    const { clock, listener, prober } = harness(
      { livenessProbe: { httpGet: { path: '/healthz', port: 'metrics' }, periodSeconds: 1, failureThreshold: 1 } },
      () => {},
    );
    prober.start();
    await clock.advanceSeconds(5);
    const failures = listener.events.filter((event) => event.includes('liveness failed'));
    expect(failures).toHaveLength(6);
    expect(failures[0]).toBe('0s liveness failed: couldn\'t find port: "metrics" among the container\'s named ports []');
    expect(listener.events.some((event) => event.includes('unhealthy'))).toBe(false);
  });

  it('do not break a run of failures', async () => {
    const { clock, listener, prober } = harness(
      { livenessProbe: execProbe('live', { periodSeconds: 1, failureThreshold: 2 }) },
      (c) => c.script('live', 'fail', 'refused', 'fail'),
    );
    prober.start();
    await clock.advanceSeconds(2);
    expect(listener.events.slice(2)).toEqual([
      '0s liveness failed: live says no',
      '1s liveness failed: exec of "live" failed: container not found',
      '2s liveness failed: live says no',
      '2s unhealthy liveness: live says no',
    ]);
  });

  it('leave readiness as it was', async () => {
    const { clock, listener, prober } = harness(
      { readinessProbe: execProbe('ready', { periodSeconds: 1, failureThreshold: 1 }) },
      (c) => c.script('ready', 'ok', 'ok', 'refused'),
    );
    prober.start();
    await clock.advanceSeconds(3);
    expect(listener.events).toEqual([
      '0s started',
      '0s ready',
      '2s readiness failed: exec of "ready" failed: container not found',
      '3s readiness failed: exec of "ready" failed: container not found',
    ]);
  });
});

describe('stop', () => {
  it('cancels the timers and the attempt in flight; no listener call follows', async () => {
    const { clock, listener, prober } = harness(
      { readinessProbe: execProbe('ready', { timeoutSeconds: 5 }), livenessProbe: execProbe('live', { initialDelaySeconds: 30 }) },
      (c) => c.script('ready', { afterMs: 3_000, answer: 'ok' }).script('live', 'fail'),
    );
    prober.start();
    await clock.advanceSeconds(1);
    prober.stop();
    expect(clock.pendingTimers).toBe(1); // the fake runtime's answer at 3 s, which nobody hears
    await clock.advanceSeconds(100);
    expect(listener.events).toEqual(['0s started']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('silences the prober when called from inside a listener call', async () => {
    const { clock, container, listener, prober } = harness(
      { readinessProbe: execProbe('ready', { periodSeconds: 1, failureThreshold: 1 }) },
      (c) => c.script('ready', 'ok', 'fail'),
    );
    listener.onEvent = (event) => {
      if (event.includes('failed')) prober.stop();
    };
    prober.start();
    await clock.advanceSeconds(10);
    // The failure that stopped it would have made it unready: that call never comes.
    expect(listener.events).toEqual(['0s started', '0s ready', '1s readiness failed: ready says no']);
    expect(container.callTimes('ready')).toEqual([0, 1]);
  });

  it('then start begins a fresh run (a new container attempt)', async () => {
    const { clock, listener, prober } = harness(
      { startupProbe: execProbe('startup', { periodSeconds: 1 }), readinessProbe: execProbe('ready', { successThreshold: 1 }) },
      (c) => c.script('startup', 'ok').script('ready', 'ok'),
    );
    prober.start();
    expect(() => prober.start()).toThrow('already running');
    await clock.advanceSeconds(1);
    prober.stop();
    await clock.advanceSeconds(5);
    prober.start();
    await clock.advanceSeconds(1);
    expect(listener.events).toEqual(['0s started', '0s ready', '6s started', '6s ready']);
  });
});
