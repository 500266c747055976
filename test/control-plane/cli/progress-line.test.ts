/**
 * The progress line of `deploy` and `promote`: on a terminal one line rewritten in place
 * (carriage return, erase to the end of the line), cut to the terminal's width, and ended by
 * its verdict written whole; elsewhere one plain line per change, never a control character.
 */
import { ProgressLine } from '../../../control-plane/cli/progress-line.js';

function recorder(): { writes: string[]; write: (text: string) => void } {
  const writes: string[] = [];
  return { writes, write: (text) => writes.push(text) };
}

test('on a terminal: each change rewrites the line, the verdict replaces it and ends it', () => {
  const out = recorder();
  const line = new ProgressLine(out.write, { inPlace: true });
  line.update('Waiting for deployment "web" rollout to finish: 0 of 3 updated replicas are available...');
  line.update('Waiting for deployment "web" rollout to finish: 0 of 3 updated replicas are available...');
  line.update('Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...');
  line.complete('deployment "web" successfully rolled out (image web:2)');
  expect(out.writes).toEqual([
    '\r\u001b[KWaiting for deployment "web" rollout to finish: 0 of 3 updated replicas are available...',
    '\r\u001b[KWaiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...',
    '\r\u001b[Kdeployment "web" successfully rolled out (image web:2)\n',
  ]);
  // Nothing left open: finishing writes nothing more.
  line.finish();
  expect(out.writes).toHaveLength(3);
});

test('on a terminal: a line wider than the terminal is cut so that it never wraps; the verdict is not', () => {
  const out = recorder();
  const line = new ProgressLine(out.write, { inPlace: true, columns: 20 });
  line.update('Waiting for deployment "web" rollout to finish');
  line.update('short');
  line.complete('deployment "web" successfully rolled out');
  expect(out.writes).toEqual(['\r\u001b[KWaiting for deploy…', '\r\u001b[Kshort', '\r\u001b[Kdeployment "web" successfully rolled out\n']);
});

test('on a terminal: finish ends the line in place so that an error starts on a line of its own', () => {
  const out = recorder();
  const line = new ProgressLine(out.write, { inPlace: true });
  line.finish();
  expect(out.writes).toEqual([]);
  line.update('Waiting for deployment spec update to be observed...');
  line.finish();
  line.finish();
  expect(out.writes).toEqual(['\r\u001b[KWaiting for deployment spec update to be observed...', '\n']);
});

test('elsewhere: one plain line per change, the verdict a line of its own', () => {
  const out = recorder();
  const line = new ProgressLine(out.write, { inPlace: false, columns: 10 });
  line.update('Waiting for deployment spec update to be observed...');
  line.update('Waiting for deployment spec update to be observed...');
  line.update('Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...');
  line.finish();
  line.complete('deployment "web" successfully rolled out (image web:2)');
  expect(out.writes.join('')).toBe(
    'Waiting for deployment spec update to be observed...\n' +
      'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...\n' +
      'deployment "web" successfully rolled out (image web:2)\n',
  );
});
