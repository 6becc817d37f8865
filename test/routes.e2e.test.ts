import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RoutesReport } from '../src/routes/report.js';
import { cli } from './helpers/run.js';

const SAMPLES = resolve(__dirname, '..', 'samples');
const S = (name: string) => join(SAMPLES, name);
const TMP = mkdtempSync(join(tmpdir(), 'sni-pcap-routes-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(TMP, name);
  writeFileSync(p, text);
  return p;
}

async function json(args: string[]): Promise<{ code: number; report: RoutesReport }> {
  const r = await cli(['routes', ...args, '-f', 'json']);
  return { code: r.code, report: JSON.parse(r.stdout) as RoutesReport };
}

describe('sni-pcap routes on the samples', () => {
  it('exits 1 without the wildcard route, with the route to apply', async () => {
    const r = await cli(['routes', '--routes', S('apigeeroutes-missing.yaml'), '--overrides', S('overrides.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('PROBLEM: Non-SNI clients are not enabled: there is no ApigeeRoute with hostnames ["*"] (6 of 6 checks fail).');
    expect(r.stdout).toContain('    kind: ApigeeRoute');
    expect(r.stdout).toContain('      enableNonSniClient: true');
  });

  it('exits 0 when every check passes', async () => {
    const { code, report } = await json(['--routes', S('apigeeroutes-fixed.yaml'), '--overrides', S('overrides.yaml')]);
    expect(code).toBe(0);
    expect(report.summary).toEqual({ problemFound: false, passed: 6, failed: 0, skipped: 0, verdict: 'Non-SNI clients are enabled: 6 checks pass on "non-sni-route".' });
    expect(report.routes.map((r) => [r.name, r.role])).toEqual([
      ['myorg-hyb-dev-grp-000-33620d0', 'envgroup'],
      ['myorg-hyb-prod-grp-000-9f1c2e4', 'envgroup'],
      ['non-sni-route', 'wildcard'],
    ]);
    expect(report.inputs.overrides?.virtualhosts.map((v) => v.name)).toEqual(['dev-grp', 'prod-grp']);
  });

  it('reads the JSON List: the route is there but the virtualhost settings were not applied', async () => {
    const { code, report } = await json(['--routes', S('apigeeroutes.json'), '--overrides', S('overrides.yaml')]);
    expect(code).toBe(1);
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['envgroup-additional-gateways']);
  });

  it('without --overrides: that check is skipped, the others decide', async () => {
    const { code, report } = await json(['--routes', S('apigeeroutes-fixed.yaml')]);
    expect(code).toBe(0);
    expect(report.summary).toMatchObject({ passed: 5, skipped: 1, failed: 0 });
    expect(report.inputs.overrides).toBeNull();
  });

  it('Markdown: a checks table and the fixes in code blocks', async () => {
    const r = await cli(['routes', '--routes', S('apigeeroutes-missing.yaml'), '-f', 'markdown']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('| An ApigeeRoute with hostnames \\["\\*"\\] | **FAIL** |');
    expect(r.stdout).toContain('```yaml\n# kubectl apply -n apigee -f non-sni-route.yaml\napiVersion: apigee.cloud.google.com/v1alpha1');
  });
});

describe('sni-pcap routes when it cannot run', () => {
  it('exits 2 for a missing file, a file without ApigeeRoutes, bad overrides, no --routes', async () => {
    expect((await cli(['routes', '--routes', join(TMP, 'nope.yaml')])).code).toBe(2);
    const pods = await cli(['routes', '--routes', file('pods.yaml', 'apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  metadata: {name: p}\n')]);
    expect(pods.code).toBe(2);
    expect(pods.stderr).toContain('no ApigeeRoute found (objects of kind Pod)');
    const bad = await cli(['routes', '--routes', S('apigeeroutes-fixed.yaml'), '--overrides', file('bad.yaml', 'virtualhosts: [\n')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('bad.yaml');
    expect((await cli(['routes'])).code).toBe(2);
  });
});

describe('hostile strings in a routes file', () => {
  const HOSTILE = 'evil\u001b[31m\r\nFAKE<script>x</script>`|';
  const routes = () =>
    file(
      'hostile.json',
      JSON.stringify({
        kind: 'List',
        items: [
          { kind: 'ApigeeRoute', metadata: { name: HOSTILE }, spec: { hostnames: ['*', HOSTILE], enableNonSniClient: HOSTILE, ports: [] } },
          { kind: 'ApigeeRoute', metadata: { name: 'grp' }, spec: { hostnames: [HOSTILE], additionalGateways: [HOSTILE] }, status: { state: HOSTILE } },
        ],
      }),
    );

  it('escapes them in the table and in Markdown; JSON keeps them', async () => {
    const path = routes();
    const table = await cli(['routes', '--routes', path]);
    expect(table.code).toBe(1);
    expect(table.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(table.stdout).not.toContain('\nFAKE');
    const md = await cli(['routes', '--routes', path, '-f', 'markdown']);
    expect(md.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(md.stdout.split('\n').filter((l) => l.startsWith('```')).length % 2).toBe(0);
    expect(md.stdout.replace(/```[^\n]*\n[\s\S]*?\n```/g, '')).not.toContain('<script>');
    const { report } = await json(['--routes', path]);
    expect(report.routes[0].name).toBe(HOSTILE);
  });
});
