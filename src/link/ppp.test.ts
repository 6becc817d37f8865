import { describe, expect, it } from 'vitest';
import { corpusFile, hasFile, readCapture } from '../ip/testing/pcap.js';
import { decodeCiscoHdlc, decodePppHdlc } from './hdlc.js';
import { decodePpp } from './ppp.js';
import type { LinkResult } from './types.js';

function run(fn: (b: Buffer, o: number, e: number) => LinkResult, hex: string): LinkResult {
  const b = Buffer.from(hex.replace(/\s+/g, ''), 'hex');
  return fn(b, 0, b.length);
}

describe('decodePpp (LINKTYPE_PPP)', () => {
  it('reads the protocol with or without the ff 03 address/control bytes', () => {
    expect(run(decodePpp, 'ff03 0021 45')).toEqual({ kind: 'network', etherType: 0x0800, offset: 4, vlanTags: 0 });
    expect(run(decodePpp, '0057 60')).toEqual({ kind: 'network', etherType: 0x86dd, offset: 2, vlanTags: 0 });
    expect(run(decodePpp, '21 45')).toEqual({ kind: 'network', etherType: 0x0800, offset: 1, vlanTags: 0 });
    expect(run(decodePpp, 'ff03 57 60')).toEqual({ kind: 'network', etherType: 0x86dd, offset: 3, vlanTags: 0 });
  });

  it('reports control protocols and short frames', () => {
    expect(run(decodePpp, 'ff03 c021 01')).toEqual({ kind: 'unsupported', detail: 'ppp protocol is not ip' });
    expect(run(decodePpp, 'ff03 00').kind).toBe('truncated');
    expect(run(decodePpp, '').kind).toBe('truncated');
  });

  const path = corpusFile('captures/zeek__quic-go-handshake.pcap');
  it.skipIf(!hasFile(path))('zeek quic-go capture: 9 IPv4 and 4 IPv6 frames, no address/control (tshark: ppp:ip / ppp:ipv6)', () => {
    const records = readCapture(path);
    expect(records).toHaveLength(13);
    const counts = new Map<number, number>();
    for (const r of records) {
      expect(r.linkType).toBe(9);
      const f = decodePpp(r.data, 0, r.data.length);
      expect(f).toMatchObject({ kind: 'network', offset: 2 });
      if (f.kind === 'network') counts.set(f.etherType, (counts.get(f.etherType) ?? 0) + 1);
    }
    expect(counts).toEqual(new Map([[0x86dd, 4], [0x0800, 9]]));
  });
});

describe('decodePppHdlc (LINKTYPE_PPP_HDLC) and decodeCiscoHdlc (LINKTYPE_C_HDLC)', () => {
  it('needs ff 03 for PPP, and takes Cisco HDLC frames too', () => {
    expect(run(decodePppHdlc, 'ff03 0021 45')).toEqual({ kind: 'network', etherType: 0x0800, offset: 4, vlanTags: 0 });
    expect(run(decodePppHdlc, '0021 45').kind).toBe('malformed');
    expect(run(decodePppHdlc, '0f00 86dd 60')).toEqual({ kind: 'network', etherType: 0x86dd, offset: 4, vlanTags: 0 });
    expect(run(decodePppHdlc, 'ff').kind).toBe('truncated');
  });

  it('reads the Cisco HDLC EtherType', () => {
    expect(run(decodeCiscoHdlc, '8f00 0800 45')).toEqual({ kind: 'network', etherType: 0x0800, offset: 4, vlanTags: 0 });
    expect(run(decodeCiscoHdlc, '0f00 08').kind).toBe('truncated');
  });
});
