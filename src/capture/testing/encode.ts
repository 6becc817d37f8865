/**
 * Test-only writers for classic pcap and pcapng, used to build inputs for the decoder tests.
 * They write what they are told (including inconsistent values), so tests can also build damage.
 */

export type ByteOrder = 'le' | 'be';

class Writer {
  private parts: Buffer[] = [];
  constructor(readonly le: boolean) {}

  u8(v: number): this {
    this.parts.push(Buffer.from([v & 0xff]));
    return this;
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    if (this.le) b.writeUInt16LE(v & 0xffff);
    else b.writeUInt16BE(v & 0xffff);
    this.parts.push(b);
    return this;
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    if (this.le) b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    this.parts.push(b);
    return this;
  }
  u64(v: bigint): this {
    const b = Buffer.alloc(8);
    if (this.le) b.writeBigUInt64LE(BigInt.asUintN(64, v));
    else b.writeBigUInt64BE(BigInt.asUintN(64, v));
    this.parts.push(b);
    return this;
  }
  /** A 64-bit timestamp as two 32-bit words, high first (pcapng). */
  ts(v: bigint): this {
    const t = BigInt.asUintN(64, v);
    return this.u32(Number(t >> 32n)).u32(Number(t & 0xffffffffn));
  }
  bytes(b: Uint8Array): this {
    this.parts.push(Buffer.from(b));
    return this;
  }
  pad(): this {
    const n = this.length % 4;
    if (n !== 0) this.parts.push(Buffer.alloc(4 - n));
    return this;
  }
  get length(): number {
    let n = 0;
    for (const p of this.parts) n += p.length;
    return n;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

// ---------------------------------------------------------------- classic pcap

export interface PcapRecordInput {
  seconds: number;
  /** Microseconds, or nanoseconds for a nanosecond file. */
  fraction: number;
  data: Uint8Array;
  /** Default: data.length. */
  originalLength?: number;
  /** Written instead of data.length (to build damaged headers). */
  capturedLength?: number;
}

export interface PcapOptions {
  byteOrder?: ByteOrder;
  nanoseconds?: boolean;
  /** The "modified" format (magic a1b2cd34) with 24-byte record headers. */
  modified?: boolean;
  /** The whole 32-bit link-type field (link type in the low 16 bits). Default 1. */
  linkType?: number;
  snapLength?: number;
  version?: [number, number];
}

export function pcapMagic(options: PcapOptions): number {
  if (options.modified === true) return 0xa1b2cd34;
  return options.nanoseconds === true ? 0xa1b23c4d : 0xa1b2c3d4;
}

export function encodePcapHeader(options: PcapOptions = {}): Buffer {
  const w = new Writer((options.byteOrder ?? 'le') === 'le');
  const [major, minor] = options.version ?? [2, 4];
  return w
    .u32(pcapMagic(options))
    .u16(major)
    .u16(minor)
    .u32(0)
    .u32(0)
    .u32(options.snapLength ?? 65535)
    .u32(options.linkType ?? 1)
    .done();
}

export function encodePcapRecord(r: PcapRecordInput, options: PcapOptions = {}): Buffer {
  const w = new Writer((options.byteOrder ?? 'le') === 'le');
  w.u32(r.seconds).u32(r.fraction).u32(r.capturedLength ?? r.data.length).u32(r.originalLength ?? r.data.length);
  if (options.modified === true) w.u32(0).u16(0x0800).u8(0).u8(0);
  return w.bytes(r.data).done();
}

export function encodePcap(records: readonly PcapRecordInput[], options: PcapOptions = {}): Buffer {
  return Buffer.concat([encodePcapHeader(options), ...records.map((r) => encodePcapRecord(r, options))]);
}

// ---------------------------------------------------------------- pcapng

export interface PcapngOption {
  code: number;
  value: Uint8Array;
}

export type PcapngBlock =
  | {
      kind: 'idb';
      linkType: number;
      snapLength?: number;
      /** Raw if_tsresol byte. */
      tsresol?: number;
      /** if_tsoffset, seconds. */
      tsoffset?: bigint;
      name?: string;
      options?: PcapngOption[];
    }
  | { kind: 'epb'; interfaceId: number; timestamp: bigint; data: Uint8Array; originalLength?: number; options?: PcapngOption[] }
  | { kind: 'pb'; interfaceId: number; timestamp: bigint; data: Uint8Array; originalLength?: number; dropsCount?: number }
  /** `data` is written as the packet data field (then padded); the reader derives the captured length. */
  | { kind: 'spb'; data: Uint8Array; originalLength: number }
  | { kind: 'isb'; interfaceId: number; timestamp?: bigint; ifdrop?: bigint; osdrop?: bigint; ifrecv?: bigint }
  /** Any other block, written with this type and body (padded). */
  | { kind: 'raw'; type: number; body: Uint8Array };

export interface PcapngSection {
  byteOrder?: ByteOrder;
  version?: [number, number];
  blocks: PcapngBlock[];
}

function options(w: Writer, list: readonly PcapngOption[]): void {
  if (list.length === 0) return;
  for (const o of list) w.u16(o.code).u16(o.value.length).bytes(o.value).pad();
  w.u16(0).u16(0);
}

function u64Bytes(le: boolean, v: bigint): Buffer {
  const b = Buffer.alloc(8);
  if (le) b.writeBigUInt64LE(BigInt.asUintN(64, v));
  else b.writeBigUInt64BE(BigInt.asUintN(64, v));
  return b;
}

/** Wraps a block body: type, total length, body (padded), total length. */
function block(le: boolean, type: number, body: Buffer): Buffer {
  const padded = (body.length + 3) & ~3;
  const total = padded + 12;
  const w = new Writer(le);
  return w.u32(type).u32(total).bytes(body).pad().u32(total).done();
}

export function encodePcapngBlock(b: PcapngBlock, le: boolean): Buffer {
  const w = new Writer(le);
  switch (b.kind) {
    case 'idb': {
      w.u16(b.linkType).u16(0).u32(b.snapLength ?? 0);
      const list: PcapngOption[] = [];
      if (b.name !== undefined) list.push({ code: 2, value: Buffer.from(b.name, 'utf8') });
      if (b.tsresol !== undefined) list.push({ code: 9, value: Buffer.from([b.tsresol]) });
      if (b.tsoffset !== undefined) list.push({ code: 14, value: u64Bytes(le, b.tsoffset) });
      options(w, [...list, ...(b.options ?? [])]);
      return block(le, 1, w.done());
    }
    case 'epb':
      w.u32(b.interfaceId).ts(b.timestamp).u32(b.data.length).u32(b.originalLength ?? b.data.length).bytes(b.data).pad();
      options(w, b.options ?? []);
      return block(le, 6, w.done());
    case 'pb':
      w.u16(b.interfaceId)
        .u16(b.dropsCount ?? 0)
        .ts(b.timestamp)
        .u32(b.data.length)
        .u32(b.originalLength ?? b.data.length)
        .bytes(b.data)
        .pad();
      return block(le, 2, w.done());
    case 'spb':
      w.u32(b.originalLength).bytes(b.data).pad();
      return block(le, 3, w.done());
    case 'isb': {
      w.u32(b.interfaceId).ts(b.timestamp ?? 0n);
      const list: PcapngOption[] = [];
      if (b.ifrecv !== undefined) list.push({ code: 4, value: u64Bytes(le, b.ifrecv) });
      if (b.ifdrop !== undefined) list.push({ code: 5, value: u64Bytes(le, b.ifdrop) });
      if (b.osdrop !== undefined) list.push({ code: 7, value: u64Bytes(le, b.osdrop) });
      options(w, list);
      return block(le, 5, w.done());
    }
    case 'raw':
      return block(le, b.type, Buffer.from(b.body));
  }
}

export function encodeSectionHeader(section: Pick<PcapngSection, 'byteOrder' | 'version'>, shbOptions: PcapngOption[] = []): Buffer {
  const le = (section.byteOrder ?? 'le') === 'le';
  const [major, minor] = section.version ?? [1, 0];
  const w = new Writer(le);
  w.u32(0x1a2b3c4d).u16(major).u16(minor).u64(-1n);
  options(w, shbOptions);
  return block(le, 0x0a0d0d0a, w.done());
}

export function encodePcapng(sections: readonly PcapngSection[]): Buffer {
  const parts: Buffer[] = [];
  for (const s of sections) {
    const le = (s.byteOrder ?? 'le') === 'le';
    parts.push(encodeSectionHeader(s, [{ code: 4, value: Buffer.from('encoder test', 'utf8') }]));
    for (const b of s.blocks) parts.push(encodePcapngBlock(b, le));
  }
  return Buffer.concat(parts);
}

/** Ticks per second for a raw if_tsresol byte. */
export function ticksPerSecond(tsresol: number | undefined): number {
  if (tsresol === undefined) return 1e6;
  return tsresol & 0x80 ? 2 ** (tsresol & 0x7f) : 10 ** tsresol;
}
