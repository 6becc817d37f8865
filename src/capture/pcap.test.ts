import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createCaptureDecoder } from './decoder.js';
import { collector, decode, decodeInChunks } from './testing/collect.js';
import { encodePcap, encodePcapHeader, encodePcapRecord, type PcapOptions, type PcapRecordInput } from './testing/encode.js';
import type { CaptureRecord } from './types.js';

function packet(n: number, fill = n): Buffer {
  return Buffer.alloc(n, fill & 0xff);
}

const RECORDS: PcapRecordInput[] = [
  { seconds: 1_700_000_000, fraction: 123_456, data: packet(60) },
  { seconds: 1_700_000_001, fraction: 999_999, data: packet(1514), originalLength: 9000 },
  { seconds: 1_600_000_000, fraction: 0, data: packet(0) }, // time goes backwards, empty record
  { seconds: 4_294_967_295, fraction: 5, data: packet(33) }, // the largest unsigned 32-bit second
];

describe('classic pcap', () => {
  const variants: [string, PcapOptions, 'le' | 'be', number][] = [
    ['d4c3b2a1 (little-endian, microseconds)', { byteOrder: 'le' }, 'le', 1e6],
    ['a1b2c3d4 (big-endian, microseconds)', { byteOrder: 'be' }, 'be', 1e6],
    ['4d3cb2a1 (little-endian, nanoseconds)', { byteOrder: 'le', nanoseconds: true }, 'le', 1e9],
    ['a1b23c4d (big-endian, nanoseconds)', { byteOrder: 'be', nanoseconds: true }, 'be', 1e9],
    ['34cdb2a1 (modified, little-endian)', { byteOrder: 'le', modified: true }, 'le', 1e6],
    ['a1b2cd34 (modified, big-endian)', { byteOrder: 'be', modified: true }, 'be', 1e6],
  ];

  it.each(variants)('reads magic %s', (_name, options, order, ticks) => {
    const bytes = encodePcap(RECORDS, { ...options, linkType: 113, snapLength: 4096 });
    const { records, summary } = decode(bytes);
    expect(summary.format).toBe('pcap');
    expect(summary.byteOrder).toBe(order);
    expect(summary.linkTypes).toEqual([113]);
    expect(summary.interfaces).toEqual([{ id: 0, linkType: 113, name: null, snapLength: 4096, ticksPerSecond: ticks, section: 0 }]);
    expect(summary.packets).toBe(4);
    expect(summary.snappedPackets).toBe(1);
    expect(summary.error).toBeNull();
    expect(summary.truncated).toBe(false);
    expect(summary.drops).toBeNull();
    expect(records).toEqual(
      RECORDS.map((r, i) => ({
        frame: i + 1,
        linkType: 113,
        interfaceId: 0,
        time: r.seconds + r.fraction / ticks,
        originalLength: r.originalLength ?? r.data.length,
        data: Buffer.from(r.data),
      })),
    );
    expect(summary.firstTime).toBe(RECORDS[0].seconds + RECORDS[0].fraction / ticks);
    expect(summary.lastTime).toBe(RECORDS[3].seconds + RECORDS[3].fraction / ticks);
    const split = decodeInChunks(bytes, 1);
    expect(split.records).toEqual(records);
    expect(split.summary).toEqual(summary);
  });

  it('reads nanosecond fractions as nanoseconds', () => {
    const { records } = decode(encodePcap([{ seconds: 10, fraction: 500_000_000, data: packet(4) }], { nanoseconds: true }));
    expect(records[0].time).toBe(10.5);
  });

  it('keeps a sub-second field that overflows (no normalisation)', () => {
    const { records } = decode(encodePcap([{ seconds: 10, fraction: 1_500_000, data: packet(4) }]));
    expect(records[0].time).toBe(11.5);
  });

  it('uses the low 16 bits of the link-type field (FCS bits above)', () => {
    const { records, summary } = decode(encodePcap([{ seconds: 1, fraction: 0, data: packet(20) }], { linkType: 0x40000001 }));
    expect(summary.linkTypes).toEqual([1]);
    expect(records[0].linkType).toBe(1);
    expect(summary.warnings.join('\n')).toContain('0x40000001');
  });

  it('passes unknown link types through', () => {
    const { records, summary } = decode(encodePcap([{ seconds: 1, fraction: 0, data: packet(20) }], { linkType: 4242 }));
    expect(summary.linkTypes).toEqual([4242]);
    expect(records[0].linkType).toBe(4242);
  });

  it('reads an unusual version with a warning', () => {
    const { records, summary } = decode(encodePcap(RECORDS, { version: [1, 4] }));
    expect(records).toHaveLength(4);
    expect(summary.warnings).toContain('unusual pcap version 1.4');
  });

  it('reads a header-only file as an empty capture', () => {
    const { records, summary } = decode(encodePcapHeader());
    expect(records).toEqual([]);
    expect(summary).toMatchObject({ format: 'pcap', packets: 0, error: null, truncated: false, firstTime: null, lastTime: null });
  });

  it('accepts caplen above the snaplen and above the original length', () => {
    const bytes = encodePcap(
      [
        { seconds: 1, fraction: 0, data: packet(100), originalLength: 50 },
        { seconds: 2, fraction: 0, data: packet(200_000) },
      ],
      { snapLength: 64 },
    );
    const { records, summary } = decode(bytes);
    expect(records.map((r) => r.data.length)).toEqual([100, 200_000]);
    expect(summary.snappedPackets).toBe(0);
    expect(summary.error).toBeNull();
  });

  it('accepts records up to a snaplen larger than 256 KiB', () => {
    const bytes = encodePcap([{ seconds: 1, fraction: 0, data: packet(300_000) }], { snapLength: 1 << 20 });
    expect(decode(bytes).records[0].data.length).toBe(300_000);
    // ...but never above maxRecordBytes.
    const capped = decode(bytes, [], { maxRecordBytes: 100_000 });
    expect(capped.records).toEqual([]);
    expect(capped.summary.error).toBe('damaged record header at byte 24: caplen 300000 exceeds 100000');
  });

  it('stops at a damaged record header and keeps the records before it', () => {
    const good = encodePcap(RECORDS.slice(0, 2));
    const bad = encodePcapRecord({ seconds: 3, fraction: 0, data: packet(10), capturedLength: 4_325_376 });
    const after = encodePcapRecord({ seconds: 4, fraction: 0, data: packet(10) });
    const bytes = Buffer.concat([good, bad, after]);
    for (const result of [decode(bytes), decodeInChunks(bytes, 5)]) {
      expect(result.records.map((r) => r.frame)).toEqual([1, 2]);
      expect(result.summary.truncated).toBe(true);
      expect(result.summary.error).toBe(`damaged record header at byte ${good.length}: caplen 4325376 exceeds 262144`);
      expect(result.summary.packets).toBe(2);
    }
  });

  it('reports a file that ends inside a record', () => {
    const bytes = encodePcap(RECORDS.slice(0, 2));
    const cut = bytes.subarray(0, bytes.length - 10);
    const { records, summary } = decode(cut);
    expect(records).toHaveLength(1);
    expect(summary.truncated).toBe(true);
    expect(summary.error).toBe(`file ends inside a record at byte ${24 + 16 + 60} (${16 + 1514 - 10} of ${16 + 1514} bytes)`);
  });

  it('reports a file that ends inside a record header', () => {
    const bytes = encodePcap(RECORDS.slice(0, 1));
    const { records, summary } = decode(Buffer.concat([bytes, Buffer.alloc(7)]));
    expect(records).toHaveLength(1);
    expect(summary.error).toBe(`file ends inside a record at byte ${bytes.length} (7 of 16 bytes)`);
  });

  it('hands out views into the pushed chunk, copying only records split across chunks', () => {
    const bytes = encodePcap(RECORDS.slice(0, 2));
    const seen: { shared: boolean; length: number }[] = [];
    const decoder = createCaptureDecoder({
      record: (r) => seen.push({ shared: r.data.buffer === bytes.buffer, length: r.data.length }),
    });
    decoder.push(bytes.subarray(0, 24 + 16 + 60 + 100)); // first record whole, second cut
    decoder.push(bytes.subarray(24 + 16 + 60 + 100));
    decoder.finish();
    expect(seen).toEqual([
      { shared: true, length: 60 },
      { shared: false, length: 1514 },
    ]);
  });

  it('passes one record object, updated in place', () => {
    const objects = new Set<CaptureRecord>();
    const decoder = createCaptureDecoder({ record: (r) => objects.add(r) });
    decoder.push(encodePcap(RECORDS));
    decoder.finish();
    expect(objects.size).toBe(1);
  });

  it('bounds what it holds back to the largest record', () => {
    const big = encodePcap([{ seconds: 1, fraction: 0, data: packet(200_000) }]);
    const { records, maxBuffered } = decodeInChunks(big, 1000);
    expect(records[0].data.length).toBe(200_000);
    expect(maxBuffered).toBeLessThanOrEqual(16 * 1024 * 1024 + 24);
    expect(maxBuffered).toBeGreaterThanOrEqual(200_016);
  });

  it('is done after damage and ignores later input; finish is idempotent', () => {
    const { sink, records } = collector();
    const decoder = createCaptureDecoder(sink);
    decoder.push(Buffer.concat([encodePcapHeader(), encodePcapRecord({ seconds: 1, fraction: 0, data: packet(4), capturedLength: 1 << 30 })]));
    expect(decoder.done).toBe(true);
    decoder.push(encodePcapRecord({ seconds: 2, fraction: 0, data: packet(4) }));
    const summary = decoder.finish();
    expect(records).toEqual([]);
    expect(decoder.finish()).toBe(summary);
    decoder.push(Buffer.alloc(100));
    expect(decoder.finish()).toBe(summary);
  });
});

