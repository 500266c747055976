/**
 * The client end of `balsa.mux.v1.Mux/Exchange`: `unary()` has the shape of a grpc-js
 * unary call, and sends the request as a message of one long-lived stream on the client's
 * channel instead of a call of its own — unless the server does not offer the service
 * (a real etcd, an older Balsa): the first stream's UNIMPLEMENTED sends the requests it
 * held as unary calls, and every later one goes that way.
 *
 * A deadline is kept here (the request fails with DEADLINE_EXCEEDED; the server may still
 * carry it out, as with a unary call whose deadline passed). A stream that breaks fails
 * the requests it carried with its status (UNAVAILABLE for a lost connection), and the
 * next request opens a new one.
 */
import * as grpc from '@grpc/grpc-js';
import { MUX_EXCHANGE_PATH, addMetadataEntries, bytesOf, decodeFrame, encodeFrame, metadataEntries } from './mux-proto.js';
import type { MuxFrame, MuxRequest, MuxResponse } from './mux-proto.js';
import { FrameBatcher } from './frame-batcher.js';
import { MUX_FRAME_LIMITS, UNKNOWN_METHOD } from './mux-server.js';

/** Requests one client keeps in flight on its stream; more wait here, in order. */
export const MUX_CLIENT_IN_FLIGHT_MAX = 1024;

type Callback<Response> = (error: grpc.ServiceError | null, response?: Response) => void;

interface Pending {
  id: number;
  readonly method: grpc.MethodDefinition<unknown, unknown>;
  readonly request: unknown;
  readonly metadata: grpc.Metadata;
  readonly deadline: number | undefined;
  readonly callback: Callback<unknown>;
  timer: NodeJS.Timeout | null;
  /** Sent on this stream (null: waiting for room). */
  stream: grpc.ClientDuplexStream<MuxFrame, MuxFrame> | null;
}

export type MuxMode = 'probing' | 'stream' | 'unary';

