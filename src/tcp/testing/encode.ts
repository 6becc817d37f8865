/** Test-only TCP header writer: writes what it is told, including inconsistent values. */

export interface TcpFields {
  srcPort: number;
  dstPort: number;
  seq?: number;
  ack?: number;
  flags?: number;
  window?: number;
  /** Option bytes; padded with zeros (end of option list) to a multiple of 4. */
  options?: Uint8Array;
  /** Written instead of the header length in 32-bit words (to build damaged headers). */
  dataOffsetWords?: number;
}

/** A TCP segment: the header (with options) followed by `payload`. The checksum is left 0. */
export function encodeTcp(f: TcpFields, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const options = Buffer.from(f.options ?? []);
  const optionLength = Math.ceil(options.length / 4) * 4;
  const h = Buffer.alloc(20 + optionLength);
  h.writeUInt16BE(f.srcPort & 0xffff, 0);
  h.writeUInt16BE(f.dstPort & 0xffff, 2);
  h.writeUInt32BE((f.seq ?? 0) >>> 0, 4);
  h.writeUInt32BE((f.ack ?? 0) >>> 0, 8);
  h[12] = ((f.dataOffsetWords ?? h.length / 4) & 0xf) << 4;
  h[13] = (f.flags ?? 0x02) & 0xff;
  h.writeUInt16BE((f.window ?? 65535) & 0xffff, 14);
  options.copy(h, 20);
  return Buffer.concat([h, Buffer.from(payload)]);
}
