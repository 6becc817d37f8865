import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { thousands } from './numbers.js';

describe('thousands', () => {
  it('groups digits by three', () => {
    expect(thousands(0)).toBe('0');
    expect(thousands(999)).toBe('999');
    expect(thousands(1000)).toBe('1,000');
    expect(thousands(1234567)).toBe('1,234,567');
    expect(thousands(-1234)).toBe('-1,234');
  });

  it('writes every safe integer as en-US locale formatting does', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        expect(thousands(n)).toBe(n.toLocaleString('en-US'));
      }),
      { numRuns: 2000 },
    );
  });
});
