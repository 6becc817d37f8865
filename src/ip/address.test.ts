import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyOf, formatAddress, ipv4Mapped, parseAddress, parseCidr, parseCidrOrThrow, type Cidr } from './address.js';

function bytes(hex: string): Buffer {
  return Buffer.from(hex.replace(/[\s:]/g, ''), 'hex');
}

function v6(hex: string): string {
  return formatAddress(bytes(hex), 0, 6);
}

function cidr(text: string): Cidr {
  const c = parseCidr(text);
  if (c.kind !== 'cidr') throw new Error(c.detail);
  return c;
}

describe('formatAddress', () => {
  it('writes dotted quads at an offset', () => {
    expect(formatAddress(bytes('ff 0a000001 ff'), 1, 4)).toBe('10.0.0.1');
    expect(formatAddress(bytes('00000000'), 0, 4)).toBe('0.0.0.0');
    expect(formatAddress(bytes('ffffffff'), 0, 4)).toBe('255.255.255.255');
  });

  it('follows RFC 5952 for IPv6', () => {
    expect(v6('2001 0db8 0000 0000 0000 0000 0000 0001')).toBe('2001:db8::1');
    expect(v6('0000 0000 0000 0000 0000 0000 0000 0000')).toBe('::');
    expect(v6('0000 0000 0000 0000 0000 0000 0000 0001')).toBe('::1');
    expect(v6('2001 0db8 0000 0000 0000 0000 0000 0000')).toBe('2001:db8::');
    // A single zero group is not compressed (4.2.2).
    expect(v6('2001 0db8 0000 0001 0001 0001 0001 0001')).toBe('2001:db8:0:1:1:1:1:1');
    // The longest run wins (4.2.3)...
    expect(v6('2001 0000 0000 0001 0000 0000 0000 0001')).toBe('2001:0:0:1::1');
    // ...and the first one on a tie.
    expect(v6('2001 0db8 0000 0000 0001 0000 0000 0001')).toBe('2001:db8::1:0:0:1');
    // Lowercase, no leading zeros (4.3, 4.1).
    expect(v6('2001 0DB8 00AB 0C00 000D 0000 0000 00FF')).toBe('2001:db8:ab:c00:d::ff');
    expect(v6('fe80 0000 0000 0000 0223 55ff fe9c 7326')).toBe('fe80::223:55ff:fe9c:7326');
    expect(v6('0001 0000 0000 0000 0000 0000 0000 0000')).toBe('1::');
    expect(v6('0000 0001 0000 0000 0000 0000 0000 0000')).toBe('0:1::');
  });

  it('writes IPv4-mapped addresses with a dotted quad (RFC 5952 section 5)', () => {
    expect(v6('0000 0000 0000 0000 0000 ffff 0102 0304')).toBe('::ffff:1.2.3.4');
    expect(v6('0000 0000 0000 0000 0000 ffff 0000 0000')).toBe('::ffff:0.0.0.0');
    // Not mapped: 64:ff9b::/96 and ::ffff:0:0:0 style neighbours stay hex.
    expect(v6('0064 ff9b 0000 0000 0000 0000 0102 0304')).toBe('64:ff9b::102:304');
    expect(v6('0000 0000 0000 0000 ffff 0000 0102 0304')).toBe('::ffff:0:102:304');
  });

  it('agrees with the WHATWG URL serializer for addresses that are not IPv4-mapped', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0, 0, 0, 1, 0xffff, 0x0db8, 0xabc), { minLength: 8, maxLength: 8 }), (groups) => {
        const b = Buffer.alloc(16);
        groups.forEach((g, i) => b.writeUInt16BE(g, 2 * i));
        const text = formatAddress(b, 0, 6);
        fc.pre(!text.startsWith('::ffff:') || text.includes('::ffff:0:'));
        expect(`[${text}]`).toBe(new URL(`http://[${text}]/`).hostname);
        expect(new URL(`http://[${text}]/`).hostname).toBe(new URL(`http://[${groups.map((g) => g.toString(16)).join(':')}]/`).hostname);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips through parseAddress for any 4 or 16 bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 })), (raw) => {
        const b = Buffer.from(raw);
        const version = b.length === 4 ? 4 : 6;
        const text = formatAddress(b, 0, version);
        const parsed = parseAddress(text);
        expect(parsed).toEqual({ kind: 'address', version, bytes: b });
        expect(text).toBe(text.toLowerCase());
      }),
      { numRuns: 3000 },
    );
  });
});

describe('ipv4Mapped', () => {
  it('makes ::ffff:a.b.c.d of an IPv4 address', () => {
    expect(formatAddress(ipv4Mapped(Buffer.from([192, 0, 2, 10])), 0, 6)).toBe('::ffff:192.0.2.10');
  });
});

