import { describe, expect, it } from 'vitest';
import { addressOf, readAccessLog } from './entry.js';

const base = {
  start_time: '2026-11-27T14:46:03.265Z',
  remote_address: '10.1.2.3:34686',
  sni_host: null,
  status_details: 'filter_chain_not_found',
  upstream_response_flags: 'NR',
  status: 0,
  x_forwarded_for: null,
};

describe('readAccessLog', () => {
  it('gives the categories of the runbook', () => {
    expect(readAccessLog(base, null)?.category).toBe('non-sni-reset');
    expect(readAccessLog({ ...base, sni_host: 'old.example.net' }, null)?.category).toBe('sni-reset');
    expect(readAccessLog({ ...base, status_details: 'direct_response', upstream_response_flags: '-', status: 200 }, null)?.category).toBe('non-sni-ok');
    expect(readAccessLog({ ...base, sni_host: 'api.example.com', status_details: 'via_upstream', status: 200 }, null)?.category).toBe('sni-ok');
    expect(readAccessLog({ ...base, status_details: 'listener_filter_timeout' }, null)?.category).toBe('no-tls');
  });

  it('keeps the first 512 characters of a longer field, lone surrogates and all', () => {
    const sni = `\ud800${'x'.repeat(600_000)}`;
    expect(readAccessLog({ ...base, sni_host: sni }, null)?.sni).toBe(sni.slice(0, 512));
  });

  it('reads an empty or "-" sni_host as no SNI', () => {
    expect(readAccessLog({ ...base, sni_host: '' }, null)?.sni).toBeNull();
    expect(readAccessLog({ ...base, sni_host: '-' }, null)?.category).toBe('non-sni-reset');
  });

  it('takes flag NR without an HTTP status as a refusal when there is no status_details field', () => {
    const { status_details: _, ...noDetails } = base;
    expect(readAccessLog(noDetails, null)?.category).toBe('non-sni-reset');
    expect(readAccessLog({ ...noDetails, status: 404, sni_host: 'api.example.com' }, null)?.category).toBe('sni-ok');
  });

  it("reads Envoy's own field names too", () => {
    const r = readAccessLog(
      { downstream_remote_address: '[2001:db8::7]:443', requested_server_name: null, response_code_details: 'filter_chain_not_found', response_flags: 'NR' },
      null,
    );
    expect(r).toMatchObject({ client: '2001:db8::7', category: 'non-sni-reset' });
  });

  it('groups by x_forwarded_for where present', () => {
    const r = readAccessLog({ ...base, sni_host: 'api.example.com', status_details: 'via_upstream', x_forwarded_for: '198.51.100.23, 10.0.0.1' }, null);
    expect(r).toMatchObject({ client: '198.51.100.23', via: 'x_forwarded_for' });
    expect(readAccessLog({ ...base, x_forwarded_for: 'unknown' }, null)).toMatchObject({ client: '10.1.2.3', via: 'remote_address' });
  });

  it('takes the time from start_time, else from the kubectl timestamp', () => {
    expect(readAccessLog(base, null)?.time).toBe(Date.parse('2026-11-27T14:46:03.265Z'));
    const { start_time: _, ...noTime } = base;
    expect(readAccessLog(noTime, '2026-11-27T14:46:04.000000001Z')?.time).toBe(Date.parse('2026-11-27T14:46:04.000Z'));
    expect(readAccessLog(noTime, null)?.time).toBeNull();
  });

  it('is null for JSON that is not an access-log entry', () => {
    expect(readAccessLog({ level: 'info', msg: 'hello' }, null)).toBeNull();
    expect(readAccessLog([1, 2], null)).toBeNull();
    expect(readAccessLog('text', null)).toBeNull();
    expect(readAccessLog(null, null)).toBeNull();
  });

  it('never throws on odd field types', () => {
    const odd = readAccessLog({ remote_address: 42, sni_host: { a: 1 }, status_details: ['x'], status: 'abc', start_time: {} }, null);
    expect(odd).toMatchObject({ client: '42', sni: null, category: 'non-sni-ok', time: null });
  });
});

describe('addressOf', () => {
  it('drops the port and unwraps IPv6 and IPv4-mapped addresses', () => {
    expect(addressOf('10.1.2.3:34686')).toBe('10.1.2.3');
    expect(addressOf('10.1.2.3')).toBe('10.1.2.3');
    expect(addressOf('[::1]:8443')).toBe('::1');
    expect(addressOf('2001:DB8::1')).toBe('2001:db8::1');
    expect(addressOf('[::ffff:10.0.0.9]:5000')).toBe('10.0.0.9');
    expect(addressOf('fe80::1%eth0')).toBe('fe80::1');
    expect(addressOf('not-an-address')).toBe('not-an-address');
  });
});
