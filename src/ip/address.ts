/**
 * Text forms of IP addresses: formatting addresses found in packets, and parsing the addresses
 * and CIDR prefixes a user types.
 *
 * Error policy: parseAddress and parseCidr never throw; bad text comes back as an AddressError
 * (`{ kind: 'error' }`). parseCidrOrThrow is the one function that throws, meant for
 * command-line argument parsing where an exception becomes a usage message.
 */

const HEX = '0123456789abcdef';

function hexGroup(value: number): string {
  // Lowercase hex without leading zeros (RFC 5952 section 4.1 and 4.3).
  if (value < 0x10) return HEX[value];
  if (value < 0x100) return HEX[value >> 4] + HEX[value & 15];
  if (value < 0x1000) return HEX[value >> 8] + HEX[(value >> 4) & 15] + HEX[value & 15];
  return HEX[value >> 12] + HEX[(value >> 8) & 15] + HEX[(value >> 4) & 15] + HEX[value & 15];
}

function formatIpv4(buf: Buffer, offset: number): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

function formatIpv6(buf: Buffer, offset: number): string {
  // IPv4-mapped (::ffff:0:0/96) is written with a dotted quad tail (RFC 5952 section 5).
  let mapped = buf[offset + 10] === 0xff && buf[offset + 11] === 0xff;
  for (let i = 0; mapped && i < 10; i++) if (buf[offset + i] !== 0) mapped = false;
  if (mapped) return '::ffff:' + formatIpv4(buf, offset + 12);

  // Longest run of two or more zero groups; the first one wins a tie (RFC 5952 section 4.2).
  let bestStart = -1;
  let bestLength = 1;
  let runStart = -1;
  for (let g = 0; g <= 8; g++) {
    const zero = g < 8 && buf[offset + 2 * g] === 0 && buf[offset + 2 * g + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = g;
    } else if (runStart >= 0) {
      if (g - runStart > bestLength) {
        bestStart = runStart;
        bestLength = g - runStart;
      }
      runStart = -1;
    }
  }
  let text = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      text += '::';
      g += bestLength - 1;
      continue;
    }
    if (text.length > 0 && !text.endsWith(':')) text += ':';
    text += hexGroup((buf[offset + 2 * g] << 8) | buf[offset + 2 * g + 1]);
  }
  return text;
}

/**
 * Text of the 4-byte (version 4) or 16-byte (version 6) address at `offset`: dotted quad, or the
 * RFC 5952 canonical IPv6 form (lowercase, leading zeros dropped, the longest run of two or more
 * zero groups written as `::`, IPv4-mapped addresses as `::ffff:a.b.c.d`).
 * The caller makes sure the bytes are there.
 */
export function formatAddress(buf: Buffer, offset: number, version: 4 | 6): string {
  return version === 4 ? formatIpv4(buf, offset) : formatIpv6(buf, offset);
}

/** A parsed address: `bytes` holds 4 or 16 bytes in network order. */
export interface ParsedAddress {
  kind: 'address';
  version: 4 | 6;
  bytes: Buffer;
}

export interface AddressError {
  kind: 'error';
  /** What is wrong, suitable for a usage message. */
  detail: string;
}

function parseDecimalByte(part: string): number {
  // 1-3 digits, no sign, no leading zero (an old "010" means 8 to some parsers and 10 to others).
  if (part.length === 0 || part.length > 3) return -1;
  if (part.length > 1 && part[0] === '0') return -1;
  let value = 0;
  for (let i = 0; i < part.length; i++) {
    const c = part.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value > 255 ? -1 : value;
}

function parseIpv4Into(text: string, out: Buffer, at: number): boolean {
  const parts = text.split('.');
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const v = parseDecimalByte(parts[i]);
    if (v < 0) return false;
    out[at + i] = v;
  }
  return true;
}

function parseHexGroup(part: string): number {
  if (part.length === 0 || part.length > 4) return -1;
  let value = 0;
  for (let i = 0; i < part.length; i++) {
    const c = HEX.indexOf(part[i].toLowerCase());
    if (c < 0) return -1;
    value = value * 16 + c;
  }
  return value;
}

/** Parses the groups on one side of `::` into 16-bit values; null when a group is bad. */
function parseGroups(text: string, allowIpv4Tail: boolean): number[] | null {
  if (text.length === 0) return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (allowIpv4Tail && i === parts.length - 1 && part.includes('.')) {
      const tail = Buffer.alloc(4);
      if (!parseIpv4Into(part, tail, 0)) return null;
      groups.push((tail[0] << 8) | tail[1], (tail[2] << 8) | tail[3]);
      continue;
    }
    const v = parseHexGroup(part);
    if (v < 0) return null;
    groups.push(v);
  }
  return groups;
}

