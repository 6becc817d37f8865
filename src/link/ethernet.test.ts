import { describe, expect, it } from 'vitest';
import { corpusFile, hasFile, readCapture } from '../ip/testing/pcap.js';
import { decodeEthernet } from './ethernet.js';
import type { LinkResult } from './types.js';

const MACS = '020000000002020000000001';

function frame(hex: string): Buffer {
  return Buffer.from(MACS + hex.replace(/\s+/g, ''), 'hex');
}

function decode(buf: Buffer): LinkResult {
  return decodeEthernet(buf, 0, buf.length);
}

describe('decodeEthernet', () => {
  it('finds an untagged IPv4 payload at offset 14', () => {
    expect(decode(frame('0800 45000014'))).toEqual({ kind: 'network', etherType: 0x0800, offset: 14, vlanTags: 0 });
  });

  it('passes non-IP EtherTypes through (the network layer decides)', () => {
    expect(decode(frame('0806 0001'))).toEqual({ kind: 'network', etherType: 0x0806, offset: 14, vlanTags: 0 });
  });

  it('steps over 802.1Q, 802.1ad and 0x9100 tags', () => {
    expect(decode(frame('8100 0064 86dd 60'))).toEqual({ kind: 'network', etherType: 0x86dd, offset: 18, vlanTags: 1 });
    expect(decode(frame('88a8 0001 8100 0002 0800 45'))).toEqual({ kind: 'network', etherType: 0x0800, offset: 22, vlanTags: 2 });
    expect(decode(frame('9100 0001 9100 0002 8100 0003 0800 45'))).toEqual({ kind: 'network', etherType: 0x0800, offset: 26, vlanTags: 3 });
  });

  it('accepts 8 tags and calls a ninth malformed', () => {
    expect(decode(frame('8100 0001 '.repeat(8) + '0800 45'))).toMatchObject({ kind: 'network', vlanTags: 8, offset: 14 + 32 });
    expect(decode(frame('8100 0001 '.repeat(9) + '0800 45'))).toEqual({ kind: 'malformed', detail: 'too many vlan tags' });
  });

  it('reports cut headers and tags as truncated', () => {
    expect(decode(Buffer.from(MACS + '08', 'hex')).kind).toBe('truncated');
    expect(decode(Buffer.alloc(0)).kind).toBe('truncated');
    expect(decode(frame('8100 00'))).toEqual({ kind: 'truncated', detail: 'vlan tag cut short' });
  });

  it('follows a PPPoE session to IPv4 and IPv6', () => {
    expect(decode(frame('8864 1100 0001 0016 0021 45'))).toEqual({ kind: 'network', etherType: 0x0800, offset: 22, vlanTags: 0 });
    expect(decode(frame('8100 0005 8864 1100 0001 0016 0057 60'))).toEqual({ kind: 'network', etherType: 0x86dd, offset: 26, vlanTags: 1 });
    // Protocol-field compression: a one-byte protocol 0x21.
    expect(decode(frame('8864 1100 0001 0015 21 45'))).toEqual({ kind: 'network', etherType: 0x0800, offset: 21, vlanTags: 0 });
  });

  it('gives the end the PPPoE length states when the frame holds it all', () => {
    // Length 3: PPP protocol (2) + 1 byte; the rest of the frame is padding.
    expect(decode(frame('8864 1100 0001 0003 0021 45 000000'))).toEqual({ kind: 'network', etherType: 0x0800, offset: 22, vlanTags: 0, end: 23 });
    // Length 1 leaves no room for the protocol field.
    expect(decode(frame('8864 1100 0001 0001 0021 45'))).toEqual({ kind: 'malformed', detail: 'pppoe length too short' });
    // Length 2 with a compressed protocol still works.
    expect(decode(frame('8864 1100 0001 0002 21 45 00'))).toEqual({ kind: 'network', etherType: 0x0800, offset: 21, vlanTags: 0, end: 22 });
  });

  it('reports PPPoE control traffic and bad PPPoE headers', () => {
    expect(decode(frame('8864 1100 0001 0002 c021'))).toEqual({ kind: 'unsupported', detail: 'ppp protocol is not ip' });
    expect(decode(frame('8864 2100 0001 0002 0021'))).toMatchObject({ kind: 'malformed' });
    expect(decode(frame('8864 1100 00'))).toMatchObject({ kind: 'truncated' });
    expect(decode(frame('8863 1109 0000 0000'))).toEqual({ kind: 'network', etherType: 0x8863, offset: 14, vlanTags: 0 });
  });

  it('follows an MPLS label stack by the payload version nibble', () => {
    expect(decode(frame('8847 00001040 00002140 45'))).toEqual({ kind: 'network', etherType: 0x0800, offset: 22, vlanTags: 0 });
    expect(decode(frame('8847 00002140 60'))).toEqual({ kind: 'network', etherType: 0x86dd, offset: 18, vlanTags: 0 });
    expect(decode(frame('8847 00002140 00'))).toMatchObject({ kind: 'unsupported' });
    expect(decode(frame('8847 00001040'))).toMatchObject({ kind: 'truncated' });
  });

  it('steps over VN-Tag, E-Tag and 802.1ah headers', () => {
    expect(decode(frame('8926 00000000 8100 000b 0800 45'))).toEqual({ kind: 'network', etherType: 0x0800, offset: 24, vlanTags: 1 });
    expect(decode(frame('893f 000000000000 86dd 60'))).toEqual({ kind: 'network', etherType: 0x86dd, offset: 22, vlanTags: 0 });
    expect(decode(frame('88e7 00000001 020000002002 020000002001 0800 45'))).toEqual({ kind: 'network', etherType: 0x0800, offset: 32, vlanTags: 0 });
    expect(decode(frame('8926 0000'))).toEqual({ kind: 'truncated', detail: 'ethernet tag cut short' });
    const nine = '88e7 00000001 020000002002 020000002001 '.repeat(9) + '0800 45';
    expect(decode(frame(nine))).toEqual({ kind: 'malformed', detail: 'too many ethernet headers' });
  });

  it('follows 802.3 frames only through an RFC 1042 SNAP header', () => {
    expect(decode(frame('0030 aaaa03 000000 0800 45'))).toEqual({ kind: 'network', etherType: 0x0800, offset: 22, vlanTags: 0 });
    expect(decode(frame('0026 4242 03 000000000000'))).toEqual({ kind: 'unsupported', detail: '802.2 llc frame' });
    expect(decode(frame('0030 aaaa03 00000c 2000 00'))).toMatchObject({ kind: 'unsupported' });
  });

  it('respects `offset` and `end` inside a larger buffer', () => {
    const inner = frame('8100 0001 0800 45');
    const buf = Buffer.concat([Buffer.alloc(7, 0xff), inner, Buffer.alloc(9, 0xee)]);
    expect(decodeEthernet(buf, 7, 7 + inner.length)).toEqual({ kind: 'network', etherType: 0x0800, offset: 7 + 18, vlanTags: 1 });
    expect(decodeEthernet(buf, 7, 7 + 16).kind).toBe('truncated');
  });
});

