import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAddress } from '../ip/address.js';
import { createNetworkDecoder } from '../ip/decoder.js';
import { isSkip } from '../ip/index.js';
import { ethernet, ipv4, ipv6, sll, sll2 } from '../ip/testing/encode.js';
import { ACK, decodeTcp, FIN, flagNames, isTcpError, PSH, RST, seqDiff, SYN, type TcpSegment } from './segment.js';
import { encodeTcp } from './testing/encode.js';

const u32 = fc.nat({ max: 0xffffffff });
const port = fc.nat({ max: 0xffff });
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const fields = fc.record({
  srcPort: port,
  dstPort: port,
  seq: u32,
  ack: u32,
  flags: fc.nat({ max: 0xff }),
  window: port,
  options: fc.nat({ max: 10 }).chain((words) => fc.uint8Array({ minLength: words * 4, maxLength: words * 4 })),
});

function segment(r: ReturnType<typeof decodeTcp>): TcpSegment {
  if (isTcpError(r)) throw new Error(r.detail);
  return r;
}

describe('decodeTcp', () => {
  it('decodes what was encoded, at any offset in the packet', () => {
    fc.assert(
      fc.property(fields, bytes(300), bytes(40), (f, payload, before) => {
        const tcp = encodeTcp(f, payload);
        const buf = Buffer.concat([before, tcp]);
        const s = segment(decodeTcp(buf, before.length, buf.length, tcp.length));
        expect(s).toEqual({
          srcPort: f.srcPort,
          dstPort: f.dstPort,
          seq: f.seq,
          ack: f.ack,
          flags: f.flags,
          window: f.window,
          payloadOffset: before.length + 20 + f.options.length,
          payloadEnd: buf.length,
          payloadLength: payload.length,
        });
        expect(buf.subarray(s.payloadOffset, s.payloadEnd).equals(payload)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the declared payload length and the captured end when the snap length cut the segment', () => {
    fc.assert(
      fc.property(fields, bytes(300), fc.nat(300), (f, payload, cut) => {
        const tcp = encodeTcp(f, payload);
        const header = 20 + f.options.length;
        const captured = Math.min(tcp.length, header + cut);
        const s = segment(decodeTcp(tcp, 0, captured, tcp.length));
        expect(s.payloadEnd).toBe(captured);
        expect(s.payloadLength).toBe(payload.length);
      }),
    );
  });

  it('ignores bytes past the segment length the IP header gives (Ethernet padding)', () => {
    const tcp = encodeTcp({ srcPort: 1, dstPort: 2 }, Buffer.from('abc'));
    const padded = Buffer.concat([tcp, Buffer.alloc(6, 0xee)]);
    expect(segment(decodeTcp(padded, 0, padded.length, tcp.length))).toMatchObject({ payloadOffset: 20, payloadEnd: 23, payloadLength: 3 });
  });

  it('reports a cut, too short or too long header as an error', () => {
    const tcp = encodeTcp({ srcPort: 1, dstPort: 2, options: new Uint8Array(8) });
    expect(decodeTcp(tcp, 0, 19, tcp.length)).toMatchObject({ kind: 'truncated' });
    expect(decodeTcp(tcp, 0, 24, tcp.length)).toMatchObject({ kind: 'truncated', detail: 'tcp options cut short' });
    for (const words of [0, 1, 4]) expect(decodeTcp(encodeTcp({ srcPort: 1, dstPort: 2, dataOffsetWords: words }), 0, 20, 20)).toMatchObject({ kind: 'malformed' });
    expect(decodeTcp(encodeTcp({ srcPort: 1, dstPort: 2, dataOffsetWords: 15 }), 0, 20, 20)).toMatchObject({ kind: 'malformed' });
    expect(decodeTcp(tcp, 0, tcp.length, 20)).toMatchObject({ kind: 'malformed' });
  });

  it('never throws on arbitrary bytes and lengths, and keeps offsets inside what was captured', () => {
    fc.assert(
      fc.property(bytes(120), fc.nat(16), fc.nat(140), fc.nat(0x1ffff), (data, pre, capturedLength, declared) => {
        const buf = Buffer.concat([Buffer.alloc(pre, 0x5a), data]);
        const end = pre + Math.min(data.length, capturedLength);
        const r = decodeTcp(buf, pre, end, declared);
        if (isTcpError(r)) {
          expect(['truncated', 'malformed']).toContain(r.kind);
          return;
        }
        expect(r.payloadOffset).toBeGreaterThanOrEqual(pre + 20);
        expect(r.payloadOffset).toBeLessThanOrEqual(r.payloadEnd);
        expect(r.payloadEnd).toBeLessThanOrEqual(end);
        expect(r.payloadLength).toBeGreaterThanOrEqual(r.payloadEnd - r.payloadOffset);
        expect(r.seq).toBeLessThanOrEqual(0xffffffff);
        expect(r.ack).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('sequence numbers and flags', () => {
  it('seqDiff is the signed distance modulo 2^32, across the wrap', () => {
    fc.assert(
      fc.property(u32, fc.integer({ min: -0x7fffffff, max: 0x7fffffff }), (a, d) => {
        expect(seqDiff(a, (a + d) >>> 0)).toBe(d);
      }),
    );
  });

  it('names flags as Wireshark does', () => {
    expect(flagNames(SYN | ACK)).toBe('SYN, ACK');
    expect(flagNames(FIN | RST | PSH)).toBe('FIN, RST, PSH');
    expect(flagNames(0)).toBe('');
  });
});

describe('link + IP + TCP round trip through the network decoder', () => {
  it('Ethernet, Linux cooked v1 and v2, IPv4 and IPv6, with any TCP header', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 113, 276), fc.boolean(), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fields, bytes(200), (linkType, v4, srcBytes, dstBytes, f, payload) => {
        const src = Buffer.from(v4 ? srcBytes.subarray(0, 4) : srcBytes);
        const dst = Buffer.from(v4 ? dstBytes.subarray(0, 4) : dstBytes);
        const tcp = encodeTcp(f, payload);
        const ip = v4 ? ipv4({ src, dst, protocol: 6 }, tcp) : ipv6({ src, dst, nextHeader: 6 }, tcp);
        const type = v4 ? 0x0800 : 0x86dd;
        const frame = linkType === 1 ? ethernet({ etherType: type }, ip) : linkType === 113 ? sll({ protocol: type }, ip) : sll2({ protocol: type }, ip);
        const p = createNetworkDecoder().decode(linkType, frame, 0);
        if (isSkip(p)) throw new Error(p.detail);
        expect(p.protocol).toBe(6);
        expect(formatAddress(p.data, p.srcOffset, p.version)).toBe(formatAddress(src, 0, p.version));
        expect(formatAddress(p.data, p.dstOffset, p.version)).toBe(formatAddress(dst, 0, p.version));
        const s = segment(decodeTcp(p.data, p.payloadOffset, p.payloadEnd, p.payloadLength));
        expect(s).toMatchObject({ srcPort: f.srcPort, dstPort: f.dstPort, seq: f.seq, ack: f.ack, flags: f.flags, window: f.window });
        expect(p.data.subarray(s.payloadOffset, s.payloadEnd).equals(payload)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
