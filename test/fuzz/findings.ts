/**
 * What the API fuzzer found, each as the seed and case number that showed it: `api-fuzz.test.ts`
 * replays every one (the fix's regression test) besides its short random run.
 */
export interface RecordedFinding {
  readonly seed: number;
  readonly caseNumber: number;
  /** What the server did, and what it does now. */
  readonly note: string;
}

export const FINDINGS: readonly RecordedFinding[] = [
  { seed: 1, caseNumber: 383, note: 'gRPC Get of a truncated message (1 byte): INTERNAL "Error deserializing request"; now INVALID_ARGUMENT naming the decode error' },
  { seed: 1, caseNumber: 377, note: 'gRPC Delete with a field of the wrong wire type: INTERNAL; now INVALID_ARGUMENT' },
  { seed: 1, caseNumber: 355, note: 'gRPC Watch of random bytes: INTERNAL; now INVALID_ARGUMENT on the stream' },
  { seed: 1, caseNumber: 362, note: 'HTTP request with an unknown method (FUZZ): Node answered 400 with an empty body; now a 400 Status' },
  { seed: 1, caseNumber: 372, note: 'HTTP query string past Node\'s header limit: 431 with an empty body; now a 431 Status' },
  { seed: 100974585, caseNumber: 128, note: 'HTTP PUT of a Service whose metadata nests 2000 levels deep: 500 "Maximum call stack size exceeded"; now 400 (bodies nest at most MAX_JSON_DEPTH levels)' },
  { seed: 2, caseNumber: 2397, note: 'gRPC List with a 100 KB selector: the server stopped answering (even /healthz-equivalent Get timed out); now selectors are at most MAX_SELECTOR_BYTES (400)' },
  { seed: 2, caseNumber: 2556, note: 'HTTP POST to a path starting "//%C0%AF": 500 "Invalid URL"; now the path is a path' },
  { seed: 2, caseNumber: 2528, note: 'HTTP HEAD with headers past Node\'s limit: the 431 answer carried a body a HEAD answer must not have' },
  { seed: 1213471038, caseNumber: 80, note: 'HTTP PATCH of an unrouted path with a 3 MB body: the 404 went out before the body was read and the connection closed under the upload, so the client got EPIPE instead of the answer (now and then, under load); now an error answer reads the rest of the body first (up to 4 MiB)' },
];
