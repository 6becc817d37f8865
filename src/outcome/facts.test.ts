import { describe, expect, it } from 'vitest';
import { addressKey } from './facts.js';

/** V8's hash of a small integer used as a map key (ComputeUnseededHash): no seed of its own. */
function v8Hash(key: number): number {
  let h = key >>> 0;
  h = (~h + (h << 15)) >>> 0;
  h = (h ^ (h >>> 12)) >>> 0;
  h = (h + (h << 2)) >>> 0;
  h = (h ^ (h >>> 4)) >>> 0;
  h = Math.imul(h, 2057) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h & 0x3fffffff;
}

/** The inverse of v8Hash before its last mask: the key whose hash is `h`. */
function v8Key(h: number): number {
  const inverse = (a: number): number => {
    const m = 1n << 32n;
    let [t, next, r, nextR] = [0n, 1n, m, BigInt(a)];
    while (nextR !== 0n) {
      const q = r / nextR;
      [t, next] = [next, t - q * next];
      [r, nextR] = [nextR, r - q * nextR];
    }
    return Number(((t % m) + m) % m) | 0;
  };
  const unshift = (v: number, s: number): number => {
    let x = v >>> 0;
    for (let i = 0; i < 32; i++) x = (v ^ (x >>> s)) >>> 0;
    return x;
  };
  let x = unshift(h, 16);
  x = unshift(Math.imul(x, inverse(2057)) >>> 0, 4);
  x = unshift(Math.imul(x, inverse(5)) >>> 0, 12);
  return Math.imul((x + 1) >>> 0, inverse(32767)) | 0;
}

describe('addressKey', () => {
  it('is one to one on IPv4 addresses, and the bytes of an IPv6 address', () => {
    const keys = new Set<number | string>();
    for (let i = 0; i < 5000; i++) keys.add(addressKey(String.fromCharCode(10, (i >> 8) & 0xff, i & 0xff, 7)));
    expect(keys.size).toBe(5000);
    const v6 = Buffer.from('20010db8000000000000000000000001', 'hex').toString('latin1');
    expect(addressKey(v6)).toBe(v6);
  });

  it('spreads IPv4 addresses whose bare numbers V8 would hash into one bucket', () => {
    const addresses: string[] = [];
    for (let i = 0; addresses.length < 2000; i++) {
      const key = v8Key(((i << 16) | 0x4567) >>> 0);
      if ((v8Hash(key) & 0xffff) !== 0x4567) continue;
      addresses.push(String.fromCharCode(key >>> 24, (key >>> 16) & 0xff, (key >>> 8) & 0xff, key & 0xff));
    }
    const bare = addresses.map((a) => (a.charCodeAt(0) << 24) | (a.charCodeAt(1) << 16) | (a.charCodeAt(2) << 8) | a.charCodeAt(3));
    expect(new Set(bare.map((k) => v8Hash(k) & 0xffff)).size).toBe(1);
    const buckets = new Set(addresses.map((a) => v8Hash(addressKey(a) as number) & 0xffff));
    expect(buckets.size).toBeGreaterThan(1900);
  });
});
