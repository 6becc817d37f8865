import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNetworkDecoder, type NetworkDecoder, type NetworkLimits } from './decoder.js';
import { FragmentReassembler, type FragmentInput } from './fragments.js';
import { addr, ipv4Fragment, ipv6Fragment, type FragmentIdentity, type Ipv6ExtensionHeader } from './testing/encode.js';
import { corpusFile, hasFile, readCapture, testdataFile } from './testing/pcap.js';
import type { IpPacket, NetworkResult } from './types.js';

const RAW = 101;
const V4: FragmentIdentity = { src: addr('203.0.113.1'), dst: addr('203.0.113.2'), id: 0x1234, protocol: 253, ttl: 50 };
const V6: FragmentIdentity = { src: addr('2001:db8::1'), dst: addr('2001:db8::2'), id: 0xabcdef01, protocol: 253, ttl: 50 };

function pattern(length: number, seed = 0): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (i * 7 + 3 + seed) & 0xff;
  return b;
}

function asPacket(r: NetworkResult): IpPacket {
  if ('kind' in r) throw new Error(`expected a packet, got ${r.reason}: ${r.detail}`);
  return r;
}

function payloadOf(p: IpPacket): Buffer {
  return p.data.subarray(p.payloadOffset, p.payloadEnd);
}

interface Piece {
  offset: number;
  data: Buffer;
  more: boolean;
}

function frame(version: 4 | 6, piece: Piece, who = version === 4 ? V4 : V6, unfragmentable: Ipv6ExtensionHeader[] = []): Buffer {
  return version === 4 ? ipv4Fragment(who, piece.data, piece.offset, piece.more) : ipv6Fragment(who, piece.data, piece.offset, piece.more, unfragmentable);
}

/** Splits `payload` at the given 8-aligned cut points. */
function split(payload: Buffer, cuts: number[]): Piece[] {
  const points = [...new Set(cuts.map((c) => c - (c % 8)).filter((c) => c > 0 && c < payload.length))].sort((a, b) => a - b);
  const bounds = [0, ...points, payload.length];
  const pieces: Piece[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    pieces.push({ offset: bounds[i], data: payload.subarray(bounds[i], bounds[i + 1]), more: i + 2 < bounds.length });
  }
  return pieces;
}

