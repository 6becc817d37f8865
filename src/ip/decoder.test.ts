import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { supportedLinkTypes } from '../link/index.js';
import { createNetworkDecoder, type NetworkDecoder } from './decoder.js';
import { isPacket, isSkip } from './index.js';
import { addr, ethernet, ipv4, ipv6, sll, tcpHeader, udpHeader } from './testing/encode.js';
import { CORPUS_DIR, corpusFile, hasFile, readCapture, type TestRecord } from './testing/pcap.js';
import { countResults } from './testing/summary.js';
import type { IpPacket, NetworkResult } from './types.js';

const SRC4 = addr('192.0.2.1');
const DST4 = addr('198.51.100.2');
const SRC6 = addr('2001:db8::1');
const DST6 = addr('2001:db8::2');

function packet(r: NetworkResult): IpPacket {
  if (isSkip(r)) throw new Error(`expected a packet, got ${r.reason}: ${r.detail}`);
  return r;
}

/** Every offset of a result lies in its buffer, and the stats add up. */
function checkResult(r: NetworkResult, d: NetworkDecoder): void {
  if (isPacket(r)) {
    const size = r.version === 4 ? 4 : 16;
    expect(r.srcOffset).toBeGreaterThanOrEqual(0);
    expect(r.srcOffset + size).toBeLessThanOrEqual(r.data.length);
    expect(r.dstOffset + size).toBeLessThanOrEqual(r.data.length);
    expect(r.payloadOffset).toBeLessThanOrEqual(r.payloadEnd);
    expect(r.payloadEnd).toBeLessThanOrEqual(r.data.length);
    expect(r.payloadLength).toBeGreaterThanOrEqual(r.payloadEnd - r.payloadOffset);
    expect(r.protocol).toBeGreaterThanOrEqual(0);
    expect(r.protocol).toBeLessThanOrEqual(255);
  } else {
    expect(r.kind).toBe('skip');
    expect(typeof r.detail).toBe('string');
  }
  const s = d.stats;
  const skipped = Object.values(s.skipped).reduce((a, b) => a + b, 0);
  expect(s.packets + skipped).toBe(s.frames);
}

describe('createNetworkDecoder: link layer results', () => {
  it('counts unsupported link types', () => {
    const d = createNetworkDecoder();
    const frame = Buffer.alloc(40);
    expect(d.decode(147, frame, 0)).toEqual({ kind: 'skip', reason: 'unsupported-link', detail: 'link type 147' });
    d.decode(147, frame, 0);
    d.decode(264, frame, 0);
    expect(d.stats.unsupportedLinkTypes).toEqual(new Map([[147, 2], [264, 1]]));
    expect(d.stats.skipped['unsupported-link']).toBe(3);
  });

  it('maps link errors to skips: non-IP, truncated, malformed', () => {
    const d = createNetworkDecoder();
    expect(d.decode(1, ethernet({ etherType: 0x0806 }, Buffer.alloc(28)), 0)).toEqual({ kind: 'skip', reason: 'non-ip', detail: 'ethertype 0x0806' });
    expect(d.decode(1, Buffer.alloc(10), 0)).toEqual({ kind: 'skip', reason: 'truncated', detail: 'ethernet header cut short' });
    expect(d.decode(9, Buffer.from('c0210102', 'hex'), 0)).toEqual({ kind: 'skip', reason: 'non-ip', detail: 'ppp protocol is not ip' });
    expect(d.decode(101, Buffer.from('00', 'hex'), 0)).toMatchObject({ reason: 'malformed' });
    expect(d.stats.skipped).toMatchObject({ 'non-ip': 2, truncated: 1, malformed: 1 });
  });
});

