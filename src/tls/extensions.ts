/**
 * Decoders for the ClientHello extensions this tool reads. Each takes the extension_data
 * window [offset, end) and never reads outside it.
 */
import { decodeName, rawKey, u16 } from './bytes.js';
import { Interner } from './interner.js';
import type { ServerName } from './types.js';

export const EXT_SERVER_NAME = 0;
export const EXT_SIGNATURE_ALGORITHMS = 13;
export const EXT_ALPN = 16;
export const EXT_SUPPORTED_VERSIONS = 43;
export const EXT_ENCRYPTED_CLIENT_HELLO = 0xfe0d;

const NAME_TYPE_HOST_NAME = 0;

/**
 * Bytes of a host_name kept (a DNS name has at most 255): what is longer is kept cut to this, so
 * that hostile names of 64 KiB cannot fill the memory of the connections and tables that keep them.
 */
export const MAX_HOST_NAME_BYTES = 255;
/** ALPN protocol names kept; JA4 reads only the first. */
export const MAX_ALPN_NAMES = 64;

export interface ServerNameResult {
  serverName: ServerName;
  /** Why the status is 'malformed', or an oddity worth reporting; null otherwise. */
  problem: string | null;
}

function serverName(status: ServerName['status'], name: string | null = null, hex: string | null = null): ServerName {
  return { status, name, hex };
}

/**
 * server_name (RFC 6066 section 3): a ServerNameList<1..2^16-1> of (name_type, opaque<1..2^16-1>).
 * Zero-length extension data, an empty list or an empty host_name give 'empty'; lengths that do
 * not add up, or a list with no host_name entry, give 'malformed'. The first non-empty host_name
 * wins, its first MAX_HOST_NAME_BYTES bytes kept.
 */
export function decodeServerName(buf: Buffer, offset: number, end: number): ServerNameResult {
  const size = end - offset;
  if (size === 0) return { serverName: serverName('empty'), problem: null };
  if (size < 2) return { serverName: serverName('malformed'), problem: 'server_name: extension shorter than its list length' };
  const listLength = u16(buf, offset);
  const listEnd = offset + 2 + listLength;
  if (listLength === 0) {
    const problem = listEnd === end ? null : 'server_name: bytes after an empty list';
    return { serverName: serverName('empty'), problem };
  }
  if (listEnd !== end) {
    return {
      serverName: serverName('malformed'),
      problem: `server_name: list length ${listLength} does not match extension length ${size - 2}`,
    };
  }
  let p = offset + 2;
  let sawEmptyHostName = false;
  let found: ServerName | null = null;
  let longName = 0;
  while (p < listEnd) {
    if (listEnd - p < 3) return { serverName: serverName('malformed'), problem: 'server_name: truncated entry' };
    const type = buf[p]!;
    const length = u16(buf, p + 1);
    const start = p + 3;
    if (start + length > listEnd) {
      return { serverName: serverName('malformed'), problem: `server_name: entry length ${length} overruns the list` };
    }
    if (type === NAME_TYPE_HOST_NAME && found === null) {
      if (length === 0) sawEmptyHostName = true;
      else {
        const kept = start + Math.min(length, MAX_HOST_NAME_BYTES);
        found = serverName('present', decodeName(buf, start, kept), buf.toString('hex', start, kept));
        if (length > MAX_HOST_NAME_BYTES) longName = length;
      }
    }
    p = start + length;
  }
  if (found !== null) {
    const problem = longName > 0 ? `server_name: host_name of ${longName} bytes, the first ${MAX_HOST_NAME_BYTES} kept` : null;
    return { serverName: found, problem };
  }
  if (sawEmptyHostName) return { serverName: serverName('empty'), problem: null };
  return { serverName: serverName('malformed'), problem: 'server_name: no host_name entry' };
}

export interface AlpnResult {
  readonly protocols: readonly string[];
  /** Raw bytes of each protocol name, in hex. */
  readonly hex: readonly string[];
  readonly problem: string | null;
}

const alpnLists = new Interner<AlpnResult>(1024);

