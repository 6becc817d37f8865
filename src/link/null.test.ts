import { describe, expect, it } from 'vitest';
import { corpusFile, hasFile, readCapture } from '../ip/testing/pcap.js';
import { decodeLoop, decodeNull } from './null.js';

function le(family: number): Buffer {
  const b = Buffer.alloc(5);
  b.writeUInt32LE(family, 0);
  return b;
}

function be(family: number): Buffer {
  const b = Buffer.alloc(5);
  b.writeUInt32BE(family, 0);
  return b;
}

describe('decodeNull (LINKTYPE_NULL, host byte order)', () => {
  it('accepts AF_INET and every BSD AF_INET6 value in either byte order', () => {
    for (const make of [le, be]) {
      expect(decodeNull(make(2), 0, 5)).toEqual({ kind: 'network', etherType: 0x0800, offset: 4, vlanTags: 0 });
      for (const af of [24, 28, 30]) expect(decodeNull(make(af), 0, 5)).toEqual({ kind: 'network', etherType: 0x86dd, offset: 4, vlanTags: 0 });
    }
  });

  it('takes an IP EtherType in the last two bytes when the value is no family', () => {
    const b = Buffer.from('0f00080045', 'hex');
    expect(decodeNull(b, 0, 5)).toEqual({ kind: 'network', etherType: 0x0800, offset: 4, vlanTags: 0 });
    expect(decodeNull(Buffer.from('0f00080645', 'hex'), 0, 5).kind).toBe('unsupported');
  });

  it('reports other families and short headers', () => {
    expect(decodeNull(le(7), 0, 5).kind).toBe('unsupported');
    expect(decodeNull(le(2), 0, 3).kind).toBe('truncated');
  });
});

describe('decodeLoop (LINKTYPE_LOOP, network byte order)', () => {
  it('reads the family big-endian only', () => {
    expect(decodeLoop(be(2), 0, 5)).toMatchObject({ etherType: 0x0800, offset: 4 });
    expect(decodeLoop(be(30), 0, 5)).toMatchObject({ etherType: 0x86dd, offset: 4 });
    expect(decodeLoop(le(2), 0, 5).kind).toBe('unsupported');
    expect(decodeLoop(be(2), 0, 2).kind).toBe('truncated');
  });
});

describe('loopback captures', () => {
  const tls13 = corpusFile('captures/illustrated-tls13__capture.pcap');
  it.skipIf(!hasFile(tls13))('illustrated-tls13: 22 frames, AF_INET (tshark: null:ip)', () => {
    const records = readCapture(tls13);
    expect(records).toHaveLength(22);
    for (const r of records) expect(decodeNull(r.data, 0, r.data.length)).toEqual({ kind: 'network', etherType: 0x0800, offset: 4, vlanTags: 0 });
  });

  const mixed = corpusFile('malformed/pcapplusplus__null_loopback.pcap');
  it.skipIf(!hasFile(mixed))('null_loopback: AF 30, AF 2, then an EtherType header 0f 00 08 00 (tshark: family 30, family 2, type 0x0800)', () => {
    const records = readCapture(mixed);
    expect(records.map((r) => decodeNull(r.data, 0, r.data.length))).toEqual([
      { kind: 'network', etherType: 0x86dd, offset: 4, vlanTags: 0 },
      { kind: 'network', etherType: 0x0800, offset: 4, vlanTags: 0 },
      { kind: 'network', etherType: 0x0800, offset: 4, vlanTags: 0 },
    ]);
  });
});