describe('fragment reassembly: basics', () => {
  for (const version of [4, 6] as const) {
    it(`IPv${version}: holds fragments, then returns the datagram in a new buffer`, () => {
      const d = createNetworkDecoder();
      const payload = pattern(3000);
      const pieces = split(payload, [1480, 2960]);
      const frames = pieces.map((p) => frame(version, p));
      expect(d.decode(RAW, frames[2], 1)).toEqual({ kind: 'skip', reason: 'fragment-held', detail: 'fragment held for reassembly' });
      expect(d.decode(RAW, frames[0], 1)).toMatchObject({ kind: 'skip', reason: 'fragment-held' });
      const p = asPacket(d.decode(RAW, frames[1], 1));
      expect(p).toMatchObject({ version, protocol: 253, hopLimit: 50, payloadLength: 3000, tunnel: null });
      expect(frames).not.toContain(p.data);
      expect(payloadOf(p).equals(payload)).toBe(true);
      expect(p.data.subarray(p.srcOffset, p.srcOffset + (version === 4 ? 4 : 16)).equals(version === 4 ? V4.src : V6.src)).toBe(true);
      expect(d.stats.fragments).toMatchObject({ fragments: 3, reassembled: 1, pending: 0, bytesHeld: 0 });
      expect(d.stats.skipped['fragment-held']).toBe(2);
      expect(d.stats.packets).toBe(1);
    });
  }

  it('IPv4: the rebuilt header has the full total length and no fragment bits, DF kept', () => {
    const d = createNetworkDecoder();
    const payload = pattern(100);
    d.decode(RAW, ipv4Fragment(V4, payload.subarray(48), 48, false), 0);
    const p = asPacket(d.decode(RAW, ipv4Fragment(V4, payload.subarray(0, 48), 0, true), 0));
    expect(p.data.length).toBe(120);
    expect(p.data.readUInt16BE(2)).toBe(120);
    expect(p.data.readUInt16BE(6)).toBe(0);
  });

  it('IPv6: keeps the unfragmentable hop-by-hop header and removes the fragment header', () => {
    const d = createNetworkDecoder();
    const payload = pattern(64);
    const hbh: Ipv6ExtensionHeader[] = [{ type: 0 }];
    d.decode(RAW, frame(6, { offset: 32, data: payload.subarray(32), more: false }, V6, hbh), 0);
    const p = asPacket(d.decode(RAW, frame(6, { offset: 0, data: payload.subarray(0, 32), more: true }, V6, hbh), 0));
    expect(p.data.length).toBe(40 + 8 + 64);
    expect(p.data[6]).toBe(0); // first next header: hop-by-hop
    expect(p.data[40]).toBe(253); // hop-by-hop's next header: the fragment's protocol
    expect(p.data.readUInt16BE(4)).toBe(72);
    expect(p.payloadOffset).toBe(48);
    expect(payloadOf(p).equals(payload)).toBe(true);
  });

  it('keeps datagrams with different ids, protocols or addresses apart', () => {
    const d = createNetworkDecoder();
    const a = pattern(32, 1);
    const b = pattern(32, 2);
    const other = { ...V4, id: V4.id + 1 };
    d.decode(RAW, ipv4Fragment(V4, a.subarray(0, 16), 0, true), 0);
    d.decode(RAW, ipv4Fragment(other, b.subarray(0, 16), 0, true), 0);
    d.decode(RAW, ipv4Fragment({ ...V4, protocol: 6 }, b.subarray(16), 16, false), 0);
    d.decode(RAW, ipv4Fragment({ ...V4, src: addr('203.0.113.9') }, b.subarray(16), 16, false), 0);
    expect(d.stats.fragments.pending).toBe(4);
    expect(payloadOf(asPacket(d.decode(RAW, ipv4Fragment(other, b.subarray(16), 16, false), 0))).equals(b)).toBe(true);
    expect(payloadOf(asPacket(d.decode(RAW, ipv4Fragment(V4, a.subarray(16), 16, false), 0))).equals(a)).toBe(true);
    expect(d.stats.fragments.pending).toBe(2);
  });

  it('keeps the first copy of overlapping bytes (teardrop-style overlaps do no harm)', () => {
    const d = createNetworkDecoder();
    const payload = pattern(48);
    d.decode(RAW, ipv4Fragment(V4, payload.subarray(0, 24), 0, true), 0);
    // Overlaps [16, 40) with different bytes: only [24, 40) is new.
    d.decode(RAW, ipv4Fragment(V4, Buffer.alloc(24, 0xee), 16, true), 0);
    // Entirely inside what is held.
    d.decode(RAW, ipv4Fragment(V4, Buffer.alloc(8, 0xdd), 8, true), 0);
    const p = asPacket(d.decode(RAW, ipv4Fragment(V4, payload.subarray(8), 8, false), 0));
    const expected = Buffer.from(payload);
    expected.fill(0xee, 24, 40);
    expect(payloadOf(p).equals(expected)).toBe(true);
    expect(d.stats.fragments.overlaps).toBe(3);
  });

  it('passes atomic IPv6 fragments through without reassembly', () => {
    const d = createNetworkDecoder();
    const p = asPacket(d.decode(RAW, frame(6, { offset: 0, data: pattern(20), more: false }), 0));
    expect(p).toMatchObject({ protocol: 253, payloadOffset: 48, payloadLength: 20 });
    expect(d.stats.fragments.fragments).toBe(0);
  });
});

