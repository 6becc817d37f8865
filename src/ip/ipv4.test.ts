import { describe, expect, it } from 'vitest';
import { decodeIpv4 } from './ipv4.js';
import { addr, ipv4 } from './testing/encode.js';

const SRC = addr('192.0.2.1');
const DST = addr('198.51.100.2');

describe('decodeIpv4', () => {
  it('reads the fixed header', () => {
    const p = ipv4({ src: SRC, dst: DST, protocol: 6, ttl: 57, id: 0xbeef, dontFragment: true }, Buffer.alloc(30));
    expect(decodeIpv4(p, 0, p.length)).toEqual({
      kind: 'ipv4',
      headerLength: 20,
      totalLength: 50,
      identification: 0xbeef,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 57,
      protocol: 6,
      end: 50,
    });
  });

  it('steps over options', () => {
    const p = ipv4({ src: SRC, dst: DST, protocol: 17, options: Buffer.from('9404000001010100', 'hex') }, Buffer.alloc(8));
    expect(decodeIpv4(p, 0, p.length)).toMatchObject({ headerLength: 28, totalLength: 36, end: 36 });
  });

  it('leaves Ethernet padding out of `end`', () => {
    const p = Buffer.concat([ipv4({ src: SRC, dst: DST, protocol: 6 }, Buffer.alloc(20)), Buffer.alloc(6)]);
    expect(decodeIpv4(p, 0, p.length)).toMatchObject({ totalLength: 40, end: 40 });
  });

  it('keeps the declared total length when the snaplen cut the packet', () => {
    const p = ipv4({ src: SRC, dst: DST, protocol: 6 }, Buffer.alloc(1000));
    expect(decodeIpv4(p, 0, 60)).toMatchObject({ totalLength: 1020, end: 60 });
  });

  it('uses the captured length when the total length is 0 (segmentation offload)', () => {
    const p = ipv4({ src: SRC, dst: DST, protocol: 6, totalLength: 0 }, Buffer.alloc(3000));
    expect(decodeIpv4(p, 0, p.length)).toMatchObject({ totalLength: 3020, end: 3020 });
  });

  it('reads fragment fields', () => {
    const p = ipv4({ src: SRC, dst: DST, protocol: 6, moreFragments: true, fragmentOffset: 1480 }, Buffer.alloc(8));
    expect(decodeIpv4(p, 0, p.length)).toMatchObject({ moreFragments: true, fragmentOffset: 1480 });
  });

  it('reports bad and short headers', () => {
    const p = ipv4({ src: SRC, dst: DST, protocol: 6 }, Buffer.alloc(20));
    expect(decodeIpv4(p, 0, 19)).toEqual({ kind: 'truncated', detail: 'ipv4 header cut short' });
    expect(decodeIpv4(p, 0, 0).kind).toBe('truncated');
    const v6 = Buffer.from(p);
    v6[0] = 0x65;
    expect(decodeIpv4(v6, 0, v6.length)).toEqual({ kind: 'malformed', detail: 'ip version is not 4' });
    const ihl = Buffer.from(p);
    ihl[0] = 0x44;
    expect(decodeIpv4(ihl, 0, ihl.length).kind).toBe('malformed');
    const longIhl = Buffer.from(p);
    longIhl[0] = 0x4f; // 60-byte header in a 40-byte packet
    expect(decodeIpv4(longIhl, 0, longIhl.length).kind).toBe('truncated');
    const small = ipv4({ src: SRC, dst: DST, protocol: 6, totalLength: 19 }, Buffer.alloc(20));
    expect(decodeIpv4(small, 0, small.length)).toEqual({ kind: 'malformed', detail: 'ipv4 total length below header length' });
  });
});
