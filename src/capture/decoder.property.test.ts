import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, type CopiedRecord, type Decoded } from './testing/collect.js';
import {
  encodePcap,
  encodePcapHeader,
  encodePcapng,
  encodeSectionHeader,
  ticksPerSecond,
  type PcapngBlock,
  type PcapngSection,
  type PcapOptions,
  type PcapRecordInput,
} from './testing/encode.js';

const RUNS = Number(process.env.CAPTURE_FC_RUNS ?? 200);

function expectSameResult(a: Decoded, b: Decoded): void {
  expect(a.records).toEqual(b.records);
  expect(a.summary).toEqual(b.summary);
}

/** Cut points inside a buffer of `length` bytes. */
function cutsFor(length: number): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 0, max: Math.max(0, length) }), { maxLength: 40 });
}

function closeTo(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= 1e-9 + Math.abs(expected) * 1e-15;
}

// ---------------------------------------------------------------- classic pcap

const pcapOptions: fc.Arbitrary<PcapOptions> = fc.record({
  byteOrder: fc.constantFrom('le' as const, 'be' as const),
  nanoseconds: fc.boolean(),
  modified: fc.boolean(),
  linkType: fc.integer({ min: 0, max: 0xffff }),
  snapLength: fc.integer({ min: 0, max: 0x40000 }),
});

const pcapRecord: fc.Arbitrary<PcapRecordInput> = fc.record({
  seconds: fc.integer({ min: 0, max: 0xffffffff }),
  fraction: fc.integer({ min: 0, max: 0xffffffff }),
  data: fc.uint8Array({ maxLength: 300 }),
  originalLength: fc.integer({ min: 0, max: 0xffffffff }),
});

describe('classic pcap round trip', () => {
  it('decodes what was encoded, in any chunking', () => {
    fc.assert(
      fc.property(pcapOptions, fc.array(pcapRecord, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (options, input, rawCuts) => {
        const options2 = options.modified === true ? { ...options, nanoseconds: false } : options;
        const file = encodePcap(input, options2);
        const ticks = options2.nanoseconds === true ? 1e9 : 1e6;
        const whole = decode(file);
        expect(whole.summary.error).toBeNull();
        expect(whole.summary.byteOrder).toBe(options2.byteOrder);
        expect(whole.summary.linkTypes).toEqual([options2.linkType]);
        expect(whole.records).toEqual(
          input.map((r, i) => ({
            frame: i + 1,
            linkType: options2.linkType,
            interfaceId: 0,
            time: r.seconds + r.fraction / ticks,
            originalLength: r.originalLength,
            data: Buffer.from(r.data),
          })),
        );
        expectSameResult(decode(file, rawCuts.map((c) => c % (file.length + 1))), whole);
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------- pcapng

type Op =
  | { kind: 'idb'; linkType: number; snapLength: number; tsresol: number | undefined; tsoffset: number | undefined }
  | { kind: 'epb' | 'pb'; ref: number; timestamp: bigint; data: Uint8Array; extra: number }
  | { kind: 'spb'; data: Uint8Array; originalLength: number }
  | { kind: 'isb'; ref: number; ifdrop: bigint | undefined; osdrop: bigint | undefined }
  | { kind: 'raw'; type: number; body: Uint8Array };

const idbOp = fc.record({
  kind: fc.constant('idb' as const),
  linkType: fc.integer({ min: 0, max: 0xffff }),
  snapLength: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 400 })),
  tsresol: fc.option(fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0x80, max: 0x80 + 32 })), { nil: undefined }),
  tsoffset: fc.option(fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }), { nil: undefined }),
});

