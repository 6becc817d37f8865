/**
 * The worker thread `analyze` runs on when it is the process (see worker.ts). It loads the
 * analysis code as it starts, then runs the job it is sent with an Io that posts stdout and
 * stderr text to the main thread, which writes it.
 */
import { Readable, Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { type MessagePort, parentPort } from 'node:worker_threads';
import { ANALYSIS_V8_FLAGS } from './analysis-thread.js';
import { runAnalyze } from './analyze.js';
import { UsageError } from './command.js';
import type { FromWorker, ToWorker, WorkerJob } from './worker.js';

const port = parentPort;
if (port !== null) {
  // As it starts, not before it is made (see ANALYSIS_V8_FLAGS).
  for (const flag of ANALYSIS_V8_FLAGS) setFlagsFromString(flag);
  const controller = new AbortController();
  port.on('message', (message: ToWorker) => {
    if (message === 'abort') controller.abort();
    else void run(port, message.job, controller.signal);
  });
}

async function run(port: MessagePort, { options, version }: WorkerJob, signal: AbortSignal): Promise<void> {
  const post = (message: FromWorker): void => port.postMessage(message);
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
    const code = await runAnalyze({ ...options, signal, stdinFd: 0 }, io, version);
    post({ kind: 'exit', code });
  } catch (err) {
    post({ kind: 'failed', message: err instanceof Error ? err.message : String(err), usage: err instanceof UsageError });
  }
}
