import { decodePppProtocol } from './ppp.js';
import type { LinkResult } from './types.js';

/**
 * LINKTYPE_C_HDLC (104): Cisco HDLC, 4 bytes: address (0x0f unicast, 0x8f broadcast),
 * control (0x00), then an EtherType.
 */
export function decodeCiscoHdlc(buf: Buffer, offset: number, end: number): LinkResult {
  if (end - offset < 4) return { kind: 'truncated', detail: 'cisco hdlc header cut short' };
  const etherType = (buf[offset + 2] << 8) | buf[offset + 3];
  return { kind: 'network', etherType, offset: offset + 4, vlanTags: 0 };
}

/**
 * LINKTYPE_PPP_HDLC (50): PPP in HDLC-like framing (RFC 1662), always with the ff 03
 * address/control bytes. Some systems write Cisco HDLC frames with this link type too;
 * those start with 0x0f or 0x8f.
 */
export function decodePppHdlc(buf: Buffer, offset: number, end: number): LinkResult {
  if (end - offset < 2) return { kind: 'truncated', detail: 'ppp hdlc header cut short' };
  const address = buf[offset];
  if (address === 0x0f || address === 0x8f) return decodeCiscoHdlc(buf, offset, end);
  if (address !== 0xff || buf[offset + 1] !== 0x03) return { kind: 'malformed', detail: 'ppp hdlc address/control is not ff 03' };
  return decodePppProtocol(buf, offset + 2, end, 0);
}
