import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type CheckId, checkRoutes } from './check.js';
import { type ApigeeRoute, parseRoutes, type RoutesFile } from './load.js';
import { parseOverrides } from './overrides.js';

const SAMPLES = resolve(__dirname, '../../samples');
const routesOf = (name: string) => parseRoutes(readFileSync(join(SAMPLES, name), 'utf8'), name);
const overrides = parseOverrides(readFileSync(join(SAMPLES, 'overrides.yaml'), 'utf8'), 'overrides.yaml');

function statuses(r: ReturnType<typeof checkRoutes>): Record<CheckId, string> {
  return Object.fromEntries(r.checks.map((c) => [c.id, c.status])) as Record<CheckId, string>;
}

const envgroup: ApigeeRoute = {
  name: 'org-env-grp-1',
  namespace: 'apigee',
  hostnames: ['api.example.com'],
  enableNonSniClient: undefined,
  state: 'running',
  additionalGateways: ['wild'],
  ports: [{ number: 443, protocol: 'HTTPS', tls: { credentialName: 'grp-tls', mode: 'SIMPLE', minProtocolVersion: null } }],
  selector: null,
};
const wild: ApigeeRoute = { ...envgroup, name: 'wild', hostnames: ['*'], enableNonSniClient: true, additionalGateways: [] };
const file = (...routes: ApigeeRoute[]): RoutesFile => ({ file: 'f', documents: 1, routes, otherKinds: {}, errors: [] });

describe('checkRoutes on the samples', () => {
  it('without the wildcard route: every check fails, and the fix is a route that then passes', () => {
    const r = checkRoutes(routesOf('apigeeroutes-missing.yaml'), overrides);
    expect(r.wildcardRoute).toBeNull();
    expect(Object.values(statuses(r))).toEqual(['fail', 'fail', 'fail', 'fail', 'fail', 'fail']);
    const fix = r.checks[0].fix;
    expect(fix?.language).toBe('yaml');
    const route = parse(fix?.text ?? '') as { metadata: { name: string }; spec: { hostnames: string[]; enableNonSniClient: boolean; ports: { tls: { credentialName: string } }[] } };
    // The name overrides.yaml already gives it, the certificate of the environment group.
    expect(route.metadata.name).toBe('non-sni-route');
    expect(route.spec).toMatchObject({ hostnames: ['*'], enableNonSniClient: true });
    expect(route.spec.ports[0].tls.credentialName).toBe('myorg-hyb-dev-grp');
    const applied = parseRoutes(`${readFileSync(join(SAMPLES, 'apigeeroutes-missing.yaml'), 'utf8')}\n---\n${fix?.text ?? ''}\nstatus: {state: running}\n`, 'applied');
    const after = statuses(checkRoutes(applied, overrides));
    expect(after).toMatchObject({ 'wildcard-route': 'pass', 'enable-non-sni-client': 'pass', 'route-running': 'pass', 'overrides-additional-gateways': 'pass', 'tls-settings': 'pass' });
    expect(after['envgroup-additional-gateways']).toBe('fail');
  });

  it('with the wildcard route in place: every check passes', () => {
    const r = checkRoutes(routesOf('apigeeroutes-fixed.yaml'), overrides);
    expect(r.wildcardRoute).toBe('non-sni-route');
    expect(r.checks.every((c) => c.status === 'pass' && c.fix === null)).toBe(true);
  });

  it('route created but overrides not applied: only the environment group routes check fails', () => {
    const r = checkRoutes(routesOf('apigeeroutes.json'), overrides);
    expect(statuses(r)).toEqual({
      'wildcard-route': 'pass',
      'enable-non-sni-client': 'pass',
      'route-running': 'pass',
      'overrides-additional-gateways': 'pass',
      'envgroup-additional-gateways': 'fail',
      'tls-settings': 'pass',
    });
  });

  it('skips the overrides check without an overrides file', () => {
    const r = checkRoutes(routesOf('apigeeroutes-fixed.yaml'), null);
    expect(statuses(r)['overrides-additional-gateways']).toBe('skip');
    expect(r.checks.filter((c) => c.status === 'fail')).toEqual([]);
  });
});

