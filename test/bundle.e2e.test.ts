import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BundleReport } from '../src/bundle/model.js';
import { cli } from './helpers/run.js';
import { type Ingress, startIngress } from './ingress/test-ingress.mjs';

const SAMPLES = resolve(__dirname, '..', 'samples');
const S = (name: string) => join(SAMPLES, name);
const TMP = mkdtempSync(join(tmpdir(), 'sni-pcap-bundle-'));
let strict: Ingress;
beforeAll(async () => {
  strict = await startIngress({ listen: ['127.0.0.1:0'], hosts: ['api.example.com'] });
});
afterAll(async () => {
  await strict.close();
  rmSync(TMP, { recursive: true, force: true });
});

let n = 0;
const outDir = () => join(TMP, `case-${++n}`);
const read = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8');

describe('sni-pcap bundle', () => {
  it('runs everything it is given and writes one cross-linked folder', async () => {
    const out = outDir();
    const r = await cli([
      'bundle',
      '--out', out,
      '--capture', S('non-sni-reset.pcap'),
      '--logs', S('ingress-logs.jsonl'), S('ingress-access.log'),
      '--routes', S('apigeeroutes-missing.yaml'),
      '--overrides', S('overrides.yaml'),
      '--probe', `api.example.com:${strict.addresses[0].port}`,
      '--probe-connect', '127.0.0.1',
      '--ingress', '127.0.0.10',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('It is the non-SNI problem: clients without SNI are reset (seen in the capture, the logs, the probe); the fix is not in place (6 of 6 routes checks fail).');
    expect(readdirSync(out).sort()).toEqual(['capture.html', 'checklist.md', 'inputs', 'report.html', 'report.json', 'report.md']);
    expect(readdirSync(join(out, 'inputs')).sort()).toEqual([
      'capture-1-non-sni-reset.pcap',
      'logs-1-ingress-logs.jsonl',
      'logs-2-ingress-access.log',
      'overrides-overrides.redacted.yaml',
      'routes-1-apigeeroutes-missing.yaml',
    ]);
    expect(readFileSync(join(out, 'inputs', 'capture-1-non-sni-reset.pcap')).equals(readFileSync(S('non-sni-reset.pcap')))).toBe(true);

    const report = JSON.parse(read(out, 'report.json')) as BundleReport;
    expect(report.summary).toMatchObject({ problemFound: true, seenIn: ['capture', 'logs', 'probe', 'routes'], fixInPlace: false });
    expect(report.checklist.map((c) => [c.id, c.status])).toEqual([
      ['capture', 'present'],
      ['logs', 'present'],
      ['probe', 'present'],
      ['routes', 'present'],
      ['overrides', 'present'],
      ['clients', 'present'],
    ]);
    // The clients of the capture are all in the logs of the same run.
    const both = report.clients.filter((c) => c.inBoth).map((c) => c.ip);
    expect(both.sort()).toEqual(['127.0.0.21', '127.0.0.22', '127.0.0.23', '127.0.0.24', '127.0.0.25']);
    expect(report.clients.find((c) => c.ip === '127.0.0.99')).toMatchObject({ inBoth: false, capture: null, logs: { verdict: 'non-sni-reset' } });
    expect(report.capture?.summary.problemFound).toBe(true);
    expect(report.logs?.sources).toHaveLength(2);
    expect(report.probe?.summary.conclusion).toBe('reset');
    expect(report.routes?.summary.failed).toBe(6);
    expect(report.inputs.find((i) => i.kind === 'overrides')).toMatchObject({ redacted: 8, error: null });

    const html = read(out, 'report.html');
    expect(html).toContain('<tr id="capture-127-0-0-21">');
    expect(html).toContain('<tr id="logs-127-0-0-21">');
    expect(html).toContain('<a href="#logs-127-0-0-21">also in the access logs</a>');
    expect(html).toContain('<a href="#capture-127-0-0-21">also in the capture</a>');
    expect(html).toContain('<a href="inputs/overrides-overrides.redacted.yaml">');
    expect(html).toContain('<a href="capture.html">');
    expect(html).not.toMatch(/<script/i);
    const md = read(out, 'report.md');
    // 127.0.0.21 is in both access-log samples: without SNI in one run, with SNI in the other.
    expect(md).toContain('| `127.0.0.21` | capture and logs ⇄ | non-sni-reset | 2 | mixed | 5 |');
    expect(md).toContain('## Checklist: what the runbook asks for');
    expect(read(out, 'checklist.md')).toContain('- [x] **Packet capture on the ingress node** (present)');
    const copy = read(join(out, 'inputs'), 'overrides-overrides.redacted.yaml');
    expect(copy).not.toContain('Passw0rd');
    expect(copy).not.toContain('PRIVATE KEY');
  });

  it('exits 0 when nothing is wrong, and lists what is still missing', async () => {
    const out = outDir();
    const r = await cli(['bundle', '--out', out, '--routes', S('apigeeroutes-fixed.yaml'), '--overrides', S('overrides.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('the fix is in place (every routes check passes)');
    expect(r.stdout).toContain('Still missing or partial:');
    const report = JSON.parse(read(out, 'report.json')) as BundleReport;
    expect(report.checklist.filter((c) => c.status === 'missing').map((c) => c.id)).toEqual(['capture', 'logs', 'probe', 'clients']);
    expect(existsSync(join(out, 'capture.html'))).toBe(false);
  });

  it('exits 2 when an input cannot be read, but still writes what it could', async () => {
    const out = outDir();
    const r = await cli(['bundle', '--out', out, '--capture', join(TMP, 'no-such.pcap'), '--logs', S('ingress-logs.jsonl')]);
    expect(r.code).toBe(2);
    const report = JSON.parse(read(out, 'report.json')) as BundleReport;
    expect(report.errors.join('\n')).toContain('no-such.pcap');
    expect(report.checklist.find((c) => c.id === 'capture')).toMatchObject({ status: 'missing', detail: expect.stringContaining('could not read') });
    expect(report.logs?.summary.problemFound).toBe(true);
  });

  it('refuses no inputs, stdin, a non-empty folder without --force, and does not copy overrides it cannot redact', async () => {
    expect((await cli(['bundle', '--out', outDir()])).code).toBe(2);
    expect((await cli(['bundle', '--out', outDir(), '--logs', '-'])).code).toBe(2);
    const full = outDir();
    mkdirSync(full);
    writeFileSync(join(full, 'keep.txt'), 'x');
    const refused = await cli(['bundle', '--out', full, '--logs', S('ingress-logs.jsonl')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--force');
    expect((await cli(['bundle', '--out', full, '--logs', S('ingress-logs.jsonl'), '--force'])).code).toBe(1);
    expect(existsSync(join(full, 'keep.txt'))).toBe(true);

    const bad = join(TMP, 'bad-overrides.yaml');
    writeFileSync(bad, 'password: secret-value\nvirtualhosts: [\n');
    const out = outDir();
    const r = await cli(['bundle', '--out', out, '--overrides', bad]);
    expect(r.code).toBe(2);
    expect(readdirSync(join(out, 'inputs'))).toEqual([]);
    expect(read(out, 'report.json')).not.toContain('secret-value');
  });

  it('escapes hostile strings from the logs in report.html and report.md', async () => {
    const HOSTILE = 'evil\u001b[31m\r\nFAKE<script>alert(1)</script>"\'&`|';
    const log = join(TMP, 'hostile.log');
    writeFileSync(
      log,
      [
        JSON.stringify({ start_time: '2026-11-27T10:00:00Z', remote_address: `${HOSTILE}:1`, sni_host: HOSTILE, status_details: 'filter_chain_not_found', upstream_response_flags: 'NR', status: 0 }),
        JSON.stringify({ start_time: '2026-11-27T10:00:01Z', remote_address: '10.0.0.7:2', sni_host: null, status_details: 'filter_chain_not_found', upstream_response_flags: 'NR', status: 0 }),
      ].join('\n'),
    );
    const out = outDir();
    const r = await cli(['bundle', '--out', out, '--logs', log]);
    expect(r.code).toBe(1);
    const html = read(out, 'report.html');
    expect(html).not.toContain('<script>');
    expect(html).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(html).toContain('evil\\x1b[31m\\r\\nFAKE&#60;script&#62;');
    const md = read(out, 'report.md');
    expect(md).not.toContain('<script>');
    expect(md).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    const report = JSON.parse(read(out, 'report.json')) as BundleReport;
    expect(report.logs?.clients.some((c) => c.refusedHosts.includes(HOSTILE))).toBe(true);
  });
});
