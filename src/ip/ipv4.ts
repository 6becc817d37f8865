/** IPv4 header (RFC 791). */

export const IPV4_MIN_HEADER_LENGTH = 20;
/** Flag bits and the offset mask of the 16-bit flags/fragment-offset field. */
export const IPV4_FLAG_DF = 0x4000;
export const IPV4_FLAG_MF = 0x2000;
export const IPV4_OFFSET_MASK = 0x1fff;

export interface Ipv4Header {
  kind: 'ipv4';
  headerLength: number;
  /**
   * Total length as declared. A declared 0 (seen on the sending host when segmentation offload
   * builds the packet later) is replaced by the captured length.
   */
  totalLength: number;
  identification: number;
  moreFragments: boolean;
  /** Fragment offset in bytes. */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  /** End of the packet inside the buffer: min(captured end, offset + totalLength). */
  end: number;
}

export interface Ipv4Error {
  kind: 'truncated' | 'malformed';
  detail: string;
}

/**
 * Decodes the IPv4 header at `offset`; `end` is the end of the captured bytes. Bytes past the
 * declared total length (Ethernet padding) are left out of `end`. Never throws.
 */
export function decodeIpv4(buf: Buffer, offset: number, end: number): Ipv4Header | Ipv4Error {
  const header = emptyIpv4Header();
  return readIpv4(buf, offset, end, header) ?? header;
}

/** A header object to give readIpv4. */
export function emptyIpv4Header(): Ipv4Header {
  return { kind: 'ipv4', headerLength: 0, totalLength: 0, identification: 0, moreFragments: false, fragmentOffset: 0, ttl: 0, protocol: 0, end: 0 };
}

/**
 * decodeIpv4() into `into`, so that a caller can use one header object for every packet: null
 * when the header decoded, else the error (and `into` is left partly written).
 */
export function readIpv4(buf: Buffer, offset: number, end: number, into: Ipv4Header): Ipv4Error | null {
  const captured = end - offset;
  if (captured < 1) return { kind: 'truncated', detail: 'ipv4 header cut short' };
  const first = buf[offset];
  if (first >> 4 !== 4) return { kind: 'malformed', detail: 'ip version is not 4' };
  const headerLength = (first & 0x0f) << 2;
  if (headerLength < IPV4_MIN_HEADER_LENGTH) return { kind: 'malformed', detail: 'ipv4 header length below 20' };
  if (captured < headerLength) return { kind: 'truncated', detail: 'ipv4 header cut short' };
  let totalLength = (buf[offset + 2] << 8) | buf[offset + 3];
  if (totalLength === 0) totalLength = captured;
  else if (totalLength < headerLength) return { kind: 'malformed', detail: 'ipv4 total length below header length' };
  const flags = (buf[offset + 6] << 8) | buf[offset + 7];
  into.headerLength = headerLength;
  into.totalLength = totalLength;
  into.identification = (buf[offset + 4] << 8) | buf[offset + 5];
  into.moreFragments = (flags & IPV4_FLAG_MF) !== 0;
  into.fragmentOffset = (flags & IPV4_OFFSET_MASK) << 3;
  into.ttl = buf[offset + 8];
  into.protocol = buf[offset + 9];
  into.end = totalLength < captured ? offset + totalLength : end;
  return null;
}
