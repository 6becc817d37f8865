import { formatAddress } from '../ip/address.js';
import type { ClientHello, ServerHello, ServerName } from '../tls/types.js';
import type { ClientHelloFacts, Endpoint } from './types.js';

/**
 * One shared, frozen copy per distinct value: the connections of a large capture repeat the same
 * few version lists, ALPN lists and host names thousands of times. Past `max` values the table
 * starts over, so a capture full of distinct values costs no more than one without sharing.
 */
export class Interner<T, K = string> {
  private readonly values = new Map<K, T>();

  constructor(private readonly max: number) {}

  get(key: K, make: () => T): T {
    let value = this.values.get(key);
    if (value === undefined) {
      if (this.values.size >= this.max) this.values.clear();
      value = Object.freeze(make());
      this.values.set(key, value);
    }
    return value;
  }
}

const numberLists = new Interner<readonly number[]>(4096);
const textLists = new Interner<readonly string[]>(4096);
const serverNames = new Interner<ServerName>(16384);

const EMPTY_NUMBERS: readonly number[] = Object.freeze([]);
const EMPTY_TEXTS: readonly string[] = Object.freeze([]);

function numbers(list: readonly number[]): readonly number[] {
  return list.length === 0 ? EMPTY_NUMBERS : numberLists.get(list.join(','), () => [...list]);
}

function texts(list: readonly string[]): readonly string[] {
  // Names are joined with a character that cannot occur in them unescaped (decoded names are text).
  return list.length === 0 ? EMPTY_TEXTS : textLists.get(list.join('\u0000'), () => [...list]);
}

/**
 * What a connection keeps of its ClientHello (see ClientHelloFacts). Values many connections
 * share are shared objects, frozen.
 */
export function helloFacts(hello: ClientHello): ClientHelloFacts {
  const sni = hello.serverName;
  return {
    format: hello.format,
    recordVersion: hello.recordVersion,
    legacyVersion: hello.legacyVersion,
    supportedVersions: numbers(hello.supportedVersions),
    random: hello.random.toString('latin1'),
    cipherSuiteCount: hello.cipherSuites.length,
    // Not shared: clients that shuffle their extensions (Chrome) rarely send the same order twice.
    extensionTypes: hello.extensions.map((e) => e.type),
    // The name is decoded from its bytes, so the bytes (or the status, when there are none) identify it.
    serverName: serverNames.get(sni.hex ?? sni.status, () => ({ ...sni })),
    alpn: texts(hello.alpn),
    encryptedClientHello: hello.encryptedClientHello,
    complete: hello.complete,
    malformed: hello.malformed,
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
  const make = (): string => formatAddress(Buffer.from(bytes, 'latin1'), 0, version);
  if (version === 6) return ipv6Addresses.get(bytes, make);
  const key = ((bytes.charCodeAt(0) << 24) | (bytes.charCodeAt(1) << 16) | (bytes.charCodeAt(2) << 8) | bytes.charCodeAt(3)) >>> 0;
  return ipv4Addresses.get(key, make);
}

const texts1 = new Interner<string>(4096);

/** One shared copy of a text many connections repeat (a JA4 fingerprint). */
export function sharedText(text: string): string {
  return texts1.get(text, () => text);
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

const serverHellos = new Interner<ServerHello>(1024);

/** A ServerHello's facts, shared by the connections that got the same answer. */
export function sharedServerHello(hello: ServerHello): ServerHello {
  return serverHellos.get(`${hello.helloRetryRequest} ${hello.legacyVersion} ${hello.version} ${hello.cipherSuite}`, () => ({ ...hello }));
}
