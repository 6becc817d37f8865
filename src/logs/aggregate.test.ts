import { describe, expect, it } from 'vitest';
import type { Category } from '../outcome/types.js';
import { LogAggregator } from './aggregate.js';
import type { AccessLogRecord } from './entry.js';

function rec(client: string | null, category: Category, time: number | null = null, sni: string | null = null): AccessLogRecord {
  const refused = category === 'non-sni-reset' || category === 'sni-reset';
  return { time, client, via: client === null ? null : 'remote_address', sni: sni ?? (category.startsWith('sni') ? 'api.example.com' : null), statusDetails: null, flags: null, refused, category };
}

describe('LogAggregator', () => {
  it('gives each client the verdict analyze would, with counts and times', () => {
    const a = new LogAggregator();
    a.add(rec('10.0.0.1', 'non-sni-reset', 2000), { source: 0, line: 5 });
    a.add(rec('10.0.0.1', 'non-sni-reset', 1000), { source: 0, line: 9 });
    a.add(rec('10.0.0.2', 'sni-ok', 1500), { source: 0, line: 6 });
    a.add(rec('10.0.0.3', 'sni-ok'), { source: 0, line: 7 });
    a.add(rec('10.0.0.3', 'non-sni-reset'), { source: 1, line: 3 });
    a.add(rec('10.0.0.4', 'sni-reset', null, 'old.example.net'), { source: 0, line: 8 });
    const clients = a.result();
    expect(clients.map((c) => [c.ip, c.verdict])).toEqual([
      ['10.0.0.1', 'non-sni-reset'],
      ['10.0.0.3', 'mixed'],
      ['10.0.0.4', 'sni-reset'],
      ['10.0.0.2', 'sni-ok'],
    ]);
    expect(clients[0]).toMatchObject({ connections: 2, withoutSni: 2, withSni: 0, resetByIngress: 2, completed: 0, firstTime: 1000, lastTime: 2000, example: { source: 0, line: 5 } });
    expect(clients[1]).toMatchObject({ example: { source: 1, line: 3 }, exampleCategory: 'non-sni-reset', completed: 1 });
    expect(clients[2].refusedHosts).toEqual(['old.example.net']);
    expect(a.totals).toMatchObject({ entries: 6, firstTime: 1000, lastTime: 2000, categories: { 'non-sni-reset': 3, 'sni-ok': 2, 'sni-reset': 1 } });
  });

  it('bounds the client table and counts the overflow', () => {
    const a = new LogAggregator(3);
    for (let i = 0; i < 10; i++) a.add(rec(`10.0.0.${i}`, 'non-sni-reset'), { source: 0, line: i + 1 });
    a.add(rec('10.0.0.1', 'sni-ok'), { source: 0, line: 11 });
    expect(a.result()).toHaveLength(3);
    expect(a.totals).toMatchObject({ entries: 11, overflowEntries: 7, overflowCategories: { 'non-sni-reset': 7 } });
  });

  it('keeps at most 10 refused host names per client, and counts entries without an address', () => {
    const a = new LogAggregator();
    for (let i = 0; i < 30; i++) a.add(rec('10.0.0.1', 'sni-reset', null, `h${i % 15}.example`), { source: 0, line: i + 1 });
    a.add(rec(null, 'non-sni-reset'), { source: 0, line: 31 });
    expect(a.result()[0].refusedHosts).toHaveLength(10);
    expect(a.totals.withoutAddress).toBe(1);
  });
});
