import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRoutes } from './load.js';
import { parseOverrides } from './overrides.js';

const SAMPLES = resolve(__dirname, '../../samples');
const sample = (name: string) => readFileSync(join(SAMPLES, name), 'utf8');

describe('parseRoutes', () => {
  it('reads a kubectl List (YAML and JSON) and several documents alike', () => {
    const list = parseRoutes(sample('apigeeroutes-missing.yaml'), 'a');
    expect(list).toMatchObject({ documents: 1, errors: [], otherKinds: {} });
    expect(list.routes.map((r) => r.name)).toEqual(['myorg-hyb-dev-grp-000-33620d0', 'myorg-hyb-prod-grp-000-9f1c2e4']);
    const docs = parseRoutes(sample('apigeeroutes-fixed.yaml'), 'b');
    expect(docs.documents).toBe(3);
    expect(docs.routes[2]).toEqual({
      name: 'non-sni-route',
      namespace: 'apigee',
      hostnames: ['*'],
      enableNonSniClient: true,
      state: 'running',
      additionalGateways: [],
      ports: [{ number: 443, protocol: 'HTTPS', tls: { credentialName: 'myorg-hyb-dev-grp', mode: 'SIMPLE', minProtocolVersion: 'TLS_AUTO' } }],
      selector: { app: 'apigee-ingressgateway' },
    });
    const json = parseRoutes(sample('apigeeroutes.json'), 'c');
    expect(json.routes.map((r) => [r.name, r.additionalGateways])).toEqual([
      ['myorg-hyb-dev-grp-000-33620d0', []],
      ['myorg-hyb-prod-grp-000-9f1c2e4', []],
      ['non-sni-route', []],
    ]);
  });

  it('keeps enableNonSniClient as written, counts other kinds, and reports broken documents', () => {
    const text = [
      'kind: ApigeeRoute\nmetadata: {name: r1}\nspec: {hostnames: ["*"], enableNonSniClient: "true"}',
      'kind: Secret\nmetadata: {name: s}',
      'kind: ApigeeRoute\nmetadata: {name: [unclosed',
      '',
    ].join('\n---\n');
    const r = parseRoutes(text, 'x');
    expect(r.routes).toHaveLength(1);
    expect(r.routes[0].enableNonSniClient).toBe('true');
    expect(r.otherKinds).toEqual({ Secret: 1 });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^document 3: /);
  });

  it('survives garbage and odd shapes', () => {
    for (const text of ['', '---\n---\n', '[1, 2, 3]', 'just text', '{"items": "x"}', 'kind: ApigeeRoute\nspec: 5', '&a [*a]', 'kind: List\nitems: [{kind: ApigeeRoute, spec: {ports: [1, {tls: 3}]}}]']) {
      expect(() => parseRoutes(text, 't'), text).not.toThrow();
    }
    expect(parseRoutes('kind: List\nitems: [{kind: ApigeeRoute, spec: {ports: [1, {tls: 3}]}}]', 't').routes[0]).toMatchObject({ name: '', ports: [{ number: null, tls: null }] });
  });

  it('does not expand a billion laughs', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`)].join('\n');
    const r = parseRoutes(bomb, 'bomb');
    expect(r.routes).toHaveLength(0);
    expect(r.errors.length).toBe(1);
  });
});

describe('parseOverrides', () => {
  it('reads the virtualhosts and their additionalGateways', () => {
    const o = parseOverrides(sample('overrides.yaml'), 'overrides.yaml');
    expect(o).toMatchObject({ namespace: 'apigee', errors: [] });
    expect(o.virtualhosts).toEqual([
      { name: 'dev-grp', additionalGateways: ['non-sni-route'], sslSecret: null },
      { name: 'prod-grp', additionalGateways: ['non-sni-route'], sslSecret: 'prod-grp-tls' },
    ]);
  });

  it('reports YAML errors and odd shapes without throwing', () => {
    expect(parseOverrides('virtualhosts: [', 'o').errors).toHaveLength(1);
    expect(parseOverrides('- a\n- b', 'o').errors).toEqual(['not a YAML mapping']);
    expect(parseOverrides('virtualhosts: [{name: x, additionalGateways: gw}, 3, null]', 'o').virtualhosts).toEqual([{ name: 'x', additionalGateways: ['gw'], sslSecret: null }]);
  });
});