describe('fragment reassembly: bad fragments and limits', () => {
  it('drops a fragment that reaches past 65535 bytes (ping of death)', () => {
    const d = createNetworkDecoder();
    expect(d.decode(RAW, ipv4Fragment(V4, pattern(100), 65528, false), 0)).toEqual({
      kind: 'skip',
      reason: 'fragment-dropped',
      detail: 'fragment beyond the largest datagram',
    });
    expect(d.stats.fragments.droppedFragments).toBe(1);
  });

  it('drops an IPv4 datagram whose header plus payload exceeds 65535', () => {
    const d = createNetworkDecoder();
    d.decode(RAW, ipv4Fragment(V4, pattern(65496), 8, true), 0);
    d.decode(RAW, ipv4Fragment(V4, pattern(24), 65504, false), 0);
    expect(d.decode(RAW, ipv4Fragment(V4, pattern(8), 0, true), 0)).toMatchObject({ reason: 'fragment-dropped', detail: 'reassembled ipv4 datagram longer than 65535' });
  });

  it('drops a fragment cut by the snaplen', () => {
    const d = createNetworkDecoder();
    const f = ipv4Fragment(V4, pattern(100), 0, true);
    expect(d.decode(RAW, f.subarray(0, 60), 0)).toMatchObject({ reason: 'fragment-dropped', detail: 'fragment cut short by the snaplen' });
  });

  it('drops the datagram when the last fragment ends before bytes already held', () => {
    const d = createNetworkDecoder();
    d.decode(RAW, ipv4Fragment(V4, pattern(16), 64, true), 0);
    expect(d.decode(RAW, ipv4Fragment(V4, pattern(16), 16, false), 0)).toMatchObject({ reason: 'fragment-dropped' });
    expect(d.stats.fragments).toMatchObject({ pending: 0, droppedDatagrams: 1 });
  });

  it('ignores bytes past the end the last fragment set', () => {
    const d = createNetworkDecoder();
    const payload = pattern(40);
    d.decode(RAW, ipv4Fragment(V4, payload.subarray(16), 16, false), 0);
    d.decode(RAW, ipv4Fragment(V4, pattern(64, 9).subarray(0, 56), 8, true), 0);
    const p = asPacket(d.decode(RAW, ipv4Fragment(V4, payload.subarray(0, 8), 0, true), 0));
    expect(p.payloadLength).toBe(40);
    const expected = Buffer.concat([payload.subarray(0, 8), pattern(64, 9).subarray(0, 8), payload.subarray(16)]);
    expect(payloadOf(p).equals(expected)).toBe(true);
  });

  it('evicts the oldest datagram when too many are pending', () => {
    const d = createNetworkDecoder({ maxDatagrams: 2 });
    for (let id = 1; id <= 3; id++) d.decode(RAW, ipv4Fragment({ ...V4, id }, pattern(8), 0, true), id);
    expect(d.stats.fragments).toMatchObject({ pending: 2, evicted: 1, droppedDatagrams: 1 });
    // Datagram 1 lost its first half; datagram 3 completes.
    expect(d.decode(RAW, ipv4Fragment({ ...V4, id: 1 }, pattern(8), 8, false), 4)).toMatchObject({ reason: 'fragment-held' });
    expect(asPacket(d.decode(RAW, ipv4Fragment({ ...V4, id: 3 }, pattern(8), 8, false), 4)).payloadLength).toBe(16);
  });

  it('evicts the oldest datagrams to stay under the byte limit', () => {
    const d = createNetworkDecoder({ maxTotalBytes: 4000 });
    d.decode(RAW, ipv4Fragment({ ...V4, id: 1 }, pattern(1600), 0, true), 0);
    d.decode(RAW, ipv4Fragment({ ...V4, id: 2 }, pattern(1600), 0, true), 0);
    expect(d.stats.fragments.evicted).toBe(0);
    d.decode(RAW, ipv4Fragment({ ...V4, id: 3 }, pattern(1600), 0, true), 0);
    expect(d.stats.fragments.evicted).toBe(1);
    expect(d.stats.fragments.bytesHeld).toBeLessThanOrEqual(4000);
    // A single datagram larger than the limit cannot be held at all.
    const small = createNetworkDecoder({ maxTotalBytes: 1000 });
    expect(small.decode(RAW, ipv4Fragment(V4, pattern(1600), 0, true), 0)).toMatchObject({ reason: 'fragment-dropped', detail: 'fragment reassembly memory limit' });
    expect(small.stats.fragments).toMatchObject({ pending: 0, bytesHeld: 0 });
  });

  it('gives up datagrams older than the timeout, by capture time', () => {
    const d = createNetworkDecoder({ timeoutSeconds: 30 });
    const payload = pattern(16);
    d.decode(RAW, ipv4Fragment(V4, payload.subarray(0, 8), 0, true), 1000);
    expect(d.decode(RAW, ipv4Fragment(V4, payload.subarray(8), 8, false), 1031)).toMatchObject({ reason: 'fragment-held' });
    expect(d.stats.fragments).toMatchObject({ timedOut: 1, pending: 1 });
    // Within the timeout it completes.
    expect(asPacket(d.decode(RAW, ipv4Fragment(V4, payload.subarray(0, 8), 0, true), 1060)).payloadLength).toBe(16);
    // A missing timestamp does not flush the table.
    d.decode(RAW, ipv4Fragment(V4, payload.subarray(0, 8), 0, true), 2000);
    d.decode(RAW, ipv4Fragment({ ...V4, id: 9 }, payload.subarray(0, 8), 0, true), Number.NaN);
    expect(d.stats.fragments.pending).toBe(2);
  });

  it('gives up a datagram split into too many separate ranges', () => {
    const d = createNetworkDecoder();
    const results: NetworkResult[] = [];
    for (let i = 0; i < 257; i++) results.push(d.decode(RAW, ipv4Fragment(V4, pattern(8), 16 + i * 16, true), 0));
    expect(results[255]).toMatchObject({ reason: 'fragment-held' });
    expect(results[256]).toMatchObject({ reason: 'fragment-dropped', detail: 'too many separate fragment ranges' });
    expect(d.stats.fragments.pending).toBe(0);
  });
});

