import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AnalyzeOptions } from './analyze.js';
import { WORKER_HEAP } from './analysis-thread.js';
import { type Io, UsageError } from './command.js';

/** What the command line gives the worker thread: the options, less the signal (it sends 'abort' instead). */
export interface WorkerJob {
  options: Omit<AnalyzeOptions, 'signal'>;
  version: string;
}

/** Messages to the worker thread: its job, then perhaps 'abort'. */
export type ToWorker = { kind: 'job'; job: WorkerJob } | 'abort';

/** Messages from the worker thread: text for stdout and stderr in order, then how it ended. */
export type FromWorker =
  | { kind: 'stdout' | 'stderr'; text: string }
  | { kind: 'exit'; code: number }
  | { kind: 'failed'; message: string; usage: boolean };

/**
 * The analysis thread's code, bundled into one CommonJS file by the build (dist/app): a worker
 * starts from it about 20 ms sooner than from ES modules, whose loader it would set up first.
 */
const ENTRY = new URL('./analyze-worker.cjs', import.meta.url);

/** The worker entry exists in the built package (not when the sources run under a test runner). */
export function workerAvailable(): boolean {
  return ENTRY.protocol === 'file:' && existsSync(fileURLToPath(ENTRY));
}

let early: Worker | null = null;

/**
 * Starts the worker before the command line is parsed: it loads the analysis code while this
 * thread loads its own, then waits for its job. Left unused (help, a usage error) it does not
 * keep the process alive.
 */
export function startWorkerEarly(): void {
  if (early !== null || !workerAvailable()) return;
  early = new Worker(ENTRY, { resourceLimits: WORKER_HEAP });
  early.unref();
}

/** The worker started early, if it has the heap asked for; else a new one. */
function takeWorker(heap: typeof WORKER_HEAP): Worker {
  const worker = early !== null && heap === WORKER_HEAP ? early : new Worker(ENTRY, { resourceLimits: heap });
  if (worker === early) early = null;
  worker.ref();
  return worker;
}

/**
 * runAnalyze on a worker thread with its own heap (WORKER_HEAP). Its output is written to `io` as
 * it comes; `options.signal` stops its reading as it would in this thread. Stdin (`-`) is read
 * by the worker from file descriptor 0, which the threads of a process share: `io.stdin` must be
 * the process's, and untouched.
 */
export function runAnalyzeOnWorker(options: AnalyzeOptions, io: Io, version: string, heap = WORKER_HEAP): Promise<number> {
  const { signal, ...rest } = options;
  const job: WorkerJob = { options: rest, version };
  return new Promise((resolve, reject) => {
    const worker = takeWorker(heap);
    const send = (message: ToWorker): void => worker.postMessage(message);
    send({ kind: 'job', job });
    const abort = (): void => send('abort');
    signal?.addEventListener('abort', abort, { once: true });
    worker.on('message', (message: FromWorker) => {
      switch (message.kind) {
        case 'stdout':
          io.stdout.write(message.text);
          return;
        case 'stderr':
          io.stderr.write(message.text);
          return;
        case 'exit':
          resolve(message.code);
          break;
        case 'failed':
          reject(message.usage ? new UsageError(message.message) : new Error(message.message));
          break;
      }
      // Nothing more is wanted of it; a read of stdin still waiting must not hold the process.
      void worker.terminate();
    });
    worker.on('error', (err: Error & { code?: string }) => {
      reject(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? new Error(`the analysis ran out of memory (its heap limit is ${heap.maxOldGenerationSizeMb} MB)`) : err);
    });
    worker.on('exit', () => {
      signal?.removeEventListener('abort', abort);
      // Settled already, unless the thread ended without a word.
      reject(new Error('the analysis stopped without a result'));
    });
  });
}
