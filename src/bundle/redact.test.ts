import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { looksSecret, REDACTED, RedactError, redactYaml } from './redact.js';

interface Overrides {
  virtualhosts: unknown[];
  cassandra: { auth: { default: { password: string } } };
  envs: { cacheEncryptionKey?: string; serviceAccountPaths: { runtime: string } }[];
  defaults: { org: { kmsEncryptionKey: string } };
}

const SAMPLE = readFileSync(join(resolve(__dirname, '../../samples'), 'overrides.yaml'), 'utf8');

describe('redactYaml on the sample overrides.yaml', () => {
  const r = redactYaml(SAMPLE);
  const doc = parse(r.text) as Overrides;

  it('removes every password, encryption key, certificate and private key', () => {
    for (const secret of ['fake-default-Passw0rd', 'fake-admin-Passw0rd', 'fake-ddl-Passw0rd', 'MdZhIDGqzzlSh3pbxcN9MxO5HvYWfwxmh68tC5GK61k=', 'KiRG66uhPoVek4SR60WzcMv5IiDb3PexcAZ5tbJa0/w=', '2eTVLV1tR7YQkGMig2kKEHQiUvmthExW/6ussJmySog=', 'BEGIN PRIVATE KEY', 'BEGIN CERTIFICATE', 'MIGHAgEAMBMGByqGSM49', 'MIIBpTCCAUugAwIBAgIU']) {
      expect(r.text).not.toContain(secret);
    }
    expect(doc.cassandra.auth.default.password).toBe(REDACTED);
    expect(doc.envs[0].cacheEncryptionKey).toBe(REDACTED);
    expect(doc.defaults.org.kmsEncryptionKey).toBe(REDACTED);
    expect(r.redacted).toBe(8);
  });

  it('keeps what the diagnosis needs: virtualhosts, gateways, secret names, paths, comments', () => {
    expect(doc.virtualhosts).toEqual([
      { name: 'dev-grp', selector: { app: 'apigee-ingressgateway', ingress_name: 'ext-ingress' }, sslCertPath: './certs/dev-grp-fullchain.pem', sslKeyPath: './certs/dev-grp-privkey.pem', additionalGateways: ['non-sni-route'] },
      { name: 'prod-grp', selector: { app: 'apigee-ingressgateway', ingress_name: 'ext-ingress' }, sslSecret: 'prod-grp-tls', additionalGateways: ['non-sni-route'] },
    ]);
    expect(doc.envs[0].serviceAccountPaths.runtime).toBe('./service-accounts/myorg-apigee-non-prod.json');
    expect(r.text).toContain('# Certificate and key used before the secret, kept here "for reference":');
    expect(r.text.startsWith('# Copied by sni-pcap bundle: 8 values redacted')).toBe(true);
  });
});

describe('redactYaml', () => {
  it('redacts inline material under any key, and values of secret keys, not their structure', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----\n';
    const src = [
      'tls:',
      '  crt: |',
      ...pem.trimEnd().split('\n').map((l) => `    ${l}`),
      '  key: "inline-key"',
      'other:',
      `  blob: ${'A'.repeat(48)}`,
      '  note: an ordinary sentence that is long enough to look like something',
      '  sa: \'{"type": "service_account", "private_key": "x"}\'',
      '  token: 12345',
      '  enabled: true',
      '  secretName: my-tls',
      'apiKeys: [one, two]',
    ].join('\n');
    const r = redactYaml(src);
    const d = parse(r.text) as { tls: unknown; other: unknown; apiKeys: unknown };
    expect(d.tls).toEqual({ crt: REDACTED, key: REDACTED });
    expect(d.other).toEqual({ blob: REDACTED, note: 'an ordinary sentence that is long enough to look like something', sa: REDACTED, token: REDACTED, enabled: true, secretName: 'my-tls' });
    expect(d.apiKeys).toEqual([REDACTED, REDACTED]);
  });

  it('refuses what is not YAML', () => {
    expect(() => redactYaml('a: [')).toThrow(RedactError);
  });

  it('never leaves a PEM block or a long base64 value, whatever the key', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][A-Za-z]{0,12}$/), fc.base64String({ minLength: 44, maxLength: 200 }), (key, blob) => {
        const r = redactYaml(`${key}: "${blob}"\nnested:\n  - ${key}: |\n      -----BEGIN CERTIFICATE-----\n      ${blob}\n      -----END CERTIFICATE-----\n`);
        expect(r.text).not.toContain('BEGIN CERTIFICATE');
        if (looksSecret(blob)) expect(r.text).not.toContain(blob);
        expect(() => parse(r.text)).not.toThrow();
      }),
    );
  });
});
