import { Worker } from 'node:worker_threads';

/** Decompression of a gzip file ended early: damaged gzip data, or the file could not be read. */
export class InflateError extends Error {
  constructor(
    readonly kind: 'gzip' | 'read',
    message: string,
  ) {
    super(message);
    this.name = 'InflateError';
  }
}

/** Output chunks in flight between the worker and the reader. */
const SLOTS = 4;
const MAX_MESSAGE = 1024;
/** Output chunks between two collections of the worker's young generation (see inflateInWorker). */
const COLLECT_EVERY = 16;

// Cells of the shared control array.
/** Chunks the worker has written. */
const WRITTEN = 0;
/** Chunks the reader is done with. */
const READ = 1;
const STATE = 2;
/** Bumped by the worker on every chunk and on its end: what the reader waits on. */
const SIGNAL = 3;
const MESSAGE_LENGTH = 4;
/** Then one cell per slot: the length of the chunk in it. */
const LENGTHS = 5;

// States.
const RUNNING = 0;
const ENDED = 1;
const GZIP_ERROR = 2;
const READ_ERROR = 3;
/** Set by the reader: it wants no more. */
const STOPPED = 4;

interface WorkerInput {
  fd: number;
  chunkSize: number;
  pieceSize: number;
  data: SharedArrayBuffer;
  control: Int32Array;
  message: Uint16Array;
  cells: Record<'WRITTEN' | 'READ' | 'STATE' | 'SIGNAL' | 'MESSAGE_LENGTH' | 'LENGTHS' | 'SLOTS' | 'MAX_MESSAGE' | 'COLLECT_EVERY', number>;
  states: Record<'RUNNING' | 'ENDED' | 'GZIP_ERROR' | 'READ_ERROR' | 'STOPPED', number>;
}

/**
 * The worker's side, run from its source text (so that it needs no file of its own): reads the
 * file in pieces of `pieceSize` bytes from the start, decompresses them with zlib, and copies each
 * output chunk into a free slot of the shared buffer, waiting while all slots are taken. The
 * modules it uses are passed in by the source text's call (see WORKER_SOURCE): a `require` in
 * this function's body would be rewritten by the bundler, and then mean nothing in the worker.
 */
function inflateInWorker(
  { workerData }: typeof import('node:worker_threads'),
  { read }: typeof import('node:fs'),
  { createGunzip }: typeof import('node:zlib'),
  { setFlagsFromString }: typeof import('node:v8'),
  { runInNewContext }: typeof import('node:vm'),
): void {
  const input = workerData as WorkerInput;
  // V8's gc() function, which a context made once --expose-gc is set has (see the 'data' handler).
  // The flag is set here rather than before the thread is made: a thread made after a V8 flag
  // changed does not start from V8's snapshot, 40 ms more.
  setFlagsFromString('--expose-gc');
  // Without it (a runtime that ignored the flag) the buffers still go, only later.
  const collect = runInNewContext("typeof gc === 'function' ? gc : undefined") as ((options: { type: 'minor' }) => void) | undefined;
  const { fd, chunkSize, pieceSize, control, message, cells: c, states: s } = input;
  const out = new Uint8Array(input.data);
  const gunzip = createGunzip({ chunkSize });
  let written = 0;
  let position = 0;

  const finish = (state: number, text: string): void => {
    if (Atomics.load(control, c.STATE) !== s.RUNNING) return;
    const t = text.slice(0, c.MAX_MESSAGE);
    for (let i = 0; i < t.length; i++) message[i] = t.charCodeAt(i);
    Atomics.store(control, c.MESSAGE_LENGTH, t.length);
    Atomics.store(control, c.STATE, state);
    Atomics.add(control, c.SIGNAL, 1);
    Atomics.notify(control, c.SIGNAL);
  };

  gunzip.on('data', (chunk: Buffer) => {
    for (;;) {
      if (Atomics.load(control, c.STATE) === s.STOPPED) return;
      const done = Atomics.load(control, c.READ);
      if (written - done < c.SLOTS) break;
      Atomics.wait(control, c.READ, done);
    }
    const slot = written % c.SLOTS;
    out.set(chunk, slot * chunkSize);
    // zlib makes a new buffer per chunk, and V8 frees one only when its collector runs, which a
    // heap this small rarely needs: without a collection now and then, some 40 MB of spent
    // buffers would wait for V8's external-memory limit. A young-generation collection frees them.
    if (written % c.COLLECT_EVERY === c.COLLECT_EVERY - 1) collect?.({ type: 'minor' });
    Atomics.store(control, c.LENGTHS + slot, chunk.length);
    Atomics.store(control, c.WRITTEN, ++written);
    Atomics.add(control, c.SIGNAL, 1);
    Atomics.notify(control, c.SIGNAL);
  });
  gunzip.on('end', () => finish(s.ENDED, ''));
  gunzip.on('error', (err: Error) => finish(s.GZIP_ERROR, err.message));

  // Each piece is filled whole (short reads are read on), so that damaged data stops the
  // decompressor at the same byte whatever the file system does. One piece, reused: the next is
  // read once zlib has taken the last (its write callback).
  const piece = Buffer.allocUnsafe(pieceSize);
  const fill = (used: number): void => {
    read(fd, piece, used, pieceSize - used, position, (err, n) => {
      if (Atomics.load(control, c.STATE) !== s.RUNNING) return;
      if (err !== null) {
        finish(s.READ_ERROR, err.message);
        gunzip.destroy();
        return;
      }
      position += n;
      const total = used + n;
      if (n > 0 && total < pieceSize) fill(total);
      else if (n > 0) gunzip.write(piece, () => fill(0));
      else if (total > 0) gunzip.end(piece.subarray(0, total)); // the end of the file
      else gunzip.end();
    });
  };
  fill(0);
}

