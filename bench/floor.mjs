#!/usr/bin/env node
// The language floor for the benchmark: the least work a Node program must do to go through a
// capture. It reads the input in big chunks and walks the record headers of a classic pcap (or
// the blocks of a pcapng), counting records and bytes, without looking inside any packet.
// Whatever sni-pcap costs above this is the price of decoding, reassembly and reporting.
//
//   node bench/floor.mjs FILE|- [--mode auto|sync|stream] [--chunk MIB]
//
// Prints one line of JSON on stdout. Gzip input (magic 1f 8b) is decompressed with node:zlib.
// --mode sync   : fs.readSync into one reused buffer (regular files only; the default for them,
//                 because it measured faster than the stream: see bench/README.md)
// --mode stream : fs.createReadStream with highWaterMark = chunk (always used for stdin and gzip)
import fs from 'node:fs';
import zlib from 'node:zlib';
import { performance } from 'node:perf_hooks';

const MAGIC_PCAP_US = 0xa1b2c3d4;
const MAGIC_PCAP_NS = 0xa1b23c4d;
const MAGIC_PCAP_US_SWAPPED = 0xd4c3b2a1;
const MAGIC_PCAP_NS_SWAPPED = 0x4d3cb2a1;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;
const PCAPNG_BOM_SWAPPED = 0x4d3c2b1a;
// pcapng block types that carry a packet: Enhanced, Simple and the obsolete Packet Block.
const PCAPNG_PACKET_BLOCKS = new Set([6, 3, 2]);

/**
 * Walks record headers across chunk boundaries. A header that straddles two chunks is gathered
 * into a small buffer; everything else is read in place and the record bodies are skipped.
 */
export class Walker {
  constructor() {
    this.state = 'start';
    this.format = null;
    this.littleEndian = true;
    this.need = 12; // header bytes wanted before the next decision
    this.head = Buffer.alloc(16);
    this.have = 0; // header bytes gathered so far when a header straddles chunks
    this.skip = 0; // body bytes still to skip
    this.packets = 0;
    this.blocks = 0;
    this.captured = 0; // sum of the records' captured lengths (classic pcap)
    this.bytes = 0;
    this.error = null;
  }

  u32(buf, off) {
    return this.littleEndian ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
  }

  push(buf) {
    const n = buf.length;
    this.bytes += n;
    let p = 0;
    while (this.error === null) {
      if (this.skip > 0) {
        const s = Math.min(this.skip, n - p);
        this.skip -= s;
        p += s;
        if (this.skip > 0) return;
      }
      if (this.have === 0 && n - p >= this.need) {
        const need = this.need;
        this.header(buf, p);
        p += need;
        continue;
      }
      if (p >= n) return;
      const c = Math.min(this.need - this.have, n - p);
      buf.copy(this.head, this.have, p, p + c);
      this.have += c;
      p += c;
      if (this.have < this.need) return;
      this.have = 0;
      this.header(this.head, 0);
    }
  }

  header(buf, off) {
    switch (this.state) {
      case 'pcap': {
        const incl = this.u32(buf, off + 8);
        this.packets++;
        this.captured += incl;
        this.skip = incl;
        return;
      }
      case 'pcapng':
        return this.block(buf, off);
      case 'start': {
        const magic = buf.readUInt32LE(off);
        if (magic === MAGIC_PCAP_US || magic === MAGIC_PCAP_NS || magic === MAGIC_PCAP_US_SWAPPED || magic === MAGIC_PCAP_NS_SWAPPED) {
          this.format = 'pcap';
          this.littleEndian = magic === MAGIC_PCAP_US || magic === MAGIC_PCAP_NS;
          this.state = 'pcap';
          this.skip = 24 - 12; // rest of the global header
          this.need = 16;
          return;
        }
        if (magic === PCAPNG_SHB) {
          this.format = 'pcapng';
          this.state = 'pcapng';
          return this.block(buf, off);
        }
        this.error = `not a pcap or pcapng file (magic ${buf.toString('hex', off, off + 4)})`;
        return;
      }
    }
  }

  /** One pcapng block: type, total length and the first body word (the byte-order magic of an SHB). */
  block(buf, off) {
    const type = this.u32(buf, off);
    if (type === PCAPNG_SHB) {
      const bom = buf.readUInt32LE(off + 8);
      if (bom === PCAPNG_BOM) this.littleEndian = true;
      else if (bom === PCAPNG_BOM_SWAPPED) this.littleEndian = false;
      else {
        this.error = 'pcapng section header with a bad byte-order magic';
        return;
      }
    }
    const total = this.u32(buf, off + 4);
    if (total < 12 || total % 4 !== 0) {
      this.error = `pcapng block of bad length ${total}`;
      return;
    }
    this.blocks++;
    if (PCAPNG_PACKET_BLOCKS.has(this.u32(buf, off))) this.packets++;
    this.skip = total - 12;
  }