describe('input that is no capture', () => {
  it('reports an empty input', () => {
    expect(decode(Buffer.alloc(0)).summary).toMatchObject({ format: null, error: 'empty file', packets: 0 });
  });

  it('names the first bytes of an unknown format', () => {
    const { summary } = decode(Buffer.from('<html><body>404</body></html>'));
    expect(summary.format).toBeNull();
    expect(summary.error).toBe('not a pcap or pcapng file (starts with 3c 68 74 6d)');
  });

  it('says when the bytes are gzip-compressed', () => {
    const { summary } = decode(gzipSync(encodePcap(RECORDS)));
    expect(summary.format).toBeNull();
    expect(summary.error).toMatch(/^not a pcap or pcapng file \(starts with 1f 8b 08 00: gzip-compressed data\)$/);
  });

  it('reports inputs shorter than a file header', () => {
    expect(decode(Buffer.from([0xd4, 0xc3, 0xb2])).summary).toMatchObject({
      format: null,
      error: 'not a pcap or pcapng file (only 3 bytes)',
    });
    expect(decode(Buffer.from([0x41])).summary.error).toBe('not a pcap or pcapng file (only 1 byte)');
    expect(decode(encodePcapHeader().subarray(0, 10)).summary).toMatchObject({
      format: null,
      error: 'truncated pcap file header (10 of 24 bytes)',
    });
    expect(decode(Buffer.from([0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0])).summary).toMatchObject({
      format: null,
      error: 'truncated pcapng section header (8 bytes)',
    });
  });

  it('is done at once, so a reader can stop reading', () => {
    const decoder = createCaptureDecoder({ record: () => undefined });
    decoder.push(Buffer.from('GIF89a...........'));
    expect(decoder.done).toBe(true);
  });
});