describe('createNetworkDecoder: IPv4 and IPv6 packets', () => {
  it('returns offsets into the frame it was given', () => {
    const d = createNetworkDecoder();
    const frame = ethernet({ etherType: 0x0800, vlans: [{ tpid: 0x8100, vid: 7 }] }, ipv4({ src: SRC4, dst: DST4, protocol: 6, ttl: 33 }, tcpHeader(1234, 443)));
    expect(d.decode(1, frame, 0)).toEqual({
      version: 4,
      data: frame,
      srcOffset: 18 + 12,
      dstOffset: 18 + 16,
      protocol: 6,
      payloadOffset: 38,
      payloadEnd: 58,
      payloadLength: 20,
      hopLimit: 33,
      tunnel: null,
    });
    const six = sll({ protocol: 0x86dd }, ipv6({ src: SRC6, dst: DST6, nextHeader: 6, hopLimit: 9 }, tcpHeader(1, 2)));
    expect(d.decode(113, six, 0)).toMatchObject({ version: 6, srcOffset: 24, dstOffset: 40, payloadOffset: 56, payloadEnd: 76, payloadLength: 20, hopLimit: 9 });
    expect(d.stats.packets).toBe(2);
  });

  it('treats a frame shorter than the IP length as cut by the snaplen', () => {
    const d = createNetworkDecoder();
    const frame = ethernet({ etherType: 0x0800 }, ipv4({ src: SRC4, dst: DST4, protocol: 6 }, Buffer.concat([tcpHeader(1, 2), Buffer.alloc(1400)]))).subarray(0, 96);
    expect(d.decode(1, frame, 0)).toMatchObject({ payloadOffset: 34, payloadEnd: 96, payloadLength: 1420 });
  });

  it('cuts the packet back to the frame when the original length says the frame is whole', () => {
    const d = createNetworkDecoder();
    const frame = ethernet({ etherType: 0x0800 }, ipv4({ src: SRC4, dst: DST4, protocol: 6, totalLength: 1500 }, tcpHeader(1, 2)));
    expect(d.decode(1, frame, 0, frame.length)).toMatchObject({ payloadEnd: 54, payloadLength: 20 });
    expect(d.decode(1, frame, 0, 1514)).toMatchObject({ payloadEnd: 54, payloadLength: 1480 });
    const six = ethernet({ etherType: 0x86dd }, ipv6({ src: SRC6, dst: DST6, nextHeader: 6, payloadLength: 1000 }, tcpHeader(1, 2)));
    expect(d.decode(1, six, 0, six.length)).toMatchObject({ payloadEnd: 74, payloadLength: 20 });
  });

  it('ignores Ethernet padding past the IP length', () => {
    const d = createNetworkDecoder();
    const frame = Buffer.concat([ethernet({ etherType: 0x0800 }, ipv4({ src: SRC4, dst: DST4, protocol: 6 }, tcpHeader(1, 2))), Buffer.alloc(6)]);
    expect(d.decode(1, frame, 0)).toMatchObject({ payloadEnd: 54, payloadLength: 20 });
  });

  it('returns UDP that is not a tunnel, ESP, and no-next-header as packets', () => {
    const d = createNetworkDecoder();
    const udp = ethernet({ etherType: 0x0800 }, ipv4({ src: SRC4, dst: DST4, protocol: 17 }, Buffer.concat([udpHeader(5353, 53, 4), Buffer.alloc(4)])));
    expect(d.decode(1, udp, 0)).toMatchObject({ protocol: 17, payloadLength: 12, tunnel: null });
    const none = ethernet({ etherType: 0x86dd }, ipv6({ src: SRC6, dst: DST6, nextHeader: 59 }, Buffer.alloc(0)));
    expect(d.decode(1, none, 0)).toMatchObject({ protocol: 59, payloadOffset: 54, payloadEnd: 54, payloadLength: 0 });
    const esp = ethernet({ etherType: 0x86dd }, ipv6({ src: SRC6, dst: DST6, nextHeader: 50 }, Buffer.alloc(24)));
    expect(d.decode(1, esp, 0)).toMatchObject({ protocol: 50, payloadLength: 24 });
  });

  it('reports a tunnel header cut by the snaplen and returns non-tunnel payloads on tunnel ports as UDP', () => {
    const d = createNetworkDecoder();
    const vxlan = ethernet({ etherType: 0x0800 }, ipv4({ src: SRC4, dst: DST4, protocol: 17 }, Buffer.concat([udpHeader(1, 4789, 8), Buffer.from('0800000000002a00', 'hex')])));
    expect(d.decode(1, vxlan.subarray(0, vxlan.length - 4), 0)).toEqual({ kind: 'skip', reason: 'truncated', detail: 'vxlan header cut short' });
    // The same 4 bytes as a whole datagram: not VXLAN, just UDP.
    const short = ethernet({ etherType: 0x0800 }, ipv4({ src: SRC4, dst: DST4, protocol: 17 }, Buffer.concat([udpHeader(1, 4789, 4), Buffer.from('08000000', 'hex')])));
    expect(d.decode(1, short, 0)).toMatchObject({ protocol: 17, tunnel: null, payloadLength: 12 });
    const echo = ethernet({ etherType: 0x0800 }, ipv4({ src: SRC4, dst: DST4, protocol: 17 }, Buffer.concat([udpHeader(2152, 2152, 8), Buffer.from('320100040000000000010000', 'hex').subarray(0, 8)])));
    expect(d.decode(1, echo, 0)).toMatchObject({ protocol: 17, tunnel: null });
  });
});

