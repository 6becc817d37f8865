/** IPv6 header (RFC 8200) and its extension header chain. */

export const IPV6_HEADER_LENGTH = 40;
/** Extension headers walked before the packet is called malformed. */
export const MAX_IPV6_EXTENSION_HEADERS = 16;

export const NEXT_HOP_BY_HOP = 0;
export const NEXT_ROUTING = 43;
export const NEXT_FRAGMENT = 44;
export const NEXT_ESP = 50;
export const NEXT_AH = 51;
export const NEXT_NONE = 59;
export const NEXT_DESTINATION = 60;
export const NEXT_MOBILITY = 135;

/** Jumbo Payload option (RFC 2675) inside a hop-by-hop header. */
const OPTION_JUMBO = 0xc2;

export interface Ipv6Header {
  kind: 'ipv6';
  hopLimit: number;
  /** Upper-layer protocol after the extension headers walked (or the fragment's next header). */
  protocol: number;
  /** Where the upper-layer payload (or the fragment data) starts. */
  payloadOffset: number;
  /** End of the packet inside the buffer: min(captured end, declared end). */
  end: number;
  /** Declared end of the packet (offset + 40 + payload length, or the jumbo length). */
  declaredEnd: number;
  /** Offset of the fragment header, or -1 when the packet is not a fragment. */
  fragmentHeaderOffset: number;
  /** Offset of the byte that holds next header = 44 for the fragment header. */
  fragmentLinkOffset: number;
  /** Fragment offset in bytes, M flag and identification (valid when fragmentHeaderOffset >= 0). */
  fragmentOffset: number;
  moreFragments: boolean;
  identification: number;
}

export interface Ipv6Error {
  kind: 'truncated' | 'malformed';
  detail: string;
}

/** Length of the jumbo payload in a hop-by-hop header at `hbh` (length `hbhLength`), or -1. */
function findJumbo(buf: Buffer, hbh: number, hbhLength: number): number {
  let p = hbh + 2;
  const stop = hbh + hbhLength;
  while (p < stop) {
    const type = buf[p];
    if (type === 0) {
      p++;
      continue;
    }
    if (p + 2 > stop) return -1;
    const len = buf[p + 1];
    if (type === OPTION_JUMBO && len === 4 && p + 6 <= stop) {
      return ((buf[p + 2] << 24) | (buf[p + 3] << 16) | (buf[p + 4] << 8) | buf[p + 5]) >>> 0;
    }
    p += 2 + len;
  }
  return -1;
}

/**
 * Decodes the IPv6 header at `offset` and walks its extension headers (hop-by-hop, routing,
 * destination options, AH, mobility, and atomic fragment headers) up to the upper-layer header.
 * A real fragment header (offset > 0 or M set) stops the walk: what follows is fragment data.
 * Never throws.
 *
 * Payload length 0 is taken from a hop-by-hop Jumbo Payload option when there is one; without
 * one (a packet captured before segmentation offload) the captured length is used, unless the
 * next header is 59 (no next header).
 */
export function decodeIpv6(buf: Buffer, offset: number, end: number): Ipv6Header | Ipv6Error {
  const header = emptyIpv6Header();
  return readIpv6(buf, offset, end, header) ?? header;
}

/** A header object to give readIpv6. */
export function emptyIpv6Header(): Ipv6Header {
  return {
    kind: 'ipv6',
    hopLimit: 0,
    protocol: 0,
    payloadOffset: 0,
    end: 0,
    declaredEnd: 0,
    fragmentHeaderOffset: -1,
    fragmentLinkOffset: -1,
    fragmentOffset: 0,
    moreFragments: false,
    identification: 0,
  };
}

/**
 * decodeIpv6() into `into`, so that a caller can use one header object for every packet: null
 * when the header decoded, else the error (and `into` is left partly written).
 */
