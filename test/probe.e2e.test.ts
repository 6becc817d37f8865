import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeReport } from '../src/probe/report.js';
import { cli } from './helpers/run.js';
import { alertServer, closedPort, type LocalServer, silentServer } from './helpers/servers.js';
import { type Ingress, startIngress } from './ingress/test-ingress.mjs';

let strict: Ingress;
let wildcard: Ingress;
let alerting: LocalServer;
let silent: LocalServer;
const HOSTS = ['api.example.com', '*.apps.example.com'];

beforeAll(async () => {
  strict = await startIngress({ listen: ['127.0.0.1:0'], hosts: HOSTS });
  wildcard = await startIngress({ listen: ['127.0.0.1:0'], hosts: HOSTS, wildcard: true });
  alerting = await alertServer();
  silent = await silentServer();
});
afterAll(async () => {
  await Promise.all([strict.close(), wildcard.close(), alerting.close(), silent.close()]);
});

const target = (port: number) => `api.example.com:${port}`;

async function probeJson(args: string[]): Promise<{ code: number; report: ProbeReport; stderr: string }> {
  const r = await cli(['probe', ...args, '--format', 'json']);
  return { code: r.code, report: JSON.parse(r.stdout) as ProbeReport, stderr: r.stderr };
}

describe('sni-pcap probe against the test ingress', () => {
  it('strict mode: exits 1, the handshake without SNI is reset and shows no certificate', async () => {
    const r = await cli(['probe', target(strict.addresses[0].port), '--connect', '127.0.0.1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('TLS: handshake completed');
    expect(r.stdout).toContain('Certificate: subject CN=api.example.com');
    expect(r.stdout).toContain('SANs: DNS:api.example.com, DNS:*.apps.example.com');
    expect(r.stdout).toContain('TLS: reset by the server during the handshake');
    expect(r.stdout).toContain('Certificate: no peer certificate available');
    expect(r.stdout).toMatch(/PROBLEM: Non-SNI clients are reset during the handshake at 127\.0\.0\.1:\d+ while the handshake with SNI api\.example\.com completes: non-SNI clients are not enabled\./);
    expect(r.stdout).toContain(`openssl s_client -connect 127.0.0.1:${strict.addresses[0].port} -noservername`);
  });

  it('wildcard mode: exits 0, both handshakes complete', async () => {
    const { code, report } = await probeJson([target(wildcard.addresses[0].port), '--connect', '127.0.0.1']);
    expect(code).toBe(0);
    expect(report.summary).toEqual({ problemFound: false, conclusion: 'served', verdict: expect.stringContaining('Non-SNI clients are served') });
    expect(report.withoutSni).toMatchObject({ sni: null, tcp: 'connected', handshake: 'completed', category: 'non-sni-ok', certificate: { subject: 'CN=api.example.com' } });
    expect(report.withSni).toMatchObject({ sni: 'api.example.com', handshake: 'completed', category: 'sni-ok' });
    expect(report.resolution).toEqual({ status: 'given', addresses: ['127.0.0.1'], error: null });
  });

  it('--servername picks the name sent with SNI; an address target probes without SNI only', async () => {
    const named = await probeJson([`127.0.0.1:${strict.addresses[0].port}`, '--servername', 'shop.apps.example.com']);
    expect(named.code).toBe(1);
    expect(named.report.withSni).toMatchObject({ sni: 'shop.apps.example.com', handshake: 'completed' });
    const bare = await probeJson([`127.0.0.1:${strict.addresses[0].port}`]);
    expect(bare.code).toBe(1);
    expect(bare.report.withSni).toBeNull();
    expect(bare.report.withSniSkipped).toContain('--servername');
  });

  it('names the alert of a server that refuses clients without SNI with one', async () => {
    const r = await cli(['probe', target(alerting.port), '--connect', '127.0.0.1', '-f', 'markdown']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('refused with the alert unrecognized\\_name (112)');
    expect(r.stdout).toContain('## Without SNI — non-sni-reset');
  });
});

describe('sni-pcap probe when it cannot run', () => {
  it('connection refused: exits 2 and says so', async () => {
    const port = await closedPort();
    const r = await cli(['probe', target(port), '--connect', '127.0.0.1']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`TCP: connection to 127.0.0.1:${port} refused`);
    expect(r.stdout).toContain('Cannot run: the TCP connection was refused');
  });

  it('a server that accepts and never answers: exits 2 after the timeout', async () => {
    const t0 = Date.now();
    const { code, report } = await probeJson([target(silent.port), '--connect', '127.0.0.1', '--timeout', '0.3']);
    expect(code).toBe(2);
    expect(report.withoutSni).toMatchObject({ tcp: 'connected', handshake: 'timeout' });
    expect(report.summary.verdict).toContain('the handshake timed out');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('a name that does not resolve: exits 2', async () => {
    const r = await cli(['probe', 'no-such-ingress.invalid:443', '--timeout', '5']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('no-such-ingress.invalid does not resolve');
    expect(r.stdout).toContain('Cannot run');
  });

  it('bad arguments: exits 2 with a message', async () => {
    for (const args of [['probe', 'host:99999'], ['probe', 'api.example.com', '--connect', 'not-an-ip'], ['probe', 'api.example.com', '--timeout', '0'], ['probe', 'x', '--servername', '10.0.0.1']]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/sni-pcap: /);
    }
  });
});