export class MuxClient {
  private modeNow: MuxMode = 'probing';
  private stream: grpc.ClientDuplexStream<MuxFrame, MuxFrame> | null = null;
  private readonly inFlight = new Map<number, Pending>();
  private readonly waiting: Pending[] = [];
  private readonly outgoing = new FrameBatcher<MuxRequest>(MUX_FRAME_LIMITS, (request) => request.message.byteLength, (requests) => this.stream?.write({ requests }));
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly client: grpc.Client,
    private readonly maxInFlight: number = MUX_CLIENT_IN_FLIGHT_MAX,
  ) {}

  /** How requests go: on the stream, as unary calls (the server has no Mux), or not known yet. */
  get mode(): MuxMode {
    return this.modeNow;
  }

  unary<Request, Response>(
    method: grpc.MethodDefinition<Request, Response>,
    request: Request,
    metadata: grpc.Metadata,
    options: { readonly deadline?: number },
    callback: Callback<Response>,
  ): void {
    if (this.modeNow === 'unary' || this.closed) {
      this.direct(method as grpc.MethodDefinition<unknown, unknown>, request, metadata, options.deadline, callback as Callback<unknown>);
      return;
    }
    const pending: Pending = {
      id: 0,
      method: method as grpc.MethodDefinition<unknown, unknown>,
      request,
      metadata,
      deadline: options.deadline,
      callback: callback as Callback<unknown>,
      timer: null,
      stream: null,
    };
    if (options.deadline !== undefined) {
      pending.timer = setTimeout(() => this.expire(pending), Math.max(0, options.deadline - Date.now()));
    }
    if (this.inFlight.size >= this.maxInFlight) this.waiting.push(pending);
    else this.send(pending);
  }

  /** Ends the stream; what it carries fails with CANCELLED. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const stream = this.stream;
    this.stream = null;
    this.outgoing.drop();
    this.failAll(serviceError(grpc.status.CANCELLED, 'the client was closed'));
    stream?.cancel();
  }

  private send(pending: Pending): void {
    let message: Buffer;
    try {
      message = pending.method.requestSerialize(pending.request);
    } catch (error) {
      if (pending.timer !== null) clearTimeout(pending.timer);
      pending.callback(serviceError(grpc.status.INTERNAL, `the request did not serialize: ${(error as Error).message}`));
      return;
    }
    if (message.byteLength > MUX_FRAME_LIMITS.maxBytes) {
      // A large request goes as a call of its own, under the server's limit for one message,
      // as it would without the stream: it cannot take the stream's other requests down with it.
      this.redirect(pending, { ...pending.method, requestSerialize: () => message });
      this.sendWaiting();
      return;
    }
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffff_ffff ? 1 : this.nextId + 1;
    pending.id = id;
    pending.stream = this.open();
    this.inFlight.set(id, pending);
    const extra = metadataEntries(pending.metadata);
    const timeoutMs = pending.deadline === undefined ? 0 : Math.max(1, Math.ceil(pending.deadline - Date.now()));
    this.outgoing.push({ id, method: pending.method.path, message, ...(timeoutMs > 0 ? { timeoutMs } : {}), ...(extra !== undefined ? { metadata: extra } : {}) });
  }

  /** The open stream, or a new one. */
  private open(): grpc.ClientDuplexStream<MuxFrame, MuxFrame> {
    if (this.stream !== null) return this.stream;
    const stream = this.client.makeBidiStreamRequest<MuxFrame, MuxFrame>(MUX_EXCHANGE_PATH, encodeFrame, decodeFrame, new grpc.Metadata(), {});
    this.stream = stream;
    stream.on('data', (frame: MuxFrame) => {
      if (this.modeNow === 'probing') this.modeNow = 'stream';
      for (const response of frame.responses ?? []) this.answer(response);
    });
    stream.on('status', (status: grpc.StatusObject) => this.broken(stream, status));
    // The status event says it all; an error event without a listener would throw.
    stream.on('error', () => {});
    return stream;
  }

  private answer(response: MuxResponse): void {
    const pending = this.inFlight.get(response.id);
    if (pending === undefined) return;
    const code = response.code ?? grpc.status.OK;
    if (code === grpc.status.UNIMPLEMENTED && (response.details ?? '').startsWith(UNKNOWN_METHOD)) {
      // A server whose Mux does not carry this method: ask it the ordinary way.
      this.inFlight.delete(pending.id);
      this.redirect(pending);
      this.sendWaiting();
      return;
    }
    if (code !== grpc.status.OK) {
      this.settle(pending, serviceError(code, response.details ?? '', addMetadataEntries(new grpc.Metadata(), response.metadata)));
      return;
    }
    let value: unknown;
    try {
      value = pending.method.responseDeserialize(bytesOf(response.message));
    } catch (error) {
      this.settle(pending, serviceError(grpc.status.INTERNAL, `the response did not deserialize: ${(error as Error).message}`));
      return;
    }
    this.settle(pending, null, value);
  }

  /** The stream ended: UNIMPLEMENTED before any answer means no Mux here; otherwise its requests fail. */
  private broken(stream: grpc.ClientDuplexStream<MuxFrame, MuxFrame>, status: grpc.StatusObject): void {
    if (this.stream === stream) {
      this.stream = null;
      // What waits for the next frame was meant for this stream: it fails (or goes unary) below, and must not reach another.
      this.outgoing.drop();
    }
    const carried = [...this.inFlight.values()].filter((pending) => pending.stream === stream);
    if (status.code === grpc.status.UNIMPLEMENTED && this.modeNow === 'probing') {
      this.modeNow = 'unary';
      for (const pending of carried) {
        this.inFlight.delete(pending.id);
        this.redirect(pending);
      }
      for (const pending of this.waiting.splice(0)) this.redirect(pending);
      return;
    }
    // A stream the server ended or cut (CANCELLED from its side) lost its requests as a
    // broken connection loses unary calls: UNAVAILABLE, which callers know to retry.
    const error =
      status.code === grpc.status.OK || status.code === grpc.status.CANCELLED
        ? serviceError(grpc.status.UNAVAILABLE, `the stream ended before the request was answered${status.details === '' ? '' : `: ${status.details}`}`)
        : serviceError(status.code, status.details, status.metadata);
    for (const pending of carried) this.settle(pending, error);
  }

  private expire(pending: Pending): void {
    pending.timer = null;
    const error = serviceError(grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded');
    const waitingAt = this.waiting.indexOf(pending);
    if (waitingAt >= 0) {
      this.waiting.splice(waitingAt, 1);
      pending.callback(error);
    } else if (this.inFlight.get(pending.id) === pending) this.settle(pending, error);
  }

  private settle(pending: Pending, error: grpc.ServiceError | null, value?: unknown): void {
    if (this.inFlight.get(pending.id) !== pending) return;
    this.inFlight.delete(pending.id);
    if (pending.timer !== null) clearTimeout(pending.timer);
    if (error !== null) pending.callback(error);
    else pending.callback(null, value);
    this.sendWaiting();
  }

  /** A place came free: the longest waiting request takes it. */
  private sendWaiting(): void {
    if (this.closed || this.inFlight.size >= this.maxInFlight) return;
    const next = this.waiting.shift();
    if (next !== undefined) this.send(next);
  }

  private failAll(error: grpc.ServiceError): void {
    for (const pending of [...this.inFlight.values()]) this.settle(pending, error);
    for (const pending of this.waiting.splice(0)) {
      if (pending.timer !== null) clearTimeout(pending.timer);
      pending.callback(error);
    }
  }

  /** `pending` as a unary call of its own (its deadline is then grpc-js's to keep); `method` may carry it already serialized. */
  private redirect(pending: Pending, method: grpc.MethodDefinition<unknown, unknown> = pending.method): void {
    if (pending.timer !== null) clearTimeout(pending.timer);
    this.direct(method, pending.request, pending.metadata, pending.deadline, pending.callback);
  }

  private direct(method: grpc.MethodDefinition<unknown, unknown>, request: unknown, metadata: grpc.Metadata, deadline: number | undefined, callback: Callback<unknown>): void {
    this.client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, metadata, deadline === undefined ? {} : { deadline }, callback);
  }
}

function serviceError(code: grpc.status, details: string, metadata: grpc.Metadata = new grpc.Metadata()): grpc.ServiceError {
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), { code, details, metadata });
}
