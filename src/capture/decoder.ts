import { isGzip } from './magic.js';
import type {
  CaptureFormat,
  CaptureInterface,
  CaptureLimits,
  CaptureRecord,
  CaptureSink,
  CaptureSummary,
} from './types.js';

/** Bytes of a pcapng interface name kept: 65,536 interfaces could each name themselves in 64 KiB. */
const MAX_INTERFACE_NAME_BYTES = 256;

/**
 * Default limits.
 *
 * - `maxRecordBytes` 16 MiB: no real link layer needs more per packet, and it bounds the join
 *   buffer for records split across chunks.
 * - `pcapMaxCaplen` 256 KiB: the largest packet the common capture tools write (and the value
 *   Wireshark uses to call a classic pcap record header damaged). A file whose header declares a
 *   larger snaplen raises the cap to that snaplen, never above `maxRecordBytes`.
 */
export const DEFAULT_CAPTURE_LIMITS: Readonly<CaptureLimits> = Object.freeze({
  maxRecordBytes: 16 * 1024 * 1024,
  pcapMaxCaplen: 262144,
  maxInterfaces: 65536,
  maxWarnings: 50,
});

export interface CaptureDecoder {
  /** Decodes what `chunk` completes; records are handed to the sink before this returns. */
  push(chunk: Buffer): void;
  /**
   * Ends the input and returns the summary (calling it again returns the same summary).
   * `stopped`: reading was stopped on purpose (interrupted), so a unit left incomplete is not
   * damage in the file.
   */
  finish(stopped?: boolean): CaptureSummary;
  /** True once more input cannot yield records (not a capture file, or a classic pcap stopped at damage). */
  readonly done: boolean;
  /** Size of the buffer held to join records split across chunks (bounded by the limits). */
  readonly bufferedBytes: number;
}

/** Push-based, synchronous decoder for classic pcap and pcapng, format detected from magic bytes. */
export function createCaptureDecoder(sink: CaptureSink, limits?: Partial<CaptureLimits>): CaptureDecoder {
  const decoder = new Decoder(sink, resolveLimits(limits));
  return {
    push: (chunk) => decoder.push(chunk),
    finish: (stopped) => decoder.finish(stopped === true),
    get done() {
      return decoder.state === DONE;
    },
    get bufferedBytes() {
      return decoder.carry === null ? 0 : decoder.carry.length;
    },
  };
}

function resolveLimits(given: Partial<CaptureLimits> | undefined): CaptureLimits {
  const pick = (key: keyof CaptureLimits, min: number): number => {
    const v = given?.[key];
    return typeof v === 'number' && Number.isFinite(v) ? Math.max(min, Math.floor(v)) : DEFAULT_CAPTURE_LIMITS[key];
  };
  return {
    // A pcapng Section Header Block needs 28 bytes.
    maxRecordBytes: pick('maxRecordBytes', 28),
    pcapMaxCaplen: pick('pcapMaxCaplen', 0),
    maxInterfaces: pick('maxInterfaces', 1),
    maxWarnings: pick('maxWarnings', 0),
  };
}

// Reader states.
const DETECT = 0;
const PCAP = 1;
const PCAPNG = 2;
/** pcapng after damage: scanning for the next Section Header Block. */
const RESYNC = 3;
const DONE = 4;
type State = typeof DETECT | typeof PCAP | typeof PCAPNG | typeof RESYNC | typeof DONE;

const SHB_TYPE = 0x0a0d0d0a;
const BOM = 0x1a2b3c4d;
const BOM_SWAPPED = 0x4d3c2b1a;
const SHB_MAGIC = Buffer.from([0x0a, 0x0d, 0x0d, 0x0a]);
const TWO_32 = 4294967296;

// pcapng block types read here; every other type is skipped by its length.
const IDB = 1;
const PB = 2;
const SPB = 3;
const ISB = 5;
const EPB = 6;

interface Iface {
  linkType: number;
  snapLength: number;
  ticksPerSecond: number;
  /** if_tsoffset, seconds. */
  offset: number;
}

function u32le(b: Buffer, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000;
}

function u32be(b: Buffer, o: number): number {
  return b[o] * 0x1000000 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
}

function u16(le: boolean, b: Buffer, o: number): number {
  return le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
}

