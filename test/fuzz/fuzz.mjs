#!/usr/bin/env node
/**
 * Seeded mutation fuzzer for the whole analyze pipeline (run by `npm run fuzz`, against dist/).
 *
 *   node test/fuzz/fuzz.mjs [--seconds N] [--seed S] [--out DIR] [--time-limit SECONDS]
 *
 * Seeds are the sample captures, the public corpus next to the checkout (captures and malformed
 * files) and the kept regression samples. Each input is a seed mutated at byte and structure
 * level (see mutate.mjs) and is run in-process through runAnalyze in a worker thread, in JSON
 * and, every other input, in one of the text formats. A failure is an exception escaping
 * runAnalyze, a broken invariant (see check.mjs), a crash of the worker (out of memory) or a
 * hang (one input running longer than the time limit). Failures are minimised and written to
 * the output folder (default .cache/fuzz/) with a note of how to make them again.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { checkChunking, checkInput, FORMATS } from './check.mjs';
import { iterationRng, layout, makeInput, prepareSeed } from './mutate.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SELF = fileURLToPath(import.meta.url);

/** Where seeds are read from: the samples, the public corpus beside the checkout, kept regressions. */
const SEED_DIRS = ['samples', '../shared/corpus/captures', '../shared/corpus/malformed', 'test/fuzz/regressions'];

function seedFiles() {
  const files = [];
  for (const dir of SEED_DIRS) {
    const abs = resolve(ROOT, dir);
    if (!existsSync(abs)) continue;
    for (const name of readdirSync(abs).sort()) {
      const path = join(abs, name);
      if (!statSync(path).isFile() || /\.(md|json|ya?ml|log|jsonl|sh|py|mjs|txt)$/i.test(name)) continue;
      files.push(path);
    }
  }
  return files;
}

function loadSeeds(files) {
  return files.map((f) => prepareSeed(readFileSync(f))).filter((s) => s.bytes.length > 0);
}

/**
 * How one input is run: always in JSON; every other input also in one of the text formats; one
 * in four also read from stdin in random pieces, which must give the same report; a third with
 * --ingress covering every address.
 */
function runsOf(i) {
  const ingress = i % 3 === 0 ? ['0.0.0.0/0', '::/0'] : [];
  const runs = [{ format: 'json', ingress }];
  if (i % 2 === 1) runs.push({ format: FORMATS[1 + ((i >> 1) % 3)], ingress });
  if (i % 4 === 2) runs.push({ format: 'json', ingress, chunked: true });
  return runs;
}

/** Where the input of iteration `i` is cut into stdin chunks for the chunking check. */
function cutsOf(seed, i, length) {
  const rng = iterationRng(seed ^ 0x5bd1e995, i);
  return Array.from({ length: 1 + rng.int(6) }, () => rng.int(length + 1));
}

/** Runs one input one way; null when every invariant holds. */
function runOnce(runAnalyze, seed, i, bytes, run) {
  return run.chunked === true ? checkChunking(runAnalyze, bytes, cutsOf(seed, i, bytes.length), run.ingress) : checkInput(runAnalyze, bytes, run.format, run.ingress);
}

// ---------------------------------------------------------------- worker side

async function workerMain() {
  const { mode, files, seed, start, deadline, dist, progress } = workerData;
  const { runAnalyze } = await import(pathToFileURL(join(dist, 'cli/analyze.js')).href);
  const clock = new Float64Array(progress);
  if (mode === 'check') {
    parentPort.on('message', async (m) => {
      clock[1] = Date.now();
      const result = await runOnce(runAnalyze, m.seed, m.i, Buffer.from(m.bytes), m.run);
      clock[1] = 0;
      parentPort.postMessage({ id: m.id, result });
    });
    parentPort.postMessage({ ready: true });
    return;
  }
  const seeds = loadSeeds(files);
  let runs = 0;
  let lastReport = Date.now();
  let i = start;
  for (; Date.now() < deadline; i++) {
    clock[0] = i;
    clock[1] = Date.now();
    const bytes = makeInput(seeds, seed, i);
    for (const run of runsOf(i)) {
      runs++;
      const result = await runOnce(runAnalyze, seed, i, bytes, run);
      if (result !== null) parentPort.postMessage({ type: 'failure', i, ...run, ...result });
    }
    clock[1] = 0;
    if (Date.now() - lastReport > 1000) {
      parentPort.postMessage({ type: 'progress', next: i + 1, runs });
      runs = 0;
      lastReport = Date.now();
    }
  }
  parentPort.postMessage({ type: 'done', next: i, runs });
}

// ---------------------------------------------------------------- main side

