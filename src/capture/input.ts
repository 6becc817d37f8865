import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { createCaptureDecoder } from './decoder.js';
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
  /** Stream read for the source `-` (default: process.stdin). */
  stdin?: NodeJS.ReadableStream;
  /** Read (and decompression output) chunk size in bytes, default 1 MiB (at least 4 KiB). */
  chunkSize?: number;
  limits?: Partial<CaptureLimits>;
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
 * Reads a file into one buffer, reused for every read: each chunk is valid until the next one is
 * asked for. Reusing the buffer (rather than a fresh one per read) keeps the kernel from
 * faulting in new pages for every megabyte, which is most of the cost of a plain read.
 */
async function* fileChunks(handle: FileHandle, size: number): AsyncGenerator<Buffer> {
  const buf = Buffer.allocUnsafe(size);
  for (;;) {
    const { bytesRead } = await handle.read(buf, 0, size, null);
    if (bytesRead === 0) return;
    yield buf.subarray(0, bytesRead);
  }
}

/** `first`, then the rest of `rest`, each copied (the decompressor holds on to its input). */
async function* copied(first: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield Buffer.from(first);
  for (;;) {
    const next = await rest.next();
    if (next.done === true) return;
    yield Buffer.from(next.value);
  }
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
  let chunks: AsyncGenerator<Buffer>;
  let handle: FileHandle | null = null;
  if (source === '-') {
    chunks = streamChunks(options.stdin ?? process.stdin);
  } else {
    try {
      handle = await open(source, 'r');
      const stat = await handle.stat();
      if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    } catch (err) {
      await handle?.close().catch(() => undefined);
      throw openError(source, err);
    }
    chunks = fileChunks(handle, chunkSize);
  }

  const decoder = createCaptureDecoder(sink, options.limits);
  let gzip = false;
  let readError: string | null = null;
  try {
    // Enough bytes to see the gzip magic (concat copies a short first chunk before the next read).
    let head: Buffer = Buffer.alloc(0);
    while (head.length < 2) {
      const next = await chunks.next();
      if (next.done === true) break;
      head = head.length === 0 && next.value.length >= 2 ? next.value : Buffer.concat([head, next.value]);
    }
    if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
      gzip = true;
      const gunzip = createGunzip({ chunkSize });
      const feeding = pipeline(Readable.from(copied(head, chunks)), gunzip).then(
        () => null,
        (err: unknown) => err,
      );
      let stoppedEarly = false;
      try {
        for await (const out of gunzip) {
          decoder.push(out as Buffer);
          if (decoder.done) {
            stoppedEarly = true;
            break;
          }
        }
      } catch (err) {
        readError = `corrupt or truncated gzip data (${errorMessage(err)})`;
      }
      const fed = await feeding;
      if (fed !== null && readError === null && !stoppedEarly) readError = `read error: ${errorMessage(fed)}`;
    } else {
      decoder.push(head);
      while (!decoder.done) {
        const next = await chunks.next();
        if (next.done === true) break;
        decoder.push(next.value);
      }
    }
  } catch (err) {
    readError = `read error: ${errorMessage(err)}`;
  } finally {
    await chunks.return(undefined).catch(() => undefined);
    await handle?.close().catch(() => undefined);
  }

  const summary = decoder.finish();
  summary.gzip = gzip;
  if (readError !== null) {
    summary.truncated = true;
    if (summary.error !== null) summary.warnings.push(summary.error);
    summary.error = readError;
  }
  return summary;
}