export function readIpv6(buf: Buffer, offset: number, end: number, into: Ipv6Header): Ipv6Error | null {
  if (end - offset < IPV6_HEADER_LENGTH) {
    if (end > offset && buf[offset] >> 4 !== 6) return { kind: 'malformed', detail: 'ip version is not 6' };
    return { kind: 'truncated', detail: 'ipv6 header cut short' };
  }
  if (buf[offset] >> 4 !== 6) return { kind: 'malformed', detail: 'ip version is not 6' };
  const payloadLength = (buf[offset + 4] << 8) | buf[offset + 5];
  let next = buf[offset + 6];
  const hopLimit = buf[offset + 7];
  let declaredEnd = offset + IPV6_HEADER_LENGTH + payloadLength;
  let jumboPending = false;
  if (payloadLength === 0 && next !== NEXT_NONE) {
    if (next === NEXT_HOP_BY_HOP) jumboPending = true;
    else declaredEnd = end;
  }
  let capEnd = declaredEnd < end ? declaredEnd : end;

  let p = offset + IPV6_HEADER_LENGTH;
  let link = offset + 6;
  let fragmentHeaderOffset = -1;
  let fragmentLinkOffset = -1;
  let fragmentOffset = 0;
  let moreFragments = false;
  let identification = 0;
  for (let count = 0; ; count++) {
    let length: number;
    if (next === NEXT_HOP_BY_HOP || next === NEXT_ROUTING || next === NEXT_DESTINATION || next === NEXT_MOBILITY) {
      if (jumboPending) capEnd = end;
      if (capEnd - p < 2) return { kind: 'truncated', detail: 'ipv6 extension header cut short' };
      length = (buf[p + 1] + 1) << 3;
      if (jumboPending) {
        jumboPending = false;
        if (p + length > end) return { kind: 'truncated', detail: 'ipv6 extension header cut short' };
        const jumbo = findJumbo(buf, p, length);
        declaredEnd = jumbo >= 0 ? offset + IPV6_HEADER_LENGTH + jumbo : end;
        capEnd = declaredEnd < end ? declaredEnd : end;
      }
    } else if (next === NEXT_AH) {
      if (capEnd - p < 2) return { kind: 'truncated', detail: 'ipv6 authentication header cut short' };
      length = (buf[p + 1] + 2) << 2;
    } else if (next === NEXT_FRAGMENT) {
      if (capEnd - p < 8) return { kind: 'truncated', detail: 'ipv6 fragment header cut short' };
      length = 8;
      const field = (buf[p + 2] << 8) | buf[p + 3];
      const fo = field & 0xfff8;
      const more = (field & 1) !== 0;
      if (fo !== 0 || more) {
        if (fragmentHeaderOffset >= 0) return { kind: 'malformed', detail: 'ipv6 fragment inside a fragment' };
        fragmentHeaderOffset = p;
        fragmentLinkOffset = link;
        fragmentOffset = fo;
        moreFragments = more;
        identification = ((buf[p + 4] << 24) | (buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7]) >>> 0;
        next = buf[p];
        p += 8;
        break;
      }
      // Atomic fragment (RFC 6946): not part of any reassembly, just step over it.
    } else {
      break;
    }
    if (count === MAX_IPV6_EXTENSION_HEADERS) return { kind: 'malformed', detail: 'too many ipv6 extension headers' };
    if (p + length > declaredEnd) return { kind: 'malformed', detail: 'ipv6 extension header beyond payload length' };
    if (p + length > capEnd) return { kind: 'truncated', detail: 'ipv6 extension header cut short' };
    link = p;
    next = buf[p];
    p += length;
  }
  into.hopLimit = hopLimit;
  into.protocol = next;
  into.payloadOffset = p;
  into.end = capEnd;
  into.declaredEnd = declaredEnd;
  into.fragmentHeaderOffset = fragmentHeaderOffset;
  into.fragmentLinkOffset = fragmentLinkOffset;
  into.fragmentOffset = fragmentOffset;
  into.moreFragments = moreFragments;
  into.identification = identification;
  return null;
}
