import { describe, expect, it } from 'vitest';
import { createNetworkDecoder } from './decoder.js';
import { decodeGeneve } from './geneve.js';
import { decodeGre } from './gre.js';
import { decodeGtpU } from './gtp.js';
import { corpusFile, hasFile, readCapture, testdataFile } from './testing/pcap.js';
import { countResults, describeResult } from './testing/summary.js';
import type { TunnelResult } from './tunnel.js';
import type { NetworkResult } from './types.js';
import { decodeVxlan } from './vxlan.js';

function hex(h: string): Buffer {
  return Buffer.from(h.replace(/\s+/g, ''), 'hex');
}

function run(fn: (b: Buffer, o: number, e: number) => TunnelResult, h: string): TunnelResult {
  const b = hex(h);
  return fn(b, 0, b.length);
}

function decodeFile(path: string): NetworkResult[] {
  const d = createNetworkDecoder();
  return readCapture(path).map((r) => d.decode(r.linkType, r.data, r.time));
}

describe('decodeGre', () => {
  it('reads version 0 headers with any of checksum, key and sequence', () => {
    expect(run(decodeGre, '0000 0800 45')).toEqual({ kind: 'payload', etherType: 0x0800, offset: 4, end: 5 });
    expect(run(decodeGre, '8000 86dd 00000000 60')).toMatchObject({ etherType: 0x86dd, offset: 8 });
    expect(run(decodeGre, '2000 0800 00000001 45')).toMatchObject({ offset: 8 });
    expect(run(decodeGre, 'b000 6558 00000000 00000001 00000002 ff')).toMatchObject({ etherType: 0x6558, offset: 16 });
  });

  it('passes over ERSPAN headers to the mirrored frame', () => {
    expect(run(decodeGre, '0000 88be ff')).toMatchObject({ etherType: 0x6558, offset: 4 }); // type I
    expect(run(decodeGre, '1000 88be 00000001 1000000300000000 ff')).toMatchObject({ etherType: 0x6558, offset: 16 }); // type II
    expect(run(decodeGre, '0000 22eb 20000004 00000000 00000000 ff')).toMatchObject({ etherType: 0x6558, offset: 16 }); // type III
    expect(run(decodeGre, '0000 22eb 20000004 00000000 00000001 0000000000000000 ff')).toMatchObject({ offset: 24 }); // with subheader
    expect(run(decodeGre, '1000 88be 00000001 1000').kind).toBe('truncated');
  });

  it('reads PPTP (version 1) down to the PPP payload', () => {
    expect(run(decodeGre, '3001 880b 0020 0007 00000001 ff03 0021 45')).toEqual({ kind: 'payload', etherType: 0x0800, offset: 16, end: 17 });
    expect(run(decodeGre, '3081 880b 0020 0007 00000001 00000000 0021 45')).toMatchObject({ etherType: 0x0800, offset: 18 });
    expect(run(decodeGre, '2081 880b 0000 0007 00000000')).toMatchObject({ kind: 'unsupported' });
    expect(run(decodeGre, '2001 0800 0000 0007 45').kind).toBe('malformed');
  });

  it('reports short headers, source routing and unknown versions', () => {
    expect(run(decodeGre, '0000 08').kind).toBe('truncated');
    expect(run(decodeGre, 'b000 0800 0000').kind).toBe('truncated');
    expect(run(decodeGre, '4000 0800 00000000').kind).toBe('unsupported');
    expect(run(decodeGre, '0002 0800').kind).toBe('malformed');
  });
});

describe('decodeVxlan / decodeGeneve / decodeGtpU', () => {
  it('VXLAN needs the I flag and 8 bytes', () => {
    expect(run(decodeVxlan, '08000000 00002a00 ff')).toEqual({ kind: 'payload', etherType: 0x6558, offset: 8, end: 9 });
    expect(run(decodeVxlan, '00000000 00002a00 ff').kind).toBe('malformed');
    expect(run(decodeVxlan, '08000000 0000').kind).toBe('truncated');
  });

  it('Geneve skips its options and names the payload', () => {
    expect(run(decodeGeneve, '00006558 00000700 ff')).toMatchObject({ etherType: 0x6558, offset: 8 });
    expect(run(decodeGeneve, '02000800 00000700 01020301 aabbccdd 45')).toMatchObject({ etherType: 0x0800, offset: 16 });
    expect(run(decodeGeneve, '02000800 00000700 0102').kind).toBe('truncated');
    expect(run(decodeGeneve, '40006558 00000700').kind).toBe('malformed');
  });

  it('GTP-U follows the optional fields and the extension header chain', () => {
    expect(run(decodeGtpU, '30ff 0001 11223344 45')).toMatchObject({ etherType: 0x0800, offset: 8, end: 9 });
    expect(run(decodeGtpU, '32ff 0005 11223344 0001 00 00 60')).toMatchObject({ etherType: 0x86dd, offset: 12 });
    // E flag, one PDU session container (length 1 word) then none.
    expect(run(decodeGtpU, '34ff 0009 11223344 0000 00 85 01 1009 00 45')).toMatchObject({ etherType: 0x0800, offset: 16 });
    // Two extension headers: 2 words, then 1 word.
    expect(run(decodeGtpU, '34ff 0011 11223344 0000 00 85 02 000000000000 40 01 0000 00 60')).toMatchObject({ etherType: 0x86dd, offset: 24 });
    // The declared length bounds the payload.
    expect(run(decodeGtpU, '30ff 0002 11223344 4500 ffff')).toMatchObject({ end: 10 });
  });

  it('GTP-U reports other messages, bad headers and endless chains', () => {
    expect(run(decodeGtpU, '3201 0004 00000000 0001 0000').kind).toBe('unsupported');
    expect(run(decodeGtpU, '50ff 0001 11223344 45').kind).toBe('malformed');
    expect(run(decodeGtpU, '34ff 0009 11223344 0000 00 85 00 0000 00 45').kind).toBe('malformed');
    expect(run(decodeGtpU, '30ff 0001 11223344 00').kind).toBe('unsupported');
    expect(run(decodeGtpU, '34ff 0009 11223344 0000 00 85 02').kind).toBe('truncated');
    const chain = '34ff 0048 11223344 0000 00 85' + ' 01 0000 85'.repeat(17);
    expect(run(decodeGtpU, chain)).toEqual({ kind: 'malformed', detail: 'too many gtp-u extension headers' });
  });
});

