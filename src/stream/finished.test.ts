import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FinishedTuples } from './finished.js';

interface Tuple {
  a: Buffer;
  aPort: number;
  b: Buffer;
  bPort: number;
}

const v4 = (last: number) => Buffer.from([10, 0, 0, last]);
const v6 = (last: number) => Buffer.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last]);

function remember(set: FinishedTuples, hash: number, t: Tuple): void {
  set.remember(hash, t.a.toString('latin1'), t.aPort, t.b.toString('latin1'), t.bPort);
}

/** Asks about a packet of the tuple, sent from A (forward) or from B. */
function has(set: FinishedTuples, hash: number, t: Tuple, forward = true): boolean {
  const data = forward ? Buffer.concat([t.a, t.b]) : Buffer.concat([t.b, t.a]);
  const len = t.a.length;
  return forward ? set.has(hash, data, 0, len, len, t.aPort, t.bPort) : set.has(hash, data, 0, len, len, t.bPort, t.aPort);
}

describe('FinishedTuples', () => {
  const one: Tuple = { a: v4(1), aPort: 50000, b: v4(2), bPort: 443 };
  const six: Tuple = { a: v6(1), aPort: 50000, b: v6(2), bPort: 443 };

  it('finds a remembered tuple from either side, IPv4 and IPv6', () => {
    const set = new FinishedTuples(4);
    remember(set, 7, one);
    remember(set, 8, six);
    for (const forward of [true, false]) {
      expect(has(set, 7, one, forward)).toBe(true);
      expect(has(set, 8, six, forward)).toBe(true);
    }
    expect(has(set, 7, { ...one, bPort: 444 })).toBe(false);
    expect(has(set, 8, { ...six, b: v6(3) })).toBe(false);
    // The same bytes as the start of an IPv6 address are not an IPv4 address.
    expect(has(set, 7, { ...one, a: Buffer.concat([one.a, Buffer.alloc(12)]), b: Buffer.concat([one.b, Buffer.alloc(12)]) })).toBe(false);
  });

  it('forgets the oldest past its size, and a tuple a new connection reuses', () => {
    const set = new FinishedTuples(2);
    remember(set, 1, one);
    remember(set, 2, six);
    expect(has(set, 1, one)).toBe(true);
    remember(set, 3, { ...one, aPort: 50001 });
    expect(has(set, 1, one)).toBe(false);
    expect(has(set, 2, six)).toBe(true);
    set.forget(2);
    expect(has(set, 2, six)).toBe(false);
    expect(has(set, 3, { ...one, aPort: 50001 })).toBe(true);
    expect(set.size).toBe(1);
  });

  it('never takes another tuple with the same hash for a remembered one', () => {
    const set = new FinishedTuples(4);
    remember(set, 5, one);
    expect(has(set, 5, six)).toBe(false);
    remember(set, 5, six);
    expect(has(set, 5, six)).toBe(true);
    expect(has(set, 5, one)).toBe(false);
  });

  // A few tuples (one the reverse of another), so that the same ones come back often.
  const tuple = fc.constantFrom<Tuple>(
    one,
    { a: one.b, aPort: one.bPort, b: one.a, bPort: one.aPort },
    { ...one, aPort: 50001 },
    six,
    { ...six, b: v6(3) },
  );
  // Many tuples and a larger set: long probe sequences in the index, wrapping round its end.
  const manyTuples = fc.record({ last: fc.integer({ min: 1, max: 40 }), port: fc.integer({ min: 1, max: 5 }) }).map(
    ({ last, port }): Tuple => ({ a: v4(last), aPort: 40000 + port, b: v4(200), bPort: 443 }),
  );
  const key = (t: Tuple): string => [`${t.a.toString('hex')}:${t.aPort}`, `${t.b.toString('hex')}:${t.bPort}`].sort().join('-');

  it.each([
    ['a few tuples, a small set', tuple, 6, 80],
    ['many tuples, a larger set', manyTuples, 48, 400],
  ] as const)('answers as a list of the last `max` tuples remembered and not forgotten since: %s', (_name, tuples, maxMax, maxLength) => {
    const ops = fc.array(fc.tuple(fc.constantFrom('remember', 'forget', 'has'), tuples, fc.boolean()), { maxLength });
    fc.assert(
      fc.property(ops, fc.integer({ min: 1, max: maxMax }), fc.constantFrom('distinct', 'coarse', 'one-cell'), (list, max, hashing) => {
        const coarse = hashing === 'coarse';
        // A hash of a few values makes collisions common; one of many values makes none.
        const ids = new Map<string, number>();
        const hashOf = (t: Tuple): number => {
          const k = key(t);
          if (!ids.has(k)) ids.set(k, ids.size);
          const id = ids.get(k) as number;
          // 'one-cell': distinct hashes whose low bits agree, so that every tuple probes from the same index cell.
          return hashing === 'coarse' ? id & 1 : hashing === 'one-cell' ? id << 16 : id;
        };
        const set = new FinishedTuples(max);
        // The model: the serial each tuple was last remembered under, while not forgotten.
        const model = new Map<string, number>();
        let serial = 0;
        for (const [op, t, forward] of list) {
          const hash = hashOf(t);
          if (op === 'remember') {
            remember(set, hash, t);
            model.set(key(t), serial++);
          } else if (op === 'forget') {
            set.forget(hash);
            // Forgetting by hash forgets whatever tuple is kept under it.
            for (const [k] of model) if (hashOf(tupleOf(k)) === hash) model.delete(k);
          } else {
            const last = model.get(key(t));
            const expected = last !== undefined && last >= serial - max;
            const answer = has(set, hash, t, forward);
            if (coarse) expect(answer && !expected).toBe(false); // never a false "remembered"
            else expect(answer).toBe(expected);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});

/** The tuple back from its key (for the model's forget). */
function tupleOf(k: string): Tuple {
  const [x, y] = k.split('-').map((end) => end.split(':'));
  return { a: Buffer.from(x[0], 'hex'), aPort: Number(x[1]), b: Buffer.from(y[0], 'hex'), bPort: Number(y[1]) };
}
