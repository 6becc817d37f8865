/**
 * SSLv2-format ClientHello, as sent by old clients that still offer SSL 2.0 or wrap a TLS offer in
 * an SSLv2-compatible record (RFC 5246 Appendix E.2; RFC 6101 Appendix E):
 *
 *   2-byte record header, high bit set, 15-bit length
 *   msg_type (1 = client-hello), version, cipher_spec_length, session_id_length, challenge_length
 *   cipher_specs (3 bytes each), session_id, challenge
 *
 * Such a hello has no extensions, hence never a server_name.
 */
import { clampEnd, u16 } from './bytes.js';
import type { ClientHello } from './types.js';

/** recordVersion reported for an SSLv2-format record. */
export const SSLV2_RECORD_VERSION = 0x0002;

const HEADER = 2;
const FIXED = 9; // msg_type, version, three lengths

function plausibleVersion(version: number): boolean {
  return version === 0x0002 || (version >= 0x0300 && version <= 0x0304);
}

/**
 * Recognises an SSLv2-format ClientHello record at `offset`: returns the whole record's size
 * (header included), 0 when more bytes are needed to tell, -1 when it is not one. Strict: the
 * three inner lengths must add up to the record length.
 */
export function sslv2HelloLength(buf: Buffer, offset: number, end: number): number {
  const stop = clampEnd(buf, end);
  if (offset < 0 || offset >= stop) return 0;
  if ((buf[offset]! & 0x80) === 0) return -1;
  if (stop - offset < 2) return 0;
  const length = u16(buf, offset) & 0x7fff;
  if (length < FIXED + 3 + 16) return -1;
  if (stop - offset >= 3 && buf[offset + 2] !== 1) return -1;
  if (stop - offset < HEADER + FIXED) return 0;
  const version = u16(buf, offset + 3);
  const cipherSpecLength = u16(buf, offset + 5);
  const sessionIdLength = u16(buf, offset + 7);
  const challengeLength = u16(buf, offset + 9);
  if (!plausibleVersion(version)) return -1;
  if (cipherSpecLength === 0 || cipherSpecLength % 3 !== 0) return -1;
  if (sessionIdLength !== 0 && sessionIdLength !== 16) return -1;
  if (challengeLength < 16 || challengeLength > 32) return -1;
  if (FIXED + cipherSpecLength + sessionIdLength + challengeLength !== length) return -1;
  return HEADER + length;
}

/**
 * Decodes an SSLv2-format ClientHello record starting at `offset` (at its 2-byte header).
 * Cipher specs of the form 0x00XXXX are kept as TLS cipher suites 0xXXXX; SSL 2.0-only specs are
 * dropped. The challenge becomes the random, right-aligned in 32 bytes. When the window holds
 * less than the record, the hello is reported with complete=false.
 */
export function decodeSslv2ClientHello(buf: Buffer, offset: number, end: number): ClientHello {
  const stop = clampEnd(buf, end);
  const start = Math.min(Math.max(0, offset), stop);
  const hello: ClientHello = {
    format: 'sslv2',
    recordVersion: SSLV2_RECORD_VERSION,
    legacyVersion: 0,
    supportedVersions: [],
    random: Buffer.alloc(32),
    cipherSuites: [],
    extensionTypes: [],
    extensionLengths: [],
    hasExtensionBlock: false,
    serverName: { status: 'absent', name: null, hex: null },
    alpn: [],
    alpnHex: [],
    signatureAlgorithms: [],
    encryptedClientHello: false,
    complete: true,
    malformed: null,
    length: 0,
  };
  if (stop - start < HEADER + FIXED) {
    hello.complete = false;
    hello.malformed = `truncated after ${stop - start} bytes`;
    if (stop - start >= HEADER) hello.length = u16(buf, start) & 0x7fff;
    return hello;
  }
  const length = u16(buf, start) & 0x7fff;
  hello.length = length;
  const recordEnd = start + HEADER + length;
  const lim = Math.min(stop, recordEnd);
  if (stop < recordEnd) {
    hello.complete = false;
    hello.malformed = `truncated after ${stop - start - HEADER} of ${length} bytes`;
  }
  const note = (reason: string): void => {
    hello.malformed ??= reason;
  };
  if (buf[start + 2] !== 1) note(`message type ${buf[start + 2]!} is not client-hello`);
  hello.legacyVersion = u16(buf, start + 3);
  const cipherSpecLength = u16(buf, start + 5);
  const sessionIdLength = u16(buf, start + 7);
  const challengeLength = u16(buf, start + 9);
  if (cipherSpecLength % 3 !== 0) note(`cipher spec length ${cipherSpecLength} is not a multiple of 3`);
  const specsStart = start + HEADER + FIXED;
  const challengeStart = specsStart + cipherSpecLength + sessionIdLength;
  const challengeEnd = challengeStart + challengeLength;
  if (challengeEnd !== recordEnd) note(`inner lengths add up to ${challengeEnd - start - HEADER}, record length is ${length}`);

  const specsEnd = Math.min(specsStart + cipherSpecLength, lim);
  const cipherSuites: number[] = [];
  for (let p = specsStart; p + 3 <= specsEnd; p += 3) {
    if (buf[p] === 0) cipherSuites.push(u16(buf, p + 1));
  }
  hello.cipherSuites = cipherSuites;
  if (challengeEnd <= lim) {
    if (challengeLength > 32) note(`challenge length ${challengeLength} exceeds 32`);
    const take = Math.min(challengeLength, 32);
    buf.copy(hello.random, 32 - take, challengeEnd - take, challengeEnd);
  }
  return hello;
}