// Expected lines come from tshark -T fields (innermost ip/ipv6 src, dst, protocol) on each file.
describe('tunnel fixtures made with scapy (see testdata/README.md)', () => {
  it('vxlan.pcap: VXLAN on 4789 and 8472 (inner 802.1Q), a 4789 datagram without the I flag stays UDP', () => {
    expect(decodeFile(testdataFile('vxlan.pcap')).map(describeResult)).toEqual([
      '10.1.1.1 > 10.2.2.2 6 vxlan',
      '2001:db8:1::1 > 2001:db8:2::2 6 vxlan',
      '192.0.2.1 > 192.0.2.2 17 -',
    ]);
  });

  it('gre.pcap: plain, checksum+key+sequence, transparent Ethernet, GRE over IPv6, ERSPAN II/III, PPTP', () => {
    const results = decodeFile(testdataFile('gre.pcap'));
    expect(results.map(describeResult)).toEqual([
      '10.1.1.1 > 10.2.2.2 6 gre',
      '2001:db8:1::1 > 2001:db8:2::2 6 gre',
      '10.1.1.1 > 10.2.2.2 6 gre',
      '10.1.1.1 > 10.2.2.2 6 gre',
      '10.1.1.1 > 10.2.2.2 6 gre',
      '2001:db8:1::1 > 2001:db8:2::2 6 gre',
      '10.1.1.1 > 10.2.2.2 6 gre',
    ]);
    expect(results.map((r) => ('kind' in r ? -1 : r.hopLimit))).toEqual([63, 62, 63, 63, 63, 62, 63]);
  });

  it('ipip.pcap: ipip, 4in6, 6in6 twice, 6in4 then 6in6, and five IPv4-in-IPv4 levels (too deep)', () => {
    const d = createNetworkDecoder();
    const results = readCapture(testdataFile('ipip.pcap')).map((r) => d.decode(r.linkType, r.data, r.time));
    expect(results.map(describeResult)).toEqual([
      '10.1.1.1 > 10.2.2.2 6 ipip',
      '10.1.1.1 > 10.2.2.2 6 4in6',
      '2001:db8:1::1 > 2001:db8:2::2 6 6in6',
      '2001:db8:1::1 > 2001:db8:2::2 6 6in4',
      'skip:malformed',
    ]);
    expect(results[4]).toEqual({ kind: 'skip', reason: 'malformed', detail: 'tunnels nested too deep' });
    expect(Object.fromEntries(d.stats.tunnels)).toEqual({ ipip: 5, '4in6': 1, '6in6': 3, '6in4': 1 });
  });

  it('a larger tunnel limit lets the five-level packet through', () => {
    const d = createNetworkDecoder({ maxTunnelDepth: 5 });
    const last = readCapture(testdataFile('ipip.pcap'))[4];
    expect(describeResult(d.decode(last.linkType, last.data, last.time))).toBe('10.1.1.1 > 10.2.2.2 6 ipip');
  });

  it('gtpu-ext.pcap: PDU session container extension, plain G-PDU, echo request', () => {
    expect(decodeFile(testdataFile('gtpu-ext.pcap')).map(describeResult)).toEqual([
      '2001:db8:1::1 > 2001:db8:2::2 6 gtp-u',
      '10.1.1.1 > 10.2.2.2 6 gtp-u',
      '192.0.2.1 > 192.0.2.2 17 -',
    ]);
  });

  it('geneve-options.pcap: IPv4 payload behind options, Ethernet payload over IPv6', () => {
    expect(decodeFile(testdataFile('geneve-options.pcap')).map(describeResult)).toEqual([
      '10.1.1.1 > 10.2.2.2 6 geneve',
      '2001:db8:1::1 > 2001:db8:2::2 6 geneve',
    ]);
  });
});

