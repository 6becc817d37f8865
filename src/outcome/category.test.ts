import { describe, expect, it } from 'vitest';
import { outcome } from './testing/outcome.js';

describe('categorize', () => {
  it('is non-sni-reset for a hello without server_name reset by the server before a ServerHello', () => {
    expect(outcome({ sni: 'absent', serverResetFrame: 5 }).category).toBe('non-sni-reset');
    expect(outcome({ sni: 'empty', serverResetFrame: 5 }).category).toBe('non-sni-reset');
    expect(outcome({ sni: 'malformed', serverResetFrame: 5 }).category).toBe('non-sni-reset');
  });

  it('does not count a reset after the ServerHello, or one sent by the client', () => {
    expect(outcome({ sni: 'absent', serverHelloFrame: 5, serverResetFrame: 9 }).category).toBe('non-sni-ok');
    expect(outcome({ sni: 'absent', clientResetFrame: 5 }).category).toBe('non-sni-ok');
    expect(outcome({ sni: 'present', clientResetFrame: 5 }).category).toBe('sni-ok');
  });

  it('tells SNI resets, unknown SNI and connections without TLS apart', () => {
    expect(outcome({ sni: 'present', serverResetFrame: 5 }).category).toBe('sni-reset');
    expect(outcome({ sni: 'present', serverHelloFrame: 5 }).category).toBe('sni-ok');
    expect(outcome({ sni: 'unknown', serverResetFrame: 5 }).category).toBe('unknown');
    expect(outcome({ sni: null, serverResetFrame: 5 }).category).toBe('no-tls');
  });
});
