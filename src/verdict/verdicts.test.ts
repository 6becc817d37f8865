import { describe, expect, it } from 'vitest';
import { outcome } from '../outcome/testing/outcome.js';
import { compareAddresses, judge } from './verdicts.js';

describe('judge', () => {
  const outcomes = [
    outcome({ client: '10.0.0.1', sni: 'absent', serverResetFrame: 5, stream: 0 }),
    outcome({ client: '10.0.0.1', sni: 'absent', serverResetFrame: 5, stream: 1 }),
    outcome({ client: '10.0.0.2', sni: 'present', serverHelloFrame: 5, stream: 2 }),
    outcome({ client: '10.0.0.3', sni: 'present', serverHelloFrame: 5, stream: 3 }),
    outcome({ client: '10.0.0.3', sni: 'absent', serverResetFrame: 5, stream: 4 }),
    outcome({ client: '10.0.0.4', sni: null, serverResetFrame: 5, stream: 5 }),
    outcome({ client: '10.0.0.5', server: '192.0.2.1', sni: 'absent', serverResetFrame: 5, stream: 6 }),
  ];

  it('gives each client the common category of its TLS connections, mixed when they differ', () => {
    const v = judge(outcomes, (ip) => ip === '10.0.0.100', ['10.0.0.100']);
    const byIp = Object.fromEntries(v.clients.map((c) => [c.ip, c]));
    expect(byIp['10.0.0.1'].verdict).toBe('non-sni-reset');
    expect(byIp['10.0.0.1']).toMatchObject({ connections: 2, withSni: 0, withoutSni: 2, resetByIngress: 2, completed: 0 });
    expect(byIp['10.0.0.2'].verdict).toBe('sni-ok');
    expect(byIp['10.0.0.3'].verdict).toBe('mixed');
    expect(byIp['10.0.0.4'].verdict).toBe('no-tls');
    expect(byIp['10.0.0.5']).toBeUndefined(); // its server is not the ingress
    expect(v.problemFound).toBe(true);
    expect(v.ingress.source).toBe('given');
    // clients with the symptom come first
    expect(v.clients.map((c) => c.ip).slice(0, 2)).toEqual(['10.0.0.1', '10.0.0.3']);
  });

  it('detects the ingress as the endpoints that received ClientHellos', () => {
    const v = judge(outcomes, null, []);
    expect(v.ingress).toEqual({ addresses: ['10.0.0.100', '192.0.2.1'], source: 'detected' });
    expect(v.connections).toHaveLength(7);
  });

  it('finds no problem when no client without SNI is reset', () => {
    const v = judge([outcomes[2], outcomes[3]], null, []);
    expect(v.problemFound).toBe(false);
  });

  it('orders addresses numerically, IPv4 first', () => {
    const list = ['2001:db8::1', '10.0.0.10', '10.0.0.9', '::1', '2001:db8::'];
    expect(list.sort(compareAddresses)).toEqual(['10.0.0.9', '10.0.0.10', '::1', '2001:db8::', '2001:db8::1']);
  });
});
