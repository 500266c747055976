/**
 * The docker runtime's readings of the daemon's wire formats, without a daemon: the
 * multiplexed stream's frames cut anywhere by the socket, and Docker's nanosecond
 * timestamps (whose text does not sort) as numbers and as the logs endpoint's `since`.
 */
import { describe, expect, it } from '@jest/globals';
import { dockerTimeMs, dockerTimeNanos, sinceParameter } from '../../../node-agent/runtime/docker/docker-time.js';
import { FrameDecoder } from '../../../node-agent/runtime/docker/frame-decoder.js';

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('FrameDecoder', () => {
  it('yields the same frames however the stream is cut, and holds back an incomplete one', () => {
    const wire = Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, ''), frame(1, 'x'.repeat(70_000))]);
    const expected = [
      { stream: 1, text: 'out\n' },
      { stream: 2, text: 'err\n' },
      { stream: 1, text: '' },
      { stream: 1, text: 'x'.repeat(70_000) },
    ];
    for (const size of [1, 3, 7, 8, 9, 1000, wire.length]) {
      const decoder = new FrameDecoder();
      const seen: { stream: number; text: string }[] = [];
      for (let offset = 0; offset < wire.length; offset += size) {
        for (const { stream, payload } of decoder.push(wire.subarray(offset, offset + size))) seen.push({ stream, text: payload.toString() });
      }
      expect(seen).toEqual(expected);
      expect(decoder.pendingBytes).toBe(0);
    }
    const cut = new FrameDecoder();
    expect(cut.push(frame(1, 'hello').subarray(0, 10))).toEqual([]);
    expect(cut.pendingBytes).toBe(10);
  });
});

describe('Docker timestamps', () => {
  it('reads nine, fewer or no fraction digits exactly, and the zero time as none', () => {
    expect(dockerTimeNanos('2026-12-02T04:48:32.515623535Z')).toBe(1_796_186_912_515_623_535n);
    // Trailing zeros dropped by Docker: .5156235 is .515623500.
    expect(dockerTimeNanos('2026-12-02T04:48:32.5156235Z')).toBe(1_796_186_912_515_623_500n);
    expect(dockerTimeNanos('2026-12-02T04:48:32Z')).toBe(1_796_186_912_000_000_000n);
    expect(dockerTimeNanos('2026-12-02T05:48:32.1+01:00')).toBe(1_796_186_912_100_000_000n);
    expect(dockerTimeMs('2026-12-02T04:48:32.515623535Z')).toBe(1_796_186_912_515);
    expect(dockerTimeNanos('0001-01-01T00:00:00Z')).toBeUndefined();
    expect(dockerTimeMs('not a time')).toBeUndefined();
  });

  it('orders entries whose text does not sort', () => {
    const earlier = '2026-12-02T04:48:32.5Z';
    const later = '2026-12-02T04:48:32.51Z';
    expect(earlier > later).toBe(true);
    expect(dockerTimeNanos(earlier)! < dockerTimeNanos(later)!).toBe(true);
  });

  it('writes since as seconds and nine nanosecond digits', () => {
    expect(sinceParameter(1_796_186_912_000_000_123n)).toBe('1796186912.000000123');
  });
});
