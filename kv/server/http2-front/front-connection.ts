/**
 * One client connection through the front, as a stream the gRPC server can take over
 * (`ConnectionInjector.injectConnection`): what the client sends goes through an
 * `AuthorityNormalizer` on its way in; what the server sends goes to the socket as it is.
 *
 * The stream owns its socket: destroying either destroys both, and the server ending its
 * side ends the socket's. A client whose bytes can no longer be followed (see
 * `AuthorityNormalizer`) has its connection closed.
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { AuthorityNormalizer } from './authority-normalizer.js';
import type { AuthorityNormalizerOptions } from './authority-normalizer.js';

export class FrontConnection extends Duplex {
  readonly normalizer: AuthorityNormalizer;

  /** `buffered`: what the client sent before the socket came here (`routeFirstRequest`), read first. */
  constructor(
    private readonly socket: Socket,
    options: AuthorityNormalizerOptions,
    buffered?: Buffer,
  ) {
    super();
    this.normalizer = new AuthorityNormalizer(options);
    // The HTTP/2 session sets this on the sockets it owns; it cannot reach this one.
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => this.push(null));
    // A reset or a failed write: the session goes with the connection, quietly.
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.destroy());
    if (buffered !== undefined && buffered.length > 0) this.receive(buffered);
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.send(this.socket.write(chunk), callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.socket.cork();
    let flowing = true;
    for (const { chunk } of chunks) flowing = this.socket.write(chunk);
    this.socket.uncork();
    this.send(flowing, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }

  private receive(chunk: Buffer): void {
    let forward: Buffer | null;
    try {
      forward = this.normalizer.push(chunk);
    } catch {
      this.destroy();
      return;
    }
    if (forward !== null && !this.push(forward)) this.socket.pause();
  }

  /** A write is done once the socket took it, or once it drains if its buffer is full. */
  private send(flowing: boolean, callback: (error?: Error | null) => void): void {
    if (flowing) callback();
    else this.socket.once('drain', () => callback());
  }
}
