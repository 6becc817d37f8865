import { describe, expect, it } from 'vitest';
import { corpusFile, hasFile, readCapture } from '../ip/testing/pcap.js';
import { decodeFddi } from './fddi.js';
import { decodeLink } from './index.js';
import { decodeIpnet } from './ipnet.js';
import { decodeNflog } from './nflog.js';
import type { LinkResult } from './types.js';

function run(fn: (b: Buffer, o: number, e: number) => LinkResult, hex: string): LinkResult {
  const b = Buffer.from(hex.replace(/\s+/g, ''), 'hex');
  return fn(b, 0, b.length);
}

describe('decodeFddi (LINKTYPE_FDDI)', () => {
  it('reads the SNAP EtherType after the 13-byte MAC header', () => {
    expect(run(decodeFddi, '50 aa00040083a7 aa00040082a7 aaaa03 000000 0800 45')).toEqual({ kind: 'network', etherType: 0x0800, offset: 21, vlanTags: 0 });
    expect(run(decodeFddi, '50 aa00040083a7 aa00040082a7 424203').kind).toBe('unsupported');
    expect(run(decodeFddi, '50 aa00040083a7').kind).toBe('truncated');
  });

  const path = corpusFile('malformed/zeek__dns-inverse-query.pcap');
  it.skipIf(!hasFile(path))('zeek dns-inverse-query: 11 frames fddi:llc:ip (tshark)', () => {
    const records = readCapture(path);
    expect(records).toHaveLength(11);
    for (const r of records) expect(decodeLink(r.linkType, r.data, 0, r.data.length)).toEqual({ kind: 'network', etherType: 0x0800, offset: 21, vlanTags: 0 });
  });
});

describe('decodeIpnet (LINKTYPE_IPNET)', () => {
  it('maps the Solaris families', () => {
    const header = (family: string): string => `01${family}0000 00000054 00000002 00000000 ffffffff 00000000 45`;
    expect(run(decodeIpnet, header('02'))).toEqual({ kind: 'network', etherType: 0x0800, offset: 24, vlanTags: 0 });
    expect(run(decodeIpnet, header('1a'))).toMatchObject({ etherType: 0x86dd });
    expect(run(decodeIpnet, header('07')).kind).toBe('unsupported');
    expect(run(decodeIpnet, '0102').kind).toBe('truncated');
  });

  const path = corpusFile('malformed/tcpdump__e1000g.pcap');
  it.skipIf(!hasFile(path))('tcpdump e1000g: 20 frames ipnet:ip (tshark)', () => {
    const records = readCapture(path);
    expect(records).toHaveLength(20);
    for (const r of records) expect(decodeLink(r.linkType, r.data, 0, r.data.length)).toEqual({ kind: 'network', etherType: 0x0800, offset: 24, vlanTags: 0 });
  });
});

describe('decodeNflog (LINKTYPE_NFLOG)', () => {
  it('finds the payload TLV in either byte order and bounds the packet by its length', () => {
    // family 2, version 0, resource 0; TLV len 8 type 1 (4 value bytes); TLV len 9 type 9 (5 bytes, padded to 12).
    expect(run(decodeNflog, '02000000 0800 0100 aabbccdd 0900 0900 4500000000 000000')).toEqual({ kind: 'network', etherType: 0x0800, offset: 16, vlanTags: 0, end: 21 });
    expect(run(decodeNflog, '0a000000 0008 0001 aabbccdd 0009 0009 6000000000 000000')).toMatchObject({ etherType: 0x86dd, offset: 16, end: 21 });
    expect(run(decodeNflog, '02000000 0800 0100 aabbccdd').kind).toBe('truncated');
    expect(run(decodeNflog, '02000000 0200 0100 aabbccdd').kind).toBe('malformed');
    expect(run(decodeNflog, '02000000 0500 0900 00').kind).toBe('unsupported');
  });

  const path = corpusFile('malformed/tcpdump__nflog.pcap');
  it.skipIf(!hasFile(path))('tcpdump nflog: 4 frames nflog:ip (tshark)', () => {
    const records = readCapture(path);
    expect(records).toHaveLength(4);
    for (const r of records) {
      const f = decodeLink(r.linkType, r.data, 0, r.data.length);
      expect(f).toMatchObject({ kind: 'network', etherType: 0x0800 });
      if (f.kind === 'network') expect(r.data[f.offset] >> 4).toBe(4);
    }
  });
});

describe('PPI and pktap pseudo-headers', () => {
  it('PPI: follows the inner link type once', () => {
    const b = Buffer.from('00000800 01000000 020000000002020000000001 0800 45'.replace(/ /g, ''), 'hex');
    expect(decodeLink(192, b, 0, b.length)).toEqual({ kind: 'network', etherType: 0x0800, offset: 22, vlanTags: 0 });
    const nested = Buffer.from('00000800 c0000000 00000800 01000000'.replace(/ /g, ''), 'hex');
    expect(decodeLink(192, nested, 0, nested.length)).toEqual({ kind: 'unsupported', detail: 'nested capture header' });
    const wifi = Buffer.from('00000800 69000000 0000'.replace(/ /g, ''), 'hex');
    expect(decodeLink(192, wifi, 0, wifi.length).kind).toBe('unsupported');
    expect(decodeLink(192, wifi, 0, 6).kind).toBe('truncated');
  });

  const someip = corpusFile('malformed/ndpi__someip_sd_sample.pcap');
  it.skipIf(!hasFile(someip))('nDPI someip: 6 frames ppi:eth:ip (tshark)', () => {
    for (const r of readCapture(someip)) {
      expect(r.linkType).toBe(192);
      expect(decodeLink(r.linkType, r.data, 0, r.data.length)).toMatchObject({ kind: 'network', etherType: 0x0800 });
    }
  });

  const wlan = corpusFile('malformed/libpcap__http_PPI.pcap');
  it.skipIf(!hasFile(wlan))('libpcap http_PPI: 802.11 inside, not supported', () => {
    for (const r of readCapture(wlan)) expect(decodeLink(r.linkType, r.data, 0, r.data.length).kind).toBe('unsupported');
  });

  for (const [name, lt] of [['tcpdump__LINKTYPE_PKTAP.pcap', 258], ['tcpdump__LINKTYPE_USER2_PKTAP.pcap', 149]] as const) {
    const path = corpusFile(`malformed/${name}`);
    it.skipIf(!hasFile(path))(`${name}: pktap:eth:ip (tshark)`, () => {
      const [r] = readCapture(path);
      expect(r.linkType).toBe(lt);
      expect(decodeLink(r.linkType, r.data, 0, r.data.length)).toEqual({ kind: 'network', etherType: 0x0800, offset: 108 + 14, vlanTags: 0 });
    });
  }

  it('pktap: rejects short headers and non-packet records', () => {
    const b = Buffer.alloc(130);
    b.writeUInt32LE(108, 0);
    b.writeUInt32LE(2, 4);
    expect(decodeLink(258, b, 0, b.length).kind).toBe('unsupported');
    b.writeUInt32LE(1, 4);
    b.writeUInt32LE(101, 8);
    b[108] = 0x45;
    expect(decodeLink(258, b, 0, b.length)).toEqual({ kind: 'network', etherType: 0x0800, offset: 108, vlanTags: 0 });
    b.writeUInt32LE(20, 0);
    expect(decodeLink(258, b, 0, b.length).kind).toBe('malformed');
    expect(decodeLink(258, b, 0, 8).kind).toBe('truncated');
  });
});
