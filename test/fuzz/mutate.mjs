/**
 * Seeded, structure-aware mutation of capture files.
 *
 * `layout()` finds the fields worth lying about in a capture (record and block lengths, link
 * types, IP lengths and fragment fields, TCP sequence numbers and flags, TLS record, handshake
 * and extension lengths, server_name and ALPN bytes); `mutate()` applies a few random mutations,
 * some on those fields, some on whole records, some on raw bytes. The input made for iteration
 * `i` of seed `s` depends only on (s, i) and the seed list, so any input can be made again.
 */
import { gunzipSync, gzipSync } from 'node:zlib';

// ---------------------------------------------------------------- random numbers

/** splitmix32: a 32-bit hash used to derive per-iteration seeds. */
export function mix32(x) {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A small seeded generator (sfc32). */
export class Rng {
  constructor(seed) {
    this.a = mix32(seed);
    this.b = mix32(this.a ^ 0x1234567);
    this.c = mix32(this.b ^ 0x89abcdef);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.next();
  }

  next() {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Integer in [0, n). */
  int(n) {
    return n <= 1 ? 0 : this.next() % n;
  }

  /** Integer in [lo, hi]. */
  range(lo, hi) {
    return lo + this.int(hi - lo + 1);
  }

  chance(p) {
    return this.next() / 4294967296 < p;
  }

  pick(list) {
    return list[this.int(list.length)];
  }

  bytes(n) {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.next() & 0xff;
    return b;
  }
}

/** The generator for iteration `i` of run seed `seed`. */
export function iterationRng(seed, i) {
  return new Rng(mix32(seed ^ mix32(i + 0x51ed27)) ^ i);
}

// ---------------------------------------------------------------- reading the capture's structure

const PCAP_MAGICS = new Map([
  [0xa1b2c3d4, { le: false, hl: 16 }],
  [0xd4c3b2a1, { le: true, hl: 16 }],
  [0xa1b23c4d, { le: false, hl: 16 }],
  [0x4d3cb2a1, { le: true, hl: 16 }],
  [0xa1b2cd34, { le: false, hl: 24 }],
  [0x34cdb2a1, { le: true, hl: 24 }],
]);

function u16(b, o, le) {
  return le ? b.readUInt16LE(o) : b.readUInt16BE(o);
}

function u32(b, o, le) {
  return le ? b.readUInt32LE(o) : b.readUInt32BE(o);
}

/**
 * The capture's layout: its units (records or blocks, after the file header) and the fields
 * ("sites") that mutations aim at. Each site is { off, width, le, kind }.
 */
export function layout(buf) {
  const out = { container: null, headerEnd: 0, units: [], sites: [], ranges: [] };
  if (buf.length < 4) return out;
  const magic = buf.readUInt32BE(0);
  const pcap = PCAP_MAGICS.get(magic);
  if (pcap !== undefined && buf.length >= 24) {
    out.container = 'pcap';
    out.headerEnd = 24;
    const { le, hl } = pcap;
    out.sites.push({ off: 16, width: 4, le, kind: 'snaplen' }, { off: 20, width: 4, le, kind: 'linktype' }, { off: 4, width: 2, le, kind: 'version' });
    const linkType = u32(buf, 20, le) & 0xffff;
    let p = 24;
    while (p + hl <= buf.length && out.units.length < 4096) {
      const caplen = u32(buf, p + 8, le);
      out.sites.push(
        { off: p, width: 4, le, kind: 'ts-sec' },
        { off: p + 4, width: 4, le, kind: 'ts-frac' },
        { off: p + 8, width: 4, le, kind: 'caplen' },
        { off: p + 12, width: 4, le, kind: 'origlen' },
      );
      const end = p + hl + caplen;
      if (end > buf.length) {
        out.units.push({ start: p, end: buf.length });
        break;
      }
      packetSites(buf, p + hl, end, linkType, out);
      out.units.push({ start: p, end });
      p = end;
    }
    return out;
  }
  if (magic === 0x0a0d0d0a) {
    out.container = 'pcapng';
    let p = 0;
    let le = true;
    let linkTypes = [];
    while (p + 12 <= buf.length && out.units.length < 4096) {
      const isShb = buf.readUInt32BE(p) === 0x0a0d0d0a;
      if (isShb) {
        const bom = buf.readUInt32BE(p + 8);
        if (bom === 0x1a2b3c4d) le = false;
        else if (bom === 0x4d3c2b1a) le = true;
        else break;
        linkTypes = [];
      }
      const type = isShb ? 0x0a0d0d0a : u32(buf, p, le);
      const len = u32(buf, p + 4, le);
      out.sites.push({ off: p + 4, width: 4, le, kind: 'block-len' });
      if (!isShb) out.sites.push({ off: p, width: 4, le, kind: 'block-type' });
      if (len < 12 || p + len > buf.length) {
        out.units.push({ start: p, end: buf.length });
        break;
      }
      out.sites.push({ off: p + len - 4, width: 4, le, kind: 'block-trailer' });
      if (isShb && len >= 28) out.sites.push({ off: p + 12, width: 2, le, kind: 'version' });
      if (type === 1 && len >= 20) {
        out.sites.push({ off: p + 8, width: 2, le, kind: 'linktype' }, { off: p + 12, width: 4, le, kind: 'snaplen' });
        linkTypes.push(u16(buf, p + 8, le));
        optionSites(buf, p + 16, p + len - 4, le, out);
      } else if ((type === 6 || type === 2) && len >= 32) {
        const ifid = type === 6 ? u32(buf, p + 8, le) : u16(buf, p + 8, le);
        const caplen = u32(buf, p + 20, le);
        out.sites.push(
          { off: p + 8, width: type === 6 ? 4 : 2, le, kind: 'ifid' },
          { off: p + 12, width: 4, le, kind: 'ts-sec' },
          { off: p + 16, width: 4, le, kind: 'ts-frac' },
          { off: p + 20, width: 4, le, kind: 'caplen' },
          { off: p + 24, width: 4, le, kind: 'origlen' },
        );
        if (ifid < linkTypes.length && p + 28 + caplen <= p + len) packetSites(buf, p + 28, p + 28 + caplen, linkTypes[ifid], out);
      } else if (type === 3 && len >= 16) {
        out.sites.push({ off: p + 8, width: 4, le, kind: 'origlen' });
        if (linkTypes.length > 0) packetSites(buf, p + 12, p + len - 4, linkTypes[0], out);
      } else if (type === 5 && len >= 24) {
        optionSites(buf, p + 20, p + len - 4, le, out);
      }
      out.units.push({ start: p, end: p + len });
      p += len;
    }
    return out;
  }
  return out;
}

function optionSites(buf, from, to, le, out) {
  let o = from;
  for (let n = 0; n < 64 && to - o >= 4; n++) {
    const code = u16(buf, o, le);
    const len = u16(buf, o + 2, le);
    out.sites.push({ off: o + 2, width: 2, le, kind: 'option-len' });
    if (code === 0) return;
    o += 4 + ((len + 3) & ~3);
  }
}

/** Sites inside one packet: link header, IP, TCP, TLS. */
function packetSites(buf, start, end, linkType, out) {
  let p = start;
  let etherType = -1;
  const version = () => (p < end ? buf[p] >> 4 : 0);
  switch (linkType) {
    case 1:
      if (end - p < 14) return;
      out.sites.push({ off: p + 12, width: 2, le: false, kind: 'ethertype' });
      etherType = buf.readUInt16BE(p + 12);
      p += 14;
      while ((etherType === 0x8100 || etherType === 0x88a8 || etherType === 0x9100) && end - p >= 4) {
        out.sites.push({ off: p + 2, width: 2, le: false, kind: 'ethertype' });
        etherType = buf.readUInt16BE(p + 2);
        p += 4;
      }
      break;
    case 113:
      if (end - p < 16) return;
      out.sites.push({ off: p + 14, width: 2, le: false, kind: 'ethertype' }, { off: p + 4, width: 2, le: false, kind: 'sll-addrlen' });
      etherType = buf.readUInt16BE(p + 14);
      p += 16;
      break;
    case 276:
      if (end - p < 20) return;
      out.sites.push({ off: p, width: 2, le: false, kind: 'ethertype' }, { off: p + 11, width: 1, le: false, kind: 'sll-addrlen' });
      etherType = buf.readUInt16BE(p);
      p += 20;
      break;
    case 0:
    case 108:
      if (end - p < 4) return;
      p += 4;
      etherType = version() === 6 ? 0x86dd : 0x0800;
      break;
    case 12:
    case 14:
    case 101:
    case 228:
    case 229:
      etherType = version() === 6 ? 0x86dd : 0x0800;
      break;
    default:
      return;
  }
  let proto = -1;
  let l4 = -1;
  if (etherType === 0x0800) {
    if (end - p < 20) return;
    out.sites.push(
      { off: p, width: 1, le: false, kind: 'ip-ihl' },
      { off: p + 2, width: 2, le: false, kind: 'ip-total' },
      { off: p + 6, width: 2, le: false, kind: 'ip-frag' },
      { off: p + 9, width: 1, le: false, kind: 'ip-proto' },
    );
    proto = buf[p + 9];
    l4 = p + (buf[p] & 15) * 4;
  } else if (etherType === 0x86dd) {
    if (end - p < 40) return;
    out.sites.push({ off: p + 4, width: 2, le: false, kind: 'ip6-plen' }, { off: p + 6, width: 1, le: false, kind: 'ip6-next' });
    proto = buf[p + 6];
    l4 = p + 40;
    for (let n = 0; n < 16 && [0, 43, 44, 51, 60, 135].includes(proto) && end - l4 >= 8; n++) {
      out.sites.push({ off: l4, width: 1, le: false, kind: 'ip6-next' });
      if (proto === 44) {
        out.sites.push({ off: l4 + 2, width: 2, le: false, kind: 'ip-frag6' });
        proto = buf[l4];
        l4 += 8;
        continue;
      }
      out.sites.push({ off: l4 + 1, width: 1, le: false, kind: 'ip6-extlen' });
      const len = proto === 51 ? (buf[l4 + 1] + 2) * 4 : (buf[l4 + 1] + 1) * 8;
      proto = buf[l4];
      l4 += len;
    }
  } else {
    return;
  }
  if (proto !== 6 || l4 < 0 || end - l4 < 20) return;
  out.sites.push(
    { off: l4 + 4, width: 4, le: false, kind: 'tcp-seq' },
    { off: l4 + 8, width: 4, le: false, kind: 'tcp-ack' },
    { off: l4 + 12, width: 1, le: false, kind: 'tcp-off' },
    { off: l4 + 13, width: 1, le: false, kind: 'tcp-flags' },
  );
  tlsSites(buf, l4 + (buf[l4 + 12] >> 4) * 4, end, out);
}

function tlsSites(buf, start, end, out) {
  let p = start;
  for (let n = 0; n < 8 && end - p >= 5; n++) {
    const type = buf[p];
    if (type < 20 || type > 23 || buf[p + 1] !== 3) return;
    out.sites.push({ off: p + 3, width: 2, le: false, kind: 'tls-record-len' });
    const recordEnd = Math.min(end, p + 5 + buf.readUInt16BE(p + 3));
    if (type === 22 && recordEnd - p >= 9) {
      out.sites.push({ off: p + 6, width: 3, le: false, kind: 'tls-handshake-len' });
      if (buf[p + 5] === 1) helloSites(buf, p + 9, recordEnd, out);
    }
    p = recordEnd;
  }
}

function helloSites(buf, start, end, out) {
  let q = start + 2 + 32;
  if (end - q < 1) return;
  out.sites.push({ off: q, width: 1, le: false, kind: 'tls-session-len' });
  q += 1 + buf[q];
  if (end - q < 2) return;
  out.sites.push({ off: q, width: 2, le: false, kind: 'tls-ciphers-len' });
  q += 2 + buf.readUInt16BE(q);
  if (end - q < 1) return;
  out.sites.push({ off: q, width: 1, le: false, kind: 'tls-compression-len' });
  q += 1 + buf[q];
  if (end - q < 2) return;
  out.sites.push({ off: q, width: 2, le: false, kind: 'tls-extensions-len' });
  q += 2;
  for (let n = 0; n < 64 && end - q >= 4; n++) {
    const type = buf.readUInt16BE(q);
    const len = buf.readUInt16BE(q + 2);
    out.sites.push({ off: q + 2, width: 2, le: false, kind: 'tls-extension-len' }, { off: q, width: 2, le: false, kind: 'tls-extension-type' });
    const body = q + 4;
    const bodyEnd = Math.min(end, body + len);
    if (type === 0 && bodyEnd - body >= 5) {
      out.sites.push({ off: body, width: 2, le: false, kind: 'sni-list-len' }, { off: body + 3, width: 2, le: false, kind: 'sni-name-len' });
      const nameEnd = Math.min(bodyEnd, body + 5 + buf.readUInt16BE(body + 3));
      if (nameEnd > body + 5) out.ranges.push({ start: body + 5, end: nameEnd, kind: 'sni' });
    } else if (type === 16 && bodyEnd - body >= 3) {
      out.sites.push({ off: body, width: 2, le: false, kind: 'alpn-list-len' }, { off: body + 2, width: 1, le: false, kind: 'alpn-len' });
      const protoEnd = Math.min(bodyEnd, body + 3 + buf[body + 2]);
      if (protoEnd > body + 3) out.ranges.push({ start: body + 3, end: protoEnd, kind: 'alpn' });
    }
    q = body + len;
  }
}

// ---------------------------------------------------------------- mutations

function readSite(buf, s) {
  switch (s.width) {
    case 1:
      return buf[s.off];
    case 2:
      return u16(buf, s.off, s.le);
    case 3:
      return buf.readUIntBE(s.off, 3);
    default:
      return u32(buf, s.off, s.le);
  }
}

function writeSite(buf, s, value) {
  const max = s.width === 4 ? 4294967296 : 2 ** (8 * s.width);
  const v = ((Math.floor(value) % max) + max) % max;
  switch (s.width) {
    case 1:
      buf[s.off] = v;
      break;
    case 2:
      if (s.le) buf.writeUInt16LE(v, s.off);
      else buf.writeUInt16BE(v, s.off);
      break;
    case 3:
      buf.writeUIntBE(v, s.off, 3);
      break;
    default:
      if (s.le) buf.writeUInt32LE(v, s.off);
      else buf.writeUInt32BE(v, s.off);
  }
}

const TCP_FLAG_SETS = [0x02, 0x12, 0x10, 0x04, 0x14, 0x01, 0x11, 0x18, 0x03, 0x06, 0x07, 0x3f, 0x00, 0xff, 0x29];
const LINK_TYPES = [0, 1, 9, 10, 12, 14, 50, 51, 101, 104, 105, 108, 113, 127, 149, 192, 226, 228, 229, 239, 258, 276, 65535];
const ETHER_TYPES = [0x0800, 0x86dd, 0x8100, 0x88a8, 0x9100, 0x8864, 0x8847, 0x0806, 0x0000, 0xffff];

/** A new value for a field: boundaries, small steps, and values that lie in the field's own way. */
function fieldValue(rng, s, old) {
  const max = 2 ** (8 * s.width) - 1;
  switch (s.kind) {
    case 'tcp-flags':
      return rng.chance(0.7) ? rng.pick(TCP_FLAG_SETS) : old ^ (1 << rng.int(8));
    case 'tcp-off':
      return (rng.int(16) << 4) | (old & 15);
    case 'tcp-seq':
    case 'tcp-ack':
      return rng.pick([old + rng.range(1, 3000), old - rng.range(1, 3000), 0xffffffff - rng.int(16), 0, old + 0x80000000, rng.next()]);
    case 'ip-frag':
    case 'ip-frag6':
      // Random offset (8-byte units) with the MF / DF flags set at random.
      return rng.pick([0x2000, 0x4000, 0]) | (s.kind === 'ip-frag6' ? (rng.int(8192) << 3) | rng.int(2) : rng.int(8192));
    case 'ip-ihl':
      return (rng.chance(0.8) ? 0x40 : rng.int(16) << 4) | rng.int(16);
    case 'ip-proto':
    case 'ip6-next':
      return rng.pick([6, 17, 0, 43, 44, 51, 59, 60, 135, 4, 41, 47, 50, 255]);
    case 'linktype':
      return rng.chance(0.8) ? rng.pick(LINK_TYPES) : rng.next();
    case 'ethertype':
      return rng.pick(ETHER_TYPES);
    case 'tls-handshake-len':
      return rng.pick([0xffffff, 0x1000000 - 1, 256 * 1024 + 1, old + 1, old - 1, 0, old * 2]);
    case 'ts-sec':
      return rng.pick([old - rng.range(1, 100000), 0, 0xffffffff, 0x7fffffff, old + 1]);
    case 'ts-frac':
      return rng.pick([999999, 1000000, 999999999, 1000000000, 0xffffffff, 0]);
    default:
      break;
  }
  switch (rng.int(9)) {
    case 0:
      return 0;
    case 1:
      return max;
    case 2:
      return old + rng.range(1, 8);
    case 3:
      return old - rng.range(1, 8);
    case 4:
      return old * 2;
    case 5:
      return Math.floor(old / 2);
    case 6:
      return 2 ** (8 * s.width - 1);
    case 7:
      return s.width >= 3 ? rng.pick([0x1000000, 0xffffff, 16 * 1024 * 1024 + 4, 65536, 262145]) : rng.int(max + 1);
    default:
      return rng.next();
  }
}

/** Bytes a hostile name could hold: terminal escapes, bell, line breaks, NUL, bidi overrides, markup. */
const HOSTILE = [
  Buffer.from('\x1b[2J\x1b[31m'),
  Buffer.from('\x07'),
  Buffer.from('\r\n'),
  Buffer.from('\x00'),
  Buffer.from('\u202e', 'utf8'),
  Buffer.from('\u2066', 'utf8'),
  Buffer.from('<script>'),
  Buffer.from('|*_`[x](y)#'),
  Buffer.from('&amp;"\''),
  Buffer.from([0xc3, 0x28, 0xff, 0x80]),
  Buffer.from('\x9b31m'),
];

function hostileFill(rng, len) {
  const parts = [];
  let n = 0;
  while (n < len) {
    const p = rng.pick(HOSTILE);
    parts.push(p);
    n += p.length;
  }
  return Buffer.concat(parts).subarray(0, len);
}

/** One mutation of `buf`; returns the new buffer (may be `buf` changed in place). */
function mutateOnce(rng, buf, info, others) {
  const op = rng.int(100);
  // Field mutations: half of all.
  if (op < 50 && info.sites.length > 0) {
    const s = rng.pick(info.sites);
    if (s.off + s.width > buf.length) return buf;
    writeSite(buf, s, fieldValue(rng, s, readSite(buf, s)));
    return buf;
  }
  if (op < 56 && info.ranges.length > 0) {
    const r = rng.pick(info.ranges);
    hostileFill(rng, r.end - r.start).copy(buf, r.start);
    return buf;
  }
  // Whole records or blocks.
  if (op < 72 && info.units.length > 0) {
    const units = info.units;
    const head = buf.subarray(0, units[0].start);
    const list = units.map((u) => buf.subarray(u.start, u.end));
    const tail = buf.subarray(units[units.length - 1].end);
    const i = rng.int(list.length);
    switch (rng.int(6)) {
      case 0:
        list.splice(i, 1);
        break;
      case 1:
        list.splice(i, 0, list[i]);
        break;
      case 2: {
        const j = rng.int(list.length);
        [list[i], list[j]] = [list[j], list[i]];
        break;
      }
      case 3: {
        const n = rng.range(2, 64);
        list.splice(i, 0, ...Array(n).fill(list[i]));
        break;
      }
      case 4: {
        const [u] = list.splice(i, 1);
        list.splice(rng.int(list.length + 1), 0, u);
        break;
      }
      default: {
        // A record taken from another seed of the same container format.
        const other = rng.pick(others);
        if (other !== undefined && other.info.units.length > 0 && other.info.container === info.container) {
          const u = rng.pick(other.info.units);
          list.splice(i, 0, other.bytes.subarray(u.start, u.end));
        }
      }
    }
    return Buffer.concat([head, ...list, tail]);
  }
  // Raw bytes.
  const at = rng.int(buf.length + 1);
  switch (rng.int(8)) {
    case 0: {
      const n = rng.range(1, 8);
      for (let k = 0; k < n && buf.length > 0; k++) buf[rng.int(buf.length)] ^= 1 << rng.int(8);
      return buf;
    }
    case 1: {
      if (buf.length === 0) return buf;
      const n = rng.range(1, 16);
      for (let k = 0; k < n; k++) buf[rng.int(buf.length)] = rng.pick([0, 0xff, 0x7f, 0x80, rng.next() & 0xff]);
      return buf;
    }
    case 2:
      return Buffer.concat([buf.subarray(0, at), rng.bytes(rng.range(1, 64)), buf.subarray(at)]);
    case 3:
      return Buffer.concat([buf.subarray(0, at), buf.subarray(Math.min(buf.length, at + rng.range(1, 256)))]);
    case 4: {
      const len = rng.range(1, 512);
      return Buffer.concat([buf.subarray(0, at), buf.subarray(at, at + len), buf.subarray(at)]);
    }
    case 5:
      // Cut short, as by a killed tcpdump or an upload limit.
      return buf.subarray(0, at);
    case 6:
      return Buffer.concat([buf, rng.bytes(rng.range(1, 64))]);
    default: {
      const other = rng.pick(others);
      if (other === undefined) return buf;
      const from = rng.int(other.bytes.length + 1);
      return Buffer.concat([buf.subarray(0, at), other.bytes.subarray(from, from + rng.range(1, 4096))]);
    }
  }
}

/**
 * Prepares a seed: gunzipped, and cut to its first records so that one run stays fast.
 * Returns { bytes, info, gzip }.
 */
export function prepareSeed(raw, maxBytes = 64 * 1024) {
  let bytes = raw;
  let gzip = false;
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      bytes = gunzipSync(raw);
      gzip = true;
    } catch {
      bytes = raw;
    }
  }
  let info = layout(bytes);
  if (bytes.length > maxBytes) {
    const keep = info.units.filter((u) => u.end <= maxBytes);
    const end = keep.length > 0 ? keep[keep.length - 1].end : maxBytes;
    bytes = bytes.subarray(0, end);
    info = layout(bytes);
  }
  return { bytes, info, gzip };
}

/**
 * The input of one iteration: a seed picked at random, mutated 1 to 8 times (the layout is
 * read again after each mutation), sometimes gzip-compressed (and then sometimes cut short).
 */
export function makeInput(seeds, seed, i) {
  const rng = iterationRng(seed, i);
  const s = seeds[rng.int(seeds.length)];
  let buf = Buffer.from(s.bytes);
  let info = s.info;
  const count = 1 + Math.min(7, Math.floor(-Math.log2(1 - rng.next() / 4294967296)));
  for (let k = 0; k < count; k++) {
    buf = mutateOnce(rng, buf, info, seeds);
    if (buf.length > 4 * 1024 * 1024) buf = buf.subarray(0, 4 * 1024 * 1024);
    if (k + 1 < count) info = layout(buf);
  }
  if (s.gzip || rng.chance(0.04)) {
    buf = gzipSync(buf, { level: 1 });
    if (rng.chance(0.3)) buf = buf.subarray(0, rng.int(buf.length + 1));
  }
  return buf;
}
