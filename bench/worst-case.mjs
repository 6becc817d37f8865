#!/usr/bin/env node
// Peak memory and time on captures made to push against the bounds of README's Limits section:
// tens of thousands of connections open at once, each holding what a bound lets it hold, and keys
// made to fall together in the tool's hash tables. Each capture (up to 0.3 GB) is written under
// .cache/bench/worst/, analysed once by the current dist/ (npm run build first) under GNU time,
// and deleted unless --keep is given.
//
//   node bench/worst-case.mjs [--only A,B] [--keep]
//
// Cases:
//   syn-flood     2,000,000 SYNs from distinct 4-tuples: the connection table at its cap
//   open          65,536 connections past their handshake (ClientHello with SNI, ServerHello), none closed
//   records       65,536 connections each leaving a 16 KiB ClientHello record unfinished (4,000 bytes sent)
//   out-of-order  65,536 connections each holding a 1,400-byte segment after a hole that never fills
//   tiny-holes    65,536 connections each holding 64 one-byte segments, each after a hole of its own
//   tiny-records  65,536 connections each sending the start of a ClientHello, then 200 bytes of it in one-byte records
//   extensions    3,000 connections each sending a 64 KiB ClientHello of 16,000 extensions, every one reset
//   long-names    16,384 connections each sending a ClientHello whose server_name is 16,000 bytes, each a different one
//   alike-tuples  16,384 connections whose 4-tuples hash alike in the connection table, were its seed 0 (wall time is the figure)
//   alike-keys    65,536 clients, each reset once, at addresses that as bare numbers V8 would hash into one map bucket (wall time)
//   interfaces    a pcapng of 20 sections, each declaring 65,536 interfaces of distinct link types (wall time)
//   if-names      a pcapng declaring 6,000 interfaces, each named in 60,000 bytes
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIR = `${ROOT}.cache/bench/worst`;
const CLI = `${ROOT}bin/sni-pcap.js`;
const GNU_TIME = '/usr/bin/time';
const CONNECTIONS = 65_536;
const SERVER = 0xc000020a; // 192.0.2.10

/** A classic pcap file written in 1 MiB pieces (or, with `pcapng`, only the blocks put). */
class PcapWriter {
  constructor(path, pcapng = false) {
    this.fd = openSync(path, 'w');
    this.buf = Buffer.alloc(1 << 20);
    this.at = 0;
    this.time = 1_700_000_000;
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(262_144, 16);
    header.writeUInt32LE(1, 20); // Ethernet
    if (!pcapng) this.put(header);
  }

  put(bytes) {
    if (this.at + bytes.length > this.buf.length) this.flush();
    bytes.copy(this.buf, this.at);
    this.at += bytes.length;
  }

  flush() {
    writeSync(this.fd, this.buf, 0, this.at);
    this.at = 0;
  }

  /** An Ethernet/IPv4/TCP packet, 10 microseconds after the one before. */
  tcp(src, dst, srcPort, dstPort, seq, ack, flags, payload = EMPTY) {
    const length = 14 + 20 + 20 + payload.length;
    const p = Buffer.alloc(16 + 54);
    this.time += 0.00001;
    p.writeUInt32LE(Math.floor(this.time), 0);
    p.writeUInt32LE(Math.round((this.time % 1) * 1e6) % 1_000_000, 4);
    p.writeUInt32LE(length, 8);
    p.writeUInt32LE(length, 12);
    p.writeUInt16BE(0x0800, 16 + 12);
    const ip = 16 + 14;
    p[ip] = 0x45;
    p.writeUInt16BE(40 + payload.length, ip + 2);
    p[ip + 8] = 64;
    p[ip + 9] = 6;
    p.writeUInt32BE(src >>> 0, ip + 12);
    p.writeUInt32BE(dst >>> 0, ip + 16);
    const tcp = ip + 20;
    p.writeUInt16BE(srcPort, tcp);
    p.writeUInt16BE(dstPort, tcp + 2);
    p.writeUInt32BE(seq >>> 0, tcp + 4);
    p.writeUInt32BE(ack >>> 0, tcp + 8);
    p[tcp + 12] = 0x50;
    p[tcp + 13] = flags;
    p.writeUInt16BE(65_535, tcp + 14);
    this.put(p);
    if (payload.length > 0) this.put(payload);
  }

  close() {
    this.flush();
    closeSync(this.fd);
  }
}

