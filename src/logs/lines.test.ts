import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readLines } from './lines.js';

async function* chunks(parts: (string | Buffer)[]): AsyncGenerator<Buffer | string> {
  for (const p of parts) yield p;
}

async function collect(parts: (string | Buffer)[], max = 100): Promise<{ lines: [number, string][]; stats: { lines: number; tooLong: number } }> {
  const lines: [number, string][] = [];
  const stats = await readLines(chunks(parts), max, (l, n) => lines.push([n, l]));
  return { lines, stats };
}

describe('readLines', () => {
  it('splits LF and CRLF lines across chunk boundaries, with a last line without a newline', async () => {
    const r = await collect(['a\r\nb', 'c\n', '\n', 'd']);
    expect(r.lines).toEqual([
      [1, 'a'],
      [2, 'bc'],
      [3, ''],
      [4, 'd'],
    ]);
    expect(r.stats).toEqual({ lines: 4, tooLong: 0 });
  });

  it('keeps a UTF-8 character split between two chunks', async () => {
    const bytes = Buffer.from('héllo ☃\n', 'utf8');
    const r = await collect([bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)]);
    expect(r.lines).toEqual([[1, 'héllo ☃']]);
  });

  it('skips and counts lines longer than the limit, without holding them', async () => {
    const long = 'x'.repeat(250);
    const r = await collect(['ok\n', long.slice(0, 120), long.slice(120), '\nafter\n', 'y'.repeat(101) + '\n', long]);
    expect(r.lines).toEqual([
      [1, 'ok'],
      [3, 'after'],
    ]);
    expect(r.stats).toEqual({ lines: 5, tooLong: 3 });
  });

  it('accepts a line of exactly the limit, with or without CR', async () => {
    const r = await collect(['z'.repeat(100) + '\r\n' + 'w'.repeat(100) + '\n']);
    expect(r.lines.map(([, l]) => l.length)).toEqual([100, 100]);
  });

  it('gives the same lines whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ maxLength: 30 }), { maxLength: 20 }), fc.array(fc.nat(40), { maxLength: 10 }), async (lines, cuts) => {
        const text = lines.join('\n');
        const points = [...new Set(cuts.map((c) => Math.min(c, text.length)))].sort((a, b) => a - b);
        const parts: Buffer[] = [];
        let at = 0;
        const bytes = Buffer.from(text, 'utf8');
        for (const p of points) {
          const b = Buffer.byteLength(text.slice(0, p));
          parts.push(bytes.subarray(at, b));
          at = b;
        }
        parts.push(bytes.subarray(at));
        const whole = await collect([bytes], 1000);
        const split = await collect(parts, 1000);
        expect(split.lines).toEqual(whole.lines);
        // A final newline ends the last line; it does not start an empty one.
        const expected = text.split('\n');
        if (expected[expected.length - 1] === '') expected.pop();
        expect(whole.lines.map(([, l]) => l)).toEqual(expected);
      }),
    );
  });
});