describe('checkRoutes, one thing wrong at a time', () => {
  it('enableNonSniClient missing, false, or the string "true"', () => {
    for (const [value, reason] of [
      [undefined, 'has no spec.enableNonSniClient'],
      [false, 'spec.enableNonSniClient: false'],
      ['true', 'a string, not the boolean true'],
    ] as const) {
      const r = checkRoutes(file(envgroup, { ...wild, enableNonSniClient: value }), null);
      const c = r.checks.find((x) => x.id === 'enable-non-sni-client');
      expect(c?.status).toBe('fail');
      expect(c?.reason).toContain(reason);
      expect(c?.fix?.text).toContain('enableNonSniClient: true');
    }
  });

  it('not running, or no status at all', () => {
    const creating = checkRoutes(file(envgroup, { ...wild, state: 'creating' }), null).checks.find((c) => c.id === 'route-running');
    expect(creating).toMatchObject({ status: 'fail', reason: expect.stringContaining('status.state: creating') });
    expect(creating?.fix?.language).toBe('sh');
    const none = checkRoutes(file(envgroup, { ...wild, state: null }), null).checks.find((c) => c.id === 'route-running');
    expect(none?.reason).toContain('no status.state');
  });

  it('TLS settings missing or incomplete', () => {
    const tls = (ports: ApigeeRoute['ports']) => checkRoutes(file(envgroup, { ...wild, ports }), null).checks.find((c) => c.id === 'tls-settings');
    expect(tls([])?.reason).toContain('no spec.ports');
    expect(tls([{ number: 443, protocol: 'HTTPS', tls: null }])?.reason).toContain('no port with a tls block');
    expect(tls([{ number: 443, protocol: 'HTTPS', tls: { credentialName: null, mode: 'SIMPLE', minProtocolVersion: null } }])?.reason).toContain('without credentialName');
    expect(tls([])?.fix?.text).toContain('credentialName: grp-tls');
    const other = tls([{ number: 443, protocol: 'HTTPS', tls: { credentialName: 'other-tls', mode: 'SIMPLE', minProtocolVersion: null } }]);
    expect(other).toMatchObject({ status: 'pass', reason: expect.stringContaining('the environment group routes use "grp-tls"') });
  });

  it('names the virtualhosts and environment group routes that lack the route', () => {
    const o = { file: 'o.yaml', namespace: null, errors: [], virtualhosts: [{ name: 'a', additionalGateways: ['wild'], sslSecret: null }, { name: 'b', additionalGateways: ['other'], sslSecret: null }] };
    const r = checkRoutes(file({ ...envgroup, additionalGateways: [] }, { ...envgroup, name: 'org-env-grp-2' }, wild), o);
    const ov = r.checks.find((c) => c.id === 'overrides-additional-gateways');
    expect(ov).toMatchObject({ status: 'fail', reason: '"b" does not list "wild" in additionalGateways (b lists "other")' });
    expect(parse((ov?.fix?.text ?? '').replace(/^#.*\n/gm, ''))).toEqual({ virtualhosts: [{ name: 'b', additionalGateways: ['other', 'wild'] }] });
    const eg = r.checks.find((c) => c.id === 'envgroup-additional-gateways');
    expect(eg?.status).toBe('fail');
    expect(eg?.reason).toContain('"org-env-grp-1" does not list "wild"');
    expect(eg?.reason).not.toContain('org-env-grp-2');
  });

  it('two wildcard routes: the one with the flag is checked, the other named', () => {
    const r = checkRoutes(file(envgroup, { ...wild, name: 'old', enableNonSniClient: false }, wild), null);
    expect(r.wildcardRoute).toBe('wild');
    expect(r.checks[0].reason).toContain('another route has "*" too ("old")');
  });
});
