/**
 * ClientHello body decoder (RFC 8446 section 4.1.2; RFC 5246 section 7.4.1.2 for the optional
 * extension block of older versions). Works on the handshake body, after the 4-byte handshake
 * header, and never throws: problems are reported in `malformed`.
 */
import { clampEnd, rawKey, u16 } from './bytes.js';
import { Interner } from './interner.js';
import {
  EXT_ALPN,
  EXT_ENCRYPTED_CLIENT_HELLO,
  EXT_SERVER_NAME,
  EXT_SIGNATURE_ALGORITHMS,
  EXT_SUPPORTED_VERSIONS,
  decodeAlpn,
  decodeServerName,
  decodeSignatureAlgorithms,
  decodeSupportedVersions,
} from './extensions.js';
import type { ClientHello, ServerName } from './types.js';

export interface ClientHelloContext {
  /** Version of the record that carried the message's first byte (0 when unknown). */
  recordVersion?: number;
  /**
   * The body length declared in the handshake header. Only needed when the window is a prefix
   * (`complete` false): a length field that overruns the declared message is then an
   * inconsistency, one that only overruns the prefix is a cut.
   */
  declaredLength?: number;
  /** What cut a prefix short ('a lost segment', 'the end of the stream' ...), used in `malformed`. */
  cutBy?: string;
}

/** Outcome of asking for `n` more bytes at the cursor. */
type Need = 'ok' | 'cut' | 'overrun';

/**
 * The extension types met so far in the hello being decoded, one bit per type, to spot duplicates
 * without a Set per hello. All zero between calls (decoding is synchronous).
 */
const seenTypes = new Uint32Array(65536 / 32);
const NO_RANDOM = Buffer.alloc(0);

/** What a hello without a readable host name says, shared (frozen) rather than made per hello. */
const UNKNOWN_NAME: ServerName = Object.freeze({ status: 'unknown', name: null, hex: null });
const MALFORMED_NAME: ServerName = Object.freeze({ status: 'malformed', name: null, hex: null });
const ABSENT_NAME: ServerName = Object.freeze({ status: 'absent', name: null, hex: null });
/** The lists a hello has until its fields say otherwise. */
const NONE: readonly never[] = Object.freeze([]);

/** Whole cipher suite lists by their bytes: a capture's clients send a few lists over and over. */
const cipherSuiteLists = new Interner<readonly number[]>(1024);

/** The 16-bit values in buf[start, end), an odd last byte left out. */
function u16s(buf: Buffer, start: number, end: number): number[] {
  const values = new Array<number>((end - start) >> 1);
  for (let i = 0; i < values.length; i++) values[i] = u16(buf, start + 2 * i);
  return values;
}

/**
 * The hello being decoded and its window, for the helpers below: one object, reused, rather than
 * closures made per hello (decoding is synchronous, as for seenTypes).
 */
const decoding = {
  hello: null as ClientHello | null,
  /** End of the bytes there are, and of the message as declared. */
  lim: 0,
  msgEnd: 0,
  available: 0,
  declared: 0,
  cutBy: undefined as string | undefined,
  /** The server_name status is final (the extension was read, or found broken). */
  sniDecided: false,
};

function note(reason: string): void {
  const hello = decoding.hello as ClientHello;
  hello.malformed ??= reason;
}

function truncated(): string {
  const { cutBy, declared, available } = decoding;
  const by = cutBy === undefined ? 'truncated' : `truncated by ${cutBy}`;
  return Number.isFinite(declared) ? `${by} after ${available} of ${declared} bytes` : `${by} after ${available} bytes`;
}

/** Ends decoding at a cut ('unknown' SNI unless decided) or an overrun ('malformed'). */
function finish(how: 'cut' | 'overrun', reason: string): ClientHello {
  const hello = decoding.hello as ClientHello;
  if (how === 'cut') {
    note(truncated());
    if (!decoding.sniDecided) hello.serverName = UNKNOWN_NAME;
  } else {
    note(reason);
    if (!decoding.sniDecided) hello.serverName = MALFORMED_NAME;
  }
  return hello;
}

/** Whether n bytes at p are there ('ok'), lie past the bytes there are ('cut') or past the message ('overrun'). */
function need(p: number, n: number): Need {
  if (p + n <= decoding.lim) return 'ok';
  return p + n > decoding.msgEnd ? 'overrun' : 'cut';
}

/**
 * Decodes a ClientHello body in buf[offset, end). With `complete` false the window is a prefix of
 * the body (cut by a gap, the snap length or the end of the capture): fields are decoded as far as
 * the bytes go, and a server_name extension that was not reached gives status 'unknown'.
 */
