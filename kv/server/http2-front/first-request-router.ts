/**
 * Which way a client connection goes: straight to the gRPC server (its own socket, Node's
 * native HTTP/2 path), or through the front (`FrontConnection`), which costs a JavaScript
 * stream in between. A connection goes through the front only if it needs to: when its
 * first request's :authority (or host) is one the front rewrites, or when something before
 * that request is out of the ordinary. A connection is judged by its first request: one
 * whose later requests change authority (no gRPC client does) meets the server as it is.
 *
 * The first request comes only after the server's SETTINGS (grpc-go waits for them), and
 * once a connection belongs to the gRPC server it cannot be taken back. So the router
 * speaks the server's first words itself: it checks the client preface, sends an empty
 * SETTINGS frame (every setting at its initial value, RFC 9113 §6.5.2), answers PINGs, and
 * holds everything else until it has both the client's SETTINGS ACK and the first header
 * block (clients that do not wait for the server's SETTINGS send the request's DATA before
 * the ACK: that is held too), decoding header blocks as they come with the client's HPACK
 * state. The ACK and the PINGs it answered are its own business: they are taken out of
 * what the server is then given, which is otherwise every byte the client sent, in order.
 * The server then sends its own SETTINGS, a second one, as HTTP/2 allows, which the client
 * acknowledges to it.
 *
 * The empty SETTINGS promises nothing the server's own could take back: Node's HTTP/2
 * server keeps the initial values of the settings a client must obey at once (checked at
 * load; its own first SETTINGS frame is empty too, unless `--max-concurrent-streams` sets
 * SETTINGS_MAX_CONCURRENT_STREAMS, which a peer may lower at any time: streams a client
 * opened past it before reading it are refused, REFUSED_STREAM, as RFC 9113 §5.1.2 allows). A client that never acknowledges
 * within `ackTimeoutMs`, or that sends more than `maxUnroutedBytes` before it does, is
 * disconnected.
 */
import { getDefaultSettings } from 'node:http2';
import type { Socket } from 'node:net';
import { normalizedFields } from './authority.js';
import { Http2FrontError } from './errors.js';
import {
  CLIENT_PREFACE,
  FLAG_ACK,
  FLAG_END_HEADERS,
  FRAME_CONTINUATION,
  FRAME_HEADER_BYTES,
  FRAME_HEADERS,
  FRAME_PING,
  FRAME_PRIORITY,
  FRAME_SETTINGS,
  FRAME_WINDOW_UPDATE,
  MIN_MAX_FRAME_BYTES,
  parseHeadersPayload,
  readFrameHeader,
} from './frames.js';
import type { FrameHeader } from './frames.js';
import { HpackDecoder } from './hpack-decoder.js';

/** `http1`: the client spoke HTTP/1.x, not HTTP/2 (a browser or Prometheus asking for `/metrics`). */
export type Route = 'native' | 'front' | 'http1';

export interface FirstRequestRouterOptions {
  /** The longest header block it holds, in octets (as `AuthorityNormalizerOptions`). */
  readonly maxHeaderBlockBytes: number;
  /** The server's SETTINGS_HEADER_TABLE_SIZE, in octets. */
  readonly headerTableBytes: number;
  /** How long a client may take to acknowledge the router's SETTINGS. */
  readonly ackTimeoutMs: number;
  /** The most it holds before it routes a connection, in octets (see `MAX_UNROUTED_BYTES`). */
  readonly maxUnroutedBytes: number;
}

const PING_PAYLOAD_BYTES = 8;

/** SETTINGS, no parameters, stream 0: "every setting at its initial value". */
const EMPTY_SETTINGS = Buffer.from([0, 0, 0, FRAME_SETTINGS, 0, 0, 0, 0, 0]);

