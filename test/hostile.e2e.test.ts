import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodePcap } from '../src/capture/testing/encode.js';
import type { Report } from '../src/report/model.js';
import { alpnExtension, clientHelloRecord, serverNameExtension } from '../src/tls/testing/encode.js';
import { handshakeFrames } from './helpers/capture-file.js';
import { analyze } from './helpers/run.js';

/**
 * Host names and ALPN values are bytes from the capture: whatever they hold must not move the
 * cursor, recolour or retitle the terminal, ring the bell, break lines, reorder text or inject
 * Markdown or HTML, and JSON must keep them exactly.
 */
const PIECES = {
  csi: '\x1b[31m',
  clear: '\x1b[2J',
  osc: '\x1b]0;owned\x07',
  c1: '\u009b31m',
  bel: '\x07',
  crlf: '\r\n',
  nul: '\x00',
  rlo: '\u202e',
  isolate: '\u2066',
  markdown: '*b* _i_ `c` [l](http://x) | # ',
  html: '<img src=x onerror=alert(1)>&"\'',
};
const HOSTILE = `evil${Object.values(PIECES).join('')}.example`;
const HOSTILE_ALPN = ['h2\x1b[1m\x07', '\u202eslo/1.1\r\n<b>'];

/** Control characters, C1 controls and bidi controls that must never appear raw in a report for people. */
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function capture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sni-pcap-hostile-'));
  const path = join(dir, 'hostile.pcap');
  const frames = [
    // SNI sent and reset: the finding quotes the server_name.
    ...handshakeFrames({
      client: '192.0.2.7',
      clientPort: 50000,
      server: '192.0.2.100',
      reset: true,
      hello: clientHelloRecord({
        random: Buffer.alloc(32, 7),
        cipherSuites: [0x1301],
        extensions: [serverNameExtension([{ name: Buffer.from(HOSTILE, 'utf8') }]), alpnExtension(HOSTILE_ALPN.map((p) => Buffer.from(p, 'utf8')))],
      }),
    }),
    // No SNI, reset: the runbook's symptom, with the hostile ALPN values.
    ...handshakeFrames({
      client: '192.0.2.8',
      clientPort: 50001,
      server: '192.0.2.100',
      reset: true,
      hello: clientHelloRecord({ random: Buffer.alloc(32, 8), cipherSuites: [0x1301], extensions: [alpnExtension(HOSTILE_ALPN.map((p) => Buffer.from(p, 'utf8')))] }),
    }),
  ];
  writeFileSync(path, encodePcap(frames.map((data, i) => ({ seconds: 1_700_000_000, fraction: i * 1000, data }))));
  return path;
}

describe('hostile server_name and ALPN values', () => {
  const path = capture();

  it('are exact in JSON', async () => {
    const r = await analyze({ captures: [path], format: 'json' });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    const withSni = report.connections.find((c) => c.client.ip === '192.0.2.7');
    expect(withSni?.clientHello?.sni).toBe(HOSTILE);
    expect(withSni?.clientHello?.sniHex).toBe(Buffer.from(HOSTILE, 'utf8').toString('hex'));
    expect(withSni?.clientHello?.alpn).toEqual(HOSTILE_ALPN);
    expect(withSni?.category).toBe('sni-reset');
    expect(report.connections.find((c) => c.client.ip === '192.0.2.8')?.clientHello?.alpn).toEqual(HOSTILE_ALPN);
    expect(r.stderr).toBe('');
  });

  it('are escaped visibly in the table', async () => {
    const r = await analyze({ captures: [path], format: 'table' });
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stdout).toContain('evil\\x1b[31m\\x1b[2J\\x1b]0;owned\\x07\\x9b31m\\x07\\r\\n\\x00\\u{202e}\\u{2066}');
    expect(r.stdout).toContain('<img src=x onerror=alert(1)>');
  });

  it('are escaped visibly in Markdown, with no Markdown or HTML let through', async () => {
    const r = await analyze({ captures: [path], format: 'markdown' });
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(RAW);
    // Markup from the capture appears only inside code spans, where Markdown shows it as text.
    expect(r.stdout.replace(/`[^`\n]*`/g, '')).not.toMatch(/<img|<b>/);
    expect(r.stdout).toContain('`evil\\x1b[31m');
    expect(r.stdout).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(r.stdout).toContain('\\x1b[31m');
    expect(r.stdout).toContain('\\u{202e}');
    expect(r.stdout).toContain('\\r\\n');
    // Every table row keeps its cell count: no stray | from the capture.
    for (const line of r.stdout.split('\n').filter((l) => l.startsWith('|'))) {
      const cells = line.replace(/\\\|/g, '').split('|').length;
      expect(cells, line).toBe(r.stdout.split('\n').find((l) => l.startsWith('|'))?.replace(/\\\|/g, '').split('|').length);
    }
  });

  it('are escaped in HTML', async () => {
    const r = await analyze({ captures: [path], format: 'html' });
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stdout).not.toMatch(/<img|<b>/);
  });

  it('in a file name or a reason, are escaped on stderr too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sni-pcap-hostile-'));
    const name = join(dir, 'bad\x1b[2Jname\u202e.pcap');
    writeFileSync(name, 'not a capture at all');
    const r = await analyze({ captures: [name], format: 'json' });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(RAW);
    expect(r.stderr).toContain('bad\\x1b[2Jname\\u{202e}.pcap');
  });
});