function parseIpv6(text: string): Buffer | null {
  if (text.includes('%')) return null; // zone ids name an interface, not an address
  const first = text.indexOf('::');
  let groups: number[];
  if (first < 0) {
    const all = parseGroups(text, true);
    if (all === null || all.length !== 8) return null;
    groups = all;
  } else {
    if (text.indexOf('::', first + 1) >= 0) return null;
    const head = parseGroups(text.slice(0, first), false);
    const tail = parseGroups(text.slice(first + 2), true);
    if (head === null || tail === null) return null;
    if (head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const out = Buffer.alloc(16);
  for (let g = 0; g < 8; g++) {
    out[2 * g] = groups[g] >> 8;
    out[2 * g + 1] = groups[g] & 0xff;
  }
  return out;
}

/** Parses a dotted-quad IPv4 or textual IPv6 address (RFC 4291 section 2.2 forms, no zone id). */
export function parseAddress(text: string): ParsedAddress | AddressError {
  const t = text.trim();
  if (t.includes(':')) {
    const bytes = parseIpv6(t);
    if (bytes === null) return { kind: 'error', detail: `not an IPv6 address: '${text}'` };
    return { kind: 'address', version: 6, bytes };
  }
  const bytes = Buffer.alloc(4);
  if (!parseIpv4Into(t, bytes, 0)) return { kind: 'error', detail: `not an IPv4 address: '${text}'` };
  return { kind: 'address', version: 4, bytes };
}

/** Something that can tell whether the address at `offset` belongs to it. */
export interface AddressMatcher {
  contains(buf: Buffer, offset: number, version: 4 | 6): boolean;
}

/** An address prefix such as 10.0.0.0/8 or 2001:db8::/32. */
export interface Cidr extends AddressMatcher {
  kind: 'cidr';
  version: 4 | 6;
  /** The network address (host bits cleared), 4 or 16 bytes. */
  network: Buffer;
  prefixLength: number;
  /** Canonical text, e.g. '10.0.0.0/8'. */
  text: string;
  /**
   * True when the address at `offset` is inside the prefix. An IPv4 prefix also matches
   * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d); an IPv6 prefix never matches a version 4 address.
   */
  contains(buf: Buffer, offset: number, version: 4 | 6): boolean;
}

function prefixMatches(network: Buffer, prefixLength: number, buf: Buffer, offset: number): boolean {
  const whole = prefixLength >> 3;
  for (let i = 0; i < whole; i++) if (buf[offset + i] !== network[i]) return false;
  const bits = prefixLength & 7;
  if (bits === 0) return true;
  const mask = (0xff00 >> bits) & 0xff;
  return (buf[offset + whole] & mask) === network[whole];
}

function isIpv4Mapped(buf: Buffer, offset: number): boolean {
  for (let i = 0; i < 10; i++) if (buf[offset + i] !== 0) return false;
  return buf[offset + 10] === 0xff && buf[offset + 11] === 0xff;
}

/** The IPv4-mapped IPv6 address (::ffff:a.b.c.d) of the 4 bytes of an IPv4 address. */
export function ipv4Mapped(ipv4: Buffer): Buffer {
  const out = Buffer.alloc(16);
  out[10] = 0xff;
  out[11] = 0xff;
  ipv4.copy(out, 12, 0, 4);
  return out;
}

function makeCidr(version: 4 | 6, network: Buffer, prefixLength: number): Cidr {
  const text = `${formatAddress(network, 0, version)}/${prefixLength}`;
  return {
    kind: 'cidr',
    version,
    network,
    prefixLength,
    text,
    contains(buf: Buffer, offset: number, v: 4 | 6): boolean {
      if (v === version) return prefixMatches(network, prefixLength, buf, offset);
      if (version === 4 && v === 6 && isIpv4Mapped(buf, offset)) return prefixMatches(network, prefixLength, buf, offset + 12);
      return false;
    },
  };
}

/**
 * Parses 'a.b.c.d/n', 'ipv6/n', or a bare address (a /32 or /128 prefix). Host bits set below the
 * prefix are cleared ('10.1.2.3/8' is 10.0.0.0/8). Never throws: bad text gives an AddressError.
 */
export function parseCidr(text: string): Cidr | AddressError {
  const t = text.trim();
  const slash = t.indexOf('/');
  const addressText = slash < 0 ? t : t.slice(0, slash);
  const address = parseAddress(addressText);
  if (address.kind === 'error') return { kind: 'error', detail: `bad address in '${text}'` };
  const maxBits = address.version === 4 ? 32 : 128;
  let prefixLength = maxBits;
  if (slash >= 0) {
    const p = t.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > maxBits) {
      return { kind: 'error', detail: `bad prefix length in '${text}' (0-${maxBits})` };
    }
    prefixLength = Number(p);
  }
  const network = address.bytes;
  const whole = prefixLength >> 3;
  if (whole < network.length) {
    network[whole] &= (0xff00 >> (prefixLength & 7)) & 0xff;
    network.fill(0, whole + 1);
  }
  return makeCidr(address.version, network, prefixLength);
}

/**
 * parseCidr for command-line arguments: returns the prefix or throws an Error whose message
 * says what is wrong. Use parseCidr everywhere else.
 */
export function parseCidrOrThrow(text: string): Cidr {
  const result = parseCidr(text);
  if (result.kind === 'error') throw new Error(result.detail);
  return result;
}

/** A matcher that contains an address when any of `cidrs` does. */
export function anyOf(cidrs: readonly AddressMatcher[]): AddressMatcher {
  const list = cidrs.slice();
  return {
    contains(buf: Buffer, offset: number, version: 4 | 6): boolean {
      for (let i = 0; i < list.length; i++) if (list[i].contains(buf, offset, version)) return true;
      return false;
    },
  };
}