describe('long streams', () => {
  it('holds no more memory after 64 MiB than after the first chunk', () => {
    // One reused chunk buffer, refilled with records whose sizes do not divide the chunk size,
    // so records straddle chunk boundaries all along.
    const chunk = Buffer.alloc(1 << 20);
    const recordBytes = encodePcapRecord({ seconds: 1, fraction: 2, data: packet(1000 - 16, 7) });
    let frames = 0;
    let dataBytes = 0;
    const decoder = createCaptureDecoder({
      record: (r) => {
        frames++;
        dataBytes += r.data.length;
      },
    });
    decoder.push(encodePcapHeader());
    let phase = 0;
    let heapAfterFirst = 0;
    for (let i = 0; i < 64; i++) {
      for (let o = 0; o < chunk.length; o++) chunk[o] = recordBytes[(phase + o) % recordBytes.length];
      phase = (phase + chunk.length) % recordBytes.length;
      decoder.push(chunk);
      expect(decoder.bufferedBytes).toBeLessThanOrEqual(65536);
      if (i === 0) heapAfterFirst = process.memoryUsage().heapUsed;
    }
    const summary = decoder.finish();
    expect(frames).toBe(Math.floor((64 << 20) / 1000));
    expect(dataBytes).toBe(frames * 984);
    expect(summary.packets).toBe(frames);
    expect(summary.warnings).toEqual([]);
    expect(process.memoryUsage().heapUsed - heapAfterFirst).toBeLessThan(32 << 20);
  });
});
