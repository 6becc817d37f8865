import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethertype.js';
import type { LinkResult } from './types.js';

/**
 * Raw IP (LINKTYPE_RAW 101, and DLT_RAW 12 / 14 as some systems write it): no link header, the
 * version nibble of the first byte says IPv4 or IPv6.
 */
export function decodeRawIp(buf: Buffer, offset: number, end: number): LinkResult {
  if (offset >= end) return { kind: 'truncated', detail: 'raw ip packet is empty' };
  const version = buf[offset] >> 4;
  if (version === 4) return { kind: 'network', etherType: ETHERTYPE_IPV4, offset, vlanTags: 0 };
  if (version === 6) return { kind: 'network', etherType: ETHERTYPE_IPV6, offset, vlanTags: 0 };
  return { kind: 'malformed', detail: 'raw ip version is neither 4 nor 6' };
}

/** LINKTYPE_IPV4 (228): the frame is an IPv4 packet (its header is checked by the IPv4 decoder). */
export function decodeRawIpv4(_buf: Buffer, offset: number, _end: number): LinkResult {
  return { kind: 'network', etherType: ETHERTYPE_IPV4, offset, vlanTags: 0 };
}

/** LINKTYPE_IPV6 (229): the frame is an IPv6 packet. */
export function decodeRawIpv6(_buf: Buffer, offset: number, _end: number): LinkResult {
  return { kind: 'network', etherType: ETHERTYPE_IPV6, offset, vlanTags: 0 };
}
