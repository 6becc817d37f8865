import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertServer, closedPort, type LocalServer, silentServer } from '../../test/helpers/servers.js';
import { type Ingress, startIngress } from '../../test/ingress/test-ingress.mjs';
import { alertOf, parseTarget, probe } from './probe.js';

describe('parseTarget', () => {
  it('reads host, host:port, IPv6 with and without brackets', () => {
    expect(parseTarget('api.example.com')).toEqual({ host: 'api.example.com', port: 443 });
    expect(parseTarget('api.example.com:8443')).toEqual({ host: 'api.example.com', port: 8443 });
    expect(parseTarget('10.0.0.5:443')).toEqual({ host: '10.0.0.5', port: 443 });
    expect(parseTarget('2001:db8::5')).toEqual({ host: '2001:db8::5', port: 443 });
    expect(parseTarget('[2001:db8::5]:8443')).toEqual({ host: '2001:db8::5', port: 8443 });
  });

  it('refuses what is not a target', () => {
    for (const bad of ['', 'host:0', 'host:70000', 'host:x', '[not-v6]:443', 'a b', 'https://host/', 'user@host']) {
      expect(() => parseTarget(bad), bad).toThrow();
    }
  });
});

describe('alertOf', () => {
  it("reads OpenSSL's alert number, else Node's code", () => {
    expect(alertOf(Object.assign(new Error('x:SSL routines::tlsv1 alert protocol version:...:SSL alert number 70'), { code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' }))).toEqual({
      description: 70,
      name: 'protocol_version',
    });
    expect(alertOf(Object.assign(new Error('x'), { code: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE' }))).toEqual({ description: null, name: 'handshake_failure' });
    expect(alertOf(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBeNull();
  });
});

describe('probe against local servers', () => {
  let strict: Ingress;
  let wildcard: Ingress;
  let alerting: LocalServer;
  const seen: { sni: string | null; port: string }[] = [];
  const params = { host: 'api.example.com', connect: '127.0.0.1', servername: null, timeoutMs: 5000 };

  beforeAll(async () => {
    const onLog = (e: { sni_host: string | null; remote_address: string | null }) => seen.push({ sni: e.sni_host, port: e.remote_address ?? '' });
    strict = await startIngress({ listen: ['127.0.0.1:0'], hosts: ['api.example.com'], onLog });
    wildcard = await startIngress({ listen: ['127.0.0.1:0'], hosts: ['api.example.com'], wildcard: true, onLog });
    alerting = await alertServer();
  });
  afterAll(async () => {
    await Promise.all([strict.close(), wildcard.close(), alerting.close()]);
  });

  it('strict ingress: served with SNI, reset without, and the ingress really saw no SNI', async () => {
    seen.length = 0;
    const r = await probe({ ...params, port: strict.addresses[0].port });
    expect(r.conclusion).toBe('reset');
    expect(r.withSni).toMatchObject({ sni: 'api.example.com', tcp: 'connected', handshake: 'completed', category: 'sni-ok' });
    expect(r.withSni?.certificate).toMatchObject({ subject: 'CN=api.example.com', subjectAltNames: ['DNS:api.example.com'], selfSigned: true, matches: true });
    expect(r.withoutSni).toMatchObject({ sni: null, tcp: 'connected', handshake: 'reset', certificate: null, category: 'non-sni-reset' });
    await new Promise((res) => setTimeout(res, 100));
    expect(seen.map((s) => s.sni)).toEqual(['api.example.com', null]);
  });

  it('wildcard ingress: both handshakes complete', async () => {
    const r = await probe({ ...params, port: wildcard.addresses[0].port });
    expect(r.conclusion).toBe('served');
    expect(r.withoutSni).toMatchObject({ handshake: 'completed', category: 'non-sni-ok' });
    expect(r.withoutSni?.certificate?.subject).toBe('CN=api.example.com');
    expect(r.withoutSni?.protocol).toMatch(/^TLSv1\.[23]$/);
  });

  it('a server that refuses clients without SNI with an alert: the alert is named', async () => {
    const r = await probe({ ...params, port: alerting.port });
    expect(r.conclusion).toBe('reset');
    expect(r.withoutSni).toMatchObject({ handshake: 'alert', alert: { description: 112, name: 'unrecognized_name' }, category: 'non-sni-reset' });
    expect(r.withSni?.handshake).toBe('completed');
  });

  it('an address target without --servername: only the handshake without SNI', async () => {
    const r = await probe({ host: '127.0.0.1', port: strict.addresses[0].port, connect: null, servername: null, timeoutMs: 5000 });
    expect(r.withSni).toBeNull();
    expect(r.withSniSkipped).toContain('--servername');
    expect(r.conclusion).toBe('reset');
  });

  it('inconclusive when the handshake with SNI fails too', async () => {
    const r = await probe({ ...params, servername: 'unknown.example', port: strict.addresses[0].port });
    expect(r.withSni).toMatchObject({ handshake: 'reset', category: 'sni-reset' });
    expect(r.conclusion).toBe('inconclusive');
  });

  it('connection refused, timeout and name lookup failures cannot run', async () => {
    const refused = await probe({ ...params, port: await closedPort() });
    expect(refused.conclusion).toBe('cannot-run');
    expect(refused.withoutSni).toMatchObject({ tcp: 'refused', handshake: 'not-tried' });

    const silent = await silentServer();
    try {
      const hung = await probe({ ...params, port: silent.port, timeoutMs: 300 });
      expect(hung.conclusion).toBe('cannot-run');
      expect(hung.withoutSni).toMatchObject({ tcp: 'connected', handshake: 'timeout' });
      expect(hung.verdict).toContain('timed out');
    } finally {
      await silent.close();
    }

    const dns = await probe({ host: 'no-such-host.invalid', port: 443, connect: null, servername: null, timeoutMs: 2000, resolve: async () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND no-such-host.invalid'), { code: 'ENOTFOUND' })) });
    expect(dns).toMatchObject({ conclusion: 'cannot-run', address: null, withSni: null, withoutSni: null, resolution: { status: 'failed' } });
    const slow = await probe({ host: 'slow.invalid', port: 443, connect: null, servername: null, timeoutMs: 100, resolve: () => new Promise(() => {}) });
    expect(slow.resolution.status).toBe('timeout');
  });
});