const WORKER_SOURCE = `(${inflateInWorker.toString()})(${['worker_threads', 'fs', 'zlib', 'v8', 'vm'].map((m) => `require('node:${m}')`).join(', ')})`;

/**
 * The decompressed content of a gzip file, in chunks of at most `chunkSize` bytes, decompressed on
 * a worker thread: zlib runs beside the decoding, and the output comes through a few reused
 * shared buffers rather than a new buffer per chunk (a gigabyte of fresh buffers kept V8's
 * garbage collector busy on the main thread). Each chunk is valid until the next one is asked for.
 * `fd` is read from its start with positioned reads; the caller keeps it open until this ends.
 * Throws InflateError after the last good chunk when the data is damaged or cannot be read.
 */
export async function* inflatedFileChunks(fd: number, chunkSize: number, pieceSize: number): AsyncGenerator<Buffer> {
  const data = new SharedArrayBuffer(SLOTS * chunkSize);
  const control = new Int32Array(new SharedArrayBuffer((LENGTHS + SLOTS) * 4));
  const message = new Uint16Array(new SharedArrayBuffer(MAX_MESSAGE * 2));
  const input: WorkerInput = {
    fd,
    chunkSize,
    pieceSize,
    data,
    control,
    message,
    cells: { WRITTEN, READ, STATE, SIGNAL, MESSAGE_LENGTH, LENGTHS, SLOTS, MAX_MESSAGE, COLLECT_EVERY },
    states: { RUNNING, ENDED, GZIP_ERROR, READ_ERROR, STOPPED },
  };
  // The worker holds a few buffers and zlib's state: a small heap is plenty.
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: input, resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 } });
  // A worker that fails, or stops before it said how it ended, must not leave the reader waiting.
  let crashed: Error | null = null;
  const fail = (err: Error): void => {
    crashed ??= err;
    Atomics.add(control, SIGNAL, 1);
    Atomics.notify(control, SIGNAL);
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`decompression stopped (worker exit code ${code})`)));
  try {
    for (let read = 0; ; ) {
      const seen = Atomics.load(control, SIGNAL);
      const state = Atomics.load(control, STATE);
      if (Atomics.load(control, WRITTEN) > read) {
        const slot = read % SLOTS;
        yield Buffer.from(data, slot * chunkSize, Atomics.load(control, LENGTHS + slot));
        Atomics.store(control, READ, ++read);
        Atomics.notify(control, READ);
        continue;
      }
      // The worker moves WRITTEN before STATE: once it has ended, every chunk was seen above.
      if (state === ENDED) return;
      if (state === GZIP_ERROR || state === READ_ERROR) {
        const text = String.fromCharCode(...message.subarray(0, Atomics.load(control, MESSAGE_LENGTH)));
        throw new InflateError(state === GZIP_ERROR ? 'gzip' : 'read', text);
      }
      if (crashed !== null) throw new InflateError('read', (crashed as Error).message);
      const wait = Atomics.waitAsync(control, SIGNAL, seen);
      if (wait.async) await wait.value;
    }
  } finally {
    // Wake a worker waiting for a free slot: it sees STOPPED and writes no more.
    Atomics.store(control, STATE, STOPPED);
    Atomics.add(control, READ, 1);
    Atomics.notify(control, READ);
    await worker.terminate();
  }
}