function u32(le: boolean, b: Buffer, o: number): number {
  return le ? u32le(b, o) : u32be(b, o);
}

/** Unsigned 64-bit integer in the section's byte order (exact up to 2^53). */
function u64(le: boolean, b: Buffer, o: number): number {
  return le ? u32le(b, o + 4) * TWO_32 + u32le(b, o) : u32be(b, o) * TWO_32 + u32be(b, o + 4);
}

/** Signed 64-bit integer in the section's byte order (exact up to ±2^53). */
function i64(le: boolean, b: Buffer, o: number): number {
  const hi = le ? b.readInt32LE(o + 4) : b.readInt32BE(o);
  return hi * TWO_32 + (le ? u32le(b, o) : u32be(b, o + 4));
}

/**
 * Seconds for a pcapng timestamp of `hi * 2^32 + lo` ticks. Counts above 2^53 (any nanosecond
 * timestamp after April 1970) and offsets are split into whole seconds and a remainder first, by
 * long division in 16-bit digits where every step is exact, so the result is rounded only at the end.
 */
function seconds(hi: number, lo: number, iface: Iface): number {
  const tps = iface.ticksPerSecond;
  if (hi < 0x200000 && iface.offset === 0) return (hi * TWO_32 + lo) / tps;
  if (tps > TWO_32) return (hi * TWO_32 + lo) / tps + iface.offset;
  let x = hi >>> 16;
  let d = Math.floor(x / tps);
  let r = x - d * tps;
  let q = d;
  x = r * 65536 + (hi & 0xffff);
  d = Math.floor(x / tps);
  r = x - d * tps;
  q = q * 65536 + d;
  x = r * 65536 + (lo >>> 16);
  d = Math.floor(x / tps);
  r = x - d * tps;
  q = q * 65536 + d;
  x = r * 65536 + (lo & 0xffff);
  d = Math.floor(x / tps);
  r = x - d * tps;
  q = q * 65536 + d;
  return q + iface.offset + r / tps;
}

function hex(b: Buffer): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

