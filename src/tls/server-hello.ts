/**
 * ServerHello body decoder (RFC 8446 section 4.1.3), after the 4-byte handshake header.
 * A HelloRetryRequest is a ServerHello whose random is SHA-256("HelloRetryRequest").
 */
import { clampEnd, u16 } from './bytes.js';
import { EXT_SUPPORTED_VERSIONS } from './extensions.js';
import type { ServerHello } from './types.js';

/** RFC 8446 section 4.1.3: the random of a HelloRetryRequest. */
export const HELLO_RETRY_REQUEST_RANDOM = Buffer.from(
  'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c',
  'hex',
);

/** TLS 1.3 drafts up to 21 (0x7f15) sent a ServerHello without session id and compression. */
function isEarlyDraft(version: number): boolean {
  return version >= 0x7f00 && version <= 0x7f15;
}

/**
 * Decodes a ServerHello body in buf[offset, end). Returns null when the window is too short to
 * hold the version, random and cipher suite. Extensions are optional (TLS 1.2 and earlier);
 * an inconsistent extension block is ignored, leaving `version` at the legacy version.
 */
export function decodeServerHello(buf: Buffer, offset: number, end: number): ServerHello | null {
  const stop = clampEnd(buf, end);
  const start = Math.max(0, offset);
  if (stop - start < 2 + 32 + 2) return null;
  const legacyVersion = u16(buf, start);
  const helloRetryRequest = buf.compare(HELLO_RETRY_REQUEST_RANDOM, 0, 32, start + 2, start + 34) === 0;
  let p = start + 34;
  let cipherSuite: number;
  if (isEarlyDraft(legacyVersion)) {
    cipherSuite = u16(buf, p);
    p += 2;
  } else {
    const sessionIdLength = buf[p]!;
    p += 1 + sessionIdLength;
    if (p + 3 > stop) return null;
    cipherSuite = u16(buf, p);
    p += 3; // cipher suite, compression method
  }
  let version = legacyVersion;
  if (p + 2 <= stop) {
    const blockEnd = p + 2 + u16(buf, p);
    p += 2;
    if (blockEnd <= stop) {
      while (p + 4 <= blockEnd) {
        const type = u16(buf, p);
        const length = u16(buf, p + 2);
        const dataStart = p + 4;
        if (dataStart + length > blockEnd) break;
        if (type === EXT_SUPPORTED_VERSIONS && length === 2) version = u16(buf, dataStart);
        p = dataStart + length;
      }
    }
  }
  return { helloRetryRequest, legacyVersion, version, cipherSuite };
}
