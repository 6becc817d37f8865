import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAnalyze } from '../../src/cli/analyze.js';
import { checkChunking, checkInput, FORMATS } from './check.mjs';
import { makeInput, prepareSeed, layout } from './mutate.mjs';

const DIR = join(__dirname, 'regressions');
const files = readdirSync(DIR).filter((f) => !f.endsWith('.md')).sort();

describe('inputs the fuzzer once broke the pipeline with', () => {
  it('are kept', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s: every format, ingress given or detected, with every invariant', async (name) => {
    const bytes = readFileSync(join(DIR, name));
    for (const format of FORMATS) {
      for (const ingress of [[], ['0.0.0.0/0', '::/0']]) {
        expect(await checkInput(runAnalyze, bytes, format, ingress), `${format} ${ingress.join(',')}`).toBeNull();
      }
    }
  });

  it.each(files)('%s: the same report however stdin delivers it', async (name) => {
    const bytes = readFileSync(join(DIR, name));
    const every = (step: number) => Array.from({ length: Math.min(200, Math.floor(bytes.length / step)) }, (_, k) => (k + 1) * step);
    for (const cuts of [[1], [2, 3], [28, 136], every(13), every(4096)]) {
      expect(await checkChunking(runAnalyze, bytes, cuts), `cut at ${cuts.slice(0, 5).join(',')}`).toBeNull();
    }
  });
});

describe('the mutator', () => {
  it('makes the same input again from the same seed and iteration, and another from another', () => {
    const seeds = files.map((f) => prepareSeed(readFileSync(join(DIR, f))));
    expect(makeInput(seeds, 7, 123).equals(makeInput(seeds, 7, 123))).toBe(true);
    const distinct = new Set(Array.from({ length: 20 }, (_, i) => makeInput(seeds, 7, i).toString('hex')));
    expect(distinct.size).toBeGreaterThan(15);
  });

  it('finds records, IP, TCP and TLS fields in a sample capture', () => {
    const info = layout(readFileSync(join(__dirname, '../../samples/non-sni-reset.pcap')));
    expect(info.container).toBe('pcap');
    expect(info.units.length).toBeGreaterThan(10);
    const kinds = new Set(info.sites.map((s) => s.kind));
    for (const k of ['caplen', 'linktype', 'ip-total', 'ip-frag', 'tcp-seq', 'tcp-flags', 'tls-record-len', 'tls-handshake-len', 'tls-extension-len']) expect(kinds, k).toContain(k);
  });
});