const op: fc.Arbitrary<Op> = fc.oneof(
  idbOp,
  fc.record({
    kind: fc.constantFrom('epb' as const, 'pb' as const),
    ref: fc.nat(),
    timestamp: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    data: fc.uint8Array({ maxLength: 200 }),
    extra: fc.nat({ max: 2000 }),
  }),
  fc.record({ kind: fc.constant('spb' as const), data: fc.uint8Array({ maxLength: 200 }), originalLength: fc.nat({ max: 400 }) }),
  fc.record({
    kind: fc.constant('isb' as const),
    ref: fc.nat(),
    ifdrop: fc.option(fc.bigInt({ min: 0n, max: 1n << 40n }), { nil: undefined }),
    osdrop: fc.option(fc.bigInt({ min: 0n, max: 1n << 40n }), { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant('raw' as const),
    type: fc.constantFrom(4, 7, 9, 10, 0x0bad, 0x40000bad, 0x80000000, 0x12345678),
    body: fc.uint8Array({ maxLength: 64 }),
  }),
);

const sectionOps = fc.record({
  byteOrder: fc.constantFrom('le' as const, 'be' as const),
  first: idbOp,
  ops: fc.array(op, { maxLength: 25 }),
});

interface Model {
  sections: PcapngSection[];
  records: CopiedRecord[];
  drops: number | null;
  linkTypes: number[];
}

/** Builds the blocks of each section and the records a reader must give for them. */
function model(input: { byteOrder: 'le' | 'be'; first: Op; ops: Op[] }[]): Model {
  const sections: PcapngSection[] = [];
  const records: CopiedRecord[] = [];
  const linkTypes: number[] = [];
  let drops: number | null = null;
  let prevTime = 0;
  for (const s of input) {
    const ifaces: { linkType: number; snapLength: number; tps: number; offset: number }[] = [];
    const latestDrops = new Map<number, number>();
    const blocks: PcapngBlock[] = [];
    for (const o of [s.first, ...s.ops]) {
      switch (o.kind) {
        case 'idb':
          ifaces.push({ linkType: o.linkType, snapLength: o.snapLength, tps: ticksPerSecond(o.tsresol), offset: o.tsoffset ?? 0 });
          if (!linkTypes.includes(o.linkType)) linkTypes.push(o.linkType);
          blocks.push({
            kind: 'idb',
            linkType: o.linkType,
            snapLength: o.snapLength,
            tsresol: o.tsresol,
            tsoffset: o.tsoffset === undefined ? undefined : BigInt(o.tsoffset),
          });
          break;
        case 'epb':
        case 'pb': {
          const id = o.ref % ifaces.length;
          const iface = ifaces[id];
          blocks.push({ kind: o.kind, interfaceId: id, timestamp: o.timestamp, data: o.data, originalLength: o.data.length + o.extra });
          // Whole seconds and remainder exactly, rounded once at the end.
          const tps = BigInt(iface.tps);
          const time = Number(o.timestamp / tps) + iface.offset + Number(o.timestamp % tps) / iface.tps;
          prevTime = time;
          records.push({ frame: records.length + 1, linkType: iface.linkType, interfaceId: id, time, originalLength: o.data.length + o.extra, data: Buffer.from(o.data) });
          break;
        }
        case 'spb': {
          blocks.push({ kind: 'spb', data: o.data, originalLength: o.originalLength });
          const padded = Buffer.concat([Buffer.from(o.data), Buffer.alloc((4 - (o.data.length % 4)) % 4)]);
          let caplen = Math.min(o.originalLength, padded.length);
          if (ifaces[0].snapLength > 0) caplen = Math.min(caplen, ifaces[0].snapLength);
          records.push({
            frame: records.length + 1,
            linkType: ifaces[0].linkType,
            interfaceId: 0,
            time: prevTime,
            originalLength: o.originalLength,
            data: padded.subarray(0, caplen),
          });
          break;
        }
        case 'isb': {
          const id = o.ref % ifaces.length;
          blocks.push({ kind: 'isb', interfaceId: id, ifdrop: o.ifdrop, osdrop: o.osdrop });
          if (o.ifdrop !== undefined || o.osdrop !== undefined) latestDrops.set(id, Number((o.ifdrop ?? 0n) + (o.osdrop ?? 0n)));
          break;
        }
        case 'raw':
          blocks.push({ kind: 'raw', type: o.type, body: o.body });
          break;
      }
    }
    for (const d of latestDrops.values()) drops = (drops ?? 0) + d;
    sections.push({ byteOrder: s.byteOrder, blocks });
  }
  return { sections, records, drops, linkTypes };
}

describe('pcapng round trip', () => {
  it('decodes what was encoded (sections, byte orders, interfaces, all packet blocks), in any chunking', () => {
    fc.assert(
      fc.property(fc.array(sectionOps, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 30 }), (input, rawCuts) => {
        const m = model(input);
        const file = encodePcapng(m.sections);
        const whole = decode(file);
        expect(whole.summary.error).toBeNull();
        expect(whole.summary.format).toBe('pcapng');
        expect(whole.summary.byteOrder).toBe(input[0].byteOrder);
        expect(whole.summary.linkTypes).toEqual(m.linkTypes);
        expect(whole.summary.drops).toBe(m.drops);
        expect(whole.records.length).toBe(m.records.length);
        whole.records.forEach((r, i) => {
          const e = m.records[i];
          expect({ ...r, time: 0 }).toEqual({ ...e, time: 0 });
          expect(closeTo(r.time, e.time), `time ${r.time} vs ${e.time}`).toBe(true);
        });
        expectSameResult(decode(file, rawCuts.map((c) => c % (file.length + 1))), whole);
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------- hostile input

const start = fc.constantFrom<Buffer>(
  Buffer.alloc(0),
  encodePcapHeader(),
  encodePcapHeader({ byteOrder: 'be', nanoseconds: true, snapLength: 0x7fffffff }),
  encodePcapHeader({ modified: true }),
  encodeSectionHeader({}),
  encodeSectionHeader({ byteOrder: 'be' }),
);

describe('hostile input', () => {
  it('never throws on arbitrary bytes, and the chunking does not change the result', () => {
    fc.assert(
      fc.property(start, fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 30 }), (head, tail, rawCuts) => {
        const file = Buffer.concat([head, tail]);
        const whole = decode(file, [], { maxRecordBytes: 4096 });
        expect(whole.summary.packets).toBe(whole.records.length);
        if (whole.summary.truncated) expect(whole.summary.error).not.toBeNull();
        const split = decode(file, rawCuts.map((c) => c % (file.length + 1)), { maxRecordBytes: 4096 });
        expectSameResult(split, whole);
        expect(split.maxBuffered).toBeLessThanOrEqual(4096 + 24);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('keeps every record that lies wholly before damage, whatever the damage', () => {
    const file = fc.oneof(
      fc.tuple(pcapOptions, fc.array(pcapRecord, { maxLength: 10 })).map(([o, r]) => encodePcap(r, o.modified === true ? { ...o, nanoseconds: false } : o)),
      fc.array(sectionOps, { minLength: 1, maxLength: 3 }).map((s) => encodePcapng(model(s).sections)),
    );
    const damage = fc.record({
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
    });
    fc.assert(
      fc.property(file, damage, cutsFor(5000), (original, d, rawCuts) => {
        const at = d.at % (original.length + 1);
        const bad = Buffer.from(original);
        Buffer.from(d.bytes).copy(bad, at);
        const damaged = d.cut === undefined ? bad : bad.subarray(0, Math.max(at, d.cut % (bad.length + 1)));
        const result = decode(damaged);
        const before = decode(original.subarray(0, at));
        expect(result.records.slice(0, before.records.length)).toEqual(before.records);
        expectSameResult(decode(damaged, rawCuts.map((c) => c % (damaged.length + 1))), result);
      }),
      { numRuns: RUNS },
    );
  });
});
