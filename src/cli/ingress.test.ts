import { BlockList } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAddress } from '../ip/address.js';
import { ingressMatcher } from './analyze.js';
import { UsageError } from './command.js';

/** An address text as the report writes it, from its bytes. */
const addressText = fc.oneof(
  fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => formatAddress(Buffer.from(b), 0, 4)),
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatAddress(Buffer.from(b), 0, 6)),
  fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => formatAddress(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...b]), 0, 6)),
);

/** A range around an address given, so that ranges hold some of the addresses asked. */
function rangeOf(ip: string, bits: number): string {
  return `${ip}/${Math.min(bits, ip.includes(':') ? 128 : 32)}`;
}

describe('ingressMatcher', () => {
  it('answers as node:net BlockList does, for addresses and ranges of either family', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(addressText, fc.option(fc.integer({ min: 0, max: 128 }))), { minLength: 1, maxLength: 4 }), fc.array(addressText, { maxLength: 8 }), (given, asked) => {
        const values = given.map(([ip, bits]) => (bits === null ? ip : rangeOf(ip, bits)));
        const list = new BlockList();
        for (const [ip, bits] of given) {
          const type = ip.includes(':') ? 'ipv6' : 'ipv4';
          if (bits === null) list.addAddress(ip, type);
          else list.addSubnet(ip, Math.min(bits, type === 'ipv6' ? 128 : 32), type);
        }
        const matches = ingressMatcher(values);
        for (const ip of [...asked, ...given.map(([g]) => g)]) {
          expect(matches(ip), `${ip} in ${values.join(', ')}`).toBe(list.check(ip, ip.includes(':') ? 'ipv6' : 'ipv4'));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('takes lists, brackets and host bits, and an IPv4 address and its IPv4-mapped form as one', () => {
    const matches = ingressMatcher(['10.1.2.3/8, [2001:db8::1]', '192.0.2.10', '::ffff:198.51.100.0/120']);
    expect(matches('10.200.0.1')).toBe(true);
    expect(matches('11.0.0.1')).toBe(false);
    expect(matches('2001:db8::1')).toBe(true);
    expect(matches('2001:db8::2')).toBe(false);
    expect(matches('192.0.2.10')).toBe(true);
    expect(matches('::ffff:10.9.9.9')).toBe(true);
    expect(matches('::ffff:192.0.2.11')).toBe(false);
    expect(matches('198.51.100.7')).toBe(true);
    expect(matches('198.51.101.7')).toBe(false);
    // A zone names an interface, which a capture does not record (node:net takes it too).
    expect(ingressMatcher(['fe80::1%eth0'])('fe80::1')).toBe(true);
  });

  it('refuses what is not an address or range', () => {
    for (const bad of ['10.0.0.300', 'ingress.local', '10.0.0.1/33', '2001:db8::/129', '10.0.0.1/8/8', '10.0.0.1/', '10.0.0.1/x', '010.0.0.1', 'fe80::1%']) {
      expect(() => ingressMatcher([bad]), bad).toThrow(UsageError);
    }
    expect(() => ingressMatcher(['10.0.0.1/33'])).toThrow('--ingress: bad prefix length in 10.0.0.1/33');
    expect(() => ingressMatcher(['ingress.local'])).toThrow('--ingress: not an IP address or CIDR range: ingress.local');
  });
});
