import { randomBytes } from 'node:crypto';
import { formatAddress } from '../ip/address.js';
import { Interner } from '../tls/interner.js';
import type { ClientHello, ServerHello, ServerName } from '../tls/types.js';
import type { ClientHelloFacts, Endpoint } from './types.js';

const numberLists = new Interner<readonly number[]>(4096);
const textLists = new Interner<readonly string[]>(4096);
const serverNames = new Interner<ServerName>(16384);

export const EMPTY_NUMBERS: readonly number[] = Object.freeze([]);
const EMPTY_TEXTS: readonly string[] = Object.freeze([]);

function numbers(list: readonly number[]): readonly number[] {
  if (list.length === 0) return EMPTY_NUMBERS;
  // A frozen list is the decoder's own, shared by the hellos that sent the same bytes (see
  // rawKey): the connection keeps it as it is.
  if (Object.isFrozen(list)) return list;
  const key = list.join(',');
  return numberLists.find(key) ?? numberLists.keep(key, [...list]);
}

function texts(list: readonly string[]): readonly string[] {
  if (list.length === 0) return EMPTY_TEXTS;
  if (Object.isFrozen(list)) return list;
  // Names are joined with a character that cannot occur in them unescaped (decoded names are text).
  const key = list.join('\u0000');
  return textLists.find(key) ?? textLists.keep(key, [...list]);
}

/** The name is decoded from its bytes, so the bytes (or the status, when there are none) identify it. */
function serverName(sni: ServerName): ServerName {
  const key = sni.hex ?? sni.status;
  return serverNames.find(key) ?? serverNames.keep(key, { ...sni });
}

/**
 * Longest list a connection keeps of a ClientHello (extension types here; cipher suites and
 * signature algorithms until its JA4 is made): a real hello sends a few dozen, a hostile one up
 * to 16,383, which thousands of listed connections would each keep.
 */
export const MAX_KEPT_LIST = 128;

/**
 * What a connection keeps of its ClientHello (see ClientHelloFacts). Values many connections
 * share are shared objects, frozen; of more than MAX_KEPT_LIST extension types, the first are kept.
 */
export function helloFacts(hello: ClientHello): ClientHelloFacts {
  const types = hello.extensionTypes.length;
  return {
    format: hello.format,
    recordVersion: hello.recordVersion,
    legacyVersion: hello.legacyVersion,
    supportedVersions: numbers(hello.supportedVersions),
    random: hello.random.toString('latin1'),
    cipherSuiteCount: hello.cipherSuites.length,
    // Not shared: clients that shuffle their extensions (Chrome) rarely send the same order twice.
    extensionTypes: types > MAX_KEPT_LIST ? hello.extensionTypes.slice(0, MAX_KEPT_LIST) : hello.extensionTypes,
    serverName: serverName(hello.serverName),
    alpn: texts(hello.alpn),
    encryptedClientHello: hello.encryptedClientHello,
    complete: hello.complete,
    malformed: hello.malformed ?? (types > MAX_KEPT_LIST ? `${types} extensions, the first ${MAX_KEPT_LIST} kept` : null),
    length: hello.length,
  };
}

const ipv4Addresses = new Interner<string, number>(65536);
const ipv6Addresses = new Interner<string>(65536);

/**
 * An address as text (RFC 5952 for IPv6), one shared string per address; `bytes` holds the
 * address bytes one character per byte (latin1), as the stream stage keeps them.
 */
export function addressText(bytes: string, version: 4 | 6): string {
  if (version === 6) return ipv6Addresses.find(bytes) ?? ipv6Addresses.keep(bytes, formatAddress(Buffer.from(bytes, 'latin1'), 0, 6));
  const key = ipv4Key(bytes);
  return ipv4Addresses.find(key) ?? ipv4Addresses.keep(key, formatAddress(Buffer.from(bytes, 'latin1'), 0, 4));
}

/**
 * An address as a map key: an IPv4 address as a number (a map compares numbers without reaching
 * for a string, whose hash and characters are one more place in memory to read), an IPv6
 * address as its bytes.
 */
export function addressKey(bytes: string): number | string {
  return bytes.length === 4 ? ipv4Key(bytes) : bytes;
}

/**
 * A seed drawn for each process. V8 hashes the numbers it uses as map keys without a seed of its
 * own: keyed by bare addresses (or ServerHello fields), a capture could bring tens of thousands
 * of them into one bucket, where every lookup walks all of them.
 */
const KEY_SEED = randomBytes(4).readInt32LE(0);

/**
 * A 32-bit number mixed with KEY_SEED, one to one (a bijection of 32-bit numbers), as a signed
 * 32-bit number: V8 keeps it a small integer, where an unsigned one above 2^31 would be a heap
 * number.
 */
function seeded(n: number): number {
  return Math.imul(n ^ KEY_SEED, 0x9e3779b1);
}

function ipv4Key(bytes: string): number {
  return seeded((bytes.charCodeAt(0) << 24) | (bytes.charCodeAt(1) << 16) | (bytes.charCodeAt(2) << 8) | bytes.charCodeAt(3));
}

const texts1 = new Interner<string>(4096);

/** One shared copy of a text many connections repeat (a JA4 fingerprint). */
export function sharedText(text: string): string {
  return texts1.find(text) ?? texts1.keep(text, text);
}

/** Server endpoints by address, then port (no key text made per connection). */
const endpoints = new Map<string, Map<number, Endpoint>>();
let endpointCount = 0;
const MAX_ENDPOINTS = 4096;

/** A server endpoint, shared by the connections to it (past MAX_ENDPOINTS the table starts over). */
export function sharedEndpoint(ip: string, port: number): Endpoint {
  let ports = endpoints.get(ip);
  let endpoint = ports?.get(port);
  if (endpoint === undefined) {
    if (endpointCount >= MAX_ENDPOINTS) {
      endpoints.clear();
      endpointCount = 0;
      ports = undefined;
    }
    if (ports === undefined) {
      ports = new Map();
      endpoints.set(ip, ports);
    }
    endpoint = Object.freeze({ ip, port });
    ports.set(port, endpoint);
    endpointCount++;
  }
  return endpoint;
}

const serverHellos = new Interner<ServerHello, number>(1024);

/** A ServerHello's facts, shared by the connections that got the same answer. */
export function sharedServerHello(hello: ServerHello): ServerHello {
  // The three 16-bit fields and the flag in one number (49 bits, exact in a double), its low 32
  // bits mixed with KEY_SEED one to one (see seeded).
  const high = hello.legacyVersion * 2 + (hello.helloRetryRequest ? 1 : 0);
  const low = seeded((hello.version << 16) | hello.cipherSuite) >>> 0;
  const key = high * 0x100000000 + low;
  return serverHellos.find(key) ?? serverHellos.keep(key, { ...hello });
}