// Counts of 'innermost src > dst protocol tunnel' per file. tshark 4.0 -T fields gives the same
// addresses and protocols; where it differs it is said why.
const CORPUS_CASES: { file: string; expected: Record<string, number> }[] = [
  { file: 'captures/arkime__pppoe.pcap', expected: { '172.202.246.57 > 64.12.189.217 6 -': 5, '64.12.189.217 > 172.202.246.57 6 -': 5 } },
  { file: 'captures/zeek__pppoe-over-qinq.pcap', expected: { '1.1.1.1 > 2.2.2.2 6 -': 44, '2.2.2.2 > 1.1.1.1 6 -': 42 } },
  { file: 'captures/arkime__mysql-tls.pcap', expected: { '10.10.10.10 > 10.10.10.11 6 -': 5, '10.10.10.11 > 10.10.10.10 6 -': 5 } },
  { file: 'captures/zeek__openjdk-25.0.2-zeek.org.pcap', expected: { '192.0.78.150 > 192.168.64.6 6 -': 3, '192.168.64.6 > 192.0.78.150 6 -': 3 } },
  { file: 'captures/illustrated-tls13__capture.pcap', expected: { '127.0.0.1 > 127.0.0.1 6 -': 22 } },
  { file: 'captures/zeek__ml-dsa-44-cert.pcap', expected: { '10.0.0.1 > 10.0.0.2 6 -': 3, '10.0.0.2 > 10.0.0.1 6 -': 2 } },
  { file: 'captures/sv__linktype-228__flow-test-01.pcap', expected: { '192.168.0.1 > 192.168.0.2 6 -': 3, '192.168.0.2 > 192.168.0.1 6 -': 4 } },
  {
    file: 'captures/zeek__quic-go-handshake.pcap',
    expected: { '193.167.0.100 > 193.167.100.100 17 -': 5, '193.167.100.100 > 193.167.0.100 17 -': 4, ':: > ff02::1:ff00:3 58 -': 2, ':: > ff02::1:ff00:4 58 -': 2 },
  },
  {
    file: 'captures/ndpi__KakaoTalk_chat.pcap',
    // tshark shows frame 57 (an ICMP error) by the UDP header it quotes: 10.188.191.1 > 10.24.82.188 17.
    expected: {
      '10.188.1.1 > 10.24.82.188 17 -': 17,
      '10.188.191.1 > 10.24.82.188 17 -': 1,
      '10.24.82.188 > 10.188.1.1 17 -': 17,
      '10.24.82.188 > 10.188.191.1 1 -': 1,
      '10.24.82.188 > 10.188.191.1 17 -': 1,
      '10.24.82.188 > 103.246.57.251 6 -': 17,
      '10.24.82.188 > 139.150.0.125 6 -': 9,
      '10.24.82.188 > 173.194.72.188 6 -': 1,
      '10.24.82.188 > 173.252.97.2 6 -': 38,
      '10.24.82.188 > 210.103.240.15 6 -': 15,
      '10.24.82.188 > 216.58.220.174 6 -': 1,
      '10.24.82.188 > 216.58.221.10 6 -': 7,
      '10.24.82.188 > 31.13.68.70 6 -': 17,
      '10.24.82.188 > 31.13.68.73 6 -': 2,
      '10.24.82.188 > 31.13.68.84 6 -': 49,
      '10.24.82.188 > 54.255.253.199 6 -': 5,
      '103.246.57.251 > 10.24.82.188 6 -': 9,
      '120.28.26.242 > 10.24.82.188 6 -': 1,
      '139.150.0.125 > 10.24.82.188 6 -': 9,
      '173.252.97.2 > 10.24.82.188 6 -': 36,
      '210.103.240.15 > 10.24.82.188 6 -': 17,
      '216.58.221.10 > 10.24.82.188 6 -': 7,
      '31.13.68.70 > 10.24.82.188 6 -': 17,
      '31.13.68.73 > 10.24.82.188 6 -': 2,
      '31.13.68.84 > 10.24.82.188 6 -': 48,
      '54.255.253.199 > 10.24.82.188 6 -': 3,
    },
  },
  { file: 'malformed/zeek__dns-inverse-query.pcap', expected: { '131.243.64.3 > 212.180.42.100 6 -': 5, '212.180.42.100 > 131.243.64.3 6 -': 6 } },
  { file: 'malformed/tcpdump__e1000g.pcap', expected: { '10.5.233.117 > 129.146.106.55 1 -': 10, '129.146.106.55 > 10.5.233.117 1 -': 10 } },
  { file: 'malformed/tcpdump__nflog.pcap', expected: { '74.82.42.42 > 10.0.0.20 17 -': 4 } },
  {
    file: 'malformed/ndpi__someip_sd_sample.pcap',
    expected: { '192.168.88.73 > 192.168.88.77 17 -': 2, '192.168.88.73 > 235.2.3.5 17 -': 2, '192.168.88.77 > 192.168.88.73 17 -': 2 },
  },
  { file: 'malformed/tcpdump__LINKTYPE_PKTAP.pcap', expected: { '10.32.4.27 > 10.32.100.15 17 -': 1 } },
  { file: 'malformed/zeek__vntag_vlan_sandwich_clean.pcap', expected: { '10.10.10.1 > 10.10.10.2 6 -': 1 } },
  { file: 'malformed/pcapplusplus__null_loopback.pcap', expected: { '::1 > ::1 6 -': 1, '172.16.1.117 > 172.16.1.255 17 -': 1, '10.0.0.138 > 10.0.0.1 17 -': 1 } },
];

