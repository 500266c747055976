/**
 * The server end of `balsa.mux.v1.Mux/Exchange`: each request on the stream is handed to
 * the unary handler registered for its method — the very function grpc-js would call for
 * the unary call, wrappers (metrics, limits) included — with a call object that answers
 * for the stream (its peer, its TLS identity, its metadata plus the request's own), and
 * its answer goes back on the stream.
 */
import * as grpc from '@grpc/grpc-js';
import { EventEmitter } from 'node:events';
import { FrameBatcher } from './frame-batcher.js';
import { addMetadataEntries, bytesOf, metadataEntries, muxServiceDefinition } from './mux-proto.js';
import type { MuxFrame, MuxRequest, MuxResponse, UndecodableFrame } from './mux-proto.js';

/** Requests one stream may have in flight; more are answered RESOURCE_EXHAUSTED (the client keeps under it). */
export const MUX_SERVER_IN_FLIGHT_MAX = 4096;
/**
 * A frame holds at most this many requests or responses, and this many bytes of their
 * messages unless it holds one (it leaves at the latest when the event loop turns).
 */
export const MUX_FRAME_LIMITS = { maxItems: 256, maxBytes: 256 * 1024 } as const;
/** How the details of a request for a method this server's Mux does not carry begin. */
export const UNKNOWN_METHOD = 'unknown method';

type UnaryHandler = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => void;
type ExchangeCall = grpc.ServerDuplexStream<MuxFrame | UndecodableFrame, MuxFrame>;

interface Method {
  readonly handler: UnaryHandler;
  readonly definition: grpc.MethodDefinition<unknown, unknown>;
}

export class MuxServer {
  private readonly methods = new Map<string, Method>();
  private readonly streams = new Set<OpenStream>();
  private closing = false;

  /** Serves the unary methods of `implementation` (as registered with grpc-js) on the stream too. */
  register(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
    for (const [name, method] of Object.entries(definition as Record<string, grpc.MethodDefinition<unknown, unknown>>)) {
      const handler = implementation[name];
      if (method.requestStream || method.responseStream || handler === undefined) continue;
      this.methods.set(method.path, { handler: handler as UnaryHandler, definition: method });
    }
  }

  /** Adds the Mux service to `server`. */
  addTo(server: grpc.Server): void {
    server.addService(muxServiceDefinition(), { Exchange: (call: ExchangeCall) => this.serve(call) });
  }

  /**
   * Lets the open streams finish what they carry and ends them (so that grpc-js's graceful
   * shutdown does not wait on them); requests that arrive meanwhile are answered UNAVAILABLE.
   */
  close(): void {
    this.closing = true;
    for (const stream of this.streams) stream.endWhenIdle();
  }

  private serve(call: ExchangeCall): void {
    const stream = new OpenStream(call, this.methods, () => this.closing, () => this.streams.delete(stream));
    this.streams.add(stream);
    if (this.closing) stream.endWhenIdle();
  }
}

/** One request's call object, as the unary handlers see it. */
class MuxedCall extends EventEmitter {
  cancelled = false;

  constructor(
    readonly request: unknown,
    readonly metadata: grpc.Metadata,
    private readonly stream: ExchangeCall,
    private readonly path: string,
    private readonly deadline: grpc.Deadline,
  ) {
    super();
  }

  getPeer(): string {
    return this.stream.getPeer();
  }

  getAuthContext(): ReturnType<ExchangeCall['getAuthContext']> {
    return this.stream.getAuthContext();
  }

  getDeadline(): grpc.Deadline {
    return this.deadline;
  }

  getPath(): string {
    return this.path;
  }

  getHost(): string {
    return this.stream.getHost();
  }

  sendMetadata(): void {
    // Headers went out when the stream opened.
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit('cancelled', 'cancelled');
  }
}

class OpenStream {
  private readonly inFlight = new Set<MuxedCall>();
  private readonly outgoing = new FrameBatcher<MuxResponse>(MUX_FRAME_LIMITS, (response) => response.message?.byteLength ?? 0, (responses) => {
    if (!this.finished) this.call.write({ responses });
  });
  private finished = false;
  private ending = false;

