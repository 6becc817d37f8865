/**
 * The worker thread `analyze` runs on when it is the process (see worker.ts). It loads the
 * analysis code as it starts, then runs the job it is sent with an Io that posts stdout and
 * stderr text to the main thread, which writes it.
 */
import { Readable, Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { type MessagePort, parentPort } from 'node:worker_threads';
import { runAnalyze } from './analyze.js';
import { UsageError } from './command.js';
import type { FromWorker, ToWorker, WorkerJob } from './worker.js';

const port = parentPort;
if (port !== null) {
  // V8's allocation-site pretenuring allocates the objects made at one place in the code straight
  // in the old generation once most of them have outlived a young-generation collection, and
  // never looks back. At the start of a capture every connection outcome is kept (up to
  // --max-listed), so the places that make outcomes, endpoints and hello facts were soon
  // pretenured, and the 130,000 outcomes of the handshake-heavy file that are only counted then
  // died in the old generation. Without it the young generation collects more often, but the
  // analysis takes 7 % less time and the connection table alone 27 % less (medians of 8 to 10
  // runs alternating with it on); the reports are identical. The flag is read when the collector
  // decides, so it holds from here on. It is set here, not before the thread is made: V8 flags
  // are the process's, and a thread made after one changed does not start from V8's snapshot
  // (40 ms more).
  setFlagsFromString('--no-allocation-site-pretenuring');
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
