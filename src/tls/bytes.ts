import { isUtf8 } from 'node:buffer';

/** Big-endian unsigned 16-bit value at `offset`; the caller checks bounds. */
export function u16(buf: Buffer, offset: number): number {
  return (buf[offset]! << 8) | buf[offset + 1]!;
}

/** Big-endian unsigned 24-bit value at `offset`; the caller checks bounds. */
export function u24(buf: Buffer, offset: number): number {
  return (buf[offset]! << 16) | (buf[offset + 1]! << 8) | buf[offset + 2]!;
}

/** Clamps a caller-supplied [offset, end) window to the buffer. */
export function clampEnd(buf: Buffer, end: number): number {
  if (!(end <= buf.length)) return buf.length; // also catches NaN
  return end < 0 ? 0 : end;
}

/**
 * Text for a name read off the wire (host name, ALPN protocol): UTF-8 when the bytes are
 * valid UTF-8, otherwise Latin-1 so that every byte maps to exactly one character.
 */
export function decodeName(buf: Buffer, start: number, end: number): string {
  const bytes = buf.subarray(start, end);
  return isUtf8(bytes) ? bytes.toString('utf8') : bytes.toString('latin1');
}

/** GREASE values (RFC 8701): 0x0a0a, 0x1a1a ... 0xfafa. */
export function isGrease(value: number): boolean {
  return (value & 0x0f0f) === 0x0a0a && value >> 8 === (value & 0xff);
}

export function hex16(value: number): string {
  return value.toString(16).padStart(4, '0');
}

/** Longest bytes kept as an Interner key: longer lists are decoded each time (a capture may be hostile). */
const MAX_RAW_KEY = 256;

/**
 * The key of buf[start, end) for an Interner of values decoded from those bytes: the bytes, one
 * character each; null past MAX_RAW_KEY bytes.
 */
export function rawKey(buf: Buffer, start: number, end: number): string | null {
  return end - start <= MAX_RAW_KEY ? buf.toString('latin1', start, end) : null;
}
