/**
 * The worker thread `analyze` runs on when it is the process (see worker.ts): runAnalyze with an
 * Io that posts stdout and stderr text to the main thread, which writes it.
 */
import { createReadStream, fstatSync } from 'node:fs';
import { Socket } from 'node:net';
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
  const stdin = options.captures.includes('-') ? openStdin() : Readable.from([]);
  try {
    const code = await runAnalyze({ ...options, signal: controller.signal }, { stdout: relay('stdout'), stderr: relay('stderr'), stdin }, version);
    post({ kind: 'exit', code });
  } catch (err) {
    post({ kind: 'failed', message: err instanceof Error ? err.message : String(err), usage: err instanceof UsageError });
  }
}

/**
 * The process's stdin, file descriptor 0, opened as the main thread opens it: a pipe or socket
 * through the event loop (it is non-blocking), anything else (a file, a terminal) by reads on
 * the thread pool.
 */
function openStdin(): NodeJS.ReadableStream {
  let pipe = false;
  try {
    const stat = fstatSync(0);
    pipe = stat.isFIFO() || stat.isSocket();
  } catch {
    // Closed: the read reports it.
  }
  return pipe ? new Socket({ fd: 0, readable: true, writable: false }) : createReadStream('', { fd: 0, autoClose: false });
}
