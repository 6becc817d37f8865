import { constants, fstatSync, openSync, read, readSync } from 'node:fs';
import type { OnReadOpts, SocketConstructorOpts } from 'node:net';
import { open, type FileHandle } from 'node:fs/promises';
import { createCaptureDecoder } from './decoder.js';
import { inflatedFileChunks, InflateError } from './inflate.js';
import { isGzip } from './magic.js';
import type { CaptureLimits, CaptureSink, CaptureSummary } from './types.js';

/** The capture could not be opened or is not a readable file. */
export class CaptureOpenError extends Error {
  /** The path as given. */
  readonly source: string;
  /** The system error code (ENOENT, EACCES, EISDIR, ...), when there is one. */
  readonly code: string | null;

  constructor(source: string, reason: string, code: string | null) {
    super(`cannot read ${source}: ${reason}`);
    this.name = 'CaptureOpenError';
    this.source = source;
    this.code = code;
  }
}

export interface ReadCaptureOptions {
  /**
   * What the source `-` reads (default: process.stdin): a stream, or a file descriptor, which is
   * read into two reused buffers (a stream makes a new buffer for every read).
   */
  stdin?: NodeJS.ReadableStream | number;
  /** Read (and decompression output) chunk size in bytes, default 1 MiB (at least 4 KiB). */
  chunkSize?: number;
  limits?: Partial<CaptureLimits>;
  /**
   * Stops reading when aborted (Ctrl-C): the records read so far are kept, the summary is marked
   * truncated with the error `interrupted after N frames`, and stdin is let go.
   */
  signal?: AbortSignal;
}

const DEFAULT_CHUNK = 1024 * 1024;

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a component of the path is not a directory',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
};

