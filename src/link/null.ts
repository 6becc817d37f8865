import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethertype.js';
import type { LinkResult } from './types.js';

export const NULL_HEADER_LENGTH = 4;

/** BSD address families: AF_INET is 2 everywhere, AF_INET6 differs per system. */
export const BSD_AF_INET = 2;
/** NetBSD, OpenBSD, BSD/OS. */
export const BSD_AF_INET6_BSD = 24;
/** FreeBSD, DragonFly BSD. */
export const BSD_AF_INET6_FREEBSD = 28;
/** macOS / Darwin. */
export const BSD_AF_INET6_DARWIN = 30;

function familyToFrame(family: number, offset: number): LinkResult {
  if (family === BSD_AF_INET) return { kind: 'network', etherType: ETHERTYPE_IPV4, offset, vlanTags: 0 };
  if (family === BSD_AF_INET6_BSD || family === BSD_AF_INET6_FREEBSD || family === BSD_AF_INET6_DARWIN) {
    return { kind: 'network', etherType: ETHERTYPE_IPV6, offset, vlanTags: 0 };
  }
  return { kind: 'unsupported', detail: 'loopback address family is not ip' };
}

/**
 * LINKTYPE_NULL (0): a 4-byte address family in the byte order of the host that wrote the
 * capture, which need not be the reader's. Families are small numbers, so a value with its
 * upper 16 bits set was written in the other byte order. When neither order gives a small
 * number, some writers have put an EtherType in the last two bytes (e.g. 0f 00 08 00); an IPv4
 * or IPv6 EtherType there is accepted.
 */
export function decodeNull(buf: Buffer, offset: number, end: number): LinkResult {
  if (end - offset < NULL_HEADER_LENGTH) return { kind: 'truncated', detail: 'loopback header cut short' };
  const little = (buf[offset] | (buf[offset + 1] << 8) | (buf[offset + 2] << 16) | (buf[offset + 3] << 24)) >>> 0;
  if ((little & 0xffff0000) === 0) return familyToFrame(little, offset + NULL_HEADER_LENGTH);
  const big = ((buf[offset] << 24) | (buf[offset + 1] << 16) | (buf[offset + 2] << 8) | buf[offset + 3]) >>> 0;
  if ((big & 0xffff0000) === 0) return familyToFrame(big, offset + NULL_HEADER_LENGTH);
  const etherType = big & 0xffff;
  if (etherType === ETHERTYPE_IPV4 || etherType === ETHERTYPE_IPV6) {
    return { kind: 'network', etherType, offset: offset + NULL_HEADER_LENGTH, vlanTags: 0 };
  }
  return { kind: 'unsupported', detail: 'loopback address family is not ip' };
}

/** LINKTYPE_LOOP (108): like LINKTYPE_NULL but the family is always in network byte order. */
export function decodeLoop(buf: Buffer, offset: number, end: number): LinkResult {
  if (end - offset < NULL_HEADER_LENGTH) return { kind: 'truncated', detail: 'loopback header cut short' };
  const family = ((buf[offset] << 24) | (buf[offset + 1] << 16) | (buf[offset + 2] << 8) | buf[offset + 3]) >>> 0;
  return familyToFrame(family, offset + NULL_HEADER_LENGTH);
}