describe('parseAddress', () => {
  it('parses the textual forms of RFC 4291', () => {
    expect(parseAddress('2001:DB8:0:0:8:800:200C:417A')).toMatchObject({ version: 6, bytes: bytes('20010db8000000000008080020 0c417a') });
    expect(parseAddress('::')).toMatchObject({ version: 6, bytes: Buffer.alloc(16) });
    expect(parseAddress('::13.1.68.3')).toMatchObject({ version: 6, bytes: bytes('000000000000000000000000 0d014403') });
    expect(parseAddress('::ffff:129.144.52.38')).toMatchObject({ bytes: bytes('00000000000000000000ffff 81903426') });
    expect(parseAddress('1:2:3:4:5:6:7::')).toMatchObject({ bytes: bytes('0001000200030004000500060007 0000') });
    expect(parseAddress(' 192.0.2.1 ')).toMatchObject({ version: 4, bytes: bytes('c0000201') });
  });

  it('rejects malformed text without throwing', () => {
    for (const bad of [
      '', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-4', '1.2.3.4/', 'a.b.c.d',
      '1::2::3', ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'fe80::1%eth0',
      '1.2.3.4::', '::1.2.3', 'g::', '1:2:3:4:5:6:7:8::',
    ]) {
      expect(parseAddress(bad).kind, bad).toBe('error');
    }
  });
});

describe('parseCidr', () => {
  it('matches addresses inside the prefix only', () => {
    const ten = cidr('10.0.0.0/8');
    expect(ten.contains(bytes('0a ff 00 01'), 0, 4)).toBe(true);
    expect(ten.contains(bytes('0b 00 00 00'), 0, 4)).toBe(false);
    expect(ten.contains(Buffer.alloc(16), 0, 6)).toBe(false);
    const odd = cidr('192.168.64.0/18');
    expect(odd.contains(bytes('c0a84001'), 0, 4)).toBe(true);
    expect(odd.contains(bytes('c0a87fff'), 0, 4)).toBe(true);
    expect(odd.contains(bytes('c0a88000'), 0, 4)).toBe(false);
    expect(odd.contains(bytes('c0a83fff'), 0, 4)).toBe(false);
  });

  it('handles IPv6 prefixes, bare addresses and /0', () => {
    const doc = cidr('2001:db8::/32');
    expect(doc.text).toBe('2001:db8::/32');
    expect(doc.contains(bytes('20010db8ffff0000000000000000 0001'), 0, 6)).toBe(true);
    expect(doc.contains(bytes('20010db9000000000000000000000001'), 0, 6)).toBe(false);
    const host = cidr('1.2.3.4');
    expect(host.prefixLength).toBe(32);
    expect(host.contains(bytes('01020304'), 0, 4)).toBe(true);
    expect(host.contains(bytes('01020305'), 0, 4)).toBe(false);
    expect(cidr('::/0').contains(bytes('ffffffffffffffffffffffffffffffff'), 0, 6)).toBe(true);
    expect(cidr('0.0.0.0/0').contains(bytes('ffffffff'), 0, 4)).toBe(true);
    expect(cidr('2001:db8::1/128').text).toBe('2001:db8::1/128');
  });

  it('clears host bits and reports the canonical text', () => {
    expect(cidr('10.1.2.3/8').text).toBe('10.0.0.0/8');
    expect(cidr('2001:DB8:1:2::5/33').text).toBe('2001:db8::/33');
  });

  it('lets an IPv4 prefix match IPv4-mapped IPv6 addresses', () => {
    expect(cidr('10.0.0.0/8').contains(bytes('00000000000000000000ffff 0a000001'), 0, 6)).toBe(true);
    expect(cidr('10.0.0.0/8').contains(bytes('00000000000000000000ffff 0b000001'), 0, 6)).toBe(false);
  });

  it('returns errors for bad input, and parseCidrOrThrow throws them', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/08', '10.0.0.0/a', '::/129', 'x/8', '10.0.0.0/8/8', '']) {
      expect(parseCidr(bad).kind, bad).toBe('error');
      expect(() => parseCidrOrThrow(bad)).toThrow(/bad/);
    }
    expect(parseCidrOrThrow('10.0.0.0/8').prefixLength).toBe(8);
  });

  it('agrees with a bit-by-bit reference', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat(128), fc.boolean(), (a, b, len, four) => {
        const version = four ? 4 : 6;
        const size = four ? 4 : 16;
        const prefix = Math.min(len, size * 8);
        const net = Buffer.from(a.subarray(0, size));
        const probe = Buffer.from(b.subarray(0, size));
        // Make the probe share a random number of leading bits with the network.
        const shared = Math.min(prefix + (b[15] % 3) - 1, size * 8);
        for (let bit = 0; bit < shared; bit++) {
          const mask = 0x80 >> (bit & 7);
          probe[bit >> 3] = (probe[bit >> 3] & ~mask) | (net[bit >> 3] & mask);
        }
        const c = cidr(`${formatAddress(net, 0, version)}/${prefix}`);
        let expected = true;
        for (let bit = 0; bit < prefix; bit++) {
          const mask = 0x80 >> (bit & 7);
          if ((net[bit >> 3] & mask) !== (probe[bit >> 3] & mask)) expected = false;
        }
        expect(c.contains(probe, 0, version)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('anyOf matches when one prefix does', () => {
    const m = anyOf([cidr('10.0.0.0/8'), cidr('2001:db8::/32')]);
    expect(m.contains(bytes('0a000001'), 0, 4)).toBe(true);
    expect(m.contains(bytes('20010db8000000000000000000000001'), 0, 6)).toBe(true);
    expect(m.contains(bytes('c0000201'), 0, 4)).toBe(false);
  });
});
