import { describe, expect, it } from 'vitest';
import { corpusFile, hasFile, readCapture } from '../ip/testing/pcap.js';
import { decodeLink } from './index.js';
import { decodeRawIp, decodeRawIpv4, decodeRawIpv6 } from './raw.js';

describe('raw IP link types', () => {
  it('decides IPv4 or IPv6 by the version nibble', () => {
    const v4 = Buffer.from('45000014', 'hex');
    const v6 = Buffer.from('60000000', 'hex');
    expect(decodeRawIp(v4, 0, v4.length)).toEqual({ kind: 'network', etherType: 0x0800, offset: 0, vlanTags: 0 });
    expect(decodeRawIp(v6, 0, v6.length)).toEqual({ kind: 'network', etherType: 0x86dd, offset: 0, vlanTags: 0 });
    expect(decodeRawIp(Buffer.from('50', 'hex'), 0, 1).kind).toBe('malformed');
    expect(decodeRawIp(v4, 0, 0).kind).toBe('truncated');
  });

  it('treats link types 12 and 14 like 101', () => {
    const v6 = Buffer.from('60000000', 'hex');
    for (const lt of [12, 14, 101]) expect(decodeLink(lt, v6, 0, v6.length)).toMatchObject({ etherType: 0x86dd, offset: 0 });
  });

  it('trusts 228 / 229 and leaves the version check to the IP decoder', () => {
    const b = Buffer.from('60', 'hex');
    expect(decodeRawIpv4(b, 0, 1)).toMatchObject({ etherType: 0x0800, offset: 0 });
    expect(decodeRawIpv6(b, 0, 1)).toMatchObject({ etherType: 0x86dd, offset: 0 });
    expect(decodeLink(229, b, 0, 1)).toMatchObject({ etherType: 0x86dd });
  });
});

describe.each([
  { file: 'captures/zeek__ml-dsa-44-cert.pcap', linkType: 101, frames: 5 },
  { file: 'captures/sv__linktype-228__flow-test-01.pcap', linkType: 228, frames: 7 },
])('raw IP capture $file', ({ file, linkType, frames }) => {
  const path = corpusFile(file);
  it.skipIf(!hasFile(path))('gives IPv4 at offset 0 in every frame (tshark: raw:ip / ip)', () => {
    const records = readCapture(path);
    expect(records).toHaveLength(frames);
    for (const r of records) {
      expect(r.linkType).toBe(linkType);
      expect(decodeLink(r.linkType, r.data, 0, r.data.length)).toEqual({ kind: 'network', etherType: 0x0800, offset: 0, vlanTags: 0 });
    }
  });
});
