import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '..');

describe('the npm package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sni-pcap-pack-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // dist/ is built by npm test's pretest step, so packing needs no build of its own.
  it('packs, installs without a native build, and runs', () => {
    execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, stdio: 'pipe' });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    const prefix = join(dir, 'install');
    execFileSync('npm', ['install', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', join(dir, tarball as string)], {
      stdio: 'pipe',
    });
    const bin = join(prefix, 'node_modules', '.bin', 'sni-pcap');
    expect(execFileSync(bin, ['--version']).toString().trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const out = execFileSync(bin, ['analyze', join(ROOT, 'samples/sni-ok.pcap'), '--format', 'json']).toString();
    expect(JSON.parse(out).summary.problemFound).toBe(false);
  }, 120_000);
});