// Expected values from tshark 4.0 (frame.protocols) on the corpus files.
const CASES = [
  { file: 'captures/arkime__mysql-tls.pcap', frames: 10, etherType: 0x0800, tags: 1, offset: 18 },
  { file: 'captures/arkime__quicietf.pcap', frames: 1, etherType: 0x86dd, tags: 1, offset: 18 },
  { file: 'captures/arkime__pppoe.pcap', frames: 10, etherType: 0x0800, tags: 0, offset: 22 },
  { file: 'captures/zeek__pppoe-over-qinq.pcap', frames: 86, etherType: 0x0800, tags: 2, offset: 30 },
  { file: 'malformed/pcapplusplus__QinQ_802.1_AD.pcapng', frames: 1, etherType: 0x0800, tags: 2, offset: 22 },
  { file: 'malformed/tcpdump__802.1ad_QinQ.pcap', frames: 2, etherType: 0x0806, tags: 2, offset: 22 },
  // eth:vntag:vlan:ip
  { file: 'malformed/suricata__decode-vntag-01.pcap', frames: 5, etherType: 0x0800, tags: 1, offset: 24 },
  // eth:vlan:vntag:vlan:ip
  { file: 'malformed/zeek__vntag_vlan_sandwich_clean.pcap', frames: 1, etherType: 0x0800, tags: 2, offset: 28 },
];

describe.each(CASES)('decodeEthernet on $file', ({ file, frames, etherType, tags, offset }) => {
  const path = corpusFile(file);
  it.skipIf(!hasFile(path))(`gives EtherType 0x${etherType.toString(16)} after ${tags} tag(s) in all ${frames} frames`, () => {
    const records = readCapture(path);
    expect(records).toHaveLength(frames);
    for (const r of records) {
      expect(r.linkType).toBe(1);
      const f = decodeEthernet(r.data, 0, r.data.length);
      expect(f).toMatchObject({ kind: 'network', etherType, offset, vlanTags: tags });
      if (f.kind === 'network' && f.end !== undefined) {
        expect(file).toMatch(/pppoe/);
        expect(f.end).toBeLessThanOrEqual(r.data.length);
      }
    }
  });
});

describe('PPPoE length in zeek__pppoe-over-qinq.pcap', () => {
  const path = corpusFile('captures/zeek__pppoe-over-qinq.pcap');
  it.skipIf(!hasFile(path))('frame 19: PPPoE length 42 ends the IP packet at 70 of 76 bytes (tshark: payload length 42)', () => {
    const r = readCapture(path)[18];
    expect(r.data.length).toBe(76);
    expect(decodeEthernet(r.data, 0, r.data.length)).toEqual({ kind: 'network', etherType: 0x0800, offset: 30, vlanTags: 2, end: 70 });
  });
});

describe('802.1ah nested 55 deep (zeek pbb-recursive-frames)', () => {
  const path = corpusFile('malformed/zeek__pbb-recursive-frames.pcapng');
  it.skipIf(!hasFile(path))('stops at the header limit', () => {
    const [r] = readCapture(path);
    expect(decodeEthernet(r.data, 0, r.data.length)).toEqual({ kind: 'malformed', detail: 'too many ethernet headers' });
  });
});
