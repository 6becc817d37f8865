/**
 * JA4 TLS client fingerprint, per FoxIO's JA4 specification (technical_details/JA4.md in
 * FoxIO-LLC/ja4; JA4 itself is BSD-3-Clause):
 *
 *   a: t|q, 2-char version, d|i, 2-digit cipher count, 2-digit extension count, ALPN first+last
 *   b: sha256 (first 12 hex) of the sorted cipher suites
 *   c: sha256 (first 12 hex) of the sorted extensions minus SNI and ALPN, then "_" and the
 *      signature algorithms in wire order
 *
 * GREASE values are ignored everywhere. Choices where the specification leaves room:
 * - 'd' means the server_name extension exists (as the specification says), so an empty or
 *   malformed server_name still gives 'd'; `hello.serverName.status` tells them apart.
 * - supported_versions wins when it holds a non-GREASE value; otherwise the hello's own version.
 *   The version is the numerically highest one, so a TLS 1.3 draft (0x7fxx) or a private version
 *   offered alongside 0x0304 gives "00", as any unknown version does.
 * - SSLv2-format hellos: version from the hello's client version (0x0002 "s2", 0x0301 "10" ...),
 *   'i', the cipher specs that map to TLS cipher suites (0x00XXXX), no extensions and no ALPN,
 *   so part c is 000000000000. Implementations that only count TLS cipher-suite fields see no
 *   ciphers in such a hello and may print 00 and 000000000000 for part b.
 * - A hello decoded from a prefix (complete=false) is fingerprinted from what was decoded.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hex16, isGrease } from './bytes.js';
import { EXT_ALPN, EXT_SERVER_NAME } from './extensions.js';

/** What a JA4 fingerprint is made from (a ClientHello is one). */
export interface Ja4Input {
  readonly legacyVersion: number;
  readonly supportedVersions: readonly number[];
  readonly cipherSuites: readonly number[];
  readonly extensionTypes: readonly number[];
  readonly signatureAlgorithms: readonly number[];
  readonly alpn: readonly string[];
  readonly alpnHex?: readonly string[];
}

export type Ja4Transport = 'tcp' | 'quic';

const EMPTY_HASH = '000000000000';

const VERSION_CODES = new Map<number, string>([
  [0x0304, '13'],
  [0x0303, '12'],
  [0x0302, '11'],
  [0x0301, '10'],
  [0x0300, 's3'],
  [0x0002, 's2'],
  [0xfeff, 'd1'],
  [0xfefd, 'd2'],
  [0xfefc, 'd3'],
]);

function versionCode(hello: Ja4Input): string {
  const offered = hello.supportedVersions.filter((v) => !isGrease(v));
  const version = offered.length > 0 ? Math.max(...offered) : hello.legacyVersion;
  return VERSION_CODES.get(version) ?? '00';
}

function count(n: number): string {
  return String(Math.min(n, 99)).padStart(2, '0');
}

function isAlphanumeric(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
}

/** Raw bytes of the first ALPN value: from `alpnHex` when the decoder kept it, else the text as UTF-8. */
function firstAlpnBytes(hello: Ja4Input): Buffer | null {
  const hex = hello.alpnHex?.[0];
  if (hex !== undefined) return Buffer.from(hex, 'hex');
  const text = hello.alpn[0];
  return text === undefined ? null : Buffer.from(text, 'utf8');
}

/** First and last characters of the first ALPN value; hex digits when either end is not ASCII alphanumeric. */
export function ja4Alpn(value: Buffer | null): string {
  if (value === null || value.length === 0) return '00';
  const first = value[0]!;
  const last = value[value.length - 1]!;
  if (isAlphanumeric(first) && isAlphanumeric(last)) return String.fromCharCode(first, last);
  const hex = value.toString('hex');
  return hex[0]! + hex[hex.length - 1]!;
}

function hash12(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

interface Ja4Parts {
  a: string;
  ciphers: string;
  extensions: string;
  signatureAlgorithms: string;
}

function parts(hello: Ja4Input, transport: Ja4Transport): Ja4Parts {
  const ciphers = hello.cipherSuites.filter((c) => !isGrease(c));
  const extensionTypes = hello.extensionTypes.filter((t) => !isGrease(t));
  const hasServerName = extensionTypes.includes(EXT_SERVER_NAME);
  const a =
    (transport === 'quic' ? 'q' : 't') +
    versionCode(hello) +
    (hasServerName ? 'd' : 'i') +
    count(ciphers.length) +
    count(extensionTypes.length) +
    ja4Alpn(firstAlpnBytes(hello));
  const sortedHex = (values: number[]): string => [...values].sort((x, y) => x - y).map(hex16).join(',');
  return {
    a,
    ciphers: sortedHex(ciphers),
    extensions: sortedHex(extensionTypes.filter((t) => t !== EXT_SERVER_NAME && t !== EXT_ALPN)),
    signatureAlgorithms: hello.signatureAlgorithms.filter((s) => !isGrease(s)).map(hex16).join(','),
  };
}

function extensionsAndAlgorithms(p: Ja4Parts): string {
  return p.signatureAlgorithms === '' ? p.extensions : `${p.extensions}_${p.signatureAlgorithms}`;
}

/**
 * Fingerprints already made, by what they are made from (see inputs()): the hellos of a capture
 * come from a few client programs, and hashing is most of the cost of a fingerprint. Inputs are
 * found by a hash of them, then compared in full, so no key text is made per hello; of two
 * inputs with the same hash, the later is kept. Past `max` inputs it starts over.
 */
export class FingerprintCache {
  private readonly entries = new Map<number, { inputs: Uint16Array; fingerprint: string }>();

  constructor(
    private readonly max: number,
    private readonly hash: (units: Uint16Array, n: number) => number = unitsHash,
  ) {}

  /** The fingerprint made from inputs units[0, n), if it is here. */
  find(units: Uint16Array, n: number): string | undefined {
    const entry = this.entries.get(this.hash(units, n));
    if (entry === undefined || entry.inputs.length !== n) return undefined;
    for (let i = 0; i < n; i++) if (entry.inputs[i] !== units[i]) return undefined;
    return entry.fingerprint;
  }

  keep(units: Uint16Array, n: number, fingerprint: string): void {
    if (this.entries.size >= this.max) this.entries.clear();
    this.entries.set(this.hash(units, n), { inputs: units.slice(0, n), fingerprint });
  }
}

/**
 * The start of unitsHash, drawn for each process: V8 hashes the numbers it uses as map keys
 * without a seed of its own, and hellos could be made whose keys all fall in one bucket.
 */
const UNITS_SEED = randomBytes(4).readInt32LE(0);

/** FNV-1a over 16-bit units from UNITS_SEED, cut to a small integer (the fastest Map key). */
function unitsHash(units: Uint16Array, n: number): number {
  let h = UNITS_SEED;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ units[i]!, 0x01000193);
  return h & 0x3fffffff;
}

