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

/** The pieces for `report`, its connections given one at a time as an on-demand iterable. */
function piecesOf(report: Report): string[] {
  const connections = report.connections;
  function* onDemand(): Generator<ConnectionJson> {
    for (const c of connections) yield structuredClone(c);
  }
  // reportJsonPieces reads the connections from the iterable only.
  return [...reportJsonPieces({ ...report, connections: [] }, onDemand())];
}

/** The lines of the top-level connections list in `text`, between its `[` and `]` lines. */
function connectionLines(text: string): string[] {
  const lines = text.split('\n');
  const open = lines.indexOf('  "connections": [');
  const close = lines.findIndex((line, i) => i > open && (line === '  ]' || line === '  ],'));
  expect(open).toBeGreaterThan(0);
  expect(close).toBeGreaterThan(open);
  return lines.slice(open + 1, close);
}

describe('reportJsonPieces', () => {
  it.each([0, 1, 2, 256, 257, 1000])('%i connections: the same value as the indented report, each connection on one line', (n) => {
    const report = reportOfSize(n);
    expect(report.connections).toHaveLength(n);
    const text = piecesOf(report).join('');
    expect(JSON.parse(text)).toEqual(report);
    expect(text.endsWith('}\n')).toBe(true);
    // Everything but the connections keeps the 2-space indented layout.
    const withoutConnections = n === 0 ? text : text.replace(/\n {2}"connections": \[\n[^]*?\n {2}\]/, '\n  "connections": []');
    expect(withoutConnections).toBe(JSON.stringify({ ...report, connections: [] }, null, 2) + '\n');
    if (n === 0) {
      expect(text).toMatch(/\n {2}"connections": \[\],?\n/);
      return;
    }
    const lines = connectionLines(text);
    expect(lines).toHaveLength(n);
    lines.forEach((line, i) => {
      expect(line).toBe(`    ${JSON.stringify(report.connections[i])}${i < n - 1 ? ',' : ''}`);
      expect(JSON.parse(line.replace(/,$/, ''))).toEqual(report.connections[i]);
    });
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
    const lines = connectionLines(text);
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
    const pieces = reportJsonPieces({ ...report, connections: [] }, counted());
    expect(pieces.next().value).toBe(JSON.stringify({ ...report, connections: [] }, null, 2).split('\n  "connections": []')[0]);
    expect(made).toBe(0);
    pieces.next(); // the list's opening
    pieces.next(); // the first piece of connections
    expect(made).toBeGreaterThan(1);
    expect(made).toBeLessThan(1000);
  });
});