const EMPTY = Buffer.alloc(0);
const [SYN, RST, PSH, ACK] = [0x02, 0x04, 0x08, 0x10];

/** A TLS handshake record holding one message. */
function handshakeRecord(type, body, declared = body.length + 4) {
  const r = Buffer.alloc(9 + body.length);
  r[0] = 22;
  r.writeUInt16BE(0x0301, 1);
  r.writeUInt16BE(declared, 3);
  r[5] = type;
  r.writeUIntBE(declared - 4, 6, 3);
  body.copy(r, 9);
  return r;
}

function clientHelloBody(name, padding = 0) {
  const host = Buffer.from(name);
  const sni = Buffer.alloc(4 + 5 + host.length);
  sni.writeUInt16BE(0, 0);
  sni.writeUInt16BE(5 + host.length, 2);
  sni.writeUInt16BE(3 + host.length, 4);
  sni[6] = 0;
  sni.writeUInt16BE(host.length, 7);
  host.copy(sni, 9);
  const pad = Buffer.alloc(4 + padding);
  pad.writeUInt16BE(21, 0);
  pad.writeUInt16BE(padding, 2);
  const extensions = padding > 0 ? Buffer.concat([sni, pad]) : sni;
  const fixed = Buffer.from([3, 3, ...Buffer.alloc(32, 7), 0, 0, 2, 0x13, 0x01, 1, 0, extensions.length >> 8, extensions.length & 0xff]);
  return Buffer.concat([fixed, extensions]);
}

const serverHelloBody = Buffer.from([3, 3, ...Buffer.alloc(32, 9), 0, 0x13, 0x01, 0, 0, 0]);

/** Client address and port of connection i: 10.x.y.z, ports from 10000. */
const client = (i) => [0x0a000000 + Math.floor(i / 50_000) * 65_536 + (i % 50_000), 10_000 + (i % 50_000)];

/** SYN, SYN/ACK, ACK of connection i, then `after(c, port)` for the rest. */
function handshake(w, i, after) {
  const [c, port] = client(i);
  w.tcp(c, SERVER, port, 443, 1000, 0, SYN);
  w.tcp(SERVER, c, 443, port, 5000, 1001, SYN | ACK);
  w.tcp(c, SERVER, port, 443, 1001, 5001, ACK);
  after(c, port);
}

