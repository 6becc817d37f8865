import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runAnalyze } from '../src/cli/analyze.js';
import type { Report } from '../src/report/model.js';
import { checkResult } from './fuzz/check.mjs';
import { Sink } from './helpers/run.js';
import { inParallel, runCli } from './helpers/spawn.js';

/**
 * The malformed corpus (../shared/corpus/malformed, next to the checkout; MANIFEST.md says what
 * each file exercises) through the real command-line path: every file must end with exit 0, 1
 * or 2, at most one line on stderr and no stack trace, keep what it could read, and stay within
 * a small memory budget. Timeouts here only detect hangs; nothing is timed.
 */
const DIR = resolve(__dirname, '../../shared/corpus/malformed');
const haveCorpus = existsSync(join(DIR, 'MANIFEST.md'));
const names = haveCorpus ? readdirSync(DIR).filter((n) => n !== 'MANIFEST.md').sort() : [];

/** Peak RSS allowed to one spawned run on a file of this corpus (the largest is 188 KB). */
const RSS_BUDGET_MIB = 300;
const HANG_MS = 30_000;

interface ManifestRow {
  /** Packets capinfos read (before the error it reports), null when it read none or the file is no pcap/pcapng to it. */
  capinfosPackets: number | null;
}

/** The capinfos packet counts of MANIFEST.md, for files Wireshark reads as pcap or pcapng. */
function manifest(): Map<string, ManifestRow> {
  const rows = new Map<string, ManifestRow>();
  for (const line of readFileSync(join(DIR, 'MANIFEST.md'), 'utf8').split('\n')) {
    if (!/^\| \d+ \| `/.test(line)) continue;
    const cells = line.split(' | ');
    const name = cells[1].replace(/`/g, '');
    const format = cells[4];
    const pkts = cells[6].trim();
    const capinfos = cells[7].trim();
    let read: number | null = null;
    if (!format.includes('Wireshark reads it as')) {
      if (/^\d+$/.test(pkts) && capinfos === 'ok') read = Number(pkts);
      const after = /after (\d+) pkts/.exec(capinfos);
      if (after !== null) read = Number(after[1]);
    }
    rows.set(name, { capinfosPackets: read });
  }
  return rows;
}

/**
 * Where the tool reads fewer packets than capinfos, and why. In both, a record header claims more
 * bytes than the file's snap length allows and is taken as damage; Wireshark guesses another
 * pcap variant for the file and reads on.
 */
const FEWER_THAN_CAPINFOS: Record<string, string> = {
  'ndpi__fuzz-2021-10-13.pcap': 'the first record claims 524,501 bytes in a file with snap length 0',
  'suricata__bug-6875-01_fuzz.pcap': 'the first record claims 188 bytes where the next record header starts after 140',
};

