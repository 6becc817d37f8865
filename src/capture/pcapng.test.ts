import { describe, expect, it } from 'vitest';
import { decode, decodeInChunks, type Decoded } from './testing/collect.js';
import { encodePcapng, encodePcapngBlock, encodeSectionHeader, type PcapngBlock, type PcapngSection } from './testing/encode.js';

const T0 = 1_700_000_000n;

function bytes(n: number, fill: number): Buffer {
  return Buffer.alloc(n, fill);
}

/** Decodes whole and byte by byte, checks both agree, returns the whole result. */
function read(file: Buffer): Decoded {
  const whole = decode(file);
  const split = decodeInChunks(file, 1);
  expect(split.records).toEqual(whole.records);
  expect(split.summary).toEqual(whole.summary);
  return whole;
}

function block(b: PcapngBlock, order: 'le' | 'be' = 'le'): Buffer {
  return encodePcapngBlock(b, order === 'le');
}

describe('pcapng', () => {
  it('keeps the first 256 bytes of a long interface name, and lists each link type once however many interfaces have it', () => {
    const idbs: PcapngBlock[] = [{ kind: 'idb', linkType: 1, snapLength: 65535, name: 'x'.repeat(5000) }];
    for (let i = 0; i < 3000; i++) idbs.push({ kind: 'idb', linkType: i % 7, snapLength: 65535 });
    const { summary } = read(encodePcapng([{ byteOrder: 'le', blocks: idbs }, { byteOrder: 'be', blocks: idbs }]));
    expect(summary.interfaces[0]!.name).toBe('x'.repeat(256));
    expect(summary.interfaces).toHaveLength(6002);
    expect(summary.linkTypes).toEqual([1, 0, 2, 3, 4, 5, 6]);
  });

  it.each(['le', 'be'] as const)('reads a %s section with interfaces and enhanced packet blocks', (order) => {
    const file = encodePcapng([
      {
        byteOrder: order,
        blocks: [
          { kind: 'idb', linkType: 1, snapLength: 65535, name: 'eth0' },
          { kind: 'epb', interfaceId: 0, timestamp: T0 * 1_000_000n + 250_000n, data: bytes(61, 1) },
          { kind: 'idb', linkType: 101, snapLength: 0 },
          { kind: 'epb', interfaceId: 1, timestamp: T0 * 1_000_000n + 500_000n, data: bytes(40, 2), originalLength: 1500 },
          { kind: 'epb', interfaceId: 0, timestamp: T0 * 1_000_000n, data: bytes(3, 3) },
        ],
      },
    ]);
    const { records, summary } = read(file);
    expect(summary.format).toBe('pcapng');
    expect(summary.byteOrder).toBe(order);
    expect(summary.interfaces).toEqual([
      { id: 0, linkType: 1, name: 'eth0', snapLength: 65535, ticksPerSecond: 1e6, section: 0 },
      { id: 1, linkType: 101, name: null, snapLength: 0, ticksPerSecond: 1e6, section: 0 },
    ]);
    expect(summary.linkTypes).toEqual([1, 101]);
    expect(records).toEqual([
      { frame: 1, linkType: 1, interfaceId: 0, time: 1_700_000_000.25, originalLength: 61, data: bytes(61, 1) },
      { frame: 2, linkType: 101, interfaceId: 1, time: 1_700_000_000.5, originalLength: 1500, data: bytes(40, 2) },
      { frame: 3, linkType: 1, interfaceId: 0, time: 1_700_000_000, originalLength: 3, data: bytes(3, 3) },
    ]);
    expect(summary).toMatchObject({ packets: 3, snappedPackets: 1, firstTime: 1_700_000_000.25, lastTime: 1_700_000_000, error: null, truncated: false });
  });

  it('applies if_tsresol in both forms and if_tsoffset', () => {
    const file = encodePcapng([
      {
        blocks: [
          { kind: 'idb', linkType: 1, tsresol: 9 }, // 10^-9
          { kind: 'idb', linkType: 1, tsresol: 0x80 | 20 }, // 2^-20
          { kind: 'idb', linkType: 1, tsresol: 0 }, // whole seconds
          { kind: 'idb', linkType: 1, tsresol: 3, tsoffset: 1_000_000_000n }, // ms since an offset
          { kind: 'idb', linkType: 1, tsoffset: -10n },
          { kind: 'epb', interfaceId: 0, timestamp: T0 * 1_000_000_000n + 1n, data: bytes(1, 0) },
          { kind: 'epb', interfaceId: 1, timestamp: (T0 << 20n) + (1n << 19n), data: bytes(1, 0) },
          { kind: 'epb', interfaceId: 2, timestamp: T0, data: bytes(1, 0) },
          { kind: 'epb', interfaceId: 3, timestamp: 700_000_000_123n, data: bytes(1, 0) },
          { kind: 'epb', interfaceId: 4, timestamp: 30_000_000n, data: bytes(1, 0) },
        ],
      },
    ]);
    const { records, summary } = read(file);
    expect(summary.interfaces.map((i) => i.ticksPerSecond)).toEqual([1e9, 2 ** 20, 1, 1e3, 1e6]);
    expect(records[0].time).toBeCloseTo(1_700_000_000.000000001, 6);
    expect(records[1].time).toBe(1_700_000_000.5);
    expect(records[2].time).toBe(1_700_000_000);
    expect(records[3].time).toBe(1_700_000_000.123);
    expect(records[4].time).toBe(20);
  });

  it('splits the 64-bit timestamp into high and low words', () => {
    // 2^32 + 7 microseconds: the high word is 1.
    const file = encodePcapng([{ blocks: [{ kind: 'idb', linkType: 1 }, { kind: 'epb', interfaceId: 0, timestamp: (1n << 32n) + 7n, data: bytes(1, 0) }] }]);
    expect(read(file).records[0].time).toBe(4294.967303);
    const big = encodePcapng([{ byteOrder: 'be', blocks: [{ kind: 'idb', linkType: 1 }, { kind: 'epb', interfaceId: 0, timestamp: (1n << 32n) + 7n, data: bytes(1, 0) }] }]);
    expect(read(big).records[0].time).toBe(4294.967303);
  });

  it('reads several sections, each with its own byte order and interface list', () => {
    const file = encodePcapng([
      {
        byteOrder: 'le',
        blocks: [
          { kind: 'idb', linkType: 1 },
          { kind: 'idb', linkType: 0 },
          { kind: 'epb', interfaceId: 1, timestamp: T0 * 1_000_000n, data: bytes(8, 1) },
        ],
      },
      {
        byteOrder: 'be',
        blocks: [
          { kind: 'idb', linkType: 12, tsresol: 9 },
          { kind: 'epb', interfaceId: 0, timestamp: (T0 + 1n) * 1_000_000_000n, data: bytes(9, 2) },
        ],
      },
      { byteOrder: 'le', blocks: [{ kind: 'idb', linkType: 1 }, { kind: 'epb', interfaceId: 0, timestamp: (T0 + 2n) * 1_000_000n, data: bytes(10, 3) }] },
    ]);
    const { records, summary } = read(file);
    expect(records.map((r) => [r.frame, r.linkType, r.interfaceId, r.time, r.data.length])).toEqual([
      [1, 0, 1, 1_700_000_000, 8],
      [2, 12, 0, 1_700_000_001, 9],
      [3, 1, 0, 1_700_000_002, 10],
    ]);
    expect(summary.byteOrder).toBe('le');
    expect(summary.linkTypes).toEqual([1, 0, 12]);
    expect(summary.interfaces.map((i) => [i.section, i.id, i.linkType])).toEqual([
      [0, 0, 1],
      [0, 1, 0],
      [1, 0, 12],
      [2, 0, 1],
    ]);
  });

  it('forgets the interfaces of a section at the next section header', () => {
    const file = encodePcapng([
      { blocks: [{ kind: 'idb', linkType: 1 }, { kind: 'idb', linkType: 1 }] },
      { blocks: [{ kind: 'idb', linkType: 1 }, { kind: 'epb', interfaceId: 1, timestamp: 0n, data: bytes(4, 0) }] },
    ]);
    const { records, summary } = read(file);
    expect(records).toEqual([]);
    expect(summary.truncated).toBe(true);
    expect(summary.error).toMatch(/^damaged enhanced packet block at byte \d+: interface 1 is not declared \(the section has 1\)$/);
  });

  it('reads simple packet blocks: interface 0, captured length from the block and the snaplen', () => {
    const file = encodePcapng([
      {
        blocks: [
          { kind: 'idb', linkType: 1, snapLength: 8 },
          { kind: 'idb', linkType: 105 },
          { kind: 'spb', data: bytes(3, 9), originalLength: 3 }, // before any timestamped record: time 0
          { kind: 'epb', interfaceId: 1, timestamp: 5_000_000n, data: bytes(2, 1) },
          { kind: 'spb', data: bytes(8, 7), originalLength: 100 }, // cut by the snaplen
          { kind: 'spb', data: bytes(6, 6), originalLength: 5 }, // one byte of padding in the block
        ],
      },
      { blocks: [{ kind: 'idb', linkType: 1 }, { kind: 'spb', data: bytes(12, 5), originalLength: 200 }] }, // cut by the block (snaplen 0)
    ]);
    const { records, summary } = read(file);
    expect(records.map((r) => [r.interfaceId, r.linkType, r.time, r.originalLength, r.data.toString('hex')])).toEqual([
      [0, 1, 0, 3, '090909'],
      [1, 105, 5, 2, '0101'],
      [0, 1, 5, 100, '0707070707070707'],
      [0, 1, 5, 5, '0606060606'],
      [0, 1, 5, 200, '050505050505050505050505'],
    ]);
    expect(summary.snappedPackets).toBe(2);
    expect(summary.firstTime).toBe(5);
  });

  it('stops at a simple packet block that comes before any interface', () => {
    const { records, summary } = read(encodePcapng([{ blocks: [{ kind: 'spb', data: bytes(4, 1), originalLength: 4 }] }]));
    expect(records).toEqual([]);
    const at = encodePcapng([{ blocks: [] }]).length;
    expect(summary.error).toBe(`damaged simple packet block at byte ${at}: no interface is declared`);
  });

  it('reads obsolete packet blocks', () => {
    const file = encodePcapng([
      {
        byteOrder: 'be',
        blocks: [
          { kind: 'idb', linkType: 1 },
          { kind: 'idb', linkType: 113 },
          { kind: 'pb', interfaceId: 1, dropsCount: 0xffff, timestamp: 2_500_000n, data: bytes(5, 4), originalLength: 50 },
        ],
      },
    ]);
    expect(read(file).records).toEqual([{ frame: 1, linkType: 113, interfaceId: 1, time: 2.5, originalLength: 50, data: bytes(5, 4) }]);
  });

  it('skips unknown and unused block types', () => {
    const file = encodePcapng([
      {
        blocks: [
          { kind: 'raw', type: 0x0bad, body: Buffer.from('\x00\x00\x7f\xffcustom') }, // custom block
          { kind: 'idb', linkType: 1 },
          { kind: 'raw', type: 4, body: Buffer.from([1, 0, 6, 0, 10, 0, 0, 1, 0x61, 0, 0, 0, 0, 0, 0, 0]) }, // name resolution
          { kind: 'raw', type: 10, body: Buffer.concat([Buffer.from('KSLT', 'latin1'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc')]) },
          { kind: 'epb', interfaceId: 0, timestamp: 1n, data: bytes(2, 2) },
          { kind: 'raw', type: 0x80000001, body: bytes(100, 0xee) }, // local use
          { kind: 'raw', type: 0x0a0d0a00, body: Buffer.alloc(0) },
          { kind: 'epb', interfaceId: 0, timestamp: 2n, data: bytes(3, 3) },
        ],
      },
    ]);
    const { records, summary } = read(file);
    expect(records.map((r) => r.frame)).toEqual([1, 2]);
    expect(summary.error).toBeNull();
  });

  it('sums the latest isb_ifdrop and isb_osdrop of every interface', () => {
    const file = encodePcapng([
      {
        blocks: [
          { kind: 'idb', linkType: 1 },
          { kind: 'idb', linkType: 1 },
          { kind: 'isb', interfaceId: 0, ifdrop: 5n, osdrop: 1n },
          { kind: 'isb', interfaceId: 0, ifdrop: 7n, osdrop: 2n, ifrecv: 1000n }, // counters are cumulative: this one replaces the first
          { kind: 'isb', interfaceId: 1, osdrop: 10n },
          { kind: 'isb', interfaceId: 9, osdrop: 10n }, // undeclared: ignored with a warning
        ],
      },
      { byteOrder: 'be', blocks: [{ kind: 'idb', linkType: 1 }, { kind: 'isb', interfaceId: 0, ifdrop: 100n }] },
    ]);
    const { summary } = read(file);
    expect(summary.drops).toBe(7 + 2 + 10 + 100);
    expect(summary.warnings.some((w) => w.includes('undeclared interface 9'))).toBe(true);
  });

  it('leaves drops unknown without statistics', () => {
    const file = encodePcapng([{ blocks: [{ kind: 'idb', linkType: 1 }, { kind: 'isb', interfaceId: 0, ifrecv: 10n }] }]);
    expect(read(file).summary.drops).toBeNull();
  });

  it('keeps interfaces whose options run past the block end, with a warning', () => {
    const idb = block({ kind: 'idb', linkType: 1, tsresol: 9 });
    idb.writeUInt16LE(200, 16 + 2); // first option length: far beyond the block
    const file = Buffer.concat([encodeSectionHeader({}), idb, block({ kind: 'epb', interfaceId: 0, timestamp: 3_000_000n, data: bytes(1, 1) })]);
    const { records, summary } = read(file);
    expect(records[0].time).toBe(3); // default resolution: the option was not read
    expect(summary.warnings.join('\n')).toContain('runs past the end of the block');
  });

  it('accepts a block whose length is not a multiple of 4 when its padded trailer agrees', () => {
    const epb = block({ kind: 'epb', interfaceId: 0, timestamp: 0n, data: bytes(5, 1) });
    const len = epb.length - 3; // the unpadded length, as some writers give it
    epb.writeUInt32LE(len, 4);
    epb.writeUInt32LE(len, epb.length - 4);
    const file = Buffer.concat([encodeSectionHeader({}), block({ kind: 'idb', linkType: 1 }), epb]);
    const { records, summary } = read(file);
    expect(records.map((r) => r.data.length)).toEqual([5]);
    expect(summary.error).toBeNull();
    expect(summary.warnings.join('\n')).toContain('is not a multiple of 4');
  });

  describe('damage', () => {
    const shb = encodeSectionHeader({});
    const idb = block({ kind: 'idb', linkType: 1 });
    const good = block({ kind: 'epb', interfaceId: 0, timestamp: 1_000_000n, data: bytes(4, 1) });
    const prefix = Buffer.concat([shb, idb, good]);
    const at = prefix.length;

    function withLength(b: Buffer, first: number, second = first): Buffer {
      const copy = Buffer.from(b);
      copy.writeUInt32LE(first, 4);
      copy.writeUInt32LE(second, copy.length - 4);
      return copy;
    }

    const cases: [string, Buffer, string][] = [
      ['a zero block length', withLength(good, 0), `damaged block header at byte ${at}: block length 0 is too small`],
      ['a block length that is not a multiple of 4', withLength(good, good.length - 2, good.length), `damaged block at byte ${at}: block length ${good.length - 2} is not a multiple of 4`],
      ['a block length above the limit', withLength(good, 32 * 1024 * 1024), `damaged block header at byte ${at}: block length 33554432 exceeds 16777216`],
      ['lengths that disagree', withLength(good, good.length, 12345), `damaged block at byte ${at}: block length ${good.length} does not match its trailing copy 12345`],
      [
        'a block shorter than its fixed part',
        Buffer.concat([Buffer.from([6, 0, 0, 0, 28, 0, 0, 0]), Buffer.alloc(16), Buffer.from([28, 0, 0, 0])]),
        `damaged enhanced packet block at byte ${at}: block length 28 is below 32`,
      ],
      [
        'a captured length larger than the block',
        (() => {
          const b = Buffer.from(good);
          b.writeUInt32LE(5000, 20);
          return b;
        })(),
        `damaged enhanced packet block at byte ${at}: caplen 5000 exceeds the block's room for 4 bytes`,
      ],
      [
        'an undeclared interface',
        block({ kind: 'epb', interfaceId: 3, timestamp: 0n, data: bytes(4, 1) }),
        `damaged enhanced packet block at byte ${at}: interface 3 is not declared (the section has 1)`,
      ],
      [
        'a section header with a bad byte-order magic',
        (() => {
          const b = Buffer.from(shb);
          b.writeUInt32LE(0x11223344, 8);
          return b;
        })(),
        `damaged section header block at byte ${at}: invalid byte-order magic`,
      ],
    ];

    it.each(cases)('stops at %s, keeping the records before it', (_name, bad, message) => {
      const file = Buffer.concat([prefix, bad, good, good]);
      const { records, summary } = read(file);
      expect(records.map((r) => r.frame)).toEqual([1]);
      expect(summary.truncated).toBe(true);
      expect(summary.error).toBe(message);
    });

    it.each(cases)('resynchronises at the next section header after %s', (_name, bad, message) => {
      const later = encodePcapng([{ byteOrder: 'be', blocks: [{ kind: 'idb', linkType: 101 }, { kind: 'epb', interfaceId: 0, timestamp: 7_000_000n, data: bytes(6, 6) }] }]);
      const file = Buffer.concat([prefix, bad, good, later]);
      const { records, summary } = read(file);
      expect(records.map((r) => [r.frame, r.linkType, r.time])).toEqual([
        [1, 1, 1],
        [2, 101, 7],
      ]);
      expect(summary.error).toBe(message);
      expect(summary.truncated).toBe(true);
      expect(summary.warnings).toContain(`resynchronised at the section header block at byte ${file.length - later.length}`);
    });

    it('reports a file that ends inside a block', () => {
      const file = Buffer.concat([prefix, good.subarray(0, 30)]);
      const { records, summary } = read(file);
      expect(records).toHaveLength(1);
      expect(summary.truncated).toBe(true);
      expect(summary.error).toBe(`file ends inside a block at byte ${at} (30 of ${good.length} bytes)`);
    });

    it('finds a later section inside a block whose length runs past the end of the file', () => {
      const liar = withLength(good, 4096, good.length);
      const later = encodePcapng([{ blocks: [{ kind: 'idb', linkType: 1 }, { kind: 'epb', interfaceId: 0, timestamp: 9_000_000n, data: bytes(2, 2) }] }]);
      const file = Buffer.concat([prefix, liar, later]);
      const { records, summary } = read(file);
      expect(records.map((r) => r.time)).toEqual([1, 9]);
      expect(summary.error).toBe(`file ends inside a block at byte ${at} (${liar.length + later.length} of 4096 bytes)`);
    });

    it('does not take a section header magic without a byte-order magic for a section', () => {
      const noise = Buffer.from([0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0, 1, 2, 3, 4]);
      const later = encodePcapng([{ blocks: [{ kind: 'idb', linkType: 1 }, { kind: 'epb', interfaceId: 0, timestamp: 9_000_000n, data: bytes(2, 2) }] }]);
      const file = Buffer.concat([prefix, withLength(good, 0), noise, later]);
      const { records } = read(file);
      expect(records.map((r) => r.time)).toEqual([1, 9]);
    });
  });

  describe('versions', () => {
    const packets: PcapngBlock[] = [{ kind: 'idb', linkType: 1 }, { kind: 'epb', interfaceId: 0, timestamp: 1_000_000n, data: bytes(4, 1) }];

    it('skips a section with another major version and reads the next', () => {
      const sections: PcapngSection[] = [
        { blocks: packets },
        { version: [2, 0], blocks: [...packets, { kind: 'epb', interfaceId: 0, timestamp: 5n, data: bytes(4, 1) }] },
        { byteOrder: 'be', blocks: packets },
      ];
      const { records, summary } = read(encodePcapng(sections));
      expect(records.map((r) => r.frame)).toEqual([1, 2]);
      expect(summary.error).toBeNull();
      expect(summary.warnings.some((w) => w.includes('unsupported version 2.0'))).toBe(true);
      expect(summary.interfaces.map((i) => i.section)).toEqual([0, 2]);
    });

    it('reports a file with no section it can read', () => {
      const { records, summary } = read(encodePcapng([{ version: [0, 1], blocks: packets }]));
      expect(records).toEqual([]);
      expect(summary.format).toBe('pcapng');
      expect(summary.error).toBe('unsupported pcapng version 0.1');
    });

    it('reads minor versions with a warning when unusual', () => {
      expect(read(encodePcapng([{ version: [1, 2], blocks: packets }])).summary.warnings).toEqual([]);
      const { records, summary } = read(encodePcapng([{ version: [1, 1], blocks: packets }]));
      expect(records).toHaveLength(1);
      expect(summary.warnings).toEqual(['pcapng section at byte 0 has unusual version 1.1']);
    });
  });

  describe('limits', () => {
    it('caps the interfaces of one section', () => {
      const blocks: PcapngBlock[] = Array.from({ length: 5 }, () => ({ kind: 'idb', linkType: 1 }) as const);
      const { summary } = decode(encodePcapng([{ blocks }]), [], { maxInterfaces: 3 });
      expect(summary.interfaces).toHaveLength(3);
      expect(summary.error).toMatch(/more than 3 interfaces in one section$/);
    });

    it('caps the warnings kept', () => {
      const blocks: PcapngBlock[] = [{ kind: 'idb', linkType: 1 }, ...Array.from({ length: 30 }, () => ({ kind: 'isb', interfaceId: 5 }) as const)];
      const { summary } = decode(encodePcapng([{ blocks }]), [], { maxWarnings: 10 });
      expect(summary.warnings).toHaveLength(11);
      expect(summary.warnings[10]).toBe('20 more warnings not shown');
    });

    it('holds back at most the largest block allowed', () => {
      const blocks: PcapngBlock[] = [{ kind: 'idb', linkType: 1 }, { kind: 'epb', interfaceId: 0, timestamp: 0n, data: bytes(500_000, 1) }];
      const file = encodePcapng([{ blocks }]);
      const small = decodeInChunks(file, 4096, { maxRecordBytes: 100_000 });
      expect(small.records).toEqual([]);
      expect(small.summary.error).toMatch(/block length 500032 exceeds 100000$/);
      expect(small.maxBuffered).toBeLessThanOrEqual(100_024);
      const fine = decodeInChunks(file, 4096);
      expect(fine.records[0].data.length).toBe(500_000);
    });
  });
});
