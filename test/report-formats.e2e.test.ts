import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../src/report/model.js';
import { handshakeCapture } from './helpers/handshake-capture.js';
import { cli } from './helpers/run.js';

const SAMPLES = join(resolve(__dirname, '..'), 'samples');
const NON_SNI = join(SAMPLES, 'non-sni-reset.pcap');
const CLIENTS = /127\.0\.0\.2[1-5](?!\d)/;

function random(seed: number): Buffer {
  return Buffer.from(Array.from({ length: 32 }, (_, i) => (seed * 13 + i * 17) & 0xff));
}

describe('analyze --format html', () => {
  it('writes the HTML report to stdout without -o, and to the file with -o', async () => {
    const r = await cli(['analyze', NON_SNI, '--format', 'html']);
    expect(r.code).toBe(1);
    expect(r.stdout.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(r.stdout).toContain('3 clients send ClientHellos without server_name and the ingress resets them.');
    expect(r.stdout).not.toMatch(/https?:\/\/|<script|<link|\bsrc=|\bhref=/i);
    const dir = mkdtempSync(join(tmpdir(), 'sni-pcap-html-'));
    const file = join(dir, 'report.html');
    const o = await cli(['analyze', NON_SNI, '--format', 'html', '-o', file]);
    expect(o.code).toBe(1);
    expect(o.stdout).toBe('');
    expect(readFileSync(file, 'utf8')).toBe(r.stdout);
  });

  it('keeps a hostile server_name from the capture as text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sni-pcap-hostile-'));
    const file = join(dir, 'hostile.pcap');
    const sni = Buffer.from('<img src=x onerror=alert(1)>.\x1b[2J\u202eexample', 'utf8');
    writeFileSync(file, handshakeCapture([{ client: '192.0.2.7', clientPort: 50000, server: '192.0.2.100', serverPort: 443, sni, random: random(1), reset: true, start: 1_700_000_000 }]));
    const r = await cli(['analyze', file, '--format', 'html']);
    expect(r.code).toBe(0); // a client with SNI that is reset is not the runbook's problem
    expect(r.stdout).not.toMatch(/<img/i);
    expect(r.stdout).toContain('&#60;img src=x onerror=alert(1)&#62;.\\x1b[2J\\u{202e}example');
    expect(r.stdout).not.toMatch(/[\u001b\u202e]/);
  });
});

describe('analyze --redact and --redact-sni', () => {
  it('pseudonymise client addresses in every format and keep the ingress address', async () => {
    for (const format of ['json', 'table', 'markdown', 'html']) {
      const r = await cli(['analyze', NON_SNI, '--format', format, '--redact']);
      expect(r.code, format).toBe(1);
      expect(r.stdout, format).not.toMatch(CLIENTS);
      expect(r.stdout, format).toMatch(/client-[0-9a-f]{8}/);
      expect(r.stdout, format).toContain('127.0.0.10');
      expect(r.stdout, format).toMatch(/redacted/i);
    }
    const json = JSON.parse((await cli(['analyze', NON_SNI, '--format', 'json', '--redact'])).stdout) as Report;
    expect(json.redacted).toEqual({ clients: true, sni: false });
    expect(json.connections.map((c) => c.clientHello?.sni).filter((s) => s !== null)).toEqual(['api.example.com', 'shop.apps.example.com']);
    // 127.0.0.21 made two connections: one pseudonym for both.
    const reset = json.connections.filter((c) => c.category === 'non-sni-reset').map((c) => c.client.ip);
    expect(new Set(reset).size).toBe(3);
    expect(json.clients.find((c) => c.connections === 2)?.ip).toBe(json.connections[0].client.ip);
  });

  it('hide host names with --redact-sni, which implies --redact', async () => {
    for (const format of ['json', 'table', 'markdown', 'html']) {
      const r = await cli(['analyze', NON_SNI, '--format', format, '--redact-sni']);
      expect(r.stdout, format).not.toMatch(CLIENTS);
      expect(r.stdout, format).not.toMatch(/api\.example\.com|shop\.apps\.example\.com/);
      expect(r.stdout, format).toMatch(/redacted/i);
    }
    const json = JSON.parse((await cli(['analyze', NON_SNI, '--format', 'json', '--redact-sni'])).stdout) as Report;
    expect(json.redacted).toEqual({ clients: true, sni: true });
    expect(json.connections.filter((c) => c.clientHello?.sniStatus === 'present').map((c) => c.clientHello?.sni)).toEqual([
      expect.stringMatching(/^host-[0-9a-f]{8}$/),
      expect.stringMatching(/^host-[0-9a-f]{8}$/),
    ]);
  });

  it('use a fresh key on every run', async () => {
    const a = JSON.parse((await cli(['analyze', NON_SNI, '--format', 'json', '--redact'])).stdout) as Report;
    const b = JSON.parse((await cli(['analyze', NON_SNI, '--format', 'json', '--redact'])).stdout) as Report;
    expect(a.clients.map((c) => c.ip)).not.toEqual(b.clients.map((c) => c.ip));
  });
});

describe('the JSON report for the ladder', () => {
  it('has packet times, the handshake ACK and the RST sender, still as schema version 1', async () => {
    const r = JSON.parse((await cli(['analyze', NON_SNI, '--format', 'json'])).stdout) as Report;
    expect(r.schemaVersion).toBe(1);
    expect(r.redacted).toEqual({ clients: false, sni: false });
    expect(r.summary.linkedCopies).toBe(0);
    const c = r.connections[0];
    expect(c).toMatchObject({ firstFrame: 1, syn: { frame: 1 }, synAck: { frame: 2 }, handshakeAck: { frame: 3 }, clientHello: { frame: 4 }, serverReset: { frame: 6, capture: 0, from: c.server, translated: null }, aliases: [] });
    for (const t of [c.firstTime, c.syn?.time, c.synAck?.time, c.handshakeAck?.time, c.clientHello?.time, c.serverReset?.time]) expect(t).toBeGreaterThan(1.7e9);
    expect(c.firstTime).toBeLessThanOrEqual(c.serverReset?.time ?? 0);
  });
});
