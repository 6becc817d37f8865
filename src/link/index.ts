/**
 * Link layer: where the network-layer packet starts in a captured frame, for each LINKTYPE_*
 * value the tool reads. One small decoder per protocol, each taking (buffer, offset, end) and
 * returning a LinkResult; truncation and oddities are results, never exceptions.
 */
import { decodePktapHeader, decodePpiHeader, type InnerFrame } from './capheader.js';
import { decodeEthernet } from './ethernet.js';
import { decodeFddi } from './fddi.js';
import { decodeCiscoHdlc, decodePppHdlc } from './hdlc.js';
import { decodeIpnet } from './ipnet.js';
import { decodeNflog } from './nflog.js';
import { decodeLoop, decodeNull } from './null.js';
import { decodePpp } from './ppp.js';
import { decodePppoeSession } from './pppoe.js';
import { decodeRawIp, decodeRawIpv4, decodeRawIpv6 } from './raw.js';
import { decodeSll, decodeSll2 } from './sll.js';
import type { LinkError, LinkResult } from './types.js';

export type { LinkError, LinkFrame, LinkResult } from './types.js';
export { decodeEthernet, ETHERNET_HEADER_LENGTH, MAX_VLAN_TAGS } from './ethernet.js';
export { decodeMpls, MAX_MPLS_LABELS } from './mpls.js';
export { decodePpp, decodePppProtocol, pppProtocolToEtherType } from './ppp.js';
export { decodePppHdlc, decodeCiscoHdlc } from './hdlc.js';
export { decodePppoeSession } from './pppoe.js';
export { decodeSll, decodeSll2 } from './sll.js';
export { decodeRawIp, decodeRawIpv4, decodeRawIpv6 } from './raw.js';
export { decodeNull, decodeLoop } from './null.js';
export { decodeLlcSnap } from './llc.js';
export { decodeFddi } from './fddi.js';
export { decodeIpnet } from './ipnet.js';
export { decodeNflog } from './nflog.js';
export { decodePpiHeader, decodePktapHeader, type InnerFrame } from './capheader.js';
export * from './ethertype.js';

/** LINKTYPE_* values (https://www.tcpdump.org/linktypes.html) understood by decodeLink. */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_PPP = 9;
export const LINKTYPE_FDDI = 10;
/** DLT_RAW as most systems number it; pcap files should say 101 but some writers use 12. */
export const LINKTYPE_RAW_DLT12 = 12;
/** DLT_RAW as OpenBSD numbers it. */
export const LINKTYPE_RAW_DLT14 = 14;
export const LINKTYPE_PPP_HDLC = 50;
export const LINKTYPE_PPP_ETHER = 51;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_C_HDLC = 104;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
/** DLT_USER2: older macOS tcpdump wrote pktap captures with it. */
export const LINKTYPE_USER2_PKTAP = 149;
export const LINKTYPE_PPI = 192;
export const LINKTYPE_IPNET = 226;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_NFLOG = 239;
export const LINKTYPE_PKTAP = 258;
export const LINKTYPE_LINUX_SLL2 = 276;

const SUPPORTED = new Set<number>([
  LINKTYPE_NULL,
  LINKTYPE_ETHERNET,
  LINKTYPE_PPP,
  LINKTYPE_RAW_DLT12,
  LINKTYPE_RAW_DLT14,
  LINKTYPE_PPP_HDLC,
  LINKTYPE_PPP_ETHER,
  LINKTYPE_RAW,
  LINKTYPE_C_HDLC,
  LINKTYPE_LOOP,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_FDDI,
  LINKTYPE_USER2_PKTAP,
  LINKTYPE_PPI,
  LINKTYPE_IPNET,
  LINKTYPE_NFLOG,
  LINKTYPE_PKTAP,
]);

/** True when decodeLink knows the link type. */
export function isSupportedLinkType(linkType: number): boolean {
  return SUPPORTED.has(linkType);
}

/** The link types decodeLink knows, ascending. */
export function supportedLinkTypes(): number[] {
  return [...SUPPORTED].sort((a, b) => a - b);
}

/** Follows a capture pseudo-header (PPI, pktap) to the frame behind it, one level only. */
function decodeInner(inner: InnerFrame | LinkError, buf: Buffer, end: number): LinkResult {
  if (inner.kind !== 'inner') return inner;
  const lt = inner.linkType;
  if (lt === LINKTYPE_PPI || lt === LINKTYPE_PKTAP || lt === LINKTYPE_USER2_PKTAP) {
    return { kind: 'unsupported', detail: 'nested capture header' };
  }
  if (!SUPPORTED.has(lt)) return { kind: 'unsupported', detail: 'inner link type not supported' };
  return decodeLink(lt, buf, inner.offset, end);
}

/**
 * Finds the network-layer packet in the frame `buf[offset, end)` of link type `linkType`.
 * Never throws: short or odd frames come back as a LinkError. On success `offset` (and `end`,
 * when set) are within [offset, end].
 */
export function decodeLink(linkType: number, buf: Buffer, offset: number, end: number): LinkResult {
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return decodeEthernet(buf, offset, end);
    case LINKTYPE_LINUX_SLL:
      return decodeSll(buf, offset, end);
    case LINKTYPE_LINUX_SLL2:
      return decodeSll2(buf, offset, end);
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_DLT12:
    case LINKTYPE_RAW_DLT14:
      return decodeRawIp(buf, offset, end);
    case LINKTYPE_IPV4:
      return decodeRawIpv4(buf, offset, end);
    case LINKTYPE_IPV6:
      return decodeRawIpv6(buf, offset, end);
    case LINKTYPE_NULL:
      return decodeNull(buf, offset, end);
    case LINKTYPE_LOOP:
      return decodeLoop(buf, offset, end);
    case LINKTYPE_PPP:
      return decodePpp(buf, offset, end);
    case LINKTYPE_PPP_HDLC:
      return decodePppHdlc(buf, offset, end);
    case LINKTYPE_PPP_ETHER:
      return decodePppoeSession(buf, offset, end, 0);
    case LINKTYPE_C_HDLC:
      return decodeCiscoHdlc(buf, offset, end);
    case LINKTYPE_FDDI:
      return decodeFddi(buf, offset, end);
    case LINKTYPE_IPNET:
      return decodeIpnet(buf, offset, end);
    case LINKTYPE_NFLOG:
      return decodeNflog(buf, offset, end);
    case LINKTYPE_PPI:
      return decodeInner(decodePpiHeader(buf, offset, end), buf, end);
    case LINKTYPE_PKTAP:
    case LINKTYPE_USER2_PKTAP:
      return decodeInner(decodePktapHeader(buf, offset, end), buf, end);
    default:
      return { kind: 'unsupported', detail: `link type ${linkType}` };
  }
}