  constructor(
    private readonly call: ExchangeCall,
    private readonly methods: ReadonlyMap<string, Method>,
    private readonly closing: () => boolean,
    private readonly onDone: () => void,
  ) {
    call.on('data', (frame: MuxFrame | UndecodableFrame) => {
      if ('undecodable' in frame) {
        this.fail({ code: grpc.status.INVALID_ARGUMENT, details: frame.undecodable });
        return;
      }
      for (const request of frame.requests ?? []) this.dispatch(request);
    });
    // The client sent its last request: answer what is in flight, then end.
    call.on('end', () => this.endWhenIdle());
    call.on('cancelled', () => this.finish());
    call.on('close', () => this.finish());
    call.on('error', () => this.finish());
  }

  /** Ends the stream once nothing is in flight. */
  endWhenIdle(): void {
    this.ending = true;
    if (this.inFlight.size === 0) this.end();
  }

  private dispatch(request: MuxRequest): void {
    if (this.finished) return;
    const id = request.id;
    if (this.ending || this.closing()) {
      this.send({ id, code: grpc.status.UNAVAILABLE, details: 'the server is shutting down' });
      return;
    }
    const method = this.methods.get(request.method);
    if (method === undefined) {
      this.send({ id, code: grpc.status.UNIMPLEMENTED, details: `${UNKNOWN_METHOD} ${request.method}` });
      return;
    }
    if (this.inFlight.size >= MUX_SERVER_IN_FLIGHT_MAX) {
      this.send({ id, code: grpc.status.RESOURCE_EXHAUSTED, details: `more than ${MUX_SERVER_IN_FLIGHT_MAX} requests in flight on one stream` });
      return;
    }
    let decoded: unknown;
    try {
      decoded = method.definition.requestDeserialize(bytesOf(request.message));
    } catch (error) {
      this.send({ id, code: grpc.status.INVALID_ARGUMENT, details: `the request is not a valid ${request.method} message: ${(error as Error).message}` });
      return;
    }
    // The stream's metadata serves as it is unless the request adds its own (handlers only read it).
    const metadata = request.metadata !== undefined && request.metadata.length > 0 ? addMetadataEntries(this.call.metadata.clone(), request.metadata) : this.call.metadata;
    const timeoutMs = request.timeoutMs ?? 0;
    const muxed = new MuxedCall(decoded, metadata, this.call, request.method, timeoutMs > 0 ? new Date(Date.now() + timeoutMs) : Infinity);
    this.inFlight.add(muxed);
    let answered = false;
    method.handler(muxed as unknown as grpc.ServerUnaryCall<unknown, unknown>, (error, value) => {
      if (answered) return;
      answered = true;
      this.inFlight.delete(muxed);
      if (!muxed.cancelled) this.send(this.response(id, method, error, value));
      if (this.ending && this.inFlight.size === 0) this.end();
    });
  }

  private response(id: number, method: Method, error: Parameters<grpc.sendUnaryData<unknown>>[0], value: unknown): MuxResponse {
    if (error !== null && error !== undefined) {
      const code = error.code ?? grpc.status.UNKNOWN;
      if (code !== grpc.status.OK) {
        const metadata = metadataEntries(error.metadata);
        return { id, code, details: error.details ?? ('message' in error ? error.message : ''), ...(metadata !== undefined ? { metadata } : {}) };
      }
    }
    try {
      return { id, message: method.definition.responseSerialize(value) };
    } catch (serializeError) {
      return { id, code: grpc.status.INTERNAL, details: `the response did not serialize: ${(serializeError as Error).message}` };
    }
  }

  private send(response: MuxResponse): void {
    if (!this.finished) this.outgoing.push(response);
  }

  private end(): void {
    if (this.finished) return;
    this.outgoing.flush();
    this.finished = true;
    this.call.end();
    this.onDone();
  }

  private fail(status: Partial<grpc.StatusObject>): void {
    if (this.finished) return;
    this.outgoing.flush();
    this.finish();
    this.call.emit('error', status);
  }

  /** The stream is gone: what is in flight is cancelled (its answer has nowhere to go). */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const muxed of this.inFlight) muxed.cancel();
    this.inFlight.clear();
    this.onDone();
  }
}