function errorCode(err: unknown): string | null {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return null;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function openError(source: string, err: unknown): CaptureOpenError {
  const code = errorCode(err);
  const reason = (code !== null ? REASONS[code] : undefined) ?? errorMessage(err);
  return new CaptureOpenError(source, reason, code);
}

async function* streamChunks(input: AsyncIterable<unknown>): AsyncGenerator<Buffer> {
  for await (const chunk of input) {
    if (Buffer.isBuffer(chunk)) yield chunk;
    else if (typeof chunk === 'string') yield Buffer.from(chunk, 'latin1');
    else if (chunk instanceof Uint8Array) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}

/**
 * Reads a named pipe, device or file descriptor into two buffers, reused in turn: each chunk is
 * valid until the next one is asked for. While the caller decodes one chunk, the next is read
 * into the other buffer on libuv's thread pool, so that a slow writer never blocks the event
 * loop. Reusing the buffers (rather than a fresh one per read) keeps the kernel from faulting in
 * new pages for every megabyte, which is most of the cost of a plain read.
 */
async function* fileChunks(readInto: (buffer: Buffer) => Promise<number>, size: number): AsyncGenerator<Buffer> {
  const buffers = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
  let next = 0;
  let reading = readInto(buffers[next]);
  // A read still running when the caller stops: its failure (the file closed under it) is of no interest.
  reading.catch(() => undefined);
  try {
    for (;;) {
      const bytesRead = await reading;
      if (bytesRead === 0) return;
      const chunk = buffers[next].subarray(0, bytesRead);
      next = 1 - next;
      reading = readInto(buffers[next]);
      reading.catch(() => undefined);
      yield chunk;
    }
  } finally {
    await reading.catch(() => undefined);
  }
}

/** Chunks a regular file is read in between two turns of the event loop (for Ctrl-C and progress). */
const CHUNKS_PER_TURN = 16;

/**
 * Reads the rest of a regular file into one reused buffer with plain blocking reads, pushing
 * each chunk to `push` until it answers false. A file in the page cache is read faster this way
 * than by reads on the thread pool: those cost a round trip each, and the second core they would
 * use is as busy with the garbage collector. Every CHUNKS_PER_TURN chunks it lets the event loop
 * run, so that an abort (Ctrl-C) and progress output are not held up.
 */
async function readBlocking(fd: number, buffer: Buffer, push: (chunk: Buffer) => boolean, signal: AbortSignal | undefined): Promise<void> {
  for (let n = 1; ; n++) {
    const bytesRead = readSync(fd, buffer, 0, buffer.length, null);
    if (bytesRead === 0 || !push(buffer.subarray(0, bytesRead))) return;
    if (n % CHUNKS_PER_TURN === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted === true) return;
    }
  }
}

/**
 * The chunks of a file descriptor, each valid until the next is asked for: a pipe or socket is
 * read through the event loop into one reused buffer, a terminal as a stream, anything else (a
 * file, /dev/null) on the thread pool into two. A read waiting on a pipe or terminal is given up
 * (and the descriptor closed) when `signal` is aborted; one on the thread pool could not be, and
 * would keep the process from ending.
 */
async function descriptorChunks(fd: number, size: number, signal: AbortSignal | undefined): Promise<AsyncGenerator<Buffer>> {
  let pipe = false;
  try {
    const stat = fstatSync(fd);
    pipe = stat.isFIFO() || stat.isSocket();
  } catch {
    // Not open: the read says so.
  }
  if (pipe) return socketChunks(fd, size, signal);
  // Loaded only here: most runs read a file, and every module loaded delays the start.
  const { isatty, ReadStream: TtyReadStream } = await import('node:tty');
  if (isatty(fd)) {
    const tty = new TtyReadStream(fd);
    signal?.addEventListener('abort', () => tty.destroy(), { once: true });
    return streamChunks(tty);
  }
  return fileChunks(fdReader(fd), size);
}

/**
 * Reads a pipe or socket into one buffer, reused: the socket is paused from the moment a chunk
 * arrives until the next one is asked for, so that a chunk stays valid until then.
 */
async function* socketChunks(fd: number, size: number, signal: AbortSignal | undefined): AsyncGenerator<Buffer> {
  const { Socket } = await import('node:net');
  const buffer = Buffer.allocUnsafe(size);
  let chunk: Buffer | null = null;
  let ended = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  const onread = {
    buffer,
    callback: (n: number, into: Uint8Array): boolean => {
      chunk = Buffer.from(into.buffer, into.byteOffset, n);
      notify();
      return false; // paused until the chunk was used
    },
  };
  // Node takes `onread` in the constructor too, though its type declares it for connect() only.
  const options: SocketConstructorOpts & { onread: OnReadOpts } = { fd, readable: true, writable: false, onread };
  const socket = new Socket(options);
  socket.on('end', () => {
    ended = true;
    notify();
  });
  socket.on('error', (err: Error) => {
    failure = err;
    notify();
  });
  const stop = (): void => {
    ended = true;
    notify();
  };
  signal?.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      if (chunk === null && !ended && failure === null) await new Promise<void>((resolve) => (wake = resolve));
      const next: Buffer | null = chunk;
      if (next !== null) {
        chunk = null;
        yield next;
        socket.resume();
        continue;
      }
      if (failure !== null) throw failure;
      return;
    }
  } finally {
    signal?.removeEventListener('abort', stop);
    socket.destroy();
  }
}

/**
 * Reads a named pipe through the event loop, as a pipe on stdin is, so that an abort never waits
 * for a read on the thread pool: from a second, non-blocking descriptor, which the reader owns.
 * It is opened once the caller's blocking open has found a writer (a non-blocking open would find
 * none yet, and read the end at once), and only when the first chunk is asked for, so that it
 * is always closed. The pipe's bytes belong to neither descriptor.
 */
async function* namedPipeChunks(path: string, size: number, signal: AbortSignal | undefined): AsyncGenerator<Buffer> {
  yield* socketChunks(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK), size, signal);
}

/**
 * Reads from a file descriptor on the thread pool: a file or a device, from stdin or opened by
 * its path (never a pipe: see descriptorChunks and readCapture).
 */
function fdReader(fd: number): (buffer: Buffer) => Promise<number> {
  return (buffer) => new Promise((resolve, reject) => read(fd, buffer, 0, buffer.length, null, (err, n) => (err === null ? resolve(n) : reject(err))));
}

/**
 * The chunks of `inner` until `signal` is aborted, without waiting for a read in progress (a
 * stalled stdin may never answer). `stop` is called once on abort.
 */
