import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inflatedFileChunks, InflateError } from './inflate.js';

const DIR = mkdtempSync(join(tmpdir(), 'sni-pcap-inflate-'));

function file(name: string, content: Buffer): string {
  const path = join(DIR, name);
  writeFileSync(path, content);
  return path;
}

/** Reads `path` through inflatedFileChunks, copying each chunk (it is valid only until the next). */
async function inflate(path: string, chunkSize: number, pieceSize: number, slow = false): Promise<{ out: Buffer; error: InflateError | null; chunks: number }> {
  const handle = await open(path, 'r');
  const parts: Buffer[] = [];
  let error: InflateError | null = null;
  try {
    for await (const chunk of inflatedFileChunks(handle.fd, chunkSize, pieceSize)) {
      expect(chunk.length).toBeLessThanOrEqual(chunkSize);
      // A slow reader, that looks at a chunk a while after getting it: the worker must wait for
      // free slots, not overwrite the chunk in use.
      if (slow && parts.length % 7 === 0) await sleep(1);
      parts.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (!(err instanceof InflateError)) throw err;
    error = err;
  } finally {
    await handle.close();
  }
  return { out: Buffer.concat(parts), error, chunks: parts.length };
}

describe('inflatedFileChunks', () => {
  // Half random, half repetitive: output chunks of varying sizes.
  const content = Buffer.concat([randomBytes(300_000), Buffer.alloc(700_000, 'abc'), randomBytes(50_000)]);
  const gz = gzipSync(content, { level: 1 });

  it('gives the decompressed bytes in order, through a ring of reused buffers, to a slow reader too', async () => {
    const path = file('ok.gz', gz);
    for (const [chunkSize, pieceSize, slow] of [
      [4096, 4096, true],
      [4096, 65536, false],
      [1 << 20, 1 << 20, false],
    ] as const) {
      const r = await inflate(path, chunkSize, pieceSize, slow);
      expect(r.error).toBeNull();
      expect(r.out.equals(content)).toBe(true);
      if (chunkSize === 4096) expect(r.chunks).toBeGreaterThan(100);
    }
  });

  it('reads concatenated gzip members as one stream, and an empty file gives nothing', async () => {
    const two = file('two.gz', Buffer.concat([gzipSync(content.subarray(0, 1000)), gzipSync(content.subarray(1000))]));
    expect((await inflate(two, 4096, 4096)).out.equals(content)).toBe(true);
    const empty = await inflate(file('empty.gz', Buffer.alloc(0)), 4096, 4096);
    expect(empty.out.length).toBe(0);
  });

  it('delivers what came before damage, then throws a gzip error', async () => {
    const cut = await inflate(file('cut.gz', gz.subarray(0, gz.length - 5000)), 4096, 4096);
    expect(cut.error?.kind).toBe('gzip');
    expect(cut.error?.message).toMatch(/unexpected end of file/);
    expect(cut.out.length).toBeGreaterThan(0);
    expect(cut.out.equals(content.subarray(0, cut.out.length))).toBe(true);
    const corrupt = Buffer.from(gz);
    corrupt.fill(0xff, 2000, 2100);
    const bad = await inflate(file('corrupt.gz', corrupt), 4096, 4096);
    expect(bad.error?.kind).toBe('gzip');
    // The same damage gives the same output and the same error whatever the output chunk size.
    const other = await inflate(file('corrupt2.gz', corrupt), 65536, 4096);
    expect(other.out.equals(bad.out)).toBe(true);
    expect(other.error?.message).toBe(bad.error?.message);
  });

  it('throws a read error for a descriptor that cannot be read', async () => {
    const chunks = inflatedFileChunks(987654, 4096, 4096);
    await expect(chunks.next()).rejects.toMatchObject({ kind: 'read' });
  });

  it('stops the worker when the reader stops early, also while the worker waits for a slot', async () => {
    const path = file('big.gz', gzipSync(randomBytes(4_000_000)));
    const handle = await open(path, 'r');
    try {
      let n = 0;
      for await (const chunk of inflatedFileChunks(handle.fd, 4096, 65536)) {
        expect(chunk.length).toBeGreaterThan(0);
        if (++n === 3) {
          await sleep(50); // the worker has filled every slot and waits
          break;
        }
      }
      expect(n).toBe(3);
    } finally {
      await handle.close();
    }
  });
});

describe('inflatedFileChunks against zlib', () => {
  it('equals gunzipSync on random and repetitive inputs of many sizes', async () => {
    for (const size of [1, 100, 4095, 4096, 4097, 65536 * 3 + 17]) {
      const content = Buffer.concat([randomBytes(size >> 1), Buffer.alloc(size - (size >> 1), 7)]);
      const gz = gzipSync(content);
      const r = await inflate(file(`s${size}.gz`, gz), 4096, 8192);
      expect(r.error).toBeNull();
      expect(r.out.equals(gunzipSync(gz))).toBe(true);
    }
  });
});
