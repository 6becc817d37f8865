import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { chmod, mkdtemp, open, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureOpenError, readCapture } from './input.js';
import { collector, decode, fingerprint } from './testing/collect.js';
import type { CaptureSink, CaptureSummary } from './types.js';
import { encodePcap, encodePcapng, type PcapRecordInput } from './testing/encode.js';

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'capture-input-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

const input: PcapRecordInput[] = Array.from({ length: 300 }, (_, i) => ({
  seconds: 1_700_000_000 + i,
  fraction: i * 1000,
  data: Buffer.alloc(40 + ((i * 37) % 1500), i & 0xff),
}));
const pcap = encodePcap(input);
const pcapng = encodePcapng([
  {
    blocks: [
      { kind: 'idb', linkType: 1 },
      ...input.map((r) => ({ kind: 'epb' as const, interfaceId: 0, timestamp: BigInt(r.seconds) * 1_000_000n + BigInt(r.fraction), data: r.data })),
    ],
  },
]);

/**
 * Writes half of `pcap` into a pipe whose reader runs as `done`, and aborts once records come, as
 * Ctrl-C during a capture still running would. Checks the summary, and that the reader let go of
 * every descriptor of the pipe: writing then finds no reader.
 */
async function abortWhileWriterIdle(writing: FileHandle, controller: AbortController, done: Promise<CaptureSummary>, records: readonly unknown[]): Promise<void> {
  await writing.write(pcap.subarray(0, pcap.length >> 1));
  while (records.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  controller.abort();
  const summary = await done;
  expect(summary.error).toBe(`interrupted after ${records.length} frames`);
  await new Promise((resolve) => setTimeout(resolve, 20));
  await expect(writing.write(Buffer.alloc(1 << 16))).rejects.toMatchObject({ code: 'EPIPE' });
  await writing.close();
}

describe('readCapture', () => {
  it.each([
    ['pcap', pcap],
    ['pcapng', pcapng],
  ])('reads a %s file, in big and small reads', async (_name, content) => {
    const path = await file(`plain-${_name}`, content);
    const expected = decode(content);
    for (const chunkSize of [undefined, 4096]) {
      const { sink, records } = collector();
      const summary = await readCapture(path, sink, { chunkSize });
      expect(fingerprint(records)).toEqual(fingerprint(expected.records));
      expect(summary).toEqual(expected.summary);
      expect(summary.gzip).toBe(false);
    }
  });

  it.each([
    ['pcap', pcap],
    ['pcapng', pcapng],
  ])('decompresses a gzip-compressed %s file', async (_name, content) => {
    const path = await file(`gz-${_name}`, gzipSync(content));
    const { sink, records } = collector();
    const summary = await readCapture(path, sink, { chunkSize: 4096 });
    expect(summary.gzip).toBe(true);
    expect(records).toEqual(decode(content).records);
    expect(summary.error).toBeNull();
  });

  it('reads concatenated gzip members as one stream', async () => {
    const path = await file('multi.gz', Buffer.concat([gzipSync(pcap.subarray(0, 1000)), gzipSync(pcap.subarray(1000))]));
    const { sink, records } = collector();
    await readCapture(path, sink);
    expect(records).toHaveLength(300);
  });

  it('keeps the records before the end of a truncated gzip file', async () => {
    const gz = gzipSync(pcap, { level: 1 });
    const path = await file('cut.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    const { sink, records } = collector();
    const summary = await readCapture(path, sink);
    expect(summary.gzip).toBe(true);
    expect(records.length).toBeGreaterThan(10);
    expect(records.length).toBeLessThan(300);
    expect(records).toEqual(decode(pcap).records.slice(0, records.length));
    expect(summary.truncated).toBe(true);
    expect(summary.error).toMatch(/^corrupt or truncated gzip data \(.+\)$/);
  });

  it('reports gzip data that holds no capture', async () => {
    const path = await file('text.gz', gzipSync(Buffer.from('hello, world\n')));
    const summary = await readCapture(path, collector().sink);
    expect(summary).toMatchObject({ format: null, gzip: true, error: 'not a pcap or pcapng file (starts with 68 65 6c 6c)' });
  });

  it('reads stdin for -', async () => {
    const chunks = [pcapng.subarray(0, 1), pcapng.subarray(1, 7), pcapng.subarray(7, 5000), pcapng.subarray(5000)];
    const { sink, records } = collector();
    const summary = await readCapture('-', sink, { stdin: Readable.from(chunks) });
    expect(records).toEqual(decode(pcapng).records);
    expect(summary.format).toBe('pcapng');
  });

  it('reads gzip from stdin, even when the magic is split across chunks', async () => {
    const gz = gzipSync(pcap);
    const { sink, records } = collector();
    const summary = await readCapture('-', sink, { stdin: Readable.from([gz.subarray(0, 1), gz.subarray(1)]) });
    expect(summary.gzip).toBe(true);
    expect(records).toHaveLength(300);
  });

  it('reads stdin from a file descriptor into reused buffers, gzip too', async () => {
    for (const [name, content] of [
      ['fd.pcap', pcap],
      ['fd.pcap.gz', gzipSync(pcap)],
    ] as const) {
      const fd = openSync(await file(name, content), 'r');
      try {
        const { sink, records } = collector();
        const summary = await readCapture('-', sink, { stdin: fd, chunkSize: 4096 });
        expect(fingerprint(records)).toEqual(fingerprint(decode(pcap).records));
        expect(summary.gzip).toBe(name.endsWith('.gz'));
      } finally {
        closeSync(fd);
      }
    }
  });

  it.skipIf(process.platform === 'win32')('reads a pipe to its end, plain and gzip, as a stdin descriptor and by its path', async () => {
    // gzip too: the decompressor takes its input a while after it arrived.
    for (const byPath of [false, true]) {
      for (const [name, content] of [
        ['fifo', pcap],
        ['fifo-gz', gzipSync(pcap, { level: 0 })],
      ] as const) {
        const fifo = join(dir, byPath ? `${name}-path` : name);
        execFileSync('mkfifo', [fifo]);
        const { sink, records } = collector();
        // A descriptor opened without waiting for a writer, which the reader takes over and
        // closes; or the path, whose open waits for the writer's.
        const done = byPath
          ? readCapture(fifo, sink, { chunkSize: 4096 })
          : readCapture('-', sink, { stdin: openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK), chunkSize: 4096 });
        const writing = await open(fifo, 'w');
        // All at once: more than the pipe holds, read in many chunks back to back.
        await writing.write(content);
        await writing.close();
        const summary = await done;
        expect(fingerprint(records)).toEqual(fingerprint(decode(pcap).records));
        expect(summary).toMatchObject({ truncated: false, error: null, gzip: name.endsWith('gz') });
      }
    }
  });

  it.skipIf(process.platform === 'win32')('gives up a pipe descriptor that waits for more when aborted, and closes it', async () => {
    const fifo = join(dir, 'fifo-abort');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writing = await open(fifo, 'w');
    const controller = new AbortController();
    const { sink, records } = collector();
    const done = readCapture('-', sink, { stdin: reader, signal: controller.signal });
    await abortWhileWriterIdle(writing, controller, done, records);
  });

  it.skipIf(process.platform === 'win32')('gives up a named pipe given by its path that waits for more when aborted', async () => {
    const fifo = join(dir, 'fifo-path-abort');
    execFileSync('mkfifo', [fifo]);
    const controller = new AbortController();
    const { sink, records } = collector();
    // Each open waits for the other side's.
    const done = readCapture(fifo, sink, { signal: controller.signal });
    await abortWhileWriterIdle(await open(fifo, 'w'), controller, done, records);
  });

  it('reports an empty file', async () => {
    const path = await file('empty.pcap', Buffer.alloc(0));
    expect(await readCapture(path, collector().sink)).toMatchObject({ format: null, error: 'empty file', packets: 0, truncated: false });
  });

  it('reports a one-byte file', async () => {
    const path = await file('one', Buffer.from([0xd4]));
    expect((await readCapture(path, collector().sink)).error).toBe('not a pcap or pcapng file (only 1 byte)');
  });

  it('detects the format from content, not the name', async () => {
    const path = await file('looks-like.pcap', pcapng);
    expect((await readCapture(path, collector().sink)).format).toBe('pcapng');
  });

  it('stops reading a file when aborted, between chunks as well as at once', async () => {
    const path = await file('abort.pcap', pcap);
    // Aborted from inside the sink: reading stops after the chunk in hand.
    const controller = new AbortController();
    const { sink, records } = collector();
    const counting: CaptureSink = {
      record(r) {
        sink.record(r);
        if (records.length === 20) controller.abort();
      },
    };
    const summary = await readCapture(path, counting, { chunkSize: 4096, signal: controller.signal });
    expect(records.length).toBeGreaterThanOrEqual(20);
    expect(records.length).toBeLessThan(30);
    expect(summary).toMatchObject({ truncated: true, error: `interrupted after ${records.length} frames` });
    // Aborted from outside (a signal handler): seen when the reads let the event loop turn.
    const later = new AbortController();
    const { sink: outside, records: read } = collector();
    setImmediate(() => later.abort());
    const stopped = await readCapture(path, outside, { chunkSize: 4096, signal: later.signal });
    expect(stopped.error).toBe(`interrupted after ${read.length} frames`);
    expect(read.length).toBeLessThan(300);
  });

  it('stops reading input that is no capture', async () => {
    let pulled = 0;
    function* html(): Generator<Buffer> {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield Buffer.from(i === 0 ? '<html>' : ' '.repeat(4096));
      }
    }
    const summary = await readCapture('-', collector().sink, { stdin: Readable.from(html()) });
    expect(summary.error).toBe('not a pcap or pcapng file (starts with 3c 68 74 6d)');
    expect(pulled).toBeLessThan(10);
  });

  it('stops reading a classic pcap at a damaged record header', async () => {
    const bad = Buffer.from(pcap);
    bad.writeUInt32LE(0x7fffffff, 24 + 8); // first record's caplen
    const path = await file('bad.pcap', Buffer.concat([bad, Buffer.alloc(4 << 20)]));
    const summary = await readCapture(path, collector().sink, { chunkSize: 4096 });
    expect(summary).toMatchObject({ packets: 0, truncated: true, error: 'damaged record header at byte 24: caplen 2147483647 exceeds 262144' });
  });

  describe('open errors', () => {
    it('rejects a missing file', async () => {
      const path = join(dir, 'missing.pcap');
      const err = await readCapture(path, collector().sink).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CaptureOpenError);
      expect(err).toMatchObject({ message: `cannot read ${path}: no such file`, code: 'ENOENT', source: path });
    });

    it('rejects a directory', async () => {
      const err = await readCapture(dir, collector().sink).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CaptureOpenError);
      expect(err).toMatchObject({ message: `cannot read ${dir}: is a directory`, code: 'EISDIR' });
    });

    it.skipIf(process.getuid?.() === 0)('rejects a file it may not read', async () => {
      const path = await file('secret.pcap', pcap);
      await chmod(path, 0o000);
      const err = await readCapture(path, collector().sink).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CaptureOpenError);
      expect(err).toMatchObject({ message: `cannot read ${path}: permission denied`, code: 'EACCES' });
    });
  });
});
