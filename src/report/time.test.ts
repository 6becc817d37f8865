import { describe, expect, it } from 'vitest';
import { isoTime } from './time.js';

describe('isoTime', () => {
  it('gives capture times as ISO 8601 UTC', () => {
    expect(isoTime(1_700_000_000.25)).toBe('2023-11-14T22:13:20.250Z');
    expect(isoTime(0)).toBe('1970-01-01T00:00:00.000Z');
  });

  it('gives a time no Date can hold (a 64-bit timestamp from a damaged capture) as plain seconds', () => {
    expect(isoTime(1.8e13)).toBe('18000000000000 s after the epoch');
    expect(isoTime(-1e16)).toBe('-10000000000000000 s after the epoch');
    expect(isoTime(Number.POSITIVE_INFINITY)).toBe('Infinity s after the epoch');
  });
});