export function decodeClientHello(
  buf: Buffer,
  offset: number,
  end: number,
  complete: boolean,
  context: ClientHelloContext = {},
): ClientHello {
  const avail = clampEnd(buf, end);
  const start = Math.min(Math.max(0, offset), avail);
  const available = avail - start;
  const declared = complete ? available : (context.declaredLength ?? Number.POSITIVE_INFINITY);
  const msgEnd = start + declared;
  const lim = Math.min(avail, msgEnd);

  const hello: ClientHello = {
    format: 'tls',
    recordVersion: context.recordVersion ?? 0,
    legacyVersion: 0,
    supportedVersions: NONE,
    random: NO_RANDOM,
    cipherSuites: NONE,
    extensionTypes: [],
    extensionLengths: [],
    hasExtensionBlock: false,
    serverName: UNKNOWN_NAME,
    alpn: NONE,
    alpnHex: NONE,
    signatureAlgorithms: NONE,
    encryptedClientHello: false,
    complete,
    malformed: null,
    length: Number.isFinite(declared) ? declared : available,
  };

  decoding.hello = hello;
  decoding.lim = lim;
  decoding.msgEnd = msgEnd;
  decoding.available = available;
  decoding.declared = declared;
  decoding.cutBy = context.cutBy;
  decoding.sniDecided = false;

  let p = start;
  let r = need(p, 2);
  if (r !== 'ok') return finish(r, 'legacy_version: message too short');
  hello.legacyVersion = u16(buf, p);
  p += 2;

  r = need(p, 32);
  if (r !== 'ok') {
    hello.random = Buffer.from(buf.subarray(p, lim));
    return finish(r, 'random: message too short');
  }
  hello.random = Buffer.from(buf.subarray(p, p + 32));
  p += 32;

  r = need(p, 1);
  if (r !== 'ok') return finish(r, 'session id length missing');
  const sessionIdLength = buf[p]!;
  p += 1;
  if (sessionIdLength > 32) note(`session id length ${sessionIdLength} exceeds 32`);
  r = need(p, sessionIdLength);
  if (r !== 'ok') return finish(r, `session id length ${sessionIdLength} overruns the message`);
  p += sessionIdLength;

  r = need(p, 2);
  if (r !== 'ok') return finish(r, 'cipher suites length missing');
  const cipherLength = u16(buf, p);
  p += 2;
  if (cipherLength === 0) note('no cipher suites');
  else if (cipherLength % 2 !== 0) note(`odd cipher suites length ${cipherLength}`);
  r = need(p, cipherLength);
  if (r !== 'ok') {
    hello.cipherSuites = u16s(buf, p, lim);
    return finish(r, `cipher suites length ${cipherLength} overruns the message (${msgEnd - p} bytes left)`);
  }
  const key = rawKey(buf, p, p + cipherLength);
  hello.cipherSuites = cipherSuiteLists.find(key) ?? cipherSuiteLists.keep(key, u16s(buf, p, p + cipherLength));
  p += cipherLength;

  r = need(p, 1);
  if (r !== 'ok') return finish(r, 'compression methods length missing');
  const compressionLength = buf[p]!;
  p += 1;
  if (compressionLength === 0) note('no compression methods');
  r = need(p, compressionLength);
  if (r !== 'ok') return finish(r, `compression methods length ${compressionLength} overruns the message`);
  p += compressionLength;

  if (p === msgEnd) {
    hello.serverName = ABSENT_NAME;
    return hello;
  }
  r = need(p, 2);
  if (r !== 'ok') return finish(r, 'one byte where the extensions length should be');
  hello.hasExtensionBlock = true;
  const blockLength = u16(buf, p);
  p += 2;
  const blockEnd = p + blockLength;
  if (blockEnd > msgEnd) {
    return finish('overrun', `extensions length ${blockLength} overruns the message (${msgEnd - p} bytes left)`);
  }

  try {
    while (p < blockEnd) {
      if (p + 4 > blockEnd) return finish('overrun', `${blockEnd - p} stray bytes at the end of the extensions block`);
      if (p + 4 > lim) return finish('cut', '');
      const type = u16(buf, p);
      const length = u16(buf, p + 2);
      const dataStart = p + 4;
      const dataEnd = dataStart + length;
      if (dataEnd > blockEnd) {
        if (type === EXT_SERVER_NAME && !decoding.sniDecided) {
          hello.serverName = MALFORMED_NAME;
          decoding.sniDecided = true;
        }
        return finish('overrun', `extension ${type} length ${length} overruns the extensions block`);
      }
      hello.extensionTypes.push(type);
      hello.extensionLengths.push(length);
      if (type === EXT_ENCRYPTED_CLIENT_HELLO) hello.encryptedClientHello = true;
      if (dataEnd > lim) return finish('cut', '');
      const word = type >>> 5;
      const bit = 1 << (type & 31);
      if ((seenTypes[word] & bit) !== 0) {
        note(`duplicate extension ${type}`);
      } else {
        seenTypes[word] |= bit;
        decodeExtension(hello, type, buf, dataStart, dataEnd, note);
        if (type === EXT_SERVER_NAME) decoding.sniDecided = true;
      }
      p = dataEnd;
    }
  } finally {
    // Every bit set belongs to a type in hello.extensionTypes: clearing their words clears them all.
    for (const type of hello.extensionTypes) seenTypes[type >>> 5] = 0;
  }
  if (!decoding.sniDecided) hello.serverName = ABSENT_NAME;
  if (blockEnd < msgEnd && Number.isFinite(msgEnd)) note(`${msgEnd - blockEnd} bytes after the extensions`);
  return hello;
}

function decodeExtension(
  hello: ClientHello,
  type: number,
  buf: Buffer,
  start: number,
  end: number,
  note: (reason: string) => void,
): void {
  switch (type) {
    case EXT_SERVER_NAME: {
      const result = decodeServerName(buf, start, end);
      hello.serverName = result.serverName;
      if (result.problem !== null) note(result.problem);
      break;
    }
    case EXT_ALPN: {
      const result = decodeAlpn(buf, start, end);
      hello.alpn = result.protocols;
      hello.alpnHex = result.hex;
      if (result.problem !== null) note(result.problem);
      break;
    }
    case EXT_SUPPORTED_VERSIONS: {
      const result = decodeSupportedVersions(buf, start, end);
      hello.supportedVersions = result.values;
      if (result.problem !== null) note(result.problem);
      break;
    }
    case EXT_SIGNATURE_ALGORITHMS: {
      const result = decodeSignatureAlgorithms(buf, start, end);
      hello.signatureAlgorithms = result.values;
      if (result.problem !== null) note(result.problem);
      break;
    }
    default:
      break;
  }
}
