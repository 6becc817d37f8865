import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, analyzeJson, cli } from './helpers/run.js';

const ROOT = resolve(__dirname, '..');
const SAMPLES = join(ROOT, 'samples');
const BIN = join(ROOT, 'bin/sni-pcap.js');

interface SampleFacts {
  format: string;
  linkTypes: number[];
  packets: number;
  clientHellos: { frame: number; clientIp: string; clientPort: number; serverIp: string; sni: string | null; sniStatus: string }[];
  resets: { frame: number; fromIp: string; fromPort: number; toIp: string; toPort: number; by: 'server' | 'client' }[];
}

const expected = JSON.parse(readFileSync(join(SAMPLES, 'expected.json'), 'utf8')) as { samples: Record<string, SampleFacts> };

describe('analyze on the sample captures, against tshark', () => {
  for (const [name, facts] of Object.entries(expected.samples)) {
    it(name, async () => {
      const report = await analyzeJson([join(SAMPLES, name)]);
      const capture = report.captures[0];
      expect(capture.format).toBe(facts.format);
      expect(capture.linkTypes.map((l) => l.type)).toEqual(facts.linkTypes);
      expect(capture.packets).toBe(facts.packets);
      const hellos = report.connections.filter((c) => c.clientHello !== null);
      expect(hellos).toHaveLength(facts.clientHellos.length);
      for (const want of facts.clientHellos) {
        const got = hellos.find((c) => c.client.port === want.clientPort && c.client.ip === want.clientIp);
        expect(got, `ClientHello from ${want.clientIp}:${want.clientPort}`).toBeDefined();
        if (got?.clientHello == null) continue;
        expect(got.server.ip).toBe(want.serverIp);
        expect(got.clientHello.sniStatus).toBe(want.sniStatus);
        expect(got.clientHello.sni).toBe(want.sni);
        if (want.sniStatus !== 'unknown') expect(got.clientHello.frame).toBe(want.frame);
        // The ingress's reset of this connection, if any, is the first RST it sent.
        const reset = facts.resets.find((r) => r.by === 'server' && r.toPort === want.clientPort && r.toIp === want.clientIp);
        expect(got.serverReset?.frame ?? null).toBe(reset?.frame ?? null);
        const expectedCategory =
          want.sniStatus === 'unknown' ? 'unknown' : `${want.sni === null ? 'non-sni' : 'sni'}-${reset !== undefined ? 'reset' : 'ok'}`;
        expect(got.category).toBe(expectedCategory);
        if (reset !== undefined) expect(got.serverReset?.afterClientHelloMs).toBeGreaterThan(0);
      }
      const problem = facts.clientHellos.some((h) => h.sni === null && h.sniStatus !== 'unknown' && facts.resets.some((r) => r.by === 'server' && r.toPort === h.clientPort));
      expect(report.summary.problemFound).toBe(problem);
    });
  }

  it('names the clients without SNI that the ingress resets, and exits 1', async () => {
    const r = await analyze({ captures: [join(SAMPLES, 'non-sni-reset.pcap')], ingress: ['127.0.0.10'], format: 'json' });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.ingress).toEqual({ addresses: ['127.0.0.10'], source: 'given' });
    const verdicts = Object.fromEntries(report.clients.map((c: { ip: string; verdict: string }) => [c.ip, c.verdict]));
    expect(verdicts).toEqual({
      '127.0.0.21': 'non-sni-reset',
      '127.0.0.22': 'sni-ok',
      '127.0.0.23': 'non-sni-reset',
      '127.0.0.24': 'non-sni-reset',
      '127.0.0.25': 'sni-ok',
    });
  });

  it('exits 0 when every client sends SNI or is served', async () => {
    expect((await analyze({ captures: [join(SAMPLES, 'sni-ok.pcap')] })).code).toBe(0);
    const wildcard = await analyzeJson([join(SAMPLES, 'wildcard-ok.pcap')]);
    expect(wildcard.summary.problemFound).toBe(false);
    expect(wildcard.clients.filter((c) => c.verdict === 'non-sni-ok')).toHaveLength(3);
  });

  it('scopes the report to the given ingress, with CIDR ranges and IPv6', async () => {
    const v6 = await analyzeJson([join(SAMPLES, 'mixed.pcapng')], ['::1/128']);
    expect(v6.connections.every((c) => c.server.ip === '::1')).toBe(true);
    expect(v6.connections).toHaveLength(3);
    const v4 = await analyzeJson([join(SAMPLES, 'mixed.pcapng')], ['127.0.0.0/24']);
    expect(v4.connections.map((c) => c.client.ip).sort()).toEqual(['127.0.0.41', '127.0.0.42']);
  });

  it('warns to capture again with -s 0 when the snap length hides the SNI', async () => {
    const r = await analyze({ captures: [join(SAMPLES, 'snaplen-cut.pcap')], format: 'table' });
    expect(r.stdout).toMatch(/capture again with tcpdump -s 0/);
    const report = await analyzeJson([join(SAMPLES, 'snaplen-cut.pcap')]);
    expect(report.connections.filter((c) => c.category === 'unknown').length).toBeGreaterThan(0);
  });

  it('renders the Wireshark walkthrough in table and Markdown output', async () => {
    for (const format of ['table', 'markdown'] as const) {
      const r = await analyze({ captures: [join(SAMPLES, 'non-sni-reset.pcap')], format });
      const text = format === 'markdown' ? r.stdout.replace(/\\(.)/g, '$1') : r.stdout;
      expect(text).toMatch(/frame 4: Client Hello, TLS 1\.3, no Extension: server_name/);
      expect(text).toMatch(/frame 6: RST from ingress 127\.0\.0\.10 [\d.]+ ms later, no ServerHello/);
      expect(r.stdout).toContain('tls.handshake.type == 1 && !tls.handshake.extensions_server_name');
      expect(r.stdout).toContain('-noservername');
      expect(r.stdout).toContain('enableNonSniClient');
      expect(r.stdout).toContain('additionalGateways');
    }
  });
});