/** The settings a client obeys as soon as it reads them, at their initial values (§6.5.2) in Node's server. */
const defaults = getDefaultSettings();
if (defaults.headerTableSize !== 4096 || defaults.initialWindowSize !== 65_535 || defaults.maxFrameSize !== MIN_MAX_FRAME_BYTES) {
  throw new Error("http2 front: Node's HTTP/2 server no longer starts at HTTP/2's initial settings; the router's empty SETTINGS would be wrong");
}

/**
 * Route `socket` (just accepted, nothing read yet). `done` is called once: with `native`
 * (or `http1`), the socket holds (unshifted, paused) every byte to give the server, for
 * `injectConnection(socket)` (or an HTTP/1.1 server's `connection` event); with `front`, those bytes are `buffered`, for the front to
 * read before the rest. A connection it drops is destroyed and `done` is not called.
 */
export function routeFirstRequest(socket: Socket, options: FirstRequestRouterOptions, done: (route: Route, buffered: Buffer) => void): void {
  new FirstRequestRouter(socket, options, done).start();
}

class FirstRequestRouter {
  /** Octets received and not yet taken apart. */
  private unread: Buffer = Buffer.alloc(0);
  /** Octets for the server, in order: the preface and every frame kept. */
  private readonly kept: Buffer[] = [];
  private keptBytes = 0;
  private prefaceChecked = false;
  private acknowledged = false;
  /** The open header block (HEADERS seen, END_HEADERS not yet): its stream, fragments and payload octets. */
  private block: { streamId: number; fragments: Buffer[]; bytes: number } | null = null;
  private readonly decoder: HpackDecoder;
  /** What the header blocks so far call for (null: none complete yet). */
  private verdict: Route | null = null;
  private timer: NodeJS.Timeout | null = null;
  private finished = false;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  private readonly onClose = () => this.drop();

  constructor(
    private readonly socket: Socket,
    private readonly options: FirstRequestRouterOptions,
    private readonly done: (route: Route, buffered: Buffer) => void,
  ) {
    this.decoder = new HpackDecoder(options.headerTableBytes);
  }

  start(): void {
    this.socket.on('data', this.onData);
    this.socket.on('error', this.onClose);
    this.socket.on('close', this.onClose);
    this.socket.on('end', this.onClose);
  }

  private receive(chunk: Buffer): void {
    this.unread = this.unread.length === 0 ? chunk : Buffer.concat([this.unread, chunk]);
    if (!this.prefaceChecked && !this.checkPreface()) return;
    while (!this.finished && this.unread.length >= FRAME_HEADER_BYTES) {
      const header = readFrameHeader(this.unread, 0);
      const end = FRAME_HEADER_BYTES + header.length;
      if (this.unread.length < end) break;
      const frame = this.unread.subarray(0, end);
      this.unread = this.unread.subarray(end);
      this.handle(header, frame);
    }
    if (this.finished) return;
    if (this.keptBytes + this.unread.length > this.options.maxUnroutedBytes) {
      // More than a first request needs: routed by what came, if the client has acknowledged.
      if (this.acknowledged) this.finish('front');
      else this.drop();
    }
  }

  /** Whether the preface is complete and right; a wrong one goes to the server as it is (it answers). */
  private checkPreface(): boolean {
    const length = Math.min(this.unread.length, CLIENT_PREFACE.length);
    if (!this.unread.subarray(0, length).equals(CLIENT_PREFACE.subarray(0, length))) {
      // An HTTP/1.x request line starts with its method, a token of capitals (RFC 9110 §9).
      this.finish(isHttp1Start(this.unread[0]!) ? 'http1' : 'native');
      return false;
    }
    if (length < CLIENT_PREFACE.length) return false;
    this.keep(this.unread.subarray(0, length));
    this.unread = this.unread.subarray(length);
    this.prefaceChecked = true;
    this.socket.write(EMPTY_SETTINGS);
    this.timer = setTimeout(() => this.drop(), this.options.ackTimeoutMs);
    return true;
  }

