import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DirectionStream, HELD_SEGMENT_COST, type ByteSink } from './reassembler.js';

class Collector implements ByteSink {
  chunks: Buffer[] = [];
  frames: number[] = [];
  gaps: string[] = [];
  data(_dir: 0 | 1, bytes: Buffer, frame: number): void {
    this.chunks.push(Buffer.from(bytes));
    this.frames.push(frame);
  }
  gap(_dir: 0 | 1, cause: 'lost' | 'snaplen'): void {
    this.gaps.push(cause);
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

const limits = { maxPendingBytes: 1 << 20, maxPendingSegments: 10_000, maxPendingBytesTotal: 1 << 30 };

function send(stream: DirectionStream, seq: number, payload: Buffer, frame: number) {
  stream.segment(seq >>> 0, payload, 0, payload.length, payload.length, frame, frame);
}

describe('DirectionStream', () => {
  it('passes in-order data straight through', () => {
    const sink = new Collector();
    const s = new DirectionStream(sink, 0, limits);
    s.syn(1000);
    send(s, 1001, Buffer.from('hello '), 1);
    send(s, 1007, Buffer.from('world'), 2);
    expect(sink.bytes.toString()).toBe('hello world');
    expect(sink.frames).toEqual([1, 2]);
  });

  it('reorders, drops retransmissions and lets the first copy of overlapping bytes win', () => {
    const sink = new Collector();
    const s = new DirectionStream(sink, 0, limits);
    s.syn(0xfffffffe); // data starts at 0xffffffff and wraps
    send(s, 0x00000003, Buffer.from('XFGH'), 1); // ahead: held; its first byte overlaps what frame 2 brings
    send(s, 0xffffffff, Buffer.from('ABCDE'), 2); // 0xffffffff..3, then frame 1 from its second byte
    send(s, 0xffffffff, Buffer.from('xxxxx'), 3); // retransmission with other bytes: ignored
    expect(sink.bytes.toString()).toBe('ABCDEFGH');
    expect(sink.frames).toEqual([2, 1]);
  });

  it('reports a snaplen cut as a gap after the captured bytes', () => {
    const sink = new Collector();
    const s = new DirectionStream(sink, 0, limits);
    s.syn(0);
    const payload = Buffer.from('0123456789');
    s.segment(1, payload, 0, 4, 10, 1, 0);
    send(s, 11, Buffer.from('next'), 2);
    expect(sink.bytes.toString()).toBe('0123next');
    expect(sink.gaps).toEqual(['snaplen']);
  });

  it('gives up on a missing segment at the end and when too much waits', () => {
    const sink = new Collector();
    const s = new DirectionStream(sink, 0, { maxPendingBytes: 8, maxPendingSegments: 100, maxPendingBytesTotal: 1 << 30 });
    s.syn(0);
    send(s, 1, Buffer.from('aa'), 1);
    send(s, 5, Buffer.from('cccc'), 2); // 'bb' at 3 is missing
    expect(sink.bytes.toString()).toBe('aa');
    send(s, 9, Buffer.from('ddddd'), 3); // over the limit: the hole is given up
    expect(sink.gaps).toEqual(['lost']);
    expect(sink.bytes.toString()).toBe('aaccccddddd');
    send(s, 20, Buffer.from('z'), 4);
    s.finish();
    expect(sink.gaps).toEqual(['lost', 'lost']);
    expect(sink.bytes.toString()).toBe('aaccccdddddz');
  });

  it('rebuilds the stream from any split, order and duplication of its segments', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.nat(),
        (bytes, cutsRaw, order, isnRaw) => {
          const data = Buffer.from(bytes);
          const isn = (0xffffff00 + (isnRaw % 512)) >>> 0; // near the wrap
          const cuts = [...new Set(cutsRaw.map((c) => c % data.length))].filter((c) => c > 0).sort((a, b) => a - b);
          const bounds = [0, ...cuts, data.length];
          const segments = bounds.slice(1).map((end, i) => ({ start: bounds[i], end }));
          // shuffle deterministically and duplicate some
          const list = [...segments];
          for (let i = 0; i < order.length && list.length > 1; i++) {
            const a = order[i] % list.length;
            const b = (order[i] >> 3) % list.length;
            if (order[i] % 5 === 0) list.push(list[a]);
            else [list[a], list[b]] = [list[b], list[a]];
          }
          const sink = new Collector();
          const s = new DirectionStream(sink, 0, limits);
          s.syn(isn);
          list.forEach((seg, i) => send(s, isn + 1 + seg.start, data.subarray(seg.start, seg.end), i + 1));
          s.finish();
          expect(sink.gaps).toEqual([]);
          expect(sink.bytes.equals(data)).toBe(true);
        },
      ),
    );
  });

  it('counts each held segment at its cost besides its bytes: one-byte segments cannot pile up past the budget', () => {
    const budget = { bytes: 0 };
    const sink = new Collector();
    const s = new DirectionStream(sink, 0, { maxPendingBytes: 1 << 20, maxPendingSegments: 10_000, maxPendingBytesTotal: 40 * (1 + HELD_SEGMENT_COST) }, budget);
    s.syn(0);
    // One byte after each of 100 holes: held until the 41st would pass the budget.
    for (let k = 0; k < 100 && sink.gaps.length === 0; k++) {
      send(s, 3 + 2 * k, Buffer.from([k]), 10 + k);
      expect(budget.bytes).toBeLessThanOrEqual(40 * (1 + HELD_SEGMENT_COST));
    }
    expect(sink.gaps).toContain('lost');
    expect(sink.bytes.length).toBe(41);
    expect(budget.bytes).toBe(0);
  });

  it('gives up what it waits for once the directions sharing a budget hold more than their total', () => {
    const budget = { bytes: 0 };
    const shared = { maxPendingBytes: 1000, maxPendingSegments: 100, maxPendingBytesTotal: 2500 };
    const sinks = Array.from({ length: 10 }, () => new Collector());
    const streams = sinks.map((sink) => new DirectionStream(sink, 0, shared, budget));
    // Each direction holds 400 bytes after a hole (its own limit is 1000): together past 2500.
    streams.forEach((s, i) => {
      s.syn(0);
      for (let k = 0; k < 4; k++) send(s, 101 + k * 100, Buffer.alloc(100, i), 10 + k);
      expect(budget.bytes).toBeLessThanOrEqual(2500);
    });
    const gaveUp = sinks.filter((sink) => sink.gaps.includes('lost'));
    expect(gaveUp.length).toBeGreaterThan(0);
    for (const sink of gaveUp) expect(sink.bytes.length).toBe(400);
    // Letting go of the rest brings the budget back to nothing.
    for (const s of streams) s.discard();
    expect(budget.bytes).toBe(0);
  });
});