function parseArgs(argv) {
  const opts = { seconds: 30, seed: Date.now() % 1_000_000, out: '.cache/fuzz', timeLimit: 10 };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const value = () => {
      const v = argv[++k];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--seconds') opts.seconds = Number(value());
    else if (a === '--seed') opts.seed = Number(value());
    else if (a === '--out') opts.out = value();
    else if (a === '--time-limit') opts.timeLimit = Number(value());
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: node test/fuzz/fuzz.mjs [--seconds N] [--seed S] [--out DIR] [--time-limit SECONDS]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  for (const key of ['seconds', 'seed', 'timeLimit']) {
    if (!Number.isFinite(opts[key]) || opts[key] < 0) throw new Error(`--${key === 'timeLimit' ? 'time-limit' : key} must be a number >= 0`);
  }
  opts.seed = Math.floor(opts.seed) >>> 0;
  return opts;
}

const WORKER_LIMITS = { maxOldGenerationSizeMb: 1024 };

/**
 * Runs the fuzz worker from iteration `start` until `deadline`. Resolves with the next
 * iteration and, if the run ended in a hang or crash, that failure.
 */
function fuzzSegment(ctx, start, deadline, onMessage) {
  return new Promise((resolveSegment) => {
    const progress = new SharedArrayBuffer(16);
    const clock = new Float64Array(progress);
    clock[0] = start;
    const worker = new Worker(SELF, {
      workerData: { mode: 'fuzz', files: ctx.files, seed: ctx.seed, start, deadline, dist: ctx.dist, progress },
      resourceLimits: WORKER_LIMITS,
    });
    let settled = false;
    const settle = (value) => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      resolveSegment(value);
    };
    const watch = setInterval(() => {
      if (clock[1] !== 0 && Date.now() - clock[1] > ctx.timeLimit * 1000) {
        const i = clock[0];
        void worker.terminate();
        settle({ next: i + 1, failure: { type: 'failure', i, kind: 'hang', message: `no result after ${ctx.timeLimit} s`, signature: 'hang', ...runsOf(i)[0] } });
      }
    }, 250);
    worker.on('message', (m) => {
      onMessage(m);
      if (m.type === 'done') settle({ next: m.next, failure: null });
    });
    worker.on('error', (err) => {
      const i = clock[0];
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      settle({ next: i + 1, failure: { type: 'failure', i, kind: 'crash', message, signature: `crash: ${message.replace(/\d+/g, 'N')}`, ...runsOf(i)[0] } });
    });
    worker.on('exit', (code) => {
      const i = clock[0];
      settle({ next: i + 1, failure: code === 0 ? null : { type: 'failure', i, kind: 'crash', message: `worker exited with ${code}`, signature: `crash: exit ${code}`, ...runsOf(i)[0] } });
    });
  });
}

/** Runs single inputs in a worker, with the time limit; restarts the worker after a hang. */
class Checker {
  constructor(ctx) {
    this.ctx = ctx;
    this.worker = null;
    this.nextId = 0;
  }

  async start() {
    this.progress = new SharedArrayBuffer(16);
    this.worker = new Worker(SELF, { workerData: { mode: 'check', dist: this.ctx.dist, progress: this.progress }, resourceLimits: WORKER_LIMITS });
    await new Promise((ok, fail) => {
      this.worker.once('message', ok);
      this.worker.once('error', fail);
    });
  }

  async run(bytes, run, seed, i) {
    if (this.worker === null) await this.start();
    const id = this.nextId++;
    const worker = this.worker;
    return new Promise((ok) => {
      let done = false;
      const finish = (result, restart) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        if (restart) {
          void worker.terminate();
          this.worker = null;
        }
        ok(result);
      };
      const onMessage = (m) => {
        if (m.id === id) finish(m.result, false);
      };
      const onError = (err) => finish({ kind: 'crash', message: String(err), signature: `crash: ${String(err).replace(/\d+/g, 'N')}` }, true);
      const timer = setTimeout(() => finish({ kind: 'hang', message: 'hang', signature: 'hang' }, true), this.ctx.timeLimit * 1000);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.postMessage({ id, bytes, run, seed, i });
    });
  }

  async stop() {
    if (this.worker !== null) await this.worker.terminate();
    this.worker = null;
  }
}

/** Makes a failing input smaller while it fails the same way: whole records or blocks first, then byte ranges. */
async function minimise(checker, bytes, f, budgetMs) {
  const until = Date.now() + budgetMs;
  let tries = 0;
  const same = async (b) => {
    tries++;
    const r = await checker.run(b, { format: f.format, ingress: f.ingress, chunked: f.chunked }, f.seed, f.i);
    return r !== null && r.signature === f.signature;
  };
  if (!(await same(bytes))) return { bytes, reproduced: false, tries };
  let cur = bytes;
  if (cur.length >= 2 && cur[0] === 0x1f && cur[1] === 0x8b) {
    try {
      const plain = gunzipSync(cur);
      if (await same(plain)) cur = plain;
    } catch {
      // Cut gzip data: keep it as it is.
    }
  }
  for (let changed = true; changed && Date.now() < until; ) {
    changed = false;
    const units = layout(cur).units;
    for (let k = units.length - 1; k >= 0 && Date.now() < until; k--) {
      const u = units[k];
      const candidate = Buffer.concat([cur.subarray(0, u.start), cur.subarray(u.end)]);
      if (await same(candidate)) {
        cur = candidate;
        changed = true;
        break;
      }
    }
  }
  for (let size = 2 ** Math.floor(Math.log2(Math.max(1, cur.length / 2))); size >= 1 && Date.now() < until; size = Math.floor(size / 2)) {
    for (let off = 0; off < cur.length && Date.now() < until; ) {
      const candidate = Buffer.concat([cur.subarray(0, off), cur.subarray(off + size)]);
      if (candidate.length > 0 && (await same(candidate))) cur = candidate;
      else off += size;
    }
  }
  return { bytes: cur, reproduced: true, tries };
}

