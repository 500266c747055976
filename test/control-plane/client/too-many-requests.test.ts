/** How long Balsa's clients wait after a 429 (`too-many-requests.ts`). */
import { retryAfterSecondsOf, TOO_MANY_REQUESTS_WAIT_MS_MAX, tooManyRequestsWaitMs } from '../../../control-plane/client/too-many-requests.js';

test('at least what the server asked, at least a doubling back-off, at most the cap, plus up to a fifth at random', () => {
  const none = () => 0;
  expect(tooManyRequestsWaitMs(1, 1, none)).toBe(1000);
  expect(tooManyRequestsWaitMs(1, undefined, none)).toBe(250);
  expect(tooManyRequestsWaitMs(4, 1, none)).toBe(2000);
  expect(tooManyRequestsWaitMs(3, 5, none)).toBe(5000);
  expect(tooManyRequestsWaitMs(20, 1, none)).toBe(TOO_MANY_REQUESTS_WAIT_MS_MAX);
  expect(tooManyRequestsWaitMs(1, 3600, none)).toBe(TOO_MANY_REQUESTS_WAIT_MS_MAX);
  expect(tooManyRequestsWaitMs(1, 1, () => 0.999)).toBe(1200);
});

test('Retry-After in seconds; a date or nonsense is no hint', () => {
  expect(retryAfterSecondsOf('1')).toBe(1);
  expect(retryAfterSecondsOf(' 30 ')).toBe(30);
  expect(retryAfterSecondsOf('Wed, 21 Oct 2015 07:28:00 GMT')).toBeUndefined();
  expect(retryAfterSecondsOf(null)).toBeUndefined();
});
