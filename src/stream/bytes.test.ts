import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { int32le } from './bytes.js';

describe('int32le', () => {
  it('reads what readInt32LE reads, at any offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 64 }), fc.nat(), (bytes, at) => {
        const buf = Buffer.from(bytes);
        const offset = at % (buf.length - 3);
        expect(int32le(buf, offset)).toBe(buf.readInt32LE(offset));
      }),
    );
    expect(int32le(Buffer.from([0xff, 0xff, 0xff, 0xff]), 0)).toBe(-1);
    expect(int32le(Buffer.from([0, 0, 0, 0x80]), 0)).toBe(-0x80000000);
  });
});
