import { describe, expect, it } from 'vitest';
import { decodeIpv6 } from './ipv6.js';
import { addr, fragmentBody, ipv6 } from './testing/encode.js';
import { corpusFile, hasFile, readCapture } from './testing/pcap.js';

const SRC = addr('2001:db8::1');
const DST = addr('2001:db8::2');

describe('decodeIpv6', () => {
  it('reads the fixed header', () => {
    const p = ipv6({ src: SRC, dst: DST, nextHeader: 6, hopLimit: 42 }, Buffer.alloc(20));
    expect(decodeIpv6(p, 0, p.length)).toEqual({
      kind: 'ipv6',
      hopLimit: 42,
      protocol: 6,
      payloadOffset: 40,
      end: 60,
      declaredEnd: 60,
      fragmentHeaderOffset: -1,
      fragmentLinkOffset: -1,
      fragmentOffset: 0,
      moreFragments: false,
      identification: 0,
    });
  });

  it('walks hop-by-hop, routing, destination options, AH and mobility headers', () => {
    const p = ipv6(
      {
        src: SRC,
        dst: DST,
        nextHeader: 17,
        extensions: [{ type: 0 }, { type: 43, body: Buffer.alloc(22) }, { type: 51 }, { type: 60 }, { type: 135 }],
      },
      Buffer.alloc(8),
    );
    // 8 + 24 + 12 + 8 + 8 bytes of extension headers.
    expect(decodeIpv6(p, 0, p.length)).toMatchObject({ protocol: 17, payloadOffset: 40 + 60, end: p.length });
  });

  it('stops at no-next-header and at ESP', () => {
    const none = ipv6({ src: SRC, dst: DST, nextHeader: 59, extensions: [{ type: 60 }] }, Buffer.alloc(0));
    expect(decodeIpv6(none, 0, none.length)).toMatchObject({ protocol: 59, payloadOffset: 48, end: 48 });
    const esp = ipv6({ src: SRC, dst: DST, nextHeader: 50 }, Buffer.alloc(16));
    expect(decodeIpv6(esp, 0, esp.length)).toMatchObject({ protocol: 50, payloadOffset: 40 });
  });

  it('stops at a real fragment header and steps over an atomic one', () => {
    const frag = ipv6({ src: SRC, dst: DST, nextHeader: 6, extensions: [{ type: 0 }, { type: 44, body: fragmentBody(1232, true, 0xdeadbeef) }] }, Buffer.alloc(16));
    expect(decodeIpv6(frag, 0, frag.length)).toMatchObject({
      protocol: 6,
      payloadOffset: 56,
      fragmentHeaderOffset: 48,
      fragmentLinkOffset: 40,
      fragmentOffset: 1232,
      moreFragments: true,
      identification: 0xdeadbeef,
    });
    const atomic = ipv6({ src: SRC, dst: DST, nextHeader: 6, extensions: [{ type: 44, body: fragmentBody(0, false, 7) }] }, Buffer.alloc(20));
    expect(decodeIpv6(atomic, 0, atomic.length)).toMatchObject({ protocol: 6, payloadOffset: 48, fragmentHeaderOffset: -1 });
  });

  it('calls a 17th extension header malformed', () => {
    const ok = ipv6({ src: SRC, dst: DST, nextHeader: 6, extensions: new Array(16).fill({ type: 60 }) }, Buffer.alloc(20));
    expect(decodeIpv6(ok, 0, ok.length)).toMatchObject({ kind: 'ipv6', payloadOffset: 40 + 16 * 8 });
    const tooMany = ipv6({ src: SRC, dst: DST, nextHeader: 6, extensions: new Array(17).fill({ type: 60 }) }, Buffer.alloc(20));
    expect(decodeIpv6(tooMany, 0, tooMany.length)).toEqual({ kind: 'malformed', detail: 'too many ipv6 extension headers' });
  });

  it('tells a header past the payload length (malformed) from one past the capture (truncated)', () => {
    const p = ipv6({ src: SRC, dst: DST, nextHeader: 6, extensions: [{ type: 60, body: Buffer.alloc(14) }] }, Buffer.alloc(20));
    expect(decodeIpv6(p, 0, 50).kind).toBe('truncated');
    const lying = ipv6({ src: SRC, dst: DST, nextHeader: 6, extensions: [{ type: 60, body: Buffer.alloc(14) }], payloadLength: 12 }, Buffer.alloc(20));
    expect(decodeIpv6(lying, 0, lying.length).kind).toBe('malformed');
  });

  it('handles snaplen cuts and padding', () => {
    const p = ipv6({ src: SRC, dst: DST, nextHeader: 6 }, Buffer.alloc(1000));
    expect(decodeIpv6(p, 0, 100)).toMatchObject({ end: 100, declaredEnd: 1040 });
    const padded = Buffer.concat([ipv6({ src: SRC, dst: DST, nextHeader: 6 }, Buffer.alloc(20)), Buffer.alloc(10)]);
    expect(decodeIpv6(padded, 0, padded.length)).toMatchObject({ end: 60, declaredEnd: 60 });
  });

  it('reads a jumbo payload length, and uses the captured length for a bare payload length 0', () => {
    const jumbo = ipv6(
      { src: SRC, dst: DST, nextHeader: 6, payloadLength: 0, extensions: [{ type: 0, body: Buffer.from('c20400011170', 'hex') }] },
      Buffer.alloc(100),
    );
    expect(decodeIpv6(jumbo, 0, jumbo.length)).toMatchObject({ protocol: 6, payloadOffset: 48, declaredEnd: 40 + 0x11170, end: jumbo.length });
    const tso = ipv6({ src: SRC, dst: DST, nextHeader: 6, payloadLength: 0 }, Buffer.alloc(100));
    expect(decodeIpv6(tso, 0, tso.length)).toMatchObject({ declaredEnd: 140, end: 140 });
  });

  it('reports bad versions and short headers', () => {
    const p = ipv6({ src: SRC, dst: DST, nextHeader: 6 }, Buffer.alloc(0));
    expect(decodeIpv6(p, 0, 39).kind).toBe('truncated');
    const bad = Buffer.from(p);
    bad[0] = 0x45;
    expect(decodeIpv6(bad, 0, bad.length)).toEqual({ kind: 'malformed', detail: 'ip version is not 6' });
    expect(decodeIpv6(bad, 0, 10)).toEqual({ kind: 'malformed', detail: 'ip version is not 6' });
  });
});

