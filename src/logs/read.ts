import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { isGzip } from '../capture/magic.js';
import type { LogAggregator } from './aggregate.js';
import { readAccessLog } from './entry.js';
import { DEFAULT_MAX_LINE_LENGTH, readLines } from './lines.js';
import { stripKubectlPrefix } from './prefix.js';

/** What reading one log source saw besides the entries. */
export interface LogSourceStats {
  file: string;
  gzip: boolean;
  lines: number;
  /** Lines read as access-log entries. */
  entries: number;
  /** Lines that were not access-log entries, by reason. */
  skipped: {
    /** Not JSON (kubectl's "Defaulted container" note, Envoy's own log lines, blank lines). */
    notJson: number;
    /** Started like a JSON object but did not parse. */
    invalidJson: number;
    /** JSON, but not an access-log entry. */
    notAccessLog: number;
    /** Longer than the line limit. */
    tooLong: number;
  };
  /** Lines with a `kubectl logs --prefix` source, and with a `--timestamps` time. */
  kubectlPrefixes: number;
  kubectlTimestamps: number;
  /** Why reading stopped early (what was read before is reported). */
  error: string | null;
}

/** The source cannot be opened at all. */
export class LogOpenError extends Error {}

export interface ReadLogOptions {
  stdin: NodeJS.ReadableStream;
  maxLineLength?: number;
}

const CHUNK = 1024 * 1024;

/** `raw` inflated; a read error of `raw` reaches whoever reads the result. */
function gunzipped(raw: Readable): Readable {
  const inflated = raw.pipe(createGunzip({ chunkSize: 256 * 1024 }));
  raw.on('error', (err) => inflated.emit('error', err));
  return inflated;
}

/**
 * A stream that is gzip when its first two bytes are 1f 8b, then inflated; else as it is. Only the
 * first bytes are waited for (a pipe's first chunk may be shorter than two bytes).
 */
async function gzipSniffed(
  input: AsyncIterable<Buffer | string>,
): Promise<{ gzip: boolean; stream: AsyncIterable<Buffer | string>; close: () => Promise<void> }> {
  const chunks = input[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let length = 0;
  while (length < 2) {
    const next = await chunks.next();
    if (next.done === true) break;
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    head.push(chunk);
    length += chunk.length;
  }
  const first = Buffer.concat(head);
  async function* whole(): AsyncGenerator<Buffer | string> {
    try {
      if (first.length > 0) yield first;
      // After the input ended, next() says so again.
      for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) yield next.value;
    } finally {
      // Stopped early (a read error, an inflate error): the input is let go, as a for-await would.
      await chunks.return?.();
    }
  }
  const nothing = async (): Promise<void> => {};
  if (!isGzip(first)) return { gzip: false, stream: whole(), close: nothing };
  const raw = Readable.from(whole(), { objectMode: false });
  const inflated = gunzipped(raw);
  return {
    gzip: true,
    stream: inflated,
    close: async () => {
      raw.destroy();
      inflated.destroy();
    },
  };
}

/** Streams one access-log source (a file, gzip-compressed or not, or - for stdin) into `aggregator`. */
export async function readLogSource(source: string, index: number, aggregator: LogAggregator, options: ReadLogOptions): Promise<LogSourceStats> {
  const stats: LogSourceStats = {
    file: source === '-' ? '(stdin)' : source,
    gzip: false,
    lines: 0,
    entries: 0,
    skipped: { notJson: 0, invalidJson: 0, notAccessLog: 0, tooLong: 0 },
    kubectlPrefixes: 0,
    kubectlTimestamps: 0,
    error: null,
  };
  let stream: AsyncIterable<Buffer | string>;
  let close = async (): Promise<void> => {};
  if (source === '-') {
    const input = await gzipSniffed(options.stdin as AsyncIterable<Buffer | string>);
    stats.gzip = input.gzip;
    stream = input.stream;
    close = input.close;
  } else {
    let handle;
    try {
      handle = await open(source, 'r');
      const head = Buffer.alloc(2);
      const { bytesRead } = await handle.read(head, 0, 2, 0);
      stats.gzip = isGzip(head.subarray(0, bytesRead));
    } catch (err) {
      await handle?.close();
      throw new LogOpenError(`${source}: ${(err as Error).message}`);
    }
    const fh = handle;
    const raw = fh.createReadStream({ start: 0, highWaterMark: CHUNK, autoClose: false });
    stream = stats.gzip ? gunzipped(raw) : raw;
    close = async () => {
      raw.destroy();
      await fh.close();
    };
  }

  let lastLine = 0;
  const onLine = (line: string, lineNumber: number): void => {
    lastLine = lineNumber;
    let body = line;
    let kubectlTime: string | null = null;
    const c = line.charCodeAt(0);
    if (c !== 0x7b /* { */) {
      const p = stripKubectlPrefix(line);
      if (p.source !== null) stats.kubectlPrefixes++;
      if (p.timestamp !== null) stats.kubectlTimestamps++;
      body = p.rest;
      kubectlTime = p.timestamp;
      if (body.charCodeAt(0) !== 0x7b) {
        stats.skipped.notJson++;
        return;
      }
    }
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      stats.skipped.invalidJson++;
      return;
    }
    const record = readAccessLog(value, kubectlTime);
    if (record === null) {
      stats.skipped.notAccessLog++;
      return;
    }
    stats.entries++;
    aggregator.add(record, { source: index, line: lineNumber });
  };

  try {
    const r = await readLines(stream, options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH, onLine);
    stats.lines = r.lines;
    stats.skipped.tooLong = r.tooLong;
  } catch (err) {
    stats.lines = lastLine;
    stats.error = (err as Error).message;
  } finally {
    await close();
  }
  return stats;
}