/** Reference model: bytes written first win; complete once every byte and the end are known. */
function model(total: number, deliveries: Piece[]): { index: number; payload: Buffer } | null {
  const bytes = Buffer.alloc(total);
  const have = new Uint8Array(total);
  let covered = 0;
  let endKnown = false;
  for (let i = 0; i < deliveries.length; i++) {
    const f = deliveries[i];
    if (!f.more) endKnown = true;
    for (let k = 0; k < f.data.length; k++) {
      const at = f.offset + k;
      if (at < total && !have[at]) {
        have[at] = 1;
        bytes[at] = f.data[k];
        covered++;
      }
    }
    if (endKnown && covered === total) return { index: i, payload: bytes };
  }
  return null;
}

const fragmentPlan = fc
  .record({
    total: fc.integer({ min: 9, max: 4000 }),
    cuts: fc.array(fc.nat(4000), { maxLength: 12 }),
    extras: fc.array(fc.record({ start: fc.nat(500), length: fc.integer({ min: 1, max: 200 }), fill: fc.nat(255), sameData: fc.boolean() }), { maxLength: 8 }),
    seed: fc.nat(255),
  })
  .chain((plan) => {
    const payload = pattern(plan.total, plan.seed);
    // At least one cut, so the datagram really is fragmented.
    const forced = 8 * (1 + (plan.seed % Math.floor((plan.total - 1) / 8)));
    const base = split(payload, [forced, ...plan.cuts]);
    const extras: Piece[] = [];
    for (const e of plan.extras) {
      const start = Math.min(e.start * 8, Math.max(0, (plan.total - 1) & ~7));
      const end = Math.min(plan.total, start + e.length * 8);
      if (end <= start) continue;
      extras.push({ offset: start, data: e.sameData ? payload.subarray(start, end) : Buffer.alloc(end - start, e.fill), more: true });
    }
    const dups = base.filter((_, i) => i % 2 === 0);
    return fc.shuffledSubarray([...base, ...extras, ...dups], { minLength: base.length + extras.length + dups.length }).map((order) => ({ payload, base, order, consistent: plan.extras.every((e) => e.sameData) }));
  });