const known = new FingerprintCache(4096);
/** Longer lists (a hostile hello can hold thousands of values) are fingerprinted without the cache. */
const MAX_KEY_LIST = 256;

/**
 * Where the inputs of a fingerprint are put together, one 16-bit unit per value: the lists are at
 * most MAX_KEY_LIST values, an ALPN value at most 255 bytes (510 hex digits).
 */
const keyUnits = new Uint16Array(4 * (MAX_KEY_LIST + 1) + 2 + 512);

/** Puts `v` after keyUnits[start, end), moved down into sorted place when `sort` (an insertion sort: short lists, no allocation). */
function insertKeyUnit(v: number, start: number, end: number, sort: boolean): void {
  let j = end;
  if (sort) {
    while (j > start && keyUnits[j - 1] > v) {
      keyUnits[j] = keyUnits[j - 1];
      j--;
    }
  }
  keyUnits[j] = v;
}

/** Puts `values` less GREASE at `n`, after their count (the count keeps the parts apart). Returns the next index. */
function putKeyPart(values: readonly number[], n: number, sort: boolean): number {
  let end = n + 1;
  // Indexed: for-of over these lists, some frozen (shared by the decoder) and some not, allocated per value.
  for (let i = 0; i < values.length; i++) if (!isGrease(values[i])) insertKeyUnit(values[i], n + 1, end++, sort);
  keyUnits[n] = end - n - 1;
  return end;
}

/**
 * Puts what determines the fingerprint in keyUnits and returns how many units it takes: the
 * version inputs, the first ALPN value, the cipher suites and extension types in sorted order
 * (JA4 sorts them; some clients shuffle their extensions) and the signature algorithms, GREASE
 * left out as JA4 does. -1 when a list is too long to be worth caching.
 */
function inputs(hello: Ja4Input, transport: Ja4Transport): number {
  const { cipherSuites, extensionTypes, signatureAlgorithms, supportedVersions } = hello;
  if (cipherSuites.length > MAX_KEY_LIST || extensionTypes.length > MAX_KEY_LIST || signatureAlgorithms.length > MAX_KEY_LIST || supportedVersions.length > MAX_KEY_LIST) return -1;
  let n = 0;
  keyUnits[n++] = transport === 'tcp' ? 0x74 : 0x71;
  keyUnits[n++] = hello.legacyVersion;
  n = putKeyPart(supportedVersions, n, false);
  n = putKeyPart(cipherSuites, n, true);
  n = putKeyPart(extensionTypes, n, true);
  n = putKeyPart(signatureAlgorithms, n, false);
  const hex = hello.alpnHex?.[0];
  const alpn = hex !== undefined ? hex : hello.alpn[0];
  keyUnits[n++] = hex !== undefined ? 0x78 : alpn !== undefined ? 0x74 : 0x2d;
  if (alpn !== undefined) {
    if (alpn.length > 510) return -1;
    for (let i = 0; i < alpn.length; i++) keyUnits[n++] = alpn.charCodeAt(i);
  }
  return n;
}

/**
 * The JA4 fingerprint of a ClientHello, e.g. "t13d1516h2_8daaf6152771_e5627efa2ab1". The
 * fingerprints already made are kept in `cache` (the module's own unless a test gives another).
 */
export function ja4(hello: Ja4Input, transport: Ja4Transport, cache: FingerprintCache = known): string {
  const n = inputs(hello, transport);
  if (n < 0) return makeJa4(hello, transport);
  let fingerprint = cache.find(keyUnits, n);
  if (fingerprint === undefined) {
    fingerprint = makeJa4(hello, transport);
    cache.keep(keyUnits, n, fingerprint);
  }
  return fingerprint;
}

function makeJa4(hello: Ja4Input, transport: Ja4Transport): string {
  const p = parts(hello, transport);
  const b = p.ciphers === '' ? EMPTY_HASH : hash12(p.ciphers);
  const c = p.extensions === '' ? EMPTY_HASH : hash12(extensionsAndAlgorithms(p));
  return `${p.a}_${b}_${c}`;
}

/** JA4_r: the same fingerprint with the lists in clear instead of hashed. */
export function ja4Raw(hello: Ja4Input, transport: Ja4Transport): string {
  const p = parts(hello, transport);
  return `${p.a}_${p.ciphers}_${extensionsAndAlgorithms(p)}`;
}