  /** True when the input ended inside a header or a record. */
  get truncated() {
    return this.have > 0 || this.skip > 0;
  }
}

function parseArgs(argv) {
  const opts = { input: null, mode: 'auto', chunkMiB: 4 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--mode') opts.mode = argv[++i];
    else if (a === '--chunk') opts.chunkMiB = Number(argv[++i]);
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node bench/floor.mjs FILE|- [--mode auto|sync|stream] [--chunk MIB]\n');
      process.exit(0);
    } else if (opts.input === null) opts.input = a;
    else throw new Error(`unexpected argument: ${a}`);
  }
  if (opts.input === null) throw new Error('usage: node bench/floor.mjs FILE|- [--mode auto|sync|stream] [--chunk MIB]');
  if (!['auto', 'sync', 'stream'].includes(opts.mode)) throw new Error(`--mode: auto, sync or stream, not ${opts.mode}`);
  if (!(opts.chunkMiB > 0)) throw new Error('--chunk: a positive number of MiB');
  return opts;
}

function isGzipFile(path) {
  const fd = fs.openSync(path, 'r');
  try {
    const b = Buffer.alloc(2);
    return fs.readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a regular file with readSync into one reused buffer. */
function walkSync(path, chunk, walker) {
  const fd = fs.openSync(path, 'r');
  const buf = Buffer.allocUnsafe(chunk);
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, chunk, null);
      if (n === 0) break;
      walker.push(n === chunk ? buf : buf.subarray(0, n));
      if (walker.error !== null) break;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Stdin or a file read as a stream ('data' events: they measured faster than `for await`),
 * through gunzip when the first two bytes are the gzip magic.
 */
function walkStreamed(input, chunk, walker) {
  return new Promise((resolve, reject) => {
    const source = input === '-' ? fs.createReadStream(null, { fd: 0, highWaterMark: chunk }) : fs.createReadStream(input, { highWaterMark: chunk });
    let started = false;
    let gzip = false;
    const onData = (buf) => {
      walker.push(buf);
      if (walker.error !== null) {
        source.destroy();
        resolve(gzip);
      }
    };
    source.on('error', reject);
    source.once('end', () => {
      if (!started) resolve(false);
    });
    source.once('data', (head) => {
      started = true;
      if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
        gzip = true;
        const gunzip = zlib.createGunzip({ chunkSize: Math.min(chunk, 1 << 20) });
        gunzip.on('data', onData);
        gunzip.on('end', () => resolve(true));
        gunzip.on('error', reject);
        gunzip.write(head);
        source.pipe(gunzip);
      } else {
        source.on('data', onData);
        source.on('end', () => resolve(false));
        onData(head);
      }
    });
  });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const chunk = Math.round(opts.chunkMiB * 1024 * 1024);
  const walker = new Walker();
  const t0 = performance.now();
  let mode = opts.mode;
  let gzip = false;
  const regular = opts.input !== '-' && fs.statSync(opts.input).isFile();
  if (mode === 'auto') mode = regular && !isGzipFile(opts.input) ? 'sync' : 'stream';
  if (mode === 'sync') {
    if (!regular) throw new Error('--mode sync needs a regular file');
    if (isGzipFile(opts.input)) throw new Error('--mode sync reads uncompressed files only');
    walkSync(opts.input, chunk, walker);
  } else {
    gzip = await walkStreamed(opts.input, chunk, walker);
  }
  const seconds = (performance.now() - t0) / 1000;
  const out = {
    tool: 'floor',
    input: opts.input,
    mode,
    chunkMiB: opts.chunkMiB,
    gzip,
    format: walker.format,
    packets: walker.packets,
    blocks: walker.format === 'pcapng' ? walker.blocks : undefined,
    captured: walker.format === 'pcap' ? walker.captured : undefined,
    bytes: walker.bytes,
    truncated: walker.truncated,
    error: walker.error,
    seconds: Math.round(seconds * 1e4) / 1e4,
    MBps: Math.round(walker.bytes / 1e6 / seconds),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
  if (walker.error !== null) process.exitCode = 2;
}

main().catch((err) => {
  process.stderr.write(`floor: ${err.message}\n`);
  process.exitCode = 2;
});
