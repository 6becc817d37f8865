import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEthernet } from '../link/ethernet.js';
import { decodeSll, decodeSll2 } from '../link/sll.js';
import { formatAddress } from './address.js';
import { createNetworkDecoder } from './decoder.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { ethernet, ipv4, ipv6, sll, sll2, type Ipv6ExtensionHeader } from './testing/encode.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((a) => Buffer.from(a));
const vlanTag = fc.record({ tpid: fc.constantFrom(0x8100, 0x88a8, 0x9100), vid: fc.nat(4095), pcp: fc.nat(7) });
const etherType = fc.integer({ min: 0x0600, max: 0xffff }).filter((t) => ![0x8100, 0x88a8, 0x9100, 0x8864, 0x8847, 0x8848, 0x8926, 0x893f, 0x88e7].includes(t));

describe('encoder → decoder round trips', () => {
  it('Ethernet with up to 8 VLAN tags', () => {
    fc.assert(
      fc.property(bytes(6), bytes(6), etherType, fc.array(vlanTag, { maxLength: 8 }), bytes(10), (dst, src, type, vlans, payload) => {
        const frame = ethernet({ dst, src, etherType: type, vlans }, payload);
        expect(decodeEthernet(frame, 0, frame.length)).toEqual({ kind: 'network', etherType: type, offset: 14 + 4 * vlans.length, vlanTags: vlans.length });
      }),
    );
  });

  it('Linux cooked v1 and v2', () => {
    fc.assert(
      fc.property(
        fc.record({ packetType: fc.nat(4), hatype: fc.constantFrom(1, 512, 772, 778, 0xfffe), address: fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)), interfaceIndex: fc.nat() }),
        etherType,
        bytes(4),
        (fields, protocol, payload) => {
          const one = sll({ ...fields, protocol }, payload);
          expect(decodeSll(one, 0, one.length)).toEqual({ kind: 'network', etherType: protocol, offset: 16, vlanTags: 0 });
          const two = sll2({ ...fields, protocol }, payload);
          expect(decodeSll2(two, 0, two.length)).toEqual({ kind: 'network', etherType: protocol, offset: 20, vlanTags: 0 });
        },
      ),
    );
  });

  it('IPv4 with options', () => {
    fc.assert(
      fc.property(
        bytes(4),
        bytes(4),
        fc.nat(255),
        fc.nat(255),
        fc.nat(0xffff),
        fc.nat(10).map((words) => Buffer.alloc(words * 4, 1)),
        fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
        (src, dst, protocol, ttl, id, options, payload) => {
          const p = ipv4({ src, dst, protocol, ttl, id, options }, payload);
          expect(decodeIpv4(p, 0, p.length)).toEqual({
            kind: 'ipv4',
            headerLength: 20 + options.length,
            totalLength: p.length,
            identification: id,
            moreFragments: false,
            fragmentOffset: 0,
            ttl,
            protocol,
            end: p.length,
          });
        },
      ),
    );
  });

  it('IPv6 with extension headers', () => {
    const ext: fc.Arbitrary<Ipv6ExtensionHeader> = fc.record({
      type: fc.constantFrom(0, 43, 60, 135, 51),
      body: fc.nat(30).map((n) => Buffer.alloc(n, 0)),
    });
    fc.assert(
      fc.property(bytes(16), bytes(16), fc.constantFrom(6, 17, 58, 253), fc.nat(255), fc.array(ext, { maxLength: 8 }), fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), (src, dst, next, hop, exts, payload) => {
        const p = ipv6({ src, dst, nextHeader: next, hopLimit: hop, extensions: exts }, payload);
        const h = decodeIpv6(p, 0, p.length);
        expect(h).toMatchObject({ kind: 'ipv6', protocol: next, hopLimit: hop, payloadOffset: p.length - payload.length, end: p.length, declaredEnd: p.length });
      }),
    );
  });

  it('the whole stack: Ethernet/SLL/SLL2 + IPv4/IPv6 through createNetworkDecoder', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 113, 276),
        fc.boolean(),
        bytes(16),
        bytes(16),
        fc.constantFrom(6, 1, 58),
        fc.integer({ min: 1, max: 255 }),
        fc.array(vlanTag, { maxLength: 3 }),
        fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
        (linkType, v4, src, dst, protocol, ttl, vlans, payload) => {
          const ip = v4
            ? ipv4({ src: src.subarray(0, 4), dst: dst.subarray(0, 4), protocol, ttl }, payload)
            : ipv6({ src, dst, nextHeader: protocol, hopLimit: ttl }, payload);
          const type = v4 ? 0x0800 : 0x86dd;
          const frame = linkType === 1 ? ethernet({ etherType: type, vlans }, ip) : linkType === 113 ? sll({ protocol: type }, ip) : sll2({ protocol: type }, ip);
          const r = createNetworkDecoder().decode(linkType, frame, 0);
          if ('kind' in r) throw new Error(r.detail);
          const version = v4 ? 4 : 6;
          expect(r).toMatchObject({ version, protocol, hopLimit: ttl, payloadEnd: frame.length, payloadLength: payload.length, tunnel: null, data: frame });
          expect(formatAddress(r.data, r.srcOffset, version)).toBe(formatAddress(v4 ? src.subarray(0, 4) : src, 0, version));
          expect(formatAddress(r.data, r.dstOffset, version)).toBe(formatAddress(v4 ? dst.subarray(0, 4) : dst, 0, version));
          expect(r.data.subarray(r.payloadOffset, r.payloadEnd).equals(payload)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