function fmt(n) {
  return Math.round(n).toLocaleString('en-US');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const dist = resolve(ROOT, 'dist');
  if (!existsSync(join(dist, 'cli/analyze.js'))) throw new Error('dist/ is missing: run npm run build (npm run fuzz does)');
  const files = seedFiles();
  const seeds = loadSeeds(files);
  if (seeds.length === 0) throw new Error('no seed captures found');
  const ctx = { files, seed: opts.seed, dist, timeLimit: opts.timeLimit };
  const out = resolve(process.cwd(), opts.out);
  process.stderr.write(`fuzz: seed ${opts.seed}, ${opts.seconds} s, ${seeds.length} seed captures, failures to ${out}\n`);

  const began = Date.now();
  const deadline = began + opts.seconds * 1000;
  const failures = new Map();
  let next = 0;
  let runs = 0;
  let lastLine = Date.now();
  const onMessage = (m) => {
    if (m.type === 'failure') {
      if (!failures.has(m.signature)) {
        failures.set(m.signature, { ...m, count: 0 });
        process.stderr.write(`fuzz: input ${m.i}: ${m.kind}: ${m.message}\n`);
      }
      failures.get(m.signature).count++;
    } else if (m.type === 'progress' || m.type === 'done') {
      runs += m.runs;
      next = m.next;
      if (Date.now() - lastLine > 10_000) {
        lastLine = Date.now();
        process.stderr.write(`fuzz: ${fmt(next)} inputs, ${fmt(next / ((Date.now() - began) / 1000))}/s\n`);
      }
    }
  };
  while (Date.now() < deadline) {
    const segment = await fuzzSegment(ctx, next, deadline, onMessage);
    next = segment.next;
    if (segment.failure !== null) onMessage(segment.failure);
  }
  const seconds = (Date.now() - began) / 1000;

  // Minimise and keep each distinct failure that happens again on its own.
  let notReproduced = 0;
  if (failures.size > 0) {
    mkdirSync(out, { recursive: true });
    const checker = new Checker(ctx);
    for (const f of failures.values()) {
      const input = makeInput(seeds, opts.seed, f.i);
      const small = await minimise(checker, input, { ...f, seed: opts.seed }, 60_000);
      if (!small.reproduced) {
        // A time limit hit while the machine was busy, most likely: said, not kept.
        notReproduced++;
        process.stderr.write(`fuzz: input ${f.i}: ${f.kind} did not happen again when run on its own; not kept\n`);
        continue;
      }
      const id = `${f.kind}-${createHash('sha1').update(f.signature).digest('hex').slice(0, 10)}`;
      const ext = small.bytes[0] === 0x1f && small.bytes[1] === 0x8b ? '.pcap.gz' : '.pcap';
      writeFileSync(join(out, id + ext), small.bytes);
      const note = [
        `signature: ${f.signature}`,
        `message: ${f.message}`,
        `made by: node test/fuzz/fuzz.mjs --seed ${opts.seed} (input ${f.i}, seen ${f.count} times)`,
        `run as: --format ${f.format}${f.ingress.length > 0 ? ` --ingress ${f.ingress.join(',')}` : ''}${f.chunked === true ? ', read in pieces' : ''}`,
        `size: ${input.length} bytes, minimised to ${small.bytes.length} in ${small.tries} runs`,
        f.stack !== undefined ? `\n${f.stack}` : '',
      ].join('\n');
      writeFileSync(join(out, `${id}.txt`), note + '\n');
      process.stderr.write(`fuzz: kept ${join(opts.out, id + ext)} (${small.bytes.length} bytes)\n`);
    }
    await checker.stop();
  }
  const perSecond = next / seconds;
  const found = failures.size - notReproduced;
  process.stdout.write(
    `fuzz: seed ${opts.seed}: ${fmt(next)} mutated inputs in ${seconds.toFixed(1)} s (${fmt(perSecond)} inputs/s, ${fmt(runs)} pipeline runs); ` +
      `${found} distinct failure${found === 1 ? '' : 's'}${notReproduced > 0 ? `, ${notReproduced} not reproduced` : ''}\n`,
  );
  return found === 0 ? 0 : 1;
}

if (isMainThread) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`fuzz: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
} else {
  await workerMain();
}
