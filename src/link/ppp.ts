import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethertype.js';
import type { LinkResult } from './types.js';

export const PPP_IPV4 = 0x0021;
export const PPP_IPV6 = 0x0057;

/** EtherType for a PPP protocol number, or -1 when the payload is not IP (LCP, IPCP, ...). */
export function pppProtocolToEtherType(protocol: number): number {
  if (protocol === PPP_IPV4) return ETHERTYPE_IPV4;
  if (protocol === PPP_IPV6) return ETHERTYPE_IPV6;
  return -1;
}

/**
 * Decodes the PPP protocol field at `offset` (RFC 1661). The field is two bytes, or one when
 * protocol-field compression is in use: a protocol number's low byte is always odd and its high
 * byte even, so an odd first byte is a compressed one-byte field.
 */
export function decodePppProtocol(buf: Buffer, offset: number, end: number, vlanTags: number): LinkResult {
  if (offset >= end) return { kind: 'truncated', detail: 'ppp protocol cut short' };
  let protocol: number;
  let off: number;
  if ((buf[offset] & 0x01) !== 0) {
    protocol = buf[offset];
    off = offset + 1;
  } else {
    if (end - offset < 2) return { kind: 'truncated', detail: 'ppp protocol cut short' };
    protocol = (buf[offset] << 8) | buf[offset + 1];
    off = offset + 2;
  }
  const etherType = pppProtocolToEtherType(protocol);
  if (etherType < 0) return { kind: 'unsupported', detail: 'ppp protocol is not ip' };
  return { kind: 'network', etherType, offset: off, vlanTags };
}

/**
 * LINKTYPE_PPP (9): a PPP frame, with or without the HDLC address/control bytes ff 03
 * (address-and-control-field compression may drop them).
 */
export function decodePpp(buf: Buffer, offset: number, end: number): LinkResult {
  if (end - offset >= 2 && buf[offset] === 0xff && buf[offset + 1] === 0x03) {
    return decodePppProtocol(buf, offset + 2, end, 0);
  }
  return decodePppProtocol(buf, offset, end, 0);
}
