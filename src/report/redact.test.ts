import { describe, expect, it } from 'vitest';
import { outcome } from '../outcome/testing/outcome.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { redactReport } from './redact.js';
import { renderText } from './text.js';
import { reportOf, withSni } from './testing/report.js';

const KEY = Buffer.alloc(32, 7);

const report = reportOf([
  outcome({ client: '10.0.0.1', sni: 'absent', serverResetFrame: 6, stream: 0 }),
  outcome({ client: '10.0.0.1', sni: 'absent', serverResetFrame: 6, stream: 1 }),
  outcome({ client: '2001:db8::2', server: '2001:db8::100', sni: 'absent', serverResetFrame: 6, stream: 2 }),
  withSni('secret.internal.example', { client: '10.0.0.3', stream: 3, reset: true }),
  withSni('api.example.com', { client: '10.0.0.4', stream: 4, reset: false }),
]);

const CLIENTS = /10\.0\.0\.[1-4](?!\d)|2001:db8::2(?![\da-f])/;

describe('redactReport', () => {
  it('replaces each client address by one pseudonym throughout the report, and keeps the ingress addresses', () => {
    const r = redactReport(report, { sni: false, key: KEY });
    const names = r.clients.map((c) => c.ip);
    expect(names.every((n) => /^client-[0-9a-f]{8}$/.test(n))).toBe(true);
    expect(new Set(names).size).toBe(4);
    for (const c of r.connections) expect(names).toContain(c.client.ip);
    expect(r.connections[0].client.ip).toBe(r.connections[1].client.ip);
    expect(r.connections.map((c) => c.server.ip)).toEqual(['10.0.0.100', '10.0.0.100', '2001:db8::100', '10.0.0.100', '10.0.0.100']);
    expect(r.ingress).toEqual(report.ingress);
    expect(r.connections.map((c) => c.client.port)).toEqual(report.connections.map((c) => c.client.port));
    expect(r.redacted).toEqual({ clients: true, sni: false });
    expect(r.connections[3].clientHello?.sni).toBe('secret.internal.example');
    expect(JSON.stringify(r)).not.toMatch(CLIENTS);
  });

  it('replaces host names too with sni: true, in sni and sniHex', () => {
    const r = redactReport(report, { sni: true, key: KEY });
    const hellos = r.connections.map((c) => c.clientHello);
    expect(hellos[3]?.sni).toMatch(/^host-[0-9a-f]{8}$/);
    expect(hellos[4]?.sni).toMatch(/^host-[0-9a-f]{8}$/);
    expect(hellos[3]?.sni).not.toBe(hellos[4]?.sni);
    expect(Buffer.from(hellos[3]?.sniHex ?? '', 'hex').toString()).toBe(hellos[3]?.sni);
    expect(hellos[0]?.sni).toBeNull();
    expect(r.redacted).toEqual({ clients: true, sni: true });
    const json = JSON.stringify(r);
    expect(json).not.toContain('secret.internal');
    expect(json).not.toContain(Buffer.from('secret.internal.example').toString('hex'));
  });

  it('is keyed: the same key gives the same pseudonyms, a fresh key other ones', () => {
    const a = redactReport(report, { sni: true, key: KEY });
    const b = redactReport(report, { sni: true, key: KEY });
    const c = redactReport(report, { sni: true });
    const d = redactReport(report, { sni: true });
    expect(b.clients).toEqual(a.clients);
    expect(c.clients.map((x) => x.ip)).not.toEqual(a.clients.map((x) => x.ip));
    expect(d.clients.map((x) => x.ip)).not.toEqual(c.clients.map((x) => x.ip));
  });

  it('leaves its input alone', () => {
    const before = JSON.stringify(report);
    redactReport(report, { sni: true });
    expect(JSON.stringify(report)).toBe(before);
    expect(report.redacted).toEqual({ clients: false, sni: false });
  });

  it('keeps an address that is also an ingress address', () => {
    const loop = reportOf([outcome({ client: '::1', server: '::1', sni: 'absent', serverResetFrame: 6 })]);
    expect(redactReport(loop, { sni: false, key: KEY }).clients[0].ip).toBe('::1');
  });

  it('leaves no client address or host name in any format, and filters on the client port instead', () => {
    const r = redactReport(report, { sni: true, key: KEY });
    for (const out of [renderText(r, { color: false }), renderMarkdown(r), renderHtml(r), JSON.stringify(r)]) {
      expect(out).not.toMatch(CLIENTS);
      expect(out).not.toContain('secret.internal');
      expect(out).not.toContain('api.example.com');
      expect(out).toContain(r.clients[0].ip);
    }
    const text = renderText(r, { color: false });
    expect(text).toContain('Redacted: client addresses are pseudonyms');
    expect(text).toContain('tcp.port == 40000 && tcp.flags.reset == 1');
    expect(text).not.toMatch(/ip\.addr == client-|ipv6\.addr == client-/);
  });
});