describe('IPv6 extension headers in captures (values from tshark)', () => {
  const ah = corpusFile('malformed/libpcap__ipv6_ah_modes.pcap');
  it.skipIf(!hasFile(ah))('AH transport mode → UDP; tunnel mode → IPv6', () => {
    const [transport, tunnel] = readCapture(ah);
    expect(decodeIpv6(transport.data, 14, transport.data.length)).toMatchObject({ protocol: 17 });
    expect(decodeIpv6(tunnel.data, 14, tunnel.data.length)).toMatchObject({ protocol: 41 });
  });

  const mobility = corpusFile('malformed/zeek__ipv6-mobility-dst-opts.pcap');
  it.skipIf(!hasFile(mobility))('destination options: frame 2 claims 40 bytes in a 36-byte payload', () => {
    const frames = readCapture(mobility).map((r) => decodeIpv6(r.data, 14, r.data.length));
    expect(frames[0]).toMatchObject({ kind: 'ipv6', protocol: 17 });
    expect(frames[1]).toEqual({ kind: 'malformed', detail: 'ipv6 extension header beyond payload length' });
    expect(frames[2]).toMatchObject({ kind: 'ipv6', protocol: 17 });
  });

  const big = corpusFile('malformed/tcpdump__bigtcp-ipv6-hbh.pcap');
  it.skipIf(!hasFile(big))('BIG TCP: payload length 0 with a jumbo option of 80040', () => {
    const [r] = readCapture(big);
    expect(r.data.length).toBe(80094);
    expect(decodeIpv6(r.data, 14, r.data.length)).toMatchObject({ protocol: 6, payloadOffset: 62, declaredEnd: 14 + 40 + 80040, end: 80094 });
  });
});
