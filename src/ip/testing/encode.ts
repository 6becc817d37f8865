/**
 * Test-only packet builders: just enough of Ethernet, Linux cooked v1/v2, IPv4 and IPv6 to
 * build frames for round-trip and fragment tests.
 */
import { parseAddress } from '../address.js';

export function addr(text: string): Buffer {
  const parsed = parseAddress(text);
  if (parsed.kind === 'error') throw new Error(parsed.detail);
  return parsed.bytes;
}

function u16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value & 0xffff);
  return b;
}

export interface VlanTag {
  tpid: number;
  vid: number;
  pcp?: number;
}

export interface EthernetFields {
  dst?: Buffer;
  src?: Buffer;
  etherType: number;
  vlans?: VlanTag[];
}

export function ethernet(f: EthernetFields, payload: Buffer): Buffer {
  const parts: Buffer[] = [f.dst ?? Buffer.from('020000000002', 'hex'), f.src ?? Buffer.from('020000000001', 'hex')];
  for (const tag of f.vlans ?? []) parts.push(u16(tag.tpid), u16(((tag.pcp ?? 0) << 13) | (tag.vid & 0xfff)));
  parts.push(u16(f.etherType), payload);
  return Buffer.concat(parts);
}

export interface SllFields {
  packetType?: number;
  hatype?: number;
  address?: Buffer;
  protocol: number;
  interfaceIndex?: number;
}

export function sll(f: SllFields, payload: Buffer): Buffer {
  const h = Buffer.alloc(16);
  const address = f.address ?? Buffer.from('020000000001', 'hex');
  h.writeUInt16BE(f.packetType ?? 0, 0);
  h.writeUInt16BE(f.hatype ?? 1, 2);
  h.writeUInt16BE(address.length, 4);
  address.copy(h, 6, 0, Math.min(8, address.length));
  h.writeUInt16BE(f.protocol, 14);
  return Buffer.concat([h, payload]);
}

export function sll2(f: SllFields, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  const address = f.address ?? Buffer.from('020000000001', 'hex');
  h.writeUInt16BE(f.protocol, 0);
  h.writeUInt32BE(f.interfaceIndex ?? 1, 4);
  h.writeUInt16BE(f.hatype ?? 1, 8);
  h[10] = f.packetType ?? 0;
  h[11] = address.length;
  address.copy(h, 12, 0, Math.min(8, address.length));
  return Buffer.concat([h, payload]);
}

export interface Ipv4Fields {
  src: Buffer;
  dst: Buffer;
  protocol: number;
  ttl?: number;
  id?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** Bytes; must be a multiple of 8. */
  fragmentOffset?: number;
  /** Option bytes, padded to a multiple of 4 by the caller. */
  options?: Buffer;
  /** Overrides the computed total length. */
  totalLength?: number;
}

