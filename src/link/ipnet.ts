import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethertype.js';
import type { LinkResult } from './types.js';

export const IPNET_HEADER_LENGTH = 24;
/** Solaris address families. */
const SOLARIS_AF_INET = 2;
const SOLARIS_AF_INET6 = 26;

/**
 * LINKTYPE_IPNET (226), Solaris ipnet: version, address family, hook type, packet length,
 * interface indexes and zone ids (24 bytes, big-endian), then the IP packet.
 */
export function decodeIpnet(buf: Buffer, offset: number, end: number): LinkResult {
  if (end - offset < IPNET_HEADER_LENGTH) return { kind: 'truncated', detail: 'ipnet header cut short' };
  const family = buf[offset + 1];
  const payload = offset + IPNET_HEADER_LENGTH;
  if (family === SOLARIS_AF_INET) return { kind: 'network', etherType: ETHERTYPE_IPV4, offset: payload, vlanTags: 0 };
  if (family === SOLARIS_AF_INET6) return { kind: 'network', etherType: ETHERTYPE_IPV6, offset: payload, vlanTags: 0 };
  return { kind: 'unsupported', detail: 'ipnet address family is not ip' };
}