describe('the sni-pcap command', () => {
  it('reads a capture from stdin, gzip-compressed or not', () => {
    const raw = readFileSync(join(SAMPLES, 'non-sni-reset.pcap'));
    for (const input of [raw, gzipSync(raw)]) {
      const r = spawnSync('node', [BIN, 'analyze', '-', '--format', 'json'], { input });
      expect(r.status).toBe(1);
      const report = JSON.parse(r.stdout.toString());
      expect(report.captures[0].file).toBe('(stdin)');
      expect(report.summary.nonSniReset).toBe(4);
    }
  });

  it('gives the same report for each sample gzip-compressed as a file (decompressed on a worker thread)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sni-pcap-gz-'));
    for (const name of Object.keys(expected.samples)) {
      const gz = join(dir, `${name}.gz`);
      writeFileSync(gz, gzipSync(readFileSync(join(SAMPLES, name))));
      const [plain, compressed] = [join(SAMPLES, name), gz].map((f) => spawnSync('node', [BIN, 'analyze', f, '--format', 'json']));
      expect(compressed.status, name).toBe(plain.status);
      const [a, b] = [plain, compressed].map((r) => JSON.parse(r.stdout.toString()));
      expect(b.captures[0].gzip, name).toBe(true);
      for (const r of [a, b]) r.captures[0] = { ...r.captures[0], file: '', gzip: null };
      expect(b, name).toEqual(a);
    }
    // A named pipe cannot be read again from its start: it is decompressed as it is read.
    const name = 'non-sni-reset.pcap';
    const fifo = join(dir, 'capture.fifo');
    execFileSync('mkfifo', [fifo]);
    const piped = spawnSync('bash', ['-c', 'gzip -c "$1" > "$2" & exec node "$3" analyze "$2" --format json', 'sh', join(SAMPLES, name), fifo, BIN]);
    expect(piped.stderr.toString()).toBe('');
    const report = JSON.parse(piped.stdout.toString());
    expect(report.captures[0].gzip).toBe(true);
    expect(report.summary.nonSniReset).toBe(4);
  });

  it('prints no colour when stdout is not a terminal, and honours -o', () => {
    const out = execFileSync('node', [BIN, 'analyze', join(SAMPLES, 'sni-ok.pcap')]).toString();
    expect(out).not.toContain('\x1b[');
    expect(out).toContain('sni-ok');
  });

  it('says why it cannot run, with exit 2 and no stack trace', async () => {
    const missing = await cli(['analyze', join(SAMPLES, 'no-such-file.pcap')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no-such-file\.pcap/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    const notCapture = await cli(['analyze', join(SAMPLES, 'README.md')]);
    expect(notCapture.code).toBe(2);
    expect(notCapture.stderr).toMatch(/not a pcap or pcapng file/);
    const badIngress = await cli(['analyze', join(SAMPLES, 'sni-ok.pcap'), '--ingress', '10.0.0.300']);
    expect(badIngress.code).toBe(2);
    expect(badIngress.stderr).toMatch(/--ingress/);
    const badFormat = await cli(['analyze', join(SAMPLES, 'sni-ok.pcap'), '--format', 'xml']);
    expect(badFormat.code).toBe(2);
  });

  it('--max-listed N lists at most N connections and counts the rest in the same verdicts and summary', async () => {
    const sample = join(SAMPLES, 'non-sni-reset.pcap');
    const all = await cli(['analyze', sample, '--format', 'json']);
    const few = await cli(['analyze', sample, '--format', 'json', '--max-listed', '2']);
    expect(few.code).toBe(all.code);
    const [a, f] = [JSON.parse(all.stdout), JSON.parse(few.stdout)];
    expect(a.connections).toHaveLength(6);
    // Two of the same connections, those that show the problem before those that went well.
    expect(f.connections).toHaveLength(2);
    for (const c of f.connections) expect(a.connections).toContainEqual(c);
    expect(f.connections.map((c: { category: string }) => c.category)).toEqual(['non-sni-reset', 'non-sni-reset']);
    expect(f.summary).toEqual({ ...a.summary, foldedConnections: 4 });
    expect(f.clients).toEqual(a.clients);
    expect(f.captures[0].warnings.join('\n')).toMatch(/4 connections are counted in the client verdicts but not listed/);
    for (const bad of ['0', '-1', '1.5', 'many']) {
      const r = await cli(['analyze', sample, '--max-listed', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--max-listed/);
    }
  });

  it('has --version and --help with examples', async () => {
    const version = await cli(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await cli(['analyze', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('--ingress');
  });
});
