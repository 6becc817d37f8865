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

/**
 * Values decoded from bytes that the hellos of a capture repeat thousands of times (cipher suite
 * lists, supported versions, signature algorithms, ALPN lists), kept by those bytes: the same
 * bytes give the same frozen value, decoded once. Past `max` values it starts over, so a capture
 * of distinct values costs little more than decoding each one, and keys are at most 256 bytes.
 * Used as `find(key) ?? keep(key, decode())` with `key = rawKey(...)`.
 */
export class RawMemo<T extends object> {
  private readonly values = new Map<string, T>();

  constructor(private readonly max: number) {}

  find(key: string | null): T | undefined {
    return key === null ? undefined : this.values.get(key);
  }

  /** `value`, frozen, and kept under `key` unless that is null (bytes too long to keep). */
  keep(key: string | null, value: T): T {
    const frozen = Object.freeze(value);
    if (key === null) return frozen;
    if (this.values.size >= this.max) this.values.clear();
    this.values.set(key, frozen);
    return frozen;
  }
}

/** Longest bytes kept as a RawMemo key: longer lists are decoded each time (a capture may be hostile). */
const MAX_RAW_KEY = 256;

/** The key of buf[start, end) for a RawMemo: its bytes, one character each; null past MAX_RAW_KEY bytes. */
export function rawKey(buf: Buffer, start: number, end: number): string | null {
  return end - start <= MAX_RAW_KEY ? buf.toString('latin1', start, end) : null;
}
