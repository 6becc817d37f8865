/**
 * TLS record layer (RFC 8446 section 5.1; RFC 5246 section 6.2): content type, legacy
 * record version, 16-bit length. Helpers to recognise TLS by content.
 */
import { clampEnd, u16, u24 } from './bytes.js';
import { sslv2HelloLength } from './sslv2.js';

export const CONTENT_CHANGE_CIPHER_SPEC = 20;
export const CONTENT_ALERT = 21;
export const CONTENT_HANDSHAKE = 22;
export const CONTENT_APPLICATION_DATA = 23;
export const CONTENT_HEARTBEAT = 24;

export const HANDSHAKE_CLIENT_HELLO = 1;
export const HANDSHAKE_SERVER_HELLO = 2;

export const RECORD_HEADER_LENGTH = 5;
export const HANDSHAKE_HEADER_LENGTH = 4;
/** Largest TLSCiphertext fragment: 2^14 plus 2048 bytes of expansion (RFC 5246 section 6.2.3). */
export const MAX_RECORD_LENGTH = 16384 + 2048;
/** Largest TLSPlaintext fragment (a plaintext handshake record). */
export const MAX_PLAINTEXT_LENGTH = 16384;

/** Smallest ServerHello body: version, random, session id length, cipher suite, compression. */
const MIN_SERVER_HELLO = 2 + 32 + 1 + 2 + 1;
/** Bytes a prefix-scan candidate needs: record and handshake headers, version, random, session id length. */
export const HANDSHAKE_PROBE_LENGTH = RECORD_HEADER_LENGTH + HANDSHAKE_HEADER_LENGTH + 2 + 32 + 1;

export interface RecordHeader {
  type: number;
  version: number;
  length: number;
}

export function isRecordVersion(version: number): boolean {
  return version >= 0x0300 && version <= 0x0304;
}

function isKnownContentType(type: number): boolean {
  return type >= CONTENT_CHANGE_CIPHER_SPEC && type <= CONTENT_HEARTBEAT;
}

/** Reads a record header at `offset`, or null when it is not a sane TLS record header (or too short). */
export function readRecordHeader(buf: Buffer, offset: number, end: number): RecordHeader | null {
  const stop = clampEnd(buf, end);
  if (offset < 0 || offset + RECORD_HEADER_LENGTH > stop) return null;
  const type = buf[offset]!;
  const version = u16(buf, offset + 1);
  const length = u16(buf, offset + 3);
  if (!isKnownContentType(type) || !isRecordVersion(version)) return null;
  if (length === 0 || length > MAX_RECORD_LENGTH) return null;
  return { type, version, length };
}

export type Verdict = 'yes' | 'no' | 'more';

/**
 * Whether a stream that begins at `offset` begins with TLS: a change_cipher_spec, alert,
 * handshake or application_data record with version 0x0300-0x0304 and a sane length, or an
 * SSLv2-format ClientHello.
 */
export function startsWithTls(buf: Buffer, offset: number, end: number): Verdict | 'sslv2' {
  const stop = clampEnd(buf, end);
  if (offset >= stop) return 'more';
  const first = buf[offset]!;
  if (first & 0x80) {
    const v2 = sslv2HelloLength(buf, offset, stop);
    return v2 > 0 ? 'sslv2' : v2 === 0 ? 'more' : 'no';
  }
  if (first < CONTENT_CHANGE_CIPHER_SPEC || first > CONTENT_APPLICATION_DATA) return 'no';
  if (stop - offset >= 2 && buf[offset + 1] !== 0x03) return 'no';
  if (stop - offset < RECORD_HEADER_LENGTH) return 'more';
  return readRecordHeader(buf, offset, stop) === null ? 'no' : 'yes';
}

/**
 * Whether a ClientHello or ServerHello record starts at `offset` (used to find TLS after a
 * plaintext preamble such as STARTTLS, HTTP CONNECT or SOCKS). Strict, to keep false positives
 * out of arbitrary data: handshake record with version 0x0300-0x0304 and a plaintext-sized
 * length, handshake type 1 or 2 whose length is at least a minimal hello and covers the record
 * (equal, or larger when the hello is fragmented over records), hello version 0x0300-0x0304,
 * and a session id of at most 32 bytes.
 */
export function handshakeRecordAt(buf: Buffer, offset: number, end: number): Verdict {
  const stop = clampEnd(buf, end);
  const have = stop - offset;
  const check = (n: number): boolean => have >= n;
  if (!check(1)) return 'more';
  if (buf[offset] !== CONTENT_HANDSHAKE) return 'no';
  if (!check(2)) return 'more';
  if (buf[offset + 1] !== 0x03) return 'no';
  if (!check(3)) return 'more';
  if (buf[offset + 2]! > 0x04) return 'no';
  if (!check(5)) return 'more';
  const recordLength = u16(buf, offset + 3);
  if (recordLength < HANDSHAKE_HEADER_LENGTH + MIN_SERVER_HELLO || recordLength > MAX_PLAINTEXT_LENGTH) return 'no';
  if (!check(6)) return 'more';
  const type = buf[offset + 5];
  if (type !== HANDSHAKE_CLIENT_HELLO && type !== HANDSHAKE_SERVER_HELLO) return 'no';
  if (!check(9)) return 'more';
  const messageLength = u24(buf, offset + 6);
  if (messageLength < MIN_SERVER_HELLO || messageLength + HANDSHAKE_HEADER_LENGTH < recordLength) return 'no';
  if (!check(11)) return 'more';
  if (!isRecordVersion(u16(buf, offset + 9))) return 'no';
  if (!check(HANDSHAKE_PROBE_LENGTH)) return 'more';
  if (buf[offset + HANDSHAKE_PROBE_LENGTH - 1]! > 32) return 'no';
  return 'yes';
}
