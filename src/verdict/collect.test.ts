import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { outcome, type OutcomeSketch } from '../outcome/testing/outcome.js';
import type { SniStatus } from '../tls/types.js';
import { countedOf, OutcomeCollector } from './collect.js';
import { judge } from './verdicts.js';

const sketch: fc.Arbitrary<OutcomeSketch> = fc.record({
  client: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3', '2001:db8::7'),
  server: fc.constantFrom('10.0.0.100', '192.0.2.1'),
  sni: fc.constantFrom<SniStatus | null>(null, 'present', 'absent', 'empty', 'malformed', 'unknown'),
  serverHelloFrame: fc.option(fc.integer({ min: 3, max: 8 }), { nil: undefined }),
  serverResetFrame: fc.option(fc.integer({ min: 3, max: 8 }), { nil: undefined }),
});

/**
 * The sketches' outcomes, handed to a collector one by one; or, with `asked`, as a connection's
 * recorder does: wants() first, then add() or, when not wanted, count() with only the counts.
 */
function collect(sketches: OutcomeSketch[], limits: { maxOutcomes: number; maxPlainOutcomes: number; maxFoldedPairs: number }, asked = false) {
  const c = new OutcomeCollector(limits);
  sketches.forEach((s, i) => {
    const o = outcome({ ...s, stream: i });
    if (!asked || c.wants(o.clientHello !== null || o.serverReset !== null, o.category)) c.add(o);
    else c.count(countedOf(o));
  });
  return c;
}

describe('OutcomeCollector', () => {
  it('keeps every outcome below its limits', () => {
    const c = collect([{ sni: 'absent', serverResetFrame: 5 }, { sni: null }], { maxOutcomes: 10, maxPlainOutcomes: 10, maxFoldedPairs: 10 });
    expect(c.outcomes).toHaveLength(2);
    expect(c.folded()).toEqual([]);
    expect(c.warnings(0)).toEqual([]);
  });

  it('folds past its limits into per-pair counters, and judge gives every client the same verdict as from the full outcomes', () => {
    fc.assert(
      fc.property(
        fc.array(sketch, { maxLength: 60 }),
        fc.record({ maxOutcomes: fc.nat(10), maxPlainOutcomes: fc.nat(10), maxFoldedPairs: fc.constant(1000) }),
        fc.boolean(),
        (sketches, limits, given) => {
          const all = sketches.map((s, i) => outcome({ ...s, stream: i }));
          const c = collect(sketches, limits);
          const isIngress = given ? (ip: string) => ip === '10.0.0.100' : null;
          const full = judge(all, isIngress, given ? ['10.0.0.100'] : []);
          const bounded = judge(c.outcomes, isIngress, given ? ['10.0.0.100'] : [], c.folded());
          expect(bounded.clients).toEqual(full.clients);
          expect(bounded.ingress).toEqual(full.ingress);
          expect(bounded.problemFound).toBe(full.problemFound);
          expect(bounded.connections.length + (bounded.folded?.connections ?? 0)).toBe(full.connections.length);
          const s = c.statsOf(0);
          expect(s.kept + s.folded).toBe(sketches.length);
          expect(s.uncounted).toBe(0);
          expect(c.warnings(0)).toHaveLength(s.folded > 0 ? 1 : 0);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('wants() in full exactly the outcomes add() would keep: asked first, it collects the same', () => {
    fc.assert(
      fc.property(
        fc.array(sketch, { maxLength: 60 }),
        fc.record({ maxOutcomes: fc.nat(10), maxPlainOutcomes: fc.nat(10), maxFoldedPairs: fc.nat(6) }),
        (sketches, limits) => {
          const given = collect(sketches, limits);
          const asked = collect(sketches, limits, true);
          expect(asked.outcomes).toEqual(given.outcomes);
          expect(asked.folded()).toEqual(given.folded());
          expect(asked.statsOf(0)).toEqual(given.statsOf(0));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('past its limit, lists a connection that shows a problem in place of the latest one that went well', () => {
    const ok = (i: number): OutcomeSketch => ({ client: `10.2.0.${i}`, sni: 'present', serverHelloFrame: 4 });
    const reset = (i: number): OutcomeSketch => ({ client: `10.3.0.${i}`, sni: 'absent', serverResetFrame: 5 });
    const c = collect([ok(1), ok(2), ok(3), reset(1), reset(2), ok(4), reset(3), reset(4)], { maxOutcomes: 3, maxPlainOutcomes: 0, maxFoldedPairs: 100 });
    expect(c.outcomes.map((o) => o.client.ip)).toEqual(['10.3.0.3', '10.3.0.2', '10.3.0.1']);
    // The displaced are counted, as is the problem that found no place left.
    expect(c.folded().map((f) => `${f.client} ${Object.keys(f.categories).join()}`)).toEqual([
      '10.2.0.3 sni-ok',
      '10.2.0.2 sni-ok',
      '10.2.0.4 sni-ok',
      '10.2.0.1 sni-ok',
      '10.3.0.4 non-sni-reset',
    ]);
    expect(c.statsOf(0)).toEqual({ kept: 3, folded: 5, uncounted: 0 });
  });

  it('keeps at most its limits in full, and counts what goes past the pair limit as uncounted', () => {
    const sketches: OutcomeSketch[] = [];
    for (let i = 0; i < 500; i++) sketches.push({ client: `10.1.${i >> 8}.${i & 0xff}`, sni: i % 2 === 0 ? 'absent' : null, serverResetFrame: i % 2 === 0 ? 5 : undefined });
    const c = collect(sketches, { maxOutcomes: 20, maxPlainOutcomes: 10, maxFoldedPairs: 100 });
    expect(c.outcomes).toHaveLength(30);
    expect(c.folded()).toHaveLength(100);
    expect(c.statsOf(0)).toEqual({ kept: 30, folded: 100, uncounted: 370 });
    const [folded, uncounted] = c.warnings(0);
    expect(folded).toMatch(/^100 connections are counted in the client verdicts but not listed/);
    expect(uncounted).toMatch(/^370 connections are in no verdict/);
  });
});
