import { describe, expect, it } from 'vitest';
import { v8AlikeKeys, v8Hash } from '../../test/helpers/hash-collisions.js';
import { addressKey, sharedServerHello } from './facts.js';

describe('addressKey', () => {
  it('is one to one on IPv4 addresses, and the bytes of an IPv6 address', () => {
    const keys = new Set<number | string>();
    for (let i = 0; i < 5000; i++) keys.add(addressKey(String.fromCharCode(10, (i >> 8) & 0xff, i & 0xff, 7)));
    expect(keys.size).toBe(5000);
    const v6 = Buffer.from('20010db8000000000000000000000001', 'hex').toString('latin1');
    expect(addressKey(v6)).toBe(v6);
  });

  it('spreads IPv4 addresses whose bare numbers V8 would hash into one bucket', () => {
    const addresses = v8AlikeKeys(2000).map((key) => String.fromCharCode(key >>> 24, (key >>> 16) & 0xff, (key >>> 8) & 0xff, key & 0xff));
    const bare = addresses.map((a) => (a.charCodeAt(0) << 24) | (a.charCodeAt(1) << 16) | (a.charCodeAt(2) << 8) | a.charCodeAt(3));
    expect(new Set(bare.map((k) => v8Hash(k) & 0xffff)).size).toBe(1);
    const buckets = new Set(addresses.map((a) => v8Hash(addressKey(a) as number) & 0xffff));
    expect(buckets.size).toBeGreaterThan(1900);
  });
});

describe('sharedServerHello', () => {
  it('shares one object per distinct answer, and tells every answer apart', () => {
    const hellos = [];
    for (let version = 0x0300; version < 0x0305; version++) {
      for (let cipherSuite = 0; cipherSuite < 150; cipherSuite++) {
        hellos.push({ helloRetryRequest: cipherSuite % 2 === 0, legacyVersion: 0x0303, version, cipherSuite: cipherSuite * 431 });
      }
    }
    const shared = hellos.map((h) => sharedServerHello(h));
    expect(shared).toEqual(hellos);
    expect(new Set(shared).size).toBe(hellos.length);
    expect(hellos.map((h) => sharedServerHello({ ...h }))).toEqual(shared);
    expect(hellos.every((h, i) => sharedServerHello({ ...h }) === shared[i])).toBe(true);
  });
});
