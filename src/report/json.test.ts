import { describe, expect, it } from 'vitest';
import { outcome } from '../outcome/testing/outcome.js';
import { reportJsonPieces } from './json.js';
import type { ConnectionJson, Report } from './model.js';
import { reportOf, withSni } from './testing/report.js';

/** A report of `n` connections, each client in two of them, every third one reset without SNI. */
function reportOfSize(n: number): Report {
  return reportOf(
    Array.from({ length: n }, (_, stream) =>
      stream % 3 === 0
        ? outcome({ client: `10.0.${stream >> 8}.${stream & 255}`, sni: 'absent', serverResetFrame: 6, stream })
        : withSni(`host-${stream}.example.com`, { client: `10.1.${(stream >> 1) >> 8}.${(stream >> 1) & 255}`, stream, reset: false }),
    ),
  );
}

/** Copies of `items`, one at a time, on demand. */
function* onDemand<T>(items: readonly T[]): Generator<T> {
  for (const item of items) yield structuredClone(item);
}

/** The pieces for `report`, its clients and connections given one at a time as on-demand iterables. */
function piecesOf(report: Report): string[] {
  // reportJsonPieces reads the lists from the iterables only.
  return [...reportJsonPieces({ ...report, clients: [], connections: [] }, { clients: onDemand(report.clients), connections: onDemand(report.connections) })];
}

/** The lines of the top-level list `name` in `text`, between its `[` and `]` lines. */
function listLines(text: string, name = 'connections'): string[] {
  const lines = text.split('\n');
  const open = lines.indexOf(`  "${name}": [`);
  const close = lines.findIndex((line, i) => i > open && (line === '  ]' || line === '  ],'));
  expect(open).toBeGreaterThan(0);
  expect(close).toBeGreaterThan(open);
  return lines.slice(open + 1, close);
}

describe('reportJsonPieces', () => {
  it.each([0, 1, 2, 256, 257, 1000])('%i connections: the same value as the indented report, each client and connection on one line', (n) => {
    const report = reportOfSize(n);
    expect(report.connections).toHaveLength(n);
    const text = piecesOf(report).join('');
    expect(JSON.parse(text)).toEqual(report);
    expect(text.endsWith('}\n')).toBe(true);
    // Everything but the two lists keeps the 2-space indented layout.
    const withoutLists = text.replace(/\n {2}"(clients|connections)": \[\n[^]*?\n {2}\]/g, '\n  "$1": []');
    expect(withoutLists).toBe(JSON.stringify({ ...report, clients: [], connections: [] }, null, 2) + '\n');
    if (n === 0) {
      expect(text).toMatch(/\n {2}"clients": \[\],\n/);
      expect(text).toMatch(/\n {2}"connections": \[\],?\n/);
      return;
    }
    for (const name of ['clients', 'connections'] as const) {
      const items: object[] = report[name];
      const lines = listLines(text, name);
      expect(lines).toHaveLength(items.length);
      lines.forEach((line, i) => {
        expect(line).toBe(`    ${JSON.stringify(items[i])}${i < items.length - 1 ? ',' : ''}`);
        expect(JSON.parse(line.replace(/,$/, ''))).toEqual(items[i]);
      });
    }
  });

  it('keeps a connection on one line when its strings hold a line break, U+2028 or U+2029', () => {
    const name = 'evil\nname\r\u2028line\u2029para.example.com';
    const report = reportOf([
      withSni(name, { client: '10.0.0.1', stream: 0, reset: true }),
      outcome({ client: '10.0.0.2', sni: 'absent', serverResetFrame: 6, stream: 1 }),
      withSni(name, { client: '10.0.0.3', stream: 2, reset: false }),
    ]);
    const text = piecesOf(report).join('');
    expect(JSON.parse(text)).toEqual(report);
    const lines = listLines(text);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('"sni":"evil\\nname\\r\u2028line\u2029para.example.com"');
    expect(lines[2]).toContain('\u2028');
    expect(JSON.parse(lines[0].replace(/,$/, '')).clientHello.sni).toBe(name);
  });

  it('joins many connections into each piece, every piece below the size V8 makes slowly (128 KiB)', () => {
    const report = reportOfSize(1000);
    const pieces = piecesOf(report);
    const connectionPieces = pieces.filter((p) => p.includes('"stream":'));
    expect(connectionPieces.length).toBeGreaterThan(1);
    expect(connectionPieces.length).toBeLessThan(1000 / 16);
    for (const piece of connectionPieces) expect(piece.length).toBeLessThan(64 * 1024);
  });

  it('turns each connection into text only when it gets there, a piece at a time', () => {
    const report = reportOfSize(1000);
    let made = 0;
    function* counted(): Generator<ConnectionJson> {
      for (const c of report.connections) {
        made++;
        yield c;
      }
    }
    const pieces = reportJsonPieces({ ...report, clients: [], connections: [] }, { clients: report.clients, connections: counted() });
    const skeleton = JSON.stringify({ ...report, clients: [], connections: [] }, null, 2);
    expect(pieces.next().value).toBe(skeleton.split('\n  "clients": []')[0]);
    // Up to the opening of the connections list, only the first connection was made (to see the list is not empty).
    for (let piece = pieces.next(); piece.value !== '\n  "connections": [\n    '; piece = pieces.next()) {
      expect(piece.done).toBe(false);
      expect(made).toBe(0);
    }
    expect(made).toBe(1);
    pieces.next(); // the first piece of connections
    expect(made).toBeGreaterThan(1);
    expect(made).toBeLessThan(1000);
  });
});
