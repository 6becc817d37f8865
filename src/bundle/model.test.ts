import { describe, expect, it } from 'vitest';
import type { LogsReport } from '../logs/report.js';
import type { ProbeReport } from '../probe/report.js';
import type { Report } from '../report/model.js';
import type { RoutesReport } from '../routes/report.js';
import { checklist, conclude, crossLink } from './model.js';

const client = (ip: string, verdict: string, categories: Record<string, number>) => ({ ip, verdict, connections: 1, withSni: 0, withoutSni: 1, resetByIngress: 1, completed: 0, categories });
const capture = {
  captures: [{ file: 'c.pcap', warnings: [] }],
  summary: { problemFound: true, verdict: 'cap', clientHellos: 2, withoutSni: 1 },
  clients: [client('10.0.0.1', 'non-sni-reset', { 'non-sni-reset': 1 }), client('2001:DB8::1', 'sni-ok', { 'sni-ok': 1 })],
} as unknown as Report;
const logs = {
  sources: [{ file: 'l.log' }],
  summary: { problemFound: false, verdict: 'logs', entries: 3, nonSniRefused: 0 },
  clients: [{ ...client('2001:db8::1', 'sni-ok', { 'sni-ok': 1 }), firstTime: null, lastTime: null }, { ...client('10.0.0.9', 'non-sni-ok', { 'non-sni-ok': 1 }), firstTime: null, lastTime: null }],
} as unknown as LogsReport;

describe('crossLink', () => {
  it('joins clients by address (IPv6 case-insensitively), the symptom first', () => {
    const list = crossLink(capture, logs);
    expect(list.map((c) => [c.ip, c.inBoth, c.nonSniReset])).toEqual([
      ['10.0.0.1', false, true],
      ['2001:DB8::1', true, false],
      ['10.0.0.9', false, false],
    ]);
    expect(crossLink(null, null)).toEqual([]);
  });
});

describe('conclude', () => {
  const probe = (conclusion: string) => ({ summary: { problemFound: conclusion === 'reset', conclusion, verdict: `probe ${conclusion}` } }) as unknown as ProbeReport;
  const routes = (failed: number) => ({ summary: { problemFound: failed > 0, failed, verdict: 'routes' }, checks: Array(6) }) as unknown as RoutesReport;

  it('answers both questions from what was given', () => {
    expect(conclude({ capture, logs, probe: null, routes: routes(2) })).toMatchObject({ problemFound: true, seenIn: ['capture', 'routes'], fixInPlace: false });
    expect(conclude({ capture: null, logs, probe: probe('served'), routes: null })).toMatchObject({ problemFound: false, fixInPlace: true });
    expect(conclude({ capture: null, logs: null, probe: probe('reset'), routes: null }).verdict).toBe(
      'It is the non-SNI problem: clients without SNI are reset (seen in the probe); the fix is not in place (the probe without SNI is reset).',
    );
    expect(conclude({ capture: null, logs: null, probe: null, routes: null }).fixInPlace).toBeNull();
  });
});

describe('checklist', () => {
  it('marks what is there, partial or missing, with how to get it', () => {
    const items = checklist({ capture: null, logs, probe: null, routes: null, clients: crossLink(null, logs), inputs: [{ kind: 'capture', source: 'x.pcap', copy: null, redacted: 0, bytes: null, error: 'ENOENT' }] });
    expect(items.map((i) => [i.id, i.status])).toEqual([
      ['capture', 'missing'],
      ['logs', 'present'],
      ['probe', 'missing'],
      ['routes', 'missing'],
      ['overrides', 'missing'],
      ['clients', 'missing'],
    ]);
    expect(items[0].detail).toContain('could not read x.pcap');
    expect(items[3].detail).toContain('kubectl -n apigee get apigeeroutes -o yaml');
  });
});
