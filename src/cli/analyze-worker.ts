/**
 * The worker thread `analyze` runs on when it is the process (see worker.ts): runAnalyze with an
 * Io that posts stdout and stderr text to the main thread, which writes it.
 */
import { Readable, Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { runAnalyze } from './analyze.js';
import { UsageError } from './command.js';
import type { FromWorker, WorkerJob } from './worker.js';

const port = parentPort;
if (port !== null) {
  const { options, version } = workerData as WorkerJob;
  const post = (message: FromWorker): void => port.postMessage(message);
  const controller = new AbortController();
  port.on('message', (message: unknown) => {
    if (message === 'abort') controller.abort();
  });
  const relay = (kind: 'stdout' | 'stderr'): Writable =>
    new Writable({
      decodeStrings: false,
      write(chunk: string | Buffer, _encoding, done): void {
        post({ kind, text: typeof chunk === 'string' ? chunk : chunk.toString() });
        done();
      },
    });
  // Stdin is file descriptor 0, which the threads of a process share.
  const io = { stdout: relay('stdout'), stderr: relay('stderr'), stdin: Readable.from([]) };
  try {
    const code = await runAnalyze({ ...options, signal: controller.signal, stdinFd: 0 }, io, version);
    post({ kind: 'exit', code });
  } catch (err) {
    post({ kind: 'failed', message: err instanceof Error ? err.message : String(err), usage: err instanceof UsageError });
  }
}