async function runInProcess(path: string, format: 'json' | 'table' | 'markdown') {
  const stdout = new Sink();
  const stderr = new Sink();
  const run = runAnalyze(
    { captures: [path], ingress: [], format, output: null, color: false, progress: false },
    { stdout, stderr, stdin: new PassThrough() },
    '0.0.0-test',
  );
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${path}: no result after ${HANG_MS} ms`)), HANG_MS);
  });
  try {
    const code = await Promise.race([run, hang]);
    return { code, stdout: stdout.text, stderr: stderr.text };
  } finally {
    clearTimeout(timer);
  }
}

describe.skipIf(!haveCorpus)('the malformed corpus through the command line', () => {
  it('has the 398 files', () => {
    expect(names).toHaveLength(398);
  });

  it('in-process (runAnalyze): every file ends cleanly, keeps what it could read, and renders safely', async () => {
    const rows = manifest();
    const codes: Record<number, number> = {};
    let clean = 0;
    let resynchronised = 0;
    let readBeyondCapinfos = 0;
    for (const name of names) {
      const path = join(DIR, name);
      const json = await runInProcess(path, 'json');
      expect(checkResult(json, 'json'), name).toBeNull();
      for (const format of ['table', 'markdown'] as const) expect(checkResult(await runInProcess(path, format), format), `${name} ${format}`).toBeNull();
      codes[json.code] = (codes[json.code] ?? 0) + 1;
      const stderrLines = json.stderr.split('\n').filter((l) => l !== '');
      if (json.code === 2) {
        expect(stderrLines[0], name).toMatch(/^sni-pcap: .*(not a pcap or pcapng file|empty file|truncated pcap|truncated pcapng|unsupported pcapng)/);
      } else {
        const report = JSON.parse(json.stdout) as Report;
        const capture = report.captures[0];
        // A reason on stderr exactly when reading stopped early, and the report says so too.
        expect(stderrLines.length === 1, name).toBe(capture.error !== null);
        if (capture.truncated) expect(capture.warnings.some((w) => w.startsWith('reading stopped early:')), name).toBe(true);
        if (capture.warnings.some((w) => w.startsWith('resynchronised'))) resynchronised++;
        const wanted = rows.get(name)?.capinfosPackets ?? null;
        if (wanted !== null && FEWER_THAN_CAPINFOS[name] === undefined) expect(capture.packets, `${name}: packets read`).toBeGreaterThanOrEqual(wanted);
        if (wanted !== null && capture.packets > wanted) readBeyondCapinfos++;
      }
      clean++;
    }
    expect(clean).toBe(names.length);
    expect(Object.keys(codes).every((c) => ['0', '1', '2'].includes(c))).toBe(true);
    // pcapng sections after a damaged block are read again (Wireshark stops at the damage).
    expect(resynchronised).toBeGreaterThan(0);
    expect(readBeyondCapinfos).toBeGreaterThan(0);
    for (const name of Object.keys(FEWER_THAN_CAPINFOS)) expect(names).toContain(name);
  }, 900_000);

  it('spawned (bin/sni-pcap.js), two at a time: a sample of files ends with 0, 1 or 2, one line on stderr at most, within the memory budget', async () => {
    // Every 16th file, plus the largest, and files of the kinds with the most damage (one process each: this is the slow part).
    const bySize = [...names].sort((a, b) => statSync(join(DIR, b)).size - statSync(join(DIR, a)).size);
    const damaged = names.filter((n) => /\.gz$|fuzz|oobr|overflow|truncat|invalid|bad/.test(n));
    const pick = new Set([...names.filter((_, i) => i % 16 === 0), ...bySize.slice(0, 6), ...damaged.filter((_, i) => i % 6 === 0)]);
    const sample = [...pick].sort();
    const results = await inParallel(sample, 2, (name) => runCli(['analyze', join(DIR, name), '--format', 'json', '--no-progress'], { timeoutMs: 60_000 }));
    let peak = 0;
    sample.forEach((name, i) => {
      const r = results[i];
      expect(r.timedOut, `${name}: hang`).toBe(false);
      expect([0, 1, 2], `${name}: exit ${r.code} ${r.stderr}`).toContain(r.code);
      expect(r.stderr.split('\n').filter((l) => l !== '').length, `${name}: ${r.stderr}`).toBeLessThanOrEqual(1);
      expect(r.stderr, name).not.toMatch(/^\s+at |Error:|node:internal/m);
      if (r.code !== 2) expect(() => JSON.parse(r.stdout), name).not.toThrow();
      expect(r.peakRssMiB, `${name}: peak RSS`).not.toBeNull();
      expect(r.peakRssMiB ?? Infinity, `${name}: peak RSS`).toBeLessThan(RSS_BUDGET_MIB);
      peak = Math.max(peak, r.peakRssMiB ?? 0);
    });
    expect(sample.length).toBeGreaterThanOrEqual(40);
    expect(peak).toBeGreaterThan(0);
  }, 600_000);
});
