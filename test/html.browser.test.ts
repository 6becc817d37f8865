// Loads HTML reports in headless Chromium (Debian's chromium package): no console errors, no
// request beyond the file itself, the ladder's arrows and labels where they belong, a hostile
// server_name shown as text. Screenshots go to .cache/html-report/ for a person to look at.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handshakeCapture } from './helpers/handshake-capture.js';
import { analyze } from './helpers/run.js';

const ROOT = resolve(__dirname, '..');
const OUT = join(ROOT, '.cache', 'html-report');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HOSTILE = '<img src=x onerror=alert(1)></script><script>alert(2)</script>.example';

// CI installs chromium (.ci/run); elsewhere the test is skipped without it.
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium package`);

interface Loaded {
  page: Page;
  errors: string[];
  requests: string[];
  dialogs: string[];
}

async function report(name: string, captures: string[], ingress: string[] = []): Promise<string> {
  const file = join(OUT, `${name}.html`);
  const r = await analyze({ captures, ingress, format: 'html', output: file });
  if (r.code === 2) throw new Error(r.stderr);
  return file;
}

describe.skipIf(!haveChromium)('the HTML report in Chromium', () => {
  let context: BrowserContext;
  let profile: string;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const hostileCapture = join(OUT, 'hostile-sni.pcap');
    writeFileSync(
      hostileCapture,
      handshakeCapture([
        { client: '192.0.2.7', clientPort: 50000, server: '192.0.2.100', serverPort: 443, sni: Buffer.from(HOSTILE), random: Buffer.alloc(32, 0x5a).fill(1, 0, 1), reset: true, start: 1_700_000_000 },
        { client: '192.0.2.8', clientPort: 50001, server: '192.0.2.100', serverPort: 443, sni: null, random: Buffer.alloc(32, 0x5b).fill(2, 0, 1), reset: true, start: 1_700_000_001 },
      ]),
    );
    files.nonSni = await report('non-sni-reset', [join(ROOT, 'samples', 'non-sni-reset.pcap')]);
    files.dnat = await report('node-dnat', [join(ROOT, 'samples', 'node-dnat.pcap')], ['10.233.0.100']);
    files.hostile = await report('hostile-sni', [hostileCapture]);
    profile = mkdtempSync(join(tmpdir(), 'sni-pcap-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      offline: true,
      viewport: { width: 1280, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  async function load(file: string): Promise<Loaded> {
    const page = await context.newPage();
    const loaded: Loaded = { page, errors: [], requests: [], dialogs: [] };
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') loaded.errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => loaded.errors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => loaded.requests.push(r.url()));
    page.on('dialog', (d) => {
      loaded.dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return loaded;
  }

  it('loads a sample report with no console error and no request but the file itself', async () => {
    const { page, errors, requests } = await load(files.nonSni);
    expect(errors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(files.nonSni).href]);
    expect(await page.title()).toBe('sni-pcap report: 3 clients send ClientHellos without server_name and the ingress resets them.');
    expect(await page.locator('.verdict').innerText()).toContain('3 clients send ClientHellos without server_name and the ingress resets them.');
    expect(await page.locator('table.clients tbody tr').count()).toBe(5);
    await page.screenshot({ path: join(OUT, 'non-sni-reset.png'), fullPage: true });
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: join(OUT, 'non-sni-reset.print.png'), fullPage: true });
    await page.close();
  });

  it('draws the ladder: the arrows in order, labelled, between the two lifelines and inside the picture', async () => {
    const { page } = await load(files.nonSni);
    expect(await page.locator('svg.ladder').count()).toBe(3);
    const ladder = page.locator('svg.ladder').first();
    const steps = await ladder.locator('g.step').evaluateAll((gs) =>
      gs.map((g) => ({
        cls: g.getAttribute('class'),
        frame: g.getAttribute('data-frame'),
        label: g.querySelector('.label')?.textContent,
        time: g.querySelector('.time')?.textContent,
      })),
    );
    expect(steps.map((s) => [s.cls, s.frame, s.label])).toEqual([
      ['step step-syn', '1', 'SYN'],
      ['step step-syn-ack', '2', 'SYN, ACK'],
      ['step step-ack', '3', 'ACK'],
      ['step step-client-hello alarm', '4', 'Client Hello — no server_name'],
      ['step step-server-rst alarm', '6', 'RST'],
    ]);
    expect(steps[0].time).toBe('0.000');
    // Geometry as drawn: client→server arrows point right, server→client left; labels and boxes fit in the SVG.
    const geometry = await ladder.evaluate((svg) => {
      const box = svg.getBoundingClientRect();
      const lifelines = [...svg.querySelectorAll('line.life')].map((l) => l.getBoundingClientRect().x);
      const arrows = [...svg.querySelectorAll('g.step')].map((g) => {
        const line = g.querySelector('line.arrow') as SVGLineElement;
        return { dx: line.x2.baseVal.value - line.x1.baseVal.value };
      });
      const inside = [...svg.querySelectorAll('text, rect')].every((el) => {
        const r = el.getBoundingClientRect();
        return r.left >= box.left - 0.5 && r.right <= box.right + 0.5 && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5;
      });
      const labelsBetween = [...svg.querySelectorAll('g.step .label')].every((el) => {
        const r = el.getBoundingClientRect();
        return r.left > lifelines[0] && r.right < lifelines[1];
      });
      return { width: box.width, lifelines, arrows, inside, labelsBetween };
    });
    expect(geometry.width).toBeGreaterThan(400);
    expect(geometry.lifelines).toHaveLength(2);
    expect(geometry.arrows.map((a) => Math.sign(a.dx))).toEqual([1, -1, 1, 1, -1]);
    expect(geometry.inside).toBe(true);
    expect(geometry.labelsBetween).toBe(true);
    await page.close();
  });

  it('shows which address reset a connection captured before and after DNAT', async () => {
    const { page, errors } = await load(files.dnat);
    expect(errors).toEqual([]);
    const first = page.locator('svg.ladder').first();
    expect(await first.locator('.lifeline.server .addr-note').textContent()).toBe('also seen as 10.233.2.2:8443');
    expect(await first.locator('g.step-server-rst .note').allTextContents()).toEqual(['sent by 10.233.2.2:8443 (after DNAT)', 'reaches the client as frame 12']);
    await page.screenshot({ path: join(OUT, 'node-dnat.png'), fullPage: true });
    await page.close();
  });

  it('keeps a hostile server_name as text: no element, no script, no dialog', async () => {
    const { page, errors, requests, dialogs } = await load(files.hostile);
    expect(errors).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(requests).toEqual([pathToFileURL(files.hostile).href]);
    expect(await page.locator('img, script, iframe, object, embed').count()).toBe(0);
    const finding = page.locator('.finding.kind-sni-reset');
    const hello = await finding.locator('.hello dd code').first().textContent();
    expect(hello).toBe(HOSTILE);
    const body = await page.locator('body').innerText();
    expect(body).toContain('Extension: server_name "<img src=x onerror=alert(1)></script><script>alert(2)</script>.example"');
    const label = await finding.locator('g.step-client-hello .label').textContent();
    expect(label).toMatch(/^Client Hello, server_name <img src=x onerror=alert\(.*…$/); // cut to the label's length
    await page.screenshot({ path: join(OUT, 'hostile-sni.png'), fullPage: true });
    await page.close();
  });
});