const CASES = {
  'syn-flood': (w) => {
    for (let i = 0; i < 2_000_000; i++) w.tcp(0x0a000000 + Math.floor(i / 64_000), SERVER, 1024 + (i % 64_000), 443, i, 0, SYN);
  },
  open: (w) => {
    const hello = handshakeRecord(1, clientHelloBody('api.example.com'));
    const server = handshakeRecord(2, serverHelloBody);
    for (let i = 0; i < CONNECTIONS; i++) {
      handshake(w, i, (c, port) => {
        w.tcp(c, SERVER, port, 443, 1001, 5001, PSH | ACK, hello);
        w.tcp(SERVER, c, 443, port, 5001, 1001 + hello.length, PSH | ACK, server);
      });
    }
  },
  records: (w) => {
    const body = clientHelloBody('api.example.com', 16_384 - 4 - 90);
    const record = handshakeRecord(1, body, 16_384).subarray(0, 4000);
    for (let i = 0; i < CONNECTIONS; i++) handshake(w, i, (c, port) => w.tcp(c, SERVER, port, 443, 1001, 5001, PSH | ACK, record));
  },
  'out-of-order': (w) => {
    const segment = Buffer.alloc(1400, 0x16);
    for (let i = 0; i < CONNECTIONS; i++) handshake(w, i, (c, port) => w.tcp(c, SERVER, port, 443, 1001 + 1400, 5001, PSH | ACK, segment));
  },
  'tiny-records': (w) => {
    const message = handshakeRecord(1, clientHelloBody('api.example.com', 1000)).subarray(5);
    const pieces = [Buffer.concat([Buffer.from([22, 3, 1, 0, 60]), message.subarray(0, 60)])];
    for (let k = 60; k < 260; k++) pieces.push(Buffer.from([22, 3, 1, 0, 1, message[k]]));
    const payload = Buffer.concat(pieces);
    for (let i = 0; i < CONNECTIONS; i++) handshake(w, i, (c, port) => w.tcp(c, SERVER, port, 443, 1001, 5001, PSH | ACK, payload));
  },
  extensions: (w) => {
    const host = Buffer.from('api.example.com');
    const list = Buffer.alloc(9 + host.length + 16_000 * 4);
    list.writeUInt16BE(0, 0);
    list.writeUInt16BE(5 + host.length, 2);
    list.writeUInt16BE(3 + host.length, 4);
    list.writeUInt16BE(host.length, 7);
    host.copy(list, 9);
    for (let k = 0; k < 16_000; k++) list.writeUInt16BE(1000 + k, 9 + host.length + 4 * k); // empty extensions
    const body = Buffer.concat([Buffer.from([3, 3, ...Buffer.alloc(32, 7), 0, 0, 2, 0x13, 0x01, 1, 0, list.length >> 8, list.length & 0xff]), list]);
    const message = Buffer.concat([Buffer.from([1, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
    const pieces = [];
    for (let at = 0; at < message.length; at += 16_000) {
      const part = message.subarray(at, at + 16_000);
      pieces.push(Buffer.from([22, 3, 1, part.length >> 8, part.length & 0xff]), part);
    }
    const hello = Buffer.concat(pieces);
    for (let i = 0; i < 3000; i++) {
      handshake(w, i, (c, port) => {
        for (let at = 0; at < hello.length; at += 16_000) w.tcp(c, SERVER, port, 443, 1001 + at, 5001, PSH | ACK, hello.subarray(at, at + 16_000));
        w.tcp(SERVER, c, 443, port, 5001, 1001 + hello.length, RST | ACK);
      });
    }
  },
  'long-names': (w) => {
    for (let i = 0; i < 16_384; i++) {
      const name = Buffer.alloc(16_000, 0x61);
      name.write(`${i}.example`);
      const hello = handshakeRecord(1, clientHelloBody(name.toString('latin1')));
      handshake(w, i, (c, port) => w.tcp(c, SERVER, port, 443, 1001, 5001, PSH | ACK, hello));
    }
  },
  'alike-tuples': (w) => {
    // For each client port, the client address that brings the table's hash (with seed 0) to one value.
    const inverse = 0xa5cb9243 | 0; // of 0x85ebca6b, modulo 2^32
    for (let i = 0; i < 16_384; i++) {
      const port = 1024 + i;
      const a0 = Math.imul(port, 0x9e3779b1);
      const word = Math.imul((0x1234567 ^ (a0 >>> 13)) | 0, inverse) ^ a0;
      const c = ((word & 0xff) << 24) | (((word >>> 8) & 0xff) << 16) | (((word >>> 16) & 0xff) << 8) | (word >>> 24);
      w.tcp(c, SERVER, port, 443, 1000, 0, SYN);
      w.tcp(SERVER, c, 443, port, 5000, 1001, SYN | ACK);
      w.tcp(c, SERVER, port, 443, 1001, 5001, ACK);
    }
  },
  'alike-keys': (w) => {
    for (const key of v8AlikeKeys(CONNECTIONS)) {
      w.tcp(key, SERVER, 40_000, 443, 1000, 0, SYN);
      w.tcp(SERVER, key, 443, 40_000, 0, 1001, RST | ACK);
    }
  },
  interfaces: (w) => {
    for (let section = 0; section < 20; section++) {
      w.put(sectionHeader());
      for (let linkType = 0; linkType < 65_536; linkType++) w.put(interfaceBlock(linkType, 0));
    }
  },
  'if-names': (w) => {
    w.put(sectionHeader());
    for (let i = 0; i < 6000; i++) w.put(interfaceBlock(1, 60_000));
  },
  'tiny-holes': (w) => {
    const byte = Buffer.from([0x16]);
    for (let i = 0; i < CONNECTIONS; i++) {
      handshake(w, i, (c, port) => {
        for (let k = 1; k <= 64; k++) w.tcp(c, SERVER, port, 443, 1001 + 2 * k, 5001, PSH | ACK, byte);
      });
    }
  },
};

const PCAPNG_CASES = new Set(['interfaces', 'if-names']);

/** A pcapng section header block (little-endian, section length unknown). */
function sectionHeader() {
  const b = Buffer.alloc(28);
  b.writeUInt32LE(0x0a0d0d0a, 0);
  b.writeUInt32LE(28, 4);
  b.writeUInt32LE(0x1a2b3c4d, 8);
  b.writeUInt16LE(1, 12);
  b.writeBigInt64LE(-1n, 16);
  b.writeUInt32LE(28, 24);
  return b;
}

/** A pcapng interface description block, named in `nameBytes` bytes when not 0. */
function interfaceBlock(linkType, nameBytes) {
  const length = 20 + (nameBytes > 0 ? 4 + ((nameBytes + 3) & ~3) + 4 : 0);
  const b = Buffer.alloc(length);
  b.writeUInt32LE(1, 0);
  b.writeUInt32LE(length, 4);
  b.writeUInt16LE(linkType, 8);
  b.writeUInt32LE(65_535, 12);
  if (nameBytes > 0) {
    b.writeUInt16LE(2, 16); // if_name, then opt_endofopt (zeros)
    b.writeUInt16LE(nameBytes, 18);
    b.fill(0x61, 20, 20 + nameBytes);
  }
  b.writeUInt32LE(length, length - 4);
  return b;
}

/**
 * `count` 32-bit numbers that V8's hash of a small integer map key (ComputeUnseededHash, which has
 * no seed) puts in one bucket of any map of up to 65,536 buckets: each found by undoing the hash.
 */
function v8AlikeKeys(count) {
  const inverse = (a) => {
    const m = 1n << 32n;
    let [t, next, r, nextR] = [0n, 1n, m, BigInt(a)];
    while (nextR !== 0n) {
      const q = r / nextR;
      [t, next] = [next, t - q * next];
      [r, nextR] = [nextR, r - q * nextR];
    }
    return Number(((t % m) + m) % m) | 0;
  };
  const unshift = (v, s) => {
    let x = v >>> 0;
    for (let i = 0; i < 32; i++) x = (v ^ (x >>> s)) >>> 0;
    return x;
  };
  const keys = [];
  for (let i = 0; keys.length < count; i++) {
    let x = unshift(((i << 16) | 0x4567) >>> 0, 16);
    x = unshift(Math.imul(x, inverse(2057)) >>> 0, 4);
    x = unshift(Math.imul(x, inverse(5)) >>> 0, 12);
    keys.push(Math.imul((x + 1) >>> 0, inverse(32767)) >>> 0);
  }
  return keys;
}

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : Object.keys(CASES);
if (only.some((name) => !(name in CASES))) {
  console.error(`usage: node bench/worst-case.mjs [--only ${Object.keys(CASES).join(',')}] [--keep]`);
  process.exit(2);
}
if (!existsSync(GNU_TIME)) {
  console.error(`${GNU_TIME} (GNU time) is needed for the peak RSS`);
  process.exit(2);
}
mkdirSync(DIR, { recursive: true });
console.log('case          capture   wall     peak RSS  connections  evicted  given up');
for (const name of only) {
  const pcapng = PCAPNG_CASES.has(name);
  const path = `${DIR}/${name}.${pcapng ? 'pcapng' : 'pcap'}`;
  const w = new PcapWriter(path, pcapng);
  CASES[name](w);
  w.close();
  const size = statSync(path).size;
  const timing = `${DIR}/${name}.time`;
  let out;
  let failure = null;
  try {
    out = execFileSync(GNU_TIME, ['-o', timing, '-f', '%e %M', 'node', CLI, 'analyze', path, '--format', 'json', '--ingress', '192.0.2.10'], {
      maxBuffer: 1 << 30,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    // 1: the non-SNI problem found; anything else is a failed run, reported as such.
    if (err.status === 1) out = err.stdout;
    else failure = `failed (exit ${err.status}): ${err.stderr.toString().trim().split('\n').pop()}`;
  }
  const [wall, rssKiB] = readFileSync(timing, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  const head = `${name.padEnd(13)} ${`${(size / 1e6).toFixed(0)} MB`.padStart(7)}  ${`${wall.toFixed(1)} s`.padStart(6)}  ${`${(rssKiB / 1024).toFixed(0)} MiB`.padStart(8)}`;
  if (failure !== null) {
    console.log(`${head}  ${failure}`);
  } else {
    const capture = JSON.parse(out.toString()).captures[0];
    console.log(`${head}  ${String(capture.connections).padStart(11)}  ${String(capture.connectionsEvicted).padStart(7)}  ${String(capture.handshakesGivenUp).padStart(8)}`);
  }
  if (!args.includes('--keep')) rmSync(path);
  rmSync(timing);
}