describe('fragment reassembly: properties', () => {
  for (const version of [4, 6] as const) {
    it(`IPv${version}: any order, with duplicates and overlaps, gives what first-copy-wins predicts`, () => {
      fc.assert(
        fc.property(fragmentPlan, ({ payload, base, order, consistent }) => {
          const d = createNetworkDecoder();
          const expected = model(payload.length, order);
          expect(expected).not.toBeNull();
          if (expected === null) return;
          for (let i = 0; i < order.length; i++) {
            const r = d.decode(RAW, frame(version, order[i]), i);
            if (i < expected.index) {
              expect(r).toMatchObject({ kind: 'skip', reason: 'fragment-held' });
            } else if (i === expected.index) {
              const p = asPacket(r);
              expect(p.payloadLength).toBe(payload.length);
              expect(payloadOf(p).equals(expected.payload)).toBe(true);
              if (consistent) expect(payloadOf(p).equals(payload)).toBe(true);
            } else {
              expect('kind' in r ? r.reason : 'packet').not.toBe('fragment-dropped');
            }
          }
          expect(base.length).toBeGreaterThan(1);
          expect(d.stats.fragments.reassembled).toBeGreaterThanOrEqual(1);
        }),
        { numRuns: 400 },
      );
    });
  }

  it('random fragments never throw and stay inside the limits', () => {
    const limits: Partial<NetworkLimits> = { maxDatagrams: 8, maxTotalBytes: 20000, timeoutSeconds: 5 };
    const fragmentArb = fc.record({
      version: fc.constantFrom<4 | 6>(4, 6),
      id: fc.nat(3),
      offset: fc.nat(8200),
      length: fc.nat(1600),
      more: fc.boolean(),
      time: fc.nat(20),
    });
    fc.assert(
      fc.property(fc.array(fragmentArb, { maxLength: 60 }), (list) => {
        const d: NetworkDecoder = createNetworkDecoder(limits);
        for (const f of list) {
          const who = f.version === 4 ? { ...V4, id: f.id } : { ...V6, id: f.id };
          const r = d.decode(RAW, frame(f.version, { offset: f.offset * 8, data: pattern(f.length), more: f.more }, who), f.time);
          if (!('kind' in r)) {
            expect(r.payloadEnd).toBeLessThanOrEqual(r.data.length);
            expect(r.payloadOffset).toBeLessThanOrEqual(r.payloadEnd);
          }
          expect(d.stats.fragments.pending).toBeLessThanOrEqual(8);
          expect(d.stats.fragments.bytesHeld).toBeLessThanOrEqual(20000);
          expect(d.stats.fragments.bytesHeld).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('FragmentReassembler.clear releases everything', () => {
    const r = new FragmentReassembler({ maxDatagrams: 4 });
    const buf = ipv4Fragment(V4, pattern(64), 0, true);
    const input: FragmentInput = {
      key: 'a',
      version: 4,
      buf,
      ipOffset: 0,
      headerEnd: 20,
      linkOffset: -1,
      nextHeader: 253,
      dataOffset: 20,
      dataEnd: buf.length,
      fragmentOffset: 0,
      moreFragments: true,
    };
    expect(r.add(input, 0).kind).toBe('held');
    expect(r.add({ ...input, key: 'b' }, 0).kind).toBe('held');
    expect(r.stats.bytesHeld).toBeGreaterThan(0);
    r.clear();
    expect(r.stats).toMatchObject({ pending: 0, bytesHeld: 0, droppedDatagrams: 2 });
  });
});

const PATTERN_2400 = Buffer.from(Array.from({ length: 2400 }, (_, i) => (i * 7 + 3) & 0xff));

describe('fragment fixtures made with scapy (see testdata/README.md)', () => {
  it('ipv4-fragments.pcap: out of order, duplicate and clashing fragments, then a fragmented VXLAN packet', () => {
    const d = createNetworkDecoder();
    const results = readCapture(testdataFile('ipv4-fragments.pcap')).map((r) => d.decode(r.linkType, r.data, r.time));
    for (const i of [0, 1, 2, 3, 5]) expect(results[i]).toMatchObject({ kind: 'skip', reason: 'fragment-held' });
    // tshark: frame 5 reassembles 2420 bytes (20 TCP + 2400), overlap with conflicting data in frame 3.
    const tcp = asPacket(results[4]);
    expect(tcp).toMatchObject({ version: 4, protocol: 6, hopLimit: 60, payloadLength: 2420, tunnel: null });
    expect(payloadOf(tcp).subarray(20).equals(PATTERN_2400)).toBe(true);
    // tshark: frame 7 is udp:vxlan:eth:ip:tcp from 10.1.1.1 to 10.2.2.2.
    const inner = asPacket(results[6]);
    expect(inner).toMatchObject({ version: 4, protocol: 6, tunnel: 'vxlan', payloadLength: 1220 });
    expect(inner.data.readUInt32BE(inner.srcOffset)).toBe(0x0a010101);
    expect(d.stats.fragments).toMatchObject({ fragments: 7, reassembled: 2, overlaps: 2, pending: 0 });
  });

  it('ipv6-fragments.pcap: three fragments in reverse order behind a hop-by-hop header', () => {
    const d = createNetworkDecoder();
    const results = readCapture(testdataFile('ipv6-fragments.pcap')).map((r) => d.decode(r.linkType, r.data, r.time));
    expect(results.slice(0, 2)).toMatchObject([{ reason: 'fragment-held' }, { reason: 'fragment-held' }]);
    const p = asPacket(results[2]);
    expect(p).toMatchObject({ version: 6, protocol: 6, hopLimit: 55, payloadLength: 2420, payloadOffset: 48 });
    expect(payloadOf(p).subarray(20).equals(PATTERN_2400)).toBe(true);
  });
});

describe('fragments in the corpus (values from tshark)', () => {
  const syn = corpusFile('malformed/zeek__ipv4_fragmented-syn.pcap');
  it.skipIf(!hasFile(syn))('zeek fragmented SYN: 24 + 16 bytes make a 40-byte TCP header in frame 2', () => {
    const d = createNetworkDecoder();
    const [a, b] = readCapture(syn).map((r) => d.decode(r.linkType, r.data, r.time));
    expect(a).toMatchObject({ reason: 'fragment-held' });
    expect(asPacket(b)).toMatchObject({ version: 4, protocol: 6, payloadLength: 40, hopLimit: 64 });
    const p = asPacket(b);
    expect(p.data[p.payloadOffset + 13] & 0x3f).toBe(0x02); // SYN
    expect(p.data[p.payloadOffset + 12] >> 4).toBe(10); // tcp.hdr_len 40
  });

  const evasion = corpusFile('malformed/suricata__ipv6-evasion_ipv6-malformed-fragments-1_frag-1.pcap');
  it.skipIf(!hasFile(evasion))('suricata IPv6 fragments with a conflicting overlap: 1208 bytes at frame 9, first copy kept', () => {
    const d = createNetworkDecoder();
    const records = readCapture(evasion);
    const results = records.map((r) => d.decode(r.linkType, r.data, r.time));
    expect([4, 5, 7].map((i) => results[i])).toMatchObject([{ reason: 'fragment-held' }, { reason: 'fragment-held' }, { reason: 'fragment-held' }]);
    const p = asPacket(results[8]);
    expect(p).toMatchObject({ version: 6, protocol: 58, payloadLength: 1208 });
    // Frames 6 and 8 both carry offset 408; frame 6 arrived first.
    const frame6 = records[5].data;
    const frame6Data = frame6.subarray(14 + 48, frame6.length);
    expect(payloadOf(p).subarray(408, 408 + frame6Data.length).equals(frame6Data)).toBe(true);
    expect(results.filter((r) => !('kind' in r))).toHaveLength(10);
  });

  const garbage = corpusFile('malformed/ndpi__ip_fragmented_garbage.pcap');
  it.skipIf(!hasFile(garbage))('nDPI fragmented garbage: 1252 fragments, four 5000-byte datagrams at frames 313, 626, 939, 1252', () => {
    const d = createNetworkDecoder();
    const done: number[] = [];
    for (const r of readCapture(garbage)) {
      const res = d.decode(r.linkType, r.data, r.time);
      if (!('kind' in res)) {
        done.push(r.frame);
        expect(res).toMatchObject({ protocol: 6, payloadLength: 5000 });
      }
    }
    expect(done).toEqual([313, 626, 939, 1252]);
  });
});
