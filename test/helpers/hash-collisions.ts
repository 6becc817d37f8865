/**
 * Keys made to collide in hash functions whose workings are known, for tests that show a seed
 * keeps a capture from doing the same.
 */

/** The inverse of an odd number modulo 2^32, as a signed 32-bit number. */
export function inverse32(a: number): number {
  const m = 1n << 32n;
  let [t, next, r, nextR] = [0n, 1n, m, BigInt(a >>> 0)];
  while (nextR !== 0n) {
    const q = r / nextR;
    [t, next] = [next, t - q * next];
    [r, nextR] = [nextR, r - q * nextR];
  }
  return Number(((t % m) + m) % m) | 0;
}

/** V8's hash of a small integer used as a map key (ComputeUnseededHash): it has no seed. */
export function v8Hash(key: number): number {
  let h = key >>> 0;
  h = (~h + (h << 15)) >>> 0;
  h = (h ^ (h >>> 12)) >>> 0;
  h = (h + (h << 2)) >>> 0;
  h = (h ^ (h >>> 4)) >>> 0;
  h = Math.imul(h, 2057) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h & 0x3fffffff;
}

/** `count` 32-bit keys whose v8Hash ends in the same 16 bits: one bucket of any map of up to 65,536. */
export function v8AlikeKeys(count: number): number[] {
  const unshift = (v: number, s: number): number => {
    let x = v >>> 0;
    for (let i = 0; i < 32; i++) x = (v ^ (x >>> s)) >>> 0;
    return x;
  };
  return Array.from({ length: count }, (_, i) => {
    let x = unshift(((i << 16) | 0x4567) >>> 0, 16);
    x = unshift(Math.imul(x, inverse32(2057)) >>> 0, 4);
    x = unshift(Math.imul(x, inverse32(5)) >>> 0, 12);
    return Math.imul((x + 1) >>> 0, inverse32(32767)) | 0;
  });
}