describe('tunnels in the corpus (values from tshark)', () => {
  const geneve = corpusFile('captures/zeek__geneve-47101.pcap');
  it.skipIf(!hasFile(geneve))('zeek Geneve: 24 TCP packets between 192.168.0.107 and 145.40.68.75', () => {
    const results = decodeFile(geneve);
    expect(countResults(results)).toEqual({
      '145.40.68.75 > 192.168.0.107 6 geneve': 9,
      '192.168.0.107 > 145.40.68.75 6 geneve': 15,
    });
    // Frame 4 holds the ClientHello: tcp.len 517 + 32 bytes of header.
    expect(results[3]).toMatchObject({ payloadLength: 549, hopLimit: 63 });
  });

  const gtp = corpusFile('captures/zeek__gtp6_gtp_0x32.pcap');
  it.skipIf(!hasFile(gtp))('zeek GTP-U (flags 0x32, sequence number present): 31 TCP packets', () => {
    expect(countResults(decodeFile(gtp))).toEqual({
      '10.222.10.10 > 173.194.69.188 6 gtp-u': 17,
      '173.194.69.188 > 10.222.10.10 6 gtp-u': 14,
    });
  });

  const sixin4 = corpusFile('captures/ndpi__6in4tunnel.pcap');
  it.skipIf(!hasFile(sixin4))('nDPI 6in4: 127 frames of IPv6 inside protocol 41', () => {
    expect(countResults(decodeFile(sixin4))).toEqual({
      '2001:470:1f16:13f::2 > 2604:a880:1:20::224:b001 58 6in4': 1,
      '2001:470:1f16:13f::2 > 2a03:2880:fffe:b:face:b00c:0:99 17 6in4': 2,
      '2001:470:1f17:13f:3e97:eff:fe73:4dec > 2604:a880:1:20::224:b001 58 6in4': 23,
      '2001:470:1f17:13f:3e97:eff:fe73:4dec > 2604:a880:1:20::224:b001 6 6in4': 20,
      '2001:470:1f17:13f:3e97:eff:fe73:4dec > 2a03:2880:1010:6f03:face:b00c:0:2 6 6in4': 18,
      '2001:470:1f17:13f:6d69:c72:7313:616f > 2604:a880:1:20::224:b001 6 6in4': 2,
      '2604:a880:1:20::224:b001 > 2001:470:1f17:13f:3e97:eff:fe73:4dec 58 6in4': 23,
      '2604:a880:1:20::224:b001 > 2001:470:1f17:13f:3e97:eff:fe73:4dec 6 6in4': 18,
      '2604:a880:1:20::224:b001 > 2001:470:1f17:13f:6d69:c72:7313:616f 6 6in4': 2,
      '2a03:2880:1010:6f03:face:b00c:0:2 > 2001:470:1f17:13f:3e97:eff:fe73:4dec 58 6in4': 1,
      '2a03:2880:1010:6f03:face:b00c:0:2 > 2001:470:1f17:13f:3e97:eff:fe73:4dec 6 6in4': 15,
      '2a03:2880:fffe:b:face:b00c:0:99 > 2001:470:1f16:13f::2 17 6in4': 2,
    });
  });

  const sixin6 = corpusFile('malformed/ndpi__6in6tunnel.pcap');
  it.skipIf(!hasFile(sixin6))('nDPI 6in6: dead::beef > cafe::babe UDP twice', () => {
    expect(decodeFile(sixin6).map(describeResult)).toEqual(['dead::beef > cafe::babe 17 6in6', 'dead::beef > cafe::babe 17 6in6']);
  });

  const ah = corpusFile('malformed/libpcap__ipv6_ah_modes.pcap');
  it.skipIf(!hasFile(ah))('libpcap AH tunnel mode: the inner IPv6 packet', () => {
    expect(decodeFile(ah).map(describeResult)).toEqual(['2001:db8::1 > 2001:db8::2 17 -', '2001:db8::3 > 2001:db8::4 17 6in6']);
  });

  const mpls = corpusFile('malformed/zeek__trunc_mpls-6in6-6in6-4in6-trunc.pcap');
  it.skipIf(!hasFile(mpls))('zeek MPLS + 6in6 + 4in6 cut short: truncated, no crash', () => {
    expect(decodeFile(mpls)).toEqual([{ kind: 'skip', reason: 'truncated', detail: 'ipv4 header cut short' }]);
  });

  const cut = corpusFile('malformed/zeek__tunnels_geneve-truncated.pcapng');
  it.skipIf(!hasFile(cut))('zeek Geneve cut inside the inner Ethernet header: truncated', () => {
    expect(decodeFile(cut)).toEqual([{ kind: 'skip', reason: 'truncated', detail: 'ethernet header cut short' }]);
  });
});