async function* untilAborted(inner: AsyncGenerator<Buffer>, signal: AbortSignal, stop: () => void): AsyncGenerator<Buffer> {
  try {
    for (;;) {
      if (signal.aborted) break;
      const next = await nextUnlessAborted(inner, signal);
      if (next === null || next.done === true) break;
      yield next.value;
    }
  } finally {
    if (signal.aborted) {
      stop();
      // Not awaited: a read still in progress finishes (or fails) on its own.
      inner.return(undefined).catch(() => undefined);
    } else {
      await inner.return(undefined);
    }
  }
}

/**
 * The next chunk of `inner`, or null as soon as `signal` is aborted. The abort listener is
 * removed after each chunk: one promise raced against every read would keep every chunk it
 * resolved with (its reactions hold them), which on stdin is the whole input.
 */
function nextUnlessAborted(inner: AsyncGenerator<Buffer>, signal: AbortSignal): Promise<IteratorResult<Buffer> | null> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(null);
    signal.addEventListener('abort', onAbort, { once: true });
    inner.next().then(
      (next) => {
        signal.removeEventListener('abort', onAbort);
        resolve(next);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * Size of the pieces the decompressor is fed. Each piece costs a round trip between the main
 * thread and zlib on the thread pool: 1 MiB pieces decompress a gigabyte seconds faster than 64 KiB.
 */
const GZIP_PIECE = 1024 * 1024;

/**
 * `first`, then the rest of `rest`, copied (the decompressor holds on to its input) into pieces
 * of GZIP_PIECE bytes, the last one shorter. Fed the same pieces however the input arrived (file
 * reads, a pipe), the decompressor gives the same output, and on damaged data stops at the same
 * byte: the report of a damaged gzip file does not depend on how it was read.
 */
async function* copied(first: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  let piece = Buffer.allocUnsafe(GZIP_PIECE);
  let used = 0;
  let next: Buffer | null = first;
  for (;;) {
    if (next === null) {
      const r = await rest.next();
      if (r.done === true) break;
      next = r.value;
    }
    for (let off = 0; off < next.length; ) {
      const n = Math.min(GZIP_PIECE - used, next.length - off);
      next.copy(piece, used, off, off + n);
      used += n;
      off += n;
      if (used === GZIP_PIECE) {
        yield piece;
        piece = Buffer.allocUnsafe(GZIP_PIECE);
        used = 0;
      }
    }
    next = null;
  }
  if (used > 0) yield piece.subarray(0, used);
}

/**
 * Reads a capture file (`-` for stdin), gzip-compressed or not, and hands its records to `sink`.
 *
 * Rejects with `CaptureOpenError` only when the file cannot be opened; damaged or truncated
 * content, corrupt gzip data and read errors end reading early and are reported in the summary
 * (`truncated`, `error`), with every record before them delivered.
 */
export async function readCapture(source: string, sink: CaptureSink, options: ReadCaptureOptions = {}): Promise<CaptureSummary> {
  const chunkSize = Math.max(4096, options.chunkSize ?? DEFAULT_CHUNK);
  let handle: FileHandle | null = null;
  /** A regular file, which can be read again from its start (not a pipe or a device). */
  let regularFile = false;
  let namedPipe = false;
  if (source !== '-') {
    try {
      handle = await open(source, 'r');
      const stat = await handle.stat();
      if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      regularFile = stat.isFile();
      namedPipe = stat.isFIFO();
    } catch (err) {
      await handle?.close().catch(() => undefined);
      throw openError(source, err);
    }
  }

  const signal = options.signal;
  const decoder = createCaptureDecoder(sink, options.limits);
  const push = (chunk: Buffer): boolean => {
    decoder.push(chunk);
    return !decoder.done && signal?.aborted !== true;
  };
  let result: ReadResult;
  try {
    if (handle !== null && regularFile) {
      result = await readRegular(handle.fd, chunkSize, push, signal);
    } else {
      // A stream to let go of on abort: stdin read as a stream.
      let input: NodeJS.ReadableStream | null = null;
      let chunks: AsyncGenerator<Buffer>;
      if (namedPipe) {
        chunks = namedPipeChunks(source, chunkSize, signal);
      } else if (handle !== null) {
        chunks = fileChunks(fdReader(handle.fd), chunkSize);
      } else {
        const stdin = options.stdin ?? process.stdin;
        if (typeof stdin === 'number') {
          chunks = await descriptorChunks(stdin, chunkSize, signal);
        } else {
          input = stdin;
          chunks = streamChunks(stdin);
        }
      }
      if (signal !== undefined) {
        chunks = untilAborted(chunks, signal, () => {
          if (input !== null && 'destroy' in input && typeof input.destroy === 'function') input.destroy();
        });
      }
      result = await readStream(chunks, chunkSize, push);
    }
  } finally {
    await handle?.close().catch(() => undefined);
  }

  const summary = decoder.finish(signal?.aborted === true);
  summary.gzip = result.gzip;
  let readError = result.error;
  if (signal?.aborted === true) readError = `interrupted after ${summary.packets} frames`;
  if (readError !== null) {
    summary.truncated = true;
    if (summary.error !== null) summary.warnings.push(summary.error);
    summary.error = readError;
  }
  return summary;
}

interface ReadResult {
  gzip: boolean;
  /** Why reading stopped before the end, null when it did not. */
  error: string | null;
}

/**
 * A regular file: gzip is decompressed on a worker thread, which reads the file from its start;
 * anything else is read here with blocking reads.
 */
async function readRegular(fd: number, chunkSize: number, push: (chunk: Buffer) => boolean, signal: AbortSignal | undefined): Promise<ReadResult> {
  let gzip = false;
  try {
    const buffer = Buffer.allocUnsafe(chunkSize);
    const head = buffer.subarray(0, readSync(fd, buffer, 0, chunkSize, null));
    if (isGzip(head)) {
      gzip = true;
      try {
        for await (const out of inflatedFileChunks(fd, chunkSize, GZIP_PIECE)) if (!push(out)) break;
      } catch (err) {
        if (!(err instanceof InflateError)) throw err;
        return { gzip, error: err.kind === 'gzip' ? `corrupt or truncated gzip data (${err.message})` : `read error: ${err.message}` };
      }
    } else if (push(head) && head.length > 0) {
      await readBlocking(fd, buffer, push, signal);
    }
    return { gzip, error: null };
  } catch (err) {
    return { gzip, error: `read error: ${errorMessage(err)}` };
  }
}

/** Stdin, a named pipe or a device: read as it comes, gzip decompressed as it arrives. */
async function readStream(chunks: AsyncGenerator<Buffer>, chunkSize: number, push: (chunk: Buffer) => boolean): Promise<ReadResult> {
  let gzip = false;
  let error: string | null = null;
  try {
    // Enough bytes to see the gzip magic (concat copies a short first chunk before the next read).
    let head: Buffer = Buffer.alloc(0);
    while (head.length < 2) {
      const next = await chunks.next();
      if (next.done === true) break;
      head = head.length === 0 && next.value.length >= 2 ? next.value : Buffer.concat([head, next.value]);
    }
    if (isGzip(head)) {
      gzip = true;
      const [{ createGunzip }, { Readable }, { pipeline }] = await Promise.all([import('node:zlib'), import('node:stream'), import('node:stream/promises')]);
      const gunzip = createGunzip({ chunkSize });
      const feeding = pipeline(Readable.from(copied(head, chunks)), gunzip).then(
        () => null,
        (err: unknown) => err,
      );
      let stoppedEarly = false;
      try {
        for await (const out of gunzip) {
          if (!push(out as Buffer)) {
            stoppedEarly = true;
            break;
          }
        }
      } catch (err) {
        error = `corrupt or truncated gzip data (${errorMessage(err)})`;
      }
      const fed = await feeding;
      if (fed !== null && error === null && !stoppedEarly) error = `read error: ${errorMessage(fed)}`;
    } else if (push(head)) {
      for (;;) {
        const next = await chunks.next();
        if (next.done === true || !push(next.value)) break;
      }
    }
  } catch (err) {
    error = `read error: ${errorMessage(err)}`;
  } finally {
    await chunks.return(undefined).catch(() => undefined);
  }
  return { gzip, error };
}