export function ipv4(f: Ipv4Fields, payload: Buffer): Buffer {
  const options = f.options ?? Buffer.alloc(0);
  const headerLength = 20 + options.length;
  const h = Buffer.alloc(headerLength);
  h[0] = 0x40 | (headerLength >> 2);
  h.writeUInt16BE(f.totalLength ?? headerLength + payload.length, 2);
  h.writeUInt16BE(f.id ?? 0, 4);
  h.writeUInt16BE((f.dontFragment ? 0x4000 : 0) | (f.moreFragments ? 0x2000 : 0) | ((f.fragmentOffset ?? 0) >> 3), 6);
  h[8] = f.ttl ?? 64;
  h[9] = f.protocol;
  f.src.copy(h, 12);
  f.dst.copy(h, 16);
  options.copy(h, 20);
  let sum = 0;
  for (let i = 0; i < headerLength; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  h.writeUInt16BE(~sum & 0xffff, 10);
  return Buffer.concat([h, payload]);
}

export interface Ipv6ExtensionHeader {
  /** 0, 43, 60, 135 (8-byte units), 51 (AH, 4-byte units) or 44 (fragment). */
  type: number;
  /** Body after the next-header and length bytes (fragment: the 6 bytes after next header + reserved). */
  body?: Buffer;
}

export interface Ipv6Fields {
  src: Buffer;
  dst: Buffer;
  nextHeader: number;
  hopLimit?: number;
  flowLabel?: number;
  extensions?: Ipv6ExtensionHeader[];
  /** Overrides the computed payload length. */
  payloadLength?: number;
}

/** Encodes one extension header whose next header is `next`. */
export function ipv6Extension(ext: Ipv6ExtensionHeader, next: number): Buffer {
  if (ext.type === 44) {
    const h = Buffer.alloc(8);
    h[0] = next;
    (ext.body ?? Buffer.alloc(6)).copy(h, 2, 0, 6);
    return h;
  }
  const unit = ext.type === 51 ? 4 : 8;
  const body = ext.body ?? Buffer.alloc(ext.type === 51 ? 10 : 6);
  const total = Math.ceil((body.length + 2) / unit) * unit;
  const h = Buffer.alloc(Math.max(total, ext.type === 51 ? 12 : 8));
  h[0] = next;
  h[1] = ext.type === 51 ? h.length / 4 - 2 : h.length / 8 - 1;
  body.copy(h, 2);
  return h;
}

export function ipv6(f: Ipv6Fields, payload: Buffer): Buffer {
  const exts = f.extensions ?? [];
  const encoded: Buffer[] = [];
  for (let i = 0; i < exts.length; i++) {
    encoded.push(ipv6Extension(exts[i], i + 1 < exts.length ? exts[i + 1].type : f.nextHeader));
  }
  const rest = Buffer.concat([...encoded, payload]);
  const h = Buffer.alloc(40);
  h.writeUInt32BE((6 << 28) | ((f.flowLabel ?? 0) & 0xfffff), 0);
  h.writeUInt16BE(f.payloadLength ?? rest.length, 4);
  h[6] = exts.length > 0 ? exts[0].type : f.nextHeader;
  h[7] = f.hopLimit ?? 64;
  f.src.copy(h, 8);
  f.dst.copy(h, 24);
  return Buffer.concat([h, rest]);
}

/** Fragment header body: offset (bytes, multiple of 8), M flag, identification. */
export function fragmentBody(offset: number, more: boolean, id: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt16BE((offset & 0xfff8) | (more ? 1 : 0), 0);
  b.writeUInt32BE(id >>> 0, 2);
  return b;
}

export function tcpHeader(srcPort: number, dstPort: number, flags = 0x02): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(srcPort, 0);
  h.writeUInt16BE(dstPort, 2);
  h[12] = 5 << 4;
  h[13] = flags;
  h.writeUInt16BE(65535, 14);
  return h;
}

export function udpHeader(srcPort: number, dstPort: number, payloadLength: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(srcPort, 0);
  h.writeUInt16BE(dstPort, 2);
  h.writeUInt16BE(8 + payloadLength, 4);
  return h;
}

export interface FragmentIdentity {
  src: Buffer;
  dst: Buffer;
  id: number;
  protocol: number;
  ttl?: number;
}

/** One IPv4 fragment carrying `data` at byte `offset` of the datagram's payload. */
export function ipv4Fragment(who: FragmentIdentity, data: Buffer, offset: number, more: boolean): Buffer {
  return ipv4({ src: who.src, dst: who.dst, protocol: who.protocol, id: who.id, ttl: who.ttl, fragmentOffset: offset, moreFragments: more }, data);
}

/**
 * One IPv6 fragment: the fixed header, the given unfragmentable extension headers, a fragment
 * header (next header = `who.protocol`) and `data`.
 */
export function ipv6Fragment(who: FragmentIdentity, data: Buffer, offset: number, more: boolean, unfragmentable: Ipv6ExtensionHeader[] = []): Buffer {
  return ipv6(
    {
      src: who.src,
      dst: who.dst,
      nextHeader: who.protocol,
      hopLimit: who.ttl,
      extensions: [...unfragmentable, { type: 44, body: fragmentBody(offset, more, who.id) }],
    },
    data,
  );
}
