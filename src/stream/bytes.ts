/**
 * The four bytes at `offset` as a little-endian signed 32-bit number, as Buffer's readInt32LE
 * reads them (the caller makes sure they are there). Byte reads rather than the Buffer method: in
 * the connection table's code, optimised, each call of the method went through V8's generic
 * property lookup, on every packet.
 */
export function int32le(buf: Buffer, offset: number): number {
  return buf[offset] | (buf[offset + 1] << 8) | (buf[offset + 2] << 16) | (buf[offset + 3] << 24);
}