/**
 * application_layer_protocol_negotiation (RFC 7301 section 3.1): ProtocolName<1..2^8-1> list<2..2^16-1>.
 * The result is frozen, and shared by the hellos that send the same bytes; at most MAX_ALPN_NAMES
 * names are kept.
 */
export function decodeAlpn(buf: Buffer, offset: number, end: number): AlpnResult {
  const key = rawKey(buf, offset, end);
  return alpnLists.find(key) ?? alpnLists.keep(key, alpn(buf, offset, end));
}

function alpn(buf: Buffer, offset: number, end: number): AlpnResult {
  const protocols: string[] = [];
  const hex: string[] = [];
  if (end - offset < 2) return { protocols, hex, problem: 'alpn: extension shorter than its list length' };
  const listLength = u16(buf, offset);
  const listEnd = offset + 2 + listLength;
  let problem: string | null = null;
  if (listEnd !== end) problem = `alpn: list length ${listLength} does not match extension length ${end - offset - 2}`;
  const stop = Math.min(listEnd, end);
  let p = offset + 2;
  while (p < stop) {
    const length = buf[p]!;
    const start = p + 1;
    if (start + length > stop) {
      problem ??= `alpn: name length ${length} overruns the list`;
      break;
    }
    if (length === 0) problem ??= 'alpn: empty protocol name';
    if (protocols.length === MAX_ALPN_NAMES) {
      problem ??= `alpn: more than ${MAX_ALPN_NAMES} protocol names, the first ${MAX_ALPN_NAMES} kept`;
      break;
    }
    protocols.push(decodeName(buf, start, start + length));
    hex.push(buf.toString('hex', start, start + length));
    p = start + length;
  }
  return { protocols: Object.freeze(protocols), hex: Object.freeze(hex), problem };
}

export interface ListResult {
  readonly values: readonly number[];
  readonly problem: string | null;
}

/** The lists of each extension by their bytes, the length prefix included (see rawKey). */
const versionLists = new Interner<ListResult>(1024);
const algorithmLists = new Interner<ListResult>(1024);

/** A list of 16-bit values behind a length prefix; frozen, and shared by the hellos that send the same bytes. */
function sharedU16List(lists: Interner<ListResult>, name: string, prefixBytes: 1 | 2, buf: Buffer, offset: number, end: number): ListResult {
  const key = rawKey(buf, offset, end);
  return lists.find(key) ?? lists.keep(key, decodeU16List(name, prefixBytes, buf, offset, end));
}

/** A list of 16-bit values behind a length prefix of `prefixBytes` (1 or 2) bytes. */
function decodeU16List(name: string, prefixBytes: 1 | 2, buf: Buffer, offset: number, end: number): ListResult {
  const values: number[] = [];
  if (end - offset < prefixBytes) return { values, problem: `${name}: extension shorter than its list length` };
  const listLength = prefixBytes === 1 ? buf[offset]! : u16(buf, offset);
  const listEnd = offset + prefixBytes + listLength;
  let problem: string | null = null;
  if (listEnd !== end) problem = `${name}: list length ${listLength} does not match extension length ${end - offset - prefixBytes}`;
  else if (listLength % 2 !== 0) problem = `${name}: odd list length ${listLength}`;
  const stop = Math.min(listEnd, end);
  for (let p = offset + prefixBytes; p + 2 <= stop; p += 2) values.push(u16(buf, p));
  return { values: Object.freeze(values), problem };
}

/** supported_versions in a ClientHello (RFC 8446 section 4.2.1): ProtocolVersion versions<2..254>. */
export function decodeSupportedVersions(buf: Buffer, offset: number, end: number): ListResult {
  return sharedU16List(versionLists, 'supported_versions', 1, buf, offset, end);
}

/** signature_algorithms (RFC 8446 section 4.2.3): SignatureScheme supported_signature_algorithms<2..2^16-2>. */
export function decodeSignatureAlgorithms(buf: Buffer, offset: number, end: number): ListResult {
  return sharedU16List(algorithmLists, 'signature_algorithms', 2, buf, offset, end);
}
