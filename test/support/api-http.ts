/**
 * A tiny HTTP+JSON client of the API server for tests: one call, its status and parsed body;
 * and a watch that collects the events of a `?watch=1` stream until stopped.
 */
/** What `JSON.parse` gives: tests look into objects, lists and Status answers alike. */
export type ParsedJson = ReturnType<typeof JSON.parse>;

/** A watch event as read off the wire. */
export interface WireWatchEvent {
  readonly type: string;
  readonly object: ParsedJson;
}

export interface HttpAnswer<T = ParsedJson> {
  readonly status: number;
  readonly body: T;
}

/** `method path` against `baseUrl` with an optional JSON body; the answer's JSON (or text). */
export async function apiCall<T = ParsedJson>(baseUrl: string, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<HttpAnswer<T>> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': contentType },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (health answers): the text.
  }
  return { status: response.status, body: parsed as T };
}

/** A watch stream being read: `events` fills as lines arrive; `ended` resolves when the server ends it. */
export class HttpWatch {
  readonly events: WireWatchEvent[] = [];
  readonly ended: Promise<void>;
  status = 0;
  private readonly controller = new AbortController();

  constructor(baseUrl: string, path: string) {
    this.ended = this.read(`${baseUrl}${path}`);
  }

  stop(): void {
    this.controller.abort();
  }

  private async read(url: string): Promise<void> {
    try {
      const response = await fetch(url, { signal: this.controller.signal });
      this.status = response.status;
      const decoder = new TextDecoder();
      let buffered = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (line.trim() !== '') this.events.push(JSON.parse(line) as WireWatchEvent);
        }
      }
    } catch (error) {
      if ((error as Error).name !== 'AbortError') throw error;
    }
  }
}