describe.each(CORPUS_CASES)('createNetworkDecoder on $file', ({ file, expected }) => {
  const path = corpusFile(file);
  it.skipIf(!hasFile(path))('finds the packets tshark finds', () => {
    const d = createNetworkDecoder();
    const results = readCapture(path).map((r) => d.decode(r.linkType, r.data, r.time, r.originalLength));
    expect(countResults(results)).toEqual(Object.fromEntries(Object.entries(expected).sort(([a], [b]) => (a < b ? -1 : 1))));
  });
});

describe('lengths compared with tshark (tcp.hdr_len + tcp.len)', () => {
  const qinq = corpusFile('captures/zeek__pppoe-over-qinq.pcap');
  it.skipIf(!hasFile(qinq))('PPPoE length wins over an IPv4 total length that counts the padding (frame 19: 20, not 26)', () => {
    const d = createNetworkDecoder();
    const records = readCapture(qinq);
    const lengths = records.map((r) => packet(d.decode(r.linkType, r.data, r.time)).payloadLength);
    expect(lengths.slice(0, 20)).toEqual([44, 32, 20, 537, 1460, 1460, 476, 20, 20, 20, 20, 338, 1460, 32, 476, 1460, 32, 32, 20, 71]);
  });

  const anon = corpusFile('malformed/ndpi__reasm_crash_anon.pcapng');
  it.skipIf(!hasFile(anon))('a whole frame whose IP header claims more (frame 15: 45 bytes, header says 301)', () => {
    const d = createNetworkDecoder();
    const r = readCapture(anon)[14];
    expect(r.originalLength).toBe(r.data.length);
    expect(packet(d.decode(r.linkType, r.data, r.time, r.originalLength)).payloadLength).toBe(45);
    expect(packet(createNetworkDecoder().decode(r.linkType, r.data, r.time)).payloadLength).toBe(301);
  });
});

function corpusRecords(): { name: string; records: TestRecord[] }[] {
  const out: { name: string; records: TestRecord[] }[] = [];
  for (const dir of ['captures', 'malformed']) {
    const path = CORPUS_DIR + dir;
    if (!hasFile(path)) continue;
    for (const name of readdirSync(path)) {
      if (!/\.(pcap|pcapng|cap|ntar)$/.test(name)) continue;
      try {
        out.push({ name: `${dir}/${name}`, records: readCapture(`${path}/${name}`) });
      } catch {
        // A damaged container is the capture reader's business.
      }
    }
  }
  return out;
}

