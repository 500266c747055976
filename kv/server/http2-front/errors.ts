/**
 * What the HTTP/2 front finds wrong in what a client sends. The front never answers these
 * itself: a connection whose bytes it cannot follow is handed to the server untouched if
 * it can still be (nghttp2 then answers with its own GOAWAY), else closed.
 */

/**
 * - `preface`: the connection does not start with HTTP/2's client preface.
 * - `frame`: a frame that breaks RFC 9113's framing rules (padding longer than the frame,
 *   a header block interrupted by another frame, a client PUSH_PROMISE).
 * - `compression`: a header block HPACK cannot decode (RFC 7541's decoding errors).
 * - `too-large`: a header block longer than `MAX_HEADER_BLOCK_BYTES`.
 */
export type Http2FrontErrorCode = 'preface' | 'frame' | 'compression' | 'too-large';

export class Http2FrontError extends Error {
  constructor(
    readonly code: Http2FrontErrorCode,
    message: string,
  ) {
    super(`http2 front: ${message}`);
    this.name = 'Http2FrontError';
  }
}