  private handle(header: FrameHeader, frame: Buffer): void {
    if (this.block !== null && header.type !== FRAME_CONTINUATION) return this.keepAndFinish(frame, 'front');
    switch (header.type) {
      case FRAME_SETTINGS:
        if (header.flags & FLAG_ACK && header.length === 0 && header.streamId === 0 && !this.acknowledged) {
          this.acknowledged = true; // ours: the server never sent the SETTINGS it acknowledges
          if (this.timer !== null) clearTimeout(this.timer);
          if (this.verdict !== null) this.finish(this.verdict);
          return;
        }
        if (header.flags & FLAG_ACK) return this.keepAndFinish(frame, 'front');
        return this.keep(frame);
      case FRAME_PING:
        if (header.flags & FLAG_ACK || header.length !== PING_PAYLOAD_BYTES || header.streamId !== 0) return this.keepAndFinish(frame, 'front');
        // Answered here: the server has not started, and a keep-alive must not wait for it.
        this.socket.write(Buffer.concat([Buffer.from([0, 0, PING_PAYLOAD_BYTES, FRAME_PING, FLAG_ACK, 0, 0, 0, 0]), frame.subarray(FRAME_HEADER_BYTES)]));
        return;
      case FRAME_WINDOW_UPDATE:
      case FRAME_PRIORITY:
        return this.keep(frame);
      case FRAME_HEADERS:
      case FRAME_CONTINUATION:
        return this.headerFrame(header, frame);
      default:
        // After a first request, its DATA (and whatever else) while the ACK is awaited.
        if (this.verdict !== null) return this.keep(frame);
        // Before one, DATA, RST_STREAM, GOAWAY, PUSH_PROMISE, extensions: the front's to follow.
        return this.keepAndFinish(frame, 'front');
    }
  }

  private headerFrame(header: FrameHeader, frame: Buffer): void {
    this.keep(frame);
    const payload = frame.subarray(FRAME_HEADER_BYTES);
    try {
      if (header.type === FRAME_HEADERS) {
        this.block = { streamId: header.streamId, fragments: [parseHeadersPayload(payload, header.flags).fragment], bytes: header.length };
      } else {
        if (this.block === null || this.block.streamId !== header.streamId) throw new Http2FrontError('frame', 'a CONTINUATION out of place');
        this.block.fragments.push(payload);
        this.block.bytes += header.length;
      }
      if (this.block.bytes > this.options.maxHeaderBlockBytes) throw new Http2FrontError('too-large', 'a header block too long');
      if (!(header.flags & FLAG_END_HEADERS)) return;
      const { fields } = this.decoder.decode(Buffer.concat(this.block.fragments));
      this.block = null;
      this.verdict = normalizedFields(fields) !== null || this.verdict === 'front' ? 'front' : 'native';
    } catch (error) {
      if (!(error instanceof Http2FrontError)) throw error;
      // The front follows it no better, but steps aside for the server to answer.
      this.block = null;
      this.verdict = 'front';
    }
    if (this.acknowledged) this.finish(this.verdict);
  }

  private keep(octets: Buffer): void {
    this.kept.push(octets);
    this.keptBytes += octets.length;
  }

  private keepAndFinish(frame: Buffer, route: Route): void {
    this.keep(frame);
    this.finish(route);
  }

  private finish(route: Route): void {
    if (this.finished) return;
    this.stop();
    this.keep(this.unread);
    const buffered = Buffer.concat(this.kept);
    if (route !== 'front') {
      this.socket.pause();
      if (buffered.length > 0) this.socket.unshift(buffered);
    }
    this.done(route, buffered);
  }

  private drop(): void {
    if (this.finished) return;
    this.stop();
    this.socket.destroy();
  }

  private stop(): void {
    this.finished = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.socket.off('data', this.onData);
    this.socket.off('error', this.onClose);
    this.socket.off('close', this.onClose);
    this.socket.off('end', this.onClose);
  }
}

/** Whether a connection's first octet can begin an HTTP/1.x request (an upper-case method name; the preface's P excepted). */
function isHttp1Start(octet: number): boolean {
  return octet >= 0x41 && octet <= 0x5a;
}