describe('the whole corpus', () => {
  it.skipIf(!hasFile(CORPUS_DIR))('decodes every frame without throwing, offsets inside the data', () => {
    let frames = 0;
    for (const { records } of corpusRecords()) {
      const d = createNetworkDecoder();
      for (const r of records) {
        frames++;
        checkResult(d.decode(r.linkType, r.data, r.time, r.originalLength), d);
      }
      expect(d.stats.fragments.bytesHeld).toBeLessThanOrEqual(16 * 1024 * 1024);
    }
    expect(frames).toBeGreaterThan(5000);
  });
});

describe('properties', () => {
  const linkTypes = fc.constantFrom(...supportedLinkTypes(), 147);

  it('arbitrary bytes never throw and give offsets inside the buffer', () => {
    fc.assert(
      fc.property(linkTypes, fc.uint8Array({ maxLength: 200 }), fc.double({ noNaN: false }), (lt, bytes, time) => {
        const d = createNetworkDecoder();
        checkResult(d.decode(lt, Buffer.from(bytes), time), d);
      }),
      { numRuns: 5000 },
    );
  });

  // Valid frames with a few bytes changed reach the deeper decoders more often than noise does.
  const seeds: [number, Buffer][] = [
    [1, ethernet({ etherType: 0x0800 }, ipv4({ src: SRC4, dst: DST4, protocol: 17 }, Buffer.concat([udpHeader(1, 4789, 62), Buffer.from('0800000000002a00', 'hex'), ethernet({ etherType: 0x86dd }, ipv6({ src: SRC6, dst: DST6, nextHeader: 6 }, tcpHeader(1, 2))).subarray(0, 54)])))],
    [1, ethernet({ etherType: 0x0800 }, ipv4({ src: SRC4, dst: DST4, protocol: 47 }, Buffer.concat([Buffer.from('b0000800000000000000000100000002', 'hex'), ipv4({ src: SRC4, dst: DST4, protocol: 6 }, tcpHeader(1, 2))])))],
    [1, ethernet({ etherType: 0x0800 }, ipv4({ src: SRC4, dst: DST4, protocol: 17 }, Buffer.concat([udpHeader(2152, 2152, 56), Buffer.from('34ff0030112233440000008501100900', 'hex'), ipv4({ src: SRC4, dst: DST4, protocol: 6 }, tcpHeader(1, 2))])))],
    [1, ethernet({ etherType: 0x0800 }, ipv4({ src: SRC4, dst: DST4, protocol: 17, id: 5, moreFragments: true }, Buffer.concat([udpHeader(1, 6081, 40), Buffer.from('0200655800000700aabbccdd', 'hex')])))],
    [1, ethernet({ etherType: 0x86dd }, ipv6({ src: SRC6, dst: DST6, nextHeader: 6, extensions: [{ type: 0 }, { type: 43, body: Buffer.alloc(14) }, { type: 44, body: Buffer.from('000100000007', 'hex') }] }, tcpHeader(1, 2)))],
    [1, ethernet({ etherType: 0x8864 }, Buffer.concat([Buffer.from('1100000100660021', 'hex'), ipv4({ src: SRC4, dst: DST4, protocol: 41 }, ipv6({ src: SRC6, dst: DST6, nextHeader: 4 }, ipv4({ src: SRC4, dst: DST4, protocol: 6 }, tcpHeader(1, 2))))]))],
  ];

  it('the seed frames themselves decode', () => {
    const d = createNetworkDecoder();
    expect(seeds.map(([lt, f]) => {
      const r = d.decode(lt, f, 0);
      return isSkip(r) ? r.reason : `${r.protocol} ${r.tunnel}`;
    })).toEqual(['6 vxlan', '6 gre', '6 gtp-u', 'fragment-held', 'fragment-held', '6 6in4']);
  });

  it('mutated valid frames never throw and give offsets inside the buffer', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.record({ at: fc.nat(), value: fc.nat(255) }), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        ([lt, seed], edits, cut) => {
          const frame = Buffer.from(seed);
          for (const e of edits) frame[e.at % frame.length] = e.value;
          const d = createNetworkDecoder();
          const data = frame.subarray(0, frame.length - (cut % 8));
          checkResult(d.decode(lt, data, 0), d);
          checkResult(d.decode(lt, data, 0, data.length), d);
        },
      ),
      { numRuns: 5000 },
    );
  });
});