function hex32(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

const EMPTY: Buffer = Buffer.alloc(0);

/** The one record object a decoder hands out, updated in place for every record. */
class Record implements CaptureRecord {
  frame = 0;
  linkType = 0;
  interfaceId = 0;
  time = 0;
  originalLength = 0;
  buf: Buffer = EMPTY;
  offset = 0;
  length = 0;

  get data(): Buffer {
    return this.buf.subarray(this.offset, this.offset + this.length);
  }
}

class Decoder {
  readonly sink: CaptureSink;
  readonly limits: CaptureLimits;
  state: State = DETECT;

  /** Bytes held back because the unit they start (header, record or block) is incomplete. */
  carry: Buffer | null = null;
  carryLen = 0;
  /** Bytes the stalled unit needs, counted from its first byte. */
  need = 0;
  /** File offset of the next byte not yet consumed. */
  fileOffset = 0;
  totalBytes = 0;
  /** First bytes of the input, for the error message when it is not a capture. */
  head: number[] = [];
  finished: CaptureSummary | null = null;

  // Summary fields.
  format: CaptureFormat | null = null;
  byteOrder: 'le' | 'be' | null = null;
  interfaces: CaptureInterface[] = [];
  linkTypes: number[] = [];
  /** The same link types, to look them up: a file can declare an interface of each of the 65,536. */
  private readonly linkTypesSeen = new Set<number>();
  frame = 0;
  snapped = 0;
  firstTime: number | null = null;
  lastTime = 0;
  truncated = false;
  error: string | null = null;
  warnings: string[] = [];
  droppedWarnings = 0;

  /** The record handed to the sink, updated in place. */
  readonly rec = new Record();

  // Classic pcap.
  le = true;
  pcapHeaderLength = 16;
  pcapTicks = 1e6;
  pcapCap = 0;
  pcapLinkType = 0;

  // pcapng: `le` is the current section's byte order.
  section = -1;
  sectionIfaces: Iface[] = [];
  /** The current section has an unsupported version: its blocks are skipped. */
  skipSection = false;
  supportedSections = 0;
  unsupportedVersion: string | null = null;
  /** Latest ifdrop + osdrop per interface of the current section (ISB counters are cumulative). */
  sectionDrops = new Map<number, number>();
  closedDrops = 0;
  anyDrops = false;
  /** Time of the previous record, given to Simple Packet Blocks (they carry none). */
  prevTime = 0;
  interfacesCapped = false;

  constructor(sink: CaptureSink, limits: CaptureLimits) {
    this.sink = sink;
    this.limits = limits;
  }

  push(chunk: Buffer): void {
    if (this.finished !== null || chunk.length === 0) return;
    if (this.head.length < 4) for (let i = 0; i < chunk.length && this.head.length < 4; i++) this.head.push(chunk[i]);
    this.totalBytes += chunk.length;
    if (this.state === DONE) return;
    let off = 0;
    if (this.carryLen > 0) {
      // Complete the stalled unit from the new chunk, decode it from the join buffer, and go back
      // to decoding straight from the chunk as soon as what is left lies wholly inside the chunk.
      for (;;) {
        const carry = this.carry as Buffer;
        const take = Math.min(this.need - this.carryLen, chunk.length - off);
        chunk.copy(carry, this.carryLen, off, off + take);
        this.carryLen += take;
        off += take;
        if (this.carryLen < this.need) return;
        const consumed = this.parse(carry, 0, this.carryLen);
        const rest = this.carryLen - consumed;
        if (rest === 0) {
          this.carryLen = 0;
          break;
        }
        if (rest <= off) {
          // The unparsed tail of the join buffer is the chunk's bytes just before `off`.
          this.carryLen = 0;
          off -= rest;
          break;
        }
        carry.copyWithin(0, consumed, this.carryLen);
        this.carryLen = rest;
        this.reserve(this.need);
      }
    }
    if (off >= chunk.length) return;
    const consumed = this.parse(chunk, off, chunk.length);
    const rest = chunk.length - consumed;
    if (rest > 0) {
      this.reserve(Math.max(this.need, rest));
      chunk.copy(this.carry as Buffer, 0, consumed);
      this.carryLen = rest;
    }
  }

  /** Makes the join buffer hold at least `size` bytes, keeping its content. */
  reserve(size: number): void {
    const old = this.carry;
    if (old !== null && old.length >= size) return;
    let cap = old === null ? 65536 : old.length;
    while (cap < size) cap *= 2;
    // Never more than the largest unit the limits allow (a header plus the largest record).
    cap = Math.max(size, Math.min(cap, this.limits.maxRecordBytes + 24));
    const next = Buffer.allocUnsafe(cap);
    if (old !== null && this.carryLen > 0) old.copy(next, 0, 0, this.carryLen);
    this.carry = next;
  }

  /**
   * Decodes from `buf[pos..end)` as far as the data allows. Returns the offset of the first byte
   * not consumed; when that is before `end`, `need` tells how many bytes the stalled unit needs.
   */
  parse(buf: Buffer, pos: number, end: number): number {
    let p = pos;
    for (;;) {
      this.need = 0;
      const start = p;
      switch (this.state) {
        case DETECT:
          p = this.detect(buf, p, end);
          break;
        case PCAP:
          p = this.parsePcap(buf, p, end);
          break;
        case PCAPNG:
          p = this.parsePcapng(buf, p, end);
          break;
        case RESYNC:
          p = this.resync(buf, p, end);
          break;
        default:
          this.fileOffset += end - p;
          return end;
      }
      this.fileOffset += p - start;
      if (this.need > 0) return p;
    }
  }

  detect(buf: Buffer, pos: number, end: number): number {
    if (end - pos < 4) {
      this.need = 4;
      return pos;
    }
    const magic = u32be(buf, pos);
    let le = false;
    let ticks = 1e6;
    let headerLength = 16;
    switch (magic) {
      case 0xa1b2c3d4:
        break;
      case 0xd4c3b2a1:
        le = true;
        break;
      case 0xa1b23c4d:
        ticks = 1e9;
        break;
      case 0x4d3cb2a1:
        le = true;
        ticks = 1e9;
        break;
      // The "modified" pcap of patched libpcap versions: 24-byte record headers.
      case 0xa1b2cd34:
        headerLength = 24;
        break;
      case 0x34cdb2a1:
        le = true;
        headerLength = 24;
        break;
      // The Section Header Block type reads the same in both byte orders; the byte-order magic
      // after the block length tells which one the section uses.
      case SHB_TYPE: {
        if (end - pos < 12) {
          this.need = 12;
          return pos;
        }
        const bom = u32be(buf, pos + 8);
        if (bom !== BOM && bom !== BOM_SWAPPED) {
          return this.notCapture(end, `pcapng section header with an invalid byte-order magic ${hex(buf.subarray(pos + 8, pos + 12))}`);
        }
        this.format = 'pcapng';
        this.byteOrder = bom === BOM ? 'be' : 'le';
        this.le = bom === BOM_SWAPPED;
        this.state = PCAPNG;
        return pos;
      }
      default:
        return this.notCapture(end, null);
    }
    if (end - pos < 24) {
      this.need = 24;
      return pos;
    }
    this.format = 'pcap';
    this.byteOrder = le ? 'le' : 'be';
    this.le = le;
    this.pcapTicks = ticks;
    this.pcapHeaderLength = headerLength;
    const major = u16(le, buf, pos + 4);
    const minor = u16(le, buf, pos + 6);
    const snapLength = u32(le, buf, pos + 16);
    const field = u32(le, buf, pos + 20);
    // The 32-bit link-type field holds the link type in its low 16 bits; above it are reserved
    // bits, a FCS-length-present flag (bit 26) and the FCS length (bits 28-31).
    const linkType = field & 0xffff;
    if (major !== 2) this.warn(`unusual pcap version ${major}.${minor}`);
    if (headerLength === 24) this.warn('modified pcap format (24-byte record headers)');
    if (field !== linkType) this.warn(`pcap link-type field ${hex32(field)} has flag bits set; link type ${linkType} used`);
    this.pcapCap = Math.min(this.limits.maxRecordBytes, Math.max(this.limits.pcapMaxCaplen, snapLength));
    this.addInterface({ id: 0, linkType, name: null, snapLength, ticksPerSecond: ticks, section: 0 });
    this.pcapLinkType = linkType;
    this.state = PCAP;
    return pos + 24;
  }

  notCapture(end: number, detail: string | null): number {
    const what = detail ?? `starts with ${this.head.map((x) => x.toString(16).padStart(2, '0')).join(' ')}`;
    const gzip = isGzip(this.head) ? ': gzip-compressed data' : '';
    this.error = `not a pcap or pcapng file (${what}${gzip})`;
    this.state = DONE;
    return end;
  }

  parsePcap(buf: Buffer, pos: number, end: number): number {
    const le = this.le;
    const hl = this.pcapHeaderLength;
    const cap = this.pcapCap;
    const ticks = this.pcapTicks;
    const linkType = this.pcapLinkType;
    const sink = this.sink;
    const rec = this.rec;
    let p = pos;
    let time = 0;
    for (;;) {
      if (end - p < hl) {
        this.need = hl;
        break;
      }
      const caplen = le ? u32le(buf, p + 8) : u32be(buf, p + 8);
      if (caplen > cap) {
        this.damage(`damaged record header at byte ${this.fileOffset + (p - pos)}: caplen ${caplen} exceeds ${cap}`);
        this.state = DONE;
        break;
      }
      const size = hl + caplen;
      if (end - p < size) {
        this.need = size;
        break;
      }
      const orig = le ? u32le(buf, p + 12) : u32be(buf, p + 12);
      time = le ? u32le(buf, p) + u32le(buf, p + 4) / ticks : u32be(buf, p) + u32be(buf, p + 4) / ticks;
      if (this.firstTime === null) this.firstTime = time;
      if (caplen < orig) this.snapped++;
      rec.frame = ++this.frame;
      rec.linkType = linkType;
      rec.interfaceId = 0;
      rec.time = time;
      rec.originalLength = orig;
      rec.buf = buf;
      rec.offset = p + hl;
      rec.length = caplen;
      sink.record(rec);
      p += size;
    }
    if (p !== pos) this.lastTime = time;
    return p;
  }

  parsePcapng(buf: Buffer, pos: number, end: number): number {
    let p = pos;
    while (this.state === PCAPNG) {
      // 12 bytes: the smallest block, and what a Section Header Block needs to show its byte order.
      if (end - p < 12) {
        this.need = 12;
        break;
      }
      const at = this.fileOffset + (p - pos);
      const isShb = buf[p] === 0x0a && buf[p + 1] === 0x0d && buf[p + 2] === 0x0d && buf[p + 3] === 0x0a;
      let le = this.le;
      if (isShb) {
        const bom = u32be(buf, p + 8);
        if (bom !== BOM && bom !== BOM_SWAPPED) {
          this.damage(`damaged section header block at byte ${at}: invalid byte-order magic`);
          return p + 4;
        }
        le = bom === BOM_SWAPPED;
      }
      const type = isShb ? SHB_TYPE : u32(le, buf, p);
      const len = u32(le, buf, p + 4);
      if (len < 12 || len > this.limits.maxRecordBytes) {
        const why = len < 12 ? 'is too small' : `exceeds ${this.limits.maxRecordBytes}`;
        this.damage(`damaged block header at byte ${at}: block length ${len} ${why}`);
        return p + 4;
      }
      // Lengths are multiples of 4. Some writers give the unpadded length while padding the block:
      // such a block is accepted when its trailing length copy sits where the padding puts it.
      const size = (len + 3) & ~3;
      if (end - p < size) {
        this.need = size;
        break;
      }
      const trailer = u32(le, buf, p + size - 4);
      if (trailer !== len) {
        const why = len !== size ? 'is not a multiple of 4' : `does not match its trailing copy ${trailer}`;
        this.damage(`damaged block at byte ${at}: block length ${len} ${why}`);
        return p + 4;
      }
      if (len !== size) this.warn(`block at byte ${at}: block length ${len} is not a multiple of 4; read as ${size}`);
      const problem = isShb ? this.sectionHeader(buf, p, size, le, at) : this.skipSection ? null : this.block(type, buf, p, size, at);
      if (problem !== null) {
        this.damage(problem);
        return p + 4;
      }
      p += size;
    }
    return p;
  }

  /** Handles a Section Header Block; returns a damage reason or null. */
  sectionHeader(buf: Buffer, p: number, len: number, le: boolean, at: number): string | null {
    if (len < 28) return `damaged section header block at byte ${at}: block length ${len} is below 28`;
    this.closeSection();
    this.le = le;
    this.section++;
    const major = u16(le, buf, p + 12);
    const minor = u16(le, buf, p + 14);
    // A reader that does not know a section's major version skips the section, block by block.
    if (major !== 1) {
      this.skipSection = true;
      this.unsupportedVersion ??= `${major}.${minor}`;
      this.warn(`pcapng section at byte ${at} skipped: unsupported version ${major}.${minor}`);
      return null;
    }
    if (minor !== 0 && minor !== 2) this.warn(`pcapng section at byte ${at} has unusual version ${major}.${minor}`);
    this.skipSection = false;
    this.supportedSections++;
    return null;
  }

  /** Ends the current pcapng section: its interfaces go out of scope. */
  closeSection(): void {
    for (const d of this.sectionDrops.values()) this.closedDrops += d;
    this.sectionDrops.clear();
    this.sectionIfaces = [];
  }

  /** Handles a block other than a Section Header Block; returns a damage reason or null. */
  block(type: number, buf: Buffer, p: number, len: number, at: number): string | null {
    const le = this.le;
    const ifaces = this.sectionIfaces;
    switch (type) {
      case EPB:
      case PB: {
        const name = type === EPB ? 'enhanced packet block' : 'packet block';
        if (len < 32) return `damaged ${name} at byte ${at}: block length ${len} is below 32`;
        const ifid = type === EPB ? u32(le, buf, p + 8) : u16(le, buf, p + 8);
        if (ifid >= ifaces.length) {
          return `damaged ${name} at byte ${at}: interface ${ifid} is not declared (the section has ${ifaces.length})`;
        }
        const caplen = u32(le, buf, p + 20);
        const room = len - 32;
        if (caplen > room) return `damaged ${name} at byte ${at}: caplen ${caplen} exceeds the block's room for ${room} bytes`;
        const iface = ifaces[ifid];
        // The 64-bit timestamp is stored as two 32-bit words, high word first, each in the section's byte order.
        const time = seconds(u32(le, buf, p + 12), u32(le, buf, p + 16), iface);
        this.emit(ifid, iface.linkType, time, u32(le, buf, p + 24), buf, p + 28, caplen);
        return null;
      }
      case SPB: {
        if (len < 16) return `damaged simple packet block at byte ${at}: block length ${len} is below 16`;
        if (ifaces.length === 0) return `damaged simple packet block at byte ${at}: no interface is declared`;
        const iface = ifaces[0];
        const orig = u32(le, buf, p + 8);
        // No captured length is stored: it is the smallest of the original length, the snaplen
        // (0 = none) and the room in the block.
        let caplen = Math.min(orig, len - 16);
        if (iface.snapLength > 0 && iface.snapLength < caplen) caplen = iface.snapLength;
        this.emit(0, iface.linkType, Number.NaN, orig, buf, p + 12, caplen);
        return null;
      }
      case IDB:
        if (len < 20) return `damaged interface description block at byte ${at}: block length ${len} is below 20`;
        if (ifaces.length >= this.limits.maxInterfaces) {
          return `damaged interface description block at byte ${at}: more than ${this.limits.maxInterfaces} interfaces in one section`;
        }
        this.interfaceBlock(buf, p, len, at);
        return null;
      case ISB:
        if (len < 24) return `damaged interface statistics block at byte ${at}: block length ${len} is below 24`;
        this.statisticsBlock(buf, p, len, at);
        return null;
      default:
        return null;
    }
  }

  emit(ifid: number, linkType: number, time: number, orig: number, buf: Buffer, offset: number, caplen: number): void {
    if (Number.isNaN(time)) {
      time = this.prevTime;
    } else {
      if (this.firstTime === null) this.firstTime = time;
      this.lastTime = time;
      this.prevTime = time;
    }
    if (caplen < orig) this.snapped++;
    const rec = this.rec;
    rec.frame = ++this.frame;
    rec.linkType = linkType;
    rec.interfaceId = ifid;
    rec.time = time;
    rec.originalLength = orig;
    rec.buf = buf;
    rec.offset = offset;
    rec.length = caplen;
    this.sink.record(rec);
  }

  interfaceBlock(buf: Buffer, p: number, len: number, at: number): void {
    const le = this.le;
    const linkType = u16(le, buf, p + 8);
    const snapLength = u32(le, buf, p + 12);
    let ticksPerSecond = 1e6;
    let offset = 0;
    let name: string | null = null;
    this.options(buf, p + 16, p + len - 4, at, (code, o, olen) => {
      if (code === 2) {
        // if_name is short ("eth0", "any"): of a longer one, only the first bytes are kept.
        name = buf.toString('utf8', o, o + Math.min(olen, MAX_INTERFACE_NAME_BYTES));
      } else if (code === 9 && olen >= 1) {
        // if_tsresol: top bit clear, the rest is a negative power of 10; set, a negative power of 2.
        const v = buf[o];
        ticksPerSecond = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
      } else if (code === 14 && olen >= 8) {
        offset = i64(le, buf, o);
      }
    });
    const id = this.sectionIfaces.length;
    this.sectionIfaces.push({ linkType, snapLength, ticksPerSecond, offset });
    this.addInterface({ id, linkType, name, snapLength, ticksPerSecond, section: this.section });
  }

  statisticsBlock(buf: Buffer, p: number, len: number, at: number): void {
    const le = this.le;
    const ifid = u32(le, buf, p + 8);
    if (ifid >= this.sectionIfaces.length) {
      this.warn(`interface statistics block at byte ${at} refers to undeclared interface ${ifid}; ignored`);
      return;
    }
    let drops = -1;
    this.options(buf, p + 20, p + len - 4, at, (code, o, olen) => {
      // isb_ifdrop (5) and isb_osdrop (7): counts since the start of the capture.
      if ((code === 5 || code === 7) && olen >= 8) drops = Math.max(drops, 0) + u64(le, buf, o);
    });
    if (drops >= 0) {
      this.anyDrops = true;
      this.sectionDrops.set(ifid, drops);
    }
  }

  /** Walks a pcapng option list in `[from, to)`; an option running past the end stops the walk. */
  options(buf: Buffer, from: number, to: number, at: number, each: (code: number, offset: number, length: number) => void): void {
    const le = this.le;
    let o = from;
    while (to - o >= 4) {
      const code = u16(le, buf, o);
      const olen = u16(le, buf, o + 2);
      if (code === 0) return;
      if (o + 4 + olen > to) {
        this.warn(`block at byte ${at}: option ${code} runs past the end of the block; rest of its options ignored`);
        return;
      }
      each(code, o + 4, olen);
      o += 4 + ((olen + 3) & ~3);
    }
  }

  /** Scans for the next Section Header Block (its magic followed by a valid byte-order magic). */
  resync(buf: Buffer, pos: number, end: number): number {
    let p = pos;
    for (;;) {
      let i = buf.indexOf(SHB_MAGIC, p);
      if (i < 0 || i + 4 > end) i = -1;
      if (i < 0) {
        // Keep the last 11 bytes: they may start a magic whose byte-order word is still to come.
        this.need = 12;
        return Math.max(p, end - 11);
      }
      if (end - i < 12) {
        this.need = 12;
        return i;
      }
      const bom = u32be(buf, i + 8);
      if (bom === BOM || bom === BOM_SWAPPED) {
        const at = this.fileOffset + (i - pos);
        this.warn(`resynchronised at the section header block at byte ${at}`);
        this.state = PCAPNG;
        return i;
      }
      p = i + 1;
    }
  }

  damage(reason: string): void {
    this.truncated = true;
    if (this.error === null) this.error = reason;
    else this.warn(reason);
    if (this.state === PCAPNG) {
      this.closeSection();
      this.state = RESYNC;
    }
  }

  warn(message: string): void {
    if (this.warnings.length < this.limits.maxWarnings) this.warnings.push(message);
    else this.droppedWarnings++;
  }

  addInterface(iface: CaptureInterface): void {
    if (this.interfaces.length < this.limits.maxInterfaces) this.interfaces.push(iface);
    else if (this.interfaces.length === this.limits.maxInterfaces && !this.interfacesCapped) {
      this.interfacesCapped = true;
      this.warn(`more than ${this.limits.maxInterfaces} interfaces: the summary lists the first ${this.limits.maxInterfaces}`);
    }
    if (!this.linkTypesSeen.has(iface.linkType)) {
      this.linkTypesSeen.add(iface.linkType);
      this.linkTypes.push(iface.linkType);
    }
  }

  finish(stopped = false): CaptureSummary {
    if (this.finished !== null) return this.finished;
    if (stopped) this.carryLen = 0;
    if (this.totalBytes === 0) {
      this.error = 'empty file';
    } else if (this.state === DETECT) {
      const n = this.totalBytes;
      const magic = this.head.length === 4 ? u32be(Buffer.from(this.head), 0) : -1;
      const pcapMagic = [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0xa1b2cd34, 0x34cdb2a1].includes(magic);
      if (pcapMagic) this.error = `truncated pcap file header (${n} of 24 bytes)`;
      else if (magic === SHB_TYPE) this.error = `truncated pcapng section header (${n} bytes)`;
      else this.error = `not a pcap or pcapng file (only ${n} byte${n === 1 ? '' : 's'})`;
    } else {
      // Whatever is held back is an incomplete unit. In pcapng, a later section may still start
      // inside it (after a block length that lies), so look for one there.
      while (this.carryLen > 0 && (this.state === PCAP || this.state === PCAPNG)) {
        const what = this.state === PCAP ? 'record' : 'block';
        this.damage(`file ends inside a ${what} at byte ${this.fileOffset} (${this.carryLen} of ${this.need} bytes)`);
        if ((this.state as State) !== RESYNC) break;
        const carry = this.carry as Buffer;
        this.fileOffset += 4;
        const consumed = this.parse(carry, 4, this.carryLen);
        carry.copyWithin(0, consumed, this.carryLen);
        this.carryLen -= consumed;
      }
      if (this.format === 'pcapng' && this.supportedSections === 0 && this.error === null) {
        this.error = `unsupported pcapng version ${this.unsupportedVersion ?? '?'}`;
      }
    }
    this.closeSection();
    if (this.droppedWarnings > 0) this.warnings.push(`${this.droppedWarnings} more warnings not shown`);
    this.carry = null;
    this.carryLen = 0;
    this.finished = {
      format: this.format,
      byteOrder: this.byteOrder,
      gzip: false,
      interfaces: this.interfaces,
      linkTypes: this.linkTypes,
      packets: this.frame,
      snappedPackets: this.snapped,
      firstTime: this.firstTime,
      lastTime: this.frame > 0 && this.firstTime !== null ? this.lastTime : null,
      drops: this.anyDrops ? this.closedDrops : null,
      truncated: this.truncated,
      error: this.error,
      warnings: this.warnings,
    };
    return this.finished;
  }
}
