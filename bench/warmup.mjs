#!/usr/bin/env node
// How the analysis speeds up as V8 optimises it: runs the whole analysis of one capture twice in
// one worker thread, with the heap limits and V8 flag of the command's own analysis thread, and
// prints the time each 65,536 frames took. The first pass is what a command pays (code starting
// in the interpreter, the heap growing); the second runs code already optimised.
//
//   node bench/warmup.mjs FILE [--runs N]    (the current dist/: npm run build first)
//
// Each run is a new thread (and so cold code); the columns are medians over the runs.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const dist = (path) => new URL(`../dist/${path}`, import.meta.url).href;
const PASSES = 2;

if (isMainThread) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--runs');
  const runs = at >= 0 ? Number(args[at + 1]) : 5;
  const file = args.find((a, i) => !a.startsWith('--') && i !== at + 1);
  if (file === undefined || !(runs >= 1)) {
    console.error('usage: node bench/warmup.mjs FILE [--runs N]');
    process.exit(2);
  }
  const { WORKER_HEAP } = await import(dist('cli/worker.js'));
  /** results[run][pass] = { total, steps: ms per 65,536 frames } */
  const results = [];
  for (let run = 0; run < runs; run++) {
    const worker = new Worker(new URL(import.meta.url), { workerData: { file }, resourceLimits: WORKER_HEAP });
    results.push(
      await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      }),
    );
    await worker.terminate();
    process.stderr.write(`\rrun ${run + 1} of ${runs}`);
  }
  process.stderr.write('\n');
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  console.log(`${file}, medians of ${runs} runs (ms)`);
  for (let pass = 0; pass < PASSES; pass++) {
    const totals = results.map((r) => r[pass].total);
    const steps = results[0][pass].steps.map((_, i) => median(results.map((r) => r[pass].steps[i])));
    const label = pass === 0 ? 'first pass ' : 'second pass';
    console.log(`${label} ${median(totals).toFixed(0).padStart(6)}   per 65,536 frames: ${steps.map((s) => s.toFixed(0)).join(' ')}`);
  }
} else {
  const { file } = workerData;
  // As the analysis thread sets it (src/cli/analyze-worker.ts).
  (await import('node:v8')).setFlagsFromString('--no-allocation-site-pretenuring');
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
