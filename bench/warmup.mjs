#!/usr/bin/env node
// How the analysis speeds up as V8 optimises it: runs the whole analysis of one capture twice in
// one worker thread, with the heap limits and V8 flag of the command's own analysis thread, and
// prints the time each 65,536 frames took. The first pass is what a command pays (code starting
// in the interpreter, the heap growing); the second runs code already optimised.
//
//   node bench/warmup.mjs FILE [--runs N] [--compare "V8 FLAGS"]    (the current dist/: npm run build first)
//
// Each run is a new thread (and so cold code); the columns are medians over the runs. With
// --compare, each run makes a second thread that sets these V8 flags too as it starts (as the
// analysis thread sets its own), the two in turn, and the ratio of their first passes is printed.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { dist, inAnalysisThread, median, setAnalysisFlags } from './thread.mjs';

const PASSES = 2;

if (isMainThread) {
  const args = process.argv.slice(2);
  const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const file = args.find((a, i) => !a.startsWith('--') && !['--runs', '--compare'].includes(args[i - 1]));
  const runs = Number(option('--runs') ?? 5);
  const compare = option('--compare');
  if (file === undefined || !(runs >= 1)) {
    console.error('usage: node bench/warmup.mjs FILE [--runs N] [--compare "V8 FLAGS"]');
    process.exit(2);
  }
  const configs = compare === undefined ? [''] : ['', compare];
  /** results[config][run][pass] = { total, steps: ms per 65,536 frames } */
  const results = configs.map(() => []);
  for (let run = 0; run < runs; run++) {
    for (const [i, flags] of configs.entries()) {
      results[i].push(await inAnalysisThread(new URL(import.meta.url), { file, flags }));
    }
    process.stderr.write(`\rrun ${run + 1} of ${runs}`);
  }
  process.stderr.write('\n');
  console.log(`${file}, medians of ${runs} runs (ms)`);
  for (const [i, flags] of configs.entries()) {
    if (compare !== undefined) console.log(i === 0 ? 'without the flags' : `with the flags: ${flags === '' ? '(none)' : flags}`);
    for (let pass = 0; pass < PASSES; pass++) {
      const runsOf = results[i];
      const totals = runsOf.map((r) => r[pass].total);
      const steps = runsOf[0][pass].steps.map((_, k) => median(runsOf.map((r) => r[pass].steps[k])));
      const label = pass === 0 ? 'first pass ' : 'second pass';
      console.log(`${label} ${median(totals).toFixed(0).padStart(6)}   per 65,536 frames: ${steps.map((s) => s.toFixed(0)).join(' ')}`);
    }
  }
  if (compare !== undefined) {
    const ratios = results[1].map((r, run) => r[0].total / results[0][run][0].total);
    console.log(`first pass with the flags / without, median of the runs' ratios: ${median(ratios).toFixed(3)}`);
  }
} else {
  const { file, flags } = workerData;
  // The analysis thread's flags, then the ones compared.
  await setAnalysisFlags(flags.split(' ').filter((f) => f !== ''));
  const [{ analyzeCapture }, { OutcomeCollector }] = await Promise.all(['cli/pipeline.js', 'verdict/collect.js'].map((p) => import(dist(p))));
  const passes = [];
  for (let pass = 0; pass < PASSES; pass++) {
    const start = performance.now();
    let last = start;
    const steps = [];
    // Called once every 65,536 frames.
    const progress = () => {
      const now = performance.now();
      steps.push(now - last);
      last = now;
    };
    await analyzeCapture(file, 0, new OutcomeCollector(), { progress });
    const end = performance.now();
    steps.push(end - last);
    passes.push({ total: end - start, steps });
  }
  parentPort.postMessage(passes);
}
