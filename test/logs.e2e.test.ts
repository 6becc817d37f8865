import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { runLogs } from '../src/cli/logs.js';
import type { LogsReport } from '../src/logs/report.js';
import { analyzeJson, cli, Sink } from './helpers/run.js';

const SAMPLES = resolve(__dirname, '..', 'samples');
const TMP = mkdtempSync(join(tmpdir(), 'sni-pcap-logs-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

function entry(over: Record<string, unknown>): string {
  return JSON.stringify({
    start_time: '2026-11-27T10:00:00.000Z',
    remote_address: '10.0.0.1:40000',
    local_address: '10.0.0.5:443',
    sni_host: null,
    status_details: 'filter_chain_not_found',
    upstream_response_flags: 'NR',
    status: 0,
    request: null,
    bytes_received: 0,
    bytes_sent: 0,
    x_forwarded_for: null,
    duration: 3,
    ...over,
  });
}

function file(name: string, content: string | Buffer): string {
  const p = join(TMP, name);
  writeFileSync(p, content);
  return p;
}

async function json(args: string[], stdin?: NodeJS.ReadableStream): Promise<{ code: number; report: LogsReport; stderr: string }> {
  const r = await cli(['logs', ...args, '--format', 'json'], stdin);
  return { code: r.code, report: JSON.parse(r.stdout) as LogsReport, stderr: r.stderr };
}

describe('sni-pcap logs on the samples', () => {
  it('finds the clients refused without SNI, with the verdicts analyze gives the capture of the same run', async () => {
    const { code, report } = await json([join(SAMPLES, 'ingress-logs.jsonl')]);
    expect(code).toBe(1);
    expect(report.summary).toMatchObject({ problemFound: true, entries: 6, nonSniRefused: 4, unknownSniRefused: 0, clients: 5, nonSniResetClients: 3 });
    expect(report.sources[0]).toMatchObject({ lines: 9, entries: 6, skipped: { notJson: 3, invalidJson: 0, notAccessLog: 0, tooLong: 0 } });
    const capture = await analyzeJson([join(SAMPLES, 'non-sni-reset.pcap')], ['127.0.0.10']);
    const fromLogs = report.clients.map((c) => [c.ip, c.verdict, c.connections, c.withSni, c.withoutSni, c.resetByIngress, c.completed]);
    const fromCapture = capture.clients.map((c) => [c.ip, c.verdict, c.connections, c.withSni, c.withoutSni, c.resetByIngress, c.completed]);
    expect(fromLogs).toEqual(fromCapture);
    expect(report.clients[0]).toMatchObject({
      ip: '127.0.0.21',
      firstTime: '2026-11-27T14:46:03.265Z',
      lastTime: '2026-11-27T14:46:07.171Z',
      example: { line: 3, category: 'non-sni-reset' },
    });
  });

  it('reads kubectl logs --prefix --timestamps output of two pods', async () => {
    const prefixed = await json([join(SAMPLES, 'ingress-access-prefixed.log')]);
    const plain = await json([join(SAMPLES, 'ingress-access.log')]);
    expect(prefixed.code).toBe(1);
    const lines = readFileSync(join(SAMPLES, 'ingress-access-prefixed.log'), 'utf8').trimEnd().split('\n');
    const jsonLines = lines.filter((l) => l.includes('{"start_time"')).length;
    expect(prefixed.report.sources[0]).toMatchObject({ lines: lines.length, entries: jsonLines, kubectlPrefixes: lines.length, kubectlTimestamps: lines.length });
    expect(prefixed.report.sources[0].skipped.notJson).toBe(lines.length - jsonLines);
    // Pod A's log alone is the plain sample: the prefixed file has the same entries and more.
    expect(prefixed.report.summary.entries).toBeGreaterThan(plain.report.summary.entries);
    const v = (r: LogsReport) => Object.fromEntries(r.clients.map((c) => [c.ip, c.verdict]));
    expect(v(plain.report)).toMatchObject({
      '127.0.0.41': 'non-sni-reset',
      '127.0.0.42': 'non-sni-reset',
      '127.0.0.43': 'non-sni-reset',
      '127.0.0.99': 'non-sni-reset',
      '127.0.0.51': 'sni-reset',
      '127.0.0.52': 'sni-reset',
      '127.0.0.61': 'mixed',
      '127.0.0.21': 'sni-ok',
      '198.51.100.23': 'sni-ok',
    });
    expect(v(prefixed.report)['127.0.0.44']).toBe('non-sni-reset');
    expect(plain.report.clients.find((c) => c.ip === '198.51.100.23')?.viaForwardedFor).toBe(2);
    expect(plain.report.clients.find((c) => c.ip === '127.0.0.51')?.refusedHosts).toEqual(['old.example.net']);
  });

  it('prints a table and Markdown, and exits 1', async () => {
    const table = await cli(['logs', join(SAMPLES, 'ingress-logs.jsonl')]);
    expect(table.code).toBe(1);
    expect(table.stdout).toContain('PROBLEM: 3 clients send no SNI and the ingress refuses them');
    expect(table.stdout).toMatch(/│ 127\.0\.0\.21\s+│ non-sni-reset │ 2\s+│/);
    expect(table.stdout).toContain('e.g. ');
    expect(table.stdout).not.toContain('\x1b[');
    const md = await cli(['logs', join(SAMPLES, 'ingress-logs.jsonl'), '-f', 'markdown']);
    expect(md.code).toBe(1);
    expect(md.stdout).toContain('| `127.0.0.21` | non-sni-reset | 2 | 0 | 2 | 2 | 0 |');
  });
});

describe('sni-pcap logs inputs', () => {
  it('reads stdin (default and -), gzip, and several files into one report', async () => {
    const text = [entry({}), 'not json', entry({ remote_address: '10.0.0.2:1', sni_host: 'api.example.com', status_details: 'via_upstream', status: 200 })].join('\n') + '\n';
    const viaDefault = await json([], Readable.from([text]));
    expect(viaDefault.report.sources[0]).toMatchObject({ file: '(stdin)', entries: 2 });
    const viaDash = await json(['-'], Readable.from([text]));
    expect(viaDash.report.summary.entries).toBe(2);
    // gzip on stdin too, its magic split between the first two chunks of the pipe.
    const packed = gzipSync(text);
    const viaGzip = await json(['-'], Readable.from([packed.subarray(0, 1), packed.subarray(1, 40), packed.subarray(40)]));
    expect(viaGzip.report.sources[0]).toMatchObject({ file: '(stdin)', gzip: true, entries: 2 });
    const damaged = await json([], Readable.from([packed.subarray(0, packed.length - 12)]));
    expect(damaged.report.sources[0].error).toContain('unexpected end of file');
    const gz = file('a.log.gz', gzipSync(text));
    const two = await json([gz, file('b.log', entry({ remote_address: '10.0.0.3:2' }) + '\n')]);
    expect(two.report.sources.map((s) => [s.gzip, s.entries])).toEqual([
      [true, 2],
      [false, 1],
    ]);
    expect(two.report.clients.map((c) => c.ip)).toEqual(['10.0.0.1', '10.0.0.3', '10.0.0.2']);
    expect(two.code).toBe(1);
  });

  it('exits 0 when nothing is refused without SNI, even with unknown host names refused', async () => {
    const f = file('ok.log', [entry({ sni_host: 'api.example.com', status_details: 'via_upstream', status: 200 }), entry({ sni_host: 'old.example.net' })].join('\n'));
    const r = await json([f]);
    expect(r.code).toBe(0);
    expect(r.report.summary).toMatchObject({ problemFound: false, unknownSniRefused: 1 });
    expect(r.report.summary.verdict).toContain('refused although they send SNI');
  });

  it('exits 2 for a file that cannot be read, and still reports the others', async () => {
    const r = await cli(['logs', join(TMP, 'missing.log'), join(SAMPLES, 'ingress-logs.jsonl'), '-f', 'json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing.log');
    expect((JSON.parse(r.stdout) as LogsReport).summary.entries).toBe(6);
    const none = await cli(['logs', join(TMP, 'missing.log')]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect((await cli(['logs', '-', '-'])).code).toBe(2);
  });

  it('skips and counts over-long, invalid and foreign JSON lines', async () => {
    const f = file('mixed.log', ['{"start_time": broken', JSON.stringify({ level: 'info', msg: 'x' }), `{"remote_address":"10.0.0.9:1","pad":"${'x'.repeat(2000)}"}`, entry({})].join('\n'));
    const stdout = new Sink();
    const code = await runLogs({ files: [f], format: 'json', output: null, color: false, maxLineLength: 1000 }, { stdout, stderr: new Sink(), stdin: new PassThrough() }, 't');
    const report = JSON.parse(stdout.text) as LogsReport;
    expect(code).toBe(1);
    expect(report.sources[0].skipped).toEqual({ notJson: 0, invalidJson: 1, notAccessLog: 1, tooLong: 1 });
    expect(report.summary.entries).toBe(1);
  });

  it('bounds the clients it tracks and says how many entries went to the totals only', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => entry({ remote_address: `10.0.${i}.1:1` })).join('\n');
    const stdout = new Sink();
    await runLogs({ files: [file('many.log', lines)], format: 'json', output: null, color: false, maxClients: 20 }, { stdout, stderr: new Sink(), stdin: new PassThrough() }, 't');
    const report = JSON.parse(stdout.text) as LogsReport;
    expect(report.clients).toHaveLength(20);
    expect(report.summary.overflow).toEqual({ maxClients: 20, entries: 30, categories: { 'non-sni-reset': 30 } });
    expect(report.summary.nonSniRefused).toBe(50);
  });

  it('streams a large log in bounded memory', async () => {
    // 400,000 entries (about 130 MB) from 1,000 clients, generated on the fly.
    const n = 400_000;
    let i = 0;
    const source = new Readable({
      read() {
        const batch: string[] = [];
        for (let k = 0; k < 2000 && i < n; k++, i++) batch.push(entry({ remote_address: `10.0.${Math.floor((i % 1000) / 250)}.${(i % 1000) % 250}:${i % 60000}`, sni_host: i % 3 === 0 ? null : 'api.example.com', status_details: i % 3 === 0 ? 'filter_chain_not_found' : 'via_upstream' }));
        this.push(batch.length > 0 ? batch.join('\n') + '\n' : null);
      },
    });
    const before = process.memoryUsage().rss;
    const r = await json(['-'], source);
    expect(r.report.summary.entries).toBe(n);
    expect(r.report.summary.clients).toBe(1000);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });
});

describe('hostile strings from a log', () => {
  const HOSTILE = 'evil\x1b[31m\r\nFAKE LINE<script>alert(1)</script>|`x`';
  const f = () => file('hostile.log', [entry({ remote_address: `${HOSTILE}:1`, sni_host: HOSTILE }), entry({ remote_address: '10.0.0.7:2', sni_host: HOSTILE })].join('\n'));

  it('escapes them in the table and in Markdown, and keeps them exact in JSON', async () => {
    const path = f();
    const table = await cli(['logs', path]);
    expect(table.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(table.stdout).not.toContain('\nFAKE LINE');
    expect(table.stdout).toContain('evil\\x1b[31m\\r\\nFAKE LINE');
    const md = await cli(['logs', path, '-f', 'markdown']);
    expect(md.stdout).not.toContain('<script>');
    expect(md.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(md.stdout).not.toContain('\nFAKE LINE');
    const json = JSON.parse((await cli(['logs', path, '-f', 'json'])).stdout) as LogsReport;
    expect(json.clients.find((c) => c.ip === '10.0.0.7')?.refusedHosts).toEqual([HOSTILE]);
    // Not an address: kept as written (with what looks like its port), escaped where shown.
    expect(json.clients.some((c) => c.ip === `${HOSTILE}:1`)).toBe(true);
  });
});
