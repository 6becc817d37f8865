import {
  ETHERTYPE_MPLS,
  ETHERTYPE_MPLS_MULTICAST,
  ETHERTYPE_PPPOE_SESSION,
  MAX_8023_LENGTH,
  isVlanTpid,
} from './ethertype.js';
import { decodeMpls } from './mpls.js';
import { decodePppoeSession } from './pppoe.js';
import type { LinkResult } from './types.js';

export const ETHERNET_HEADER_LENGTH = 14;
/** VLAN tags (802.1Q, 802.1ad, 0x9100) passed over before the frame is called malformed. */
export const MAX_VLAN_TAGS = 8;
/** LLC/SNAP headers passed over in one frame. */
const MAX_SNAP_HEADERS = 2;

/**
 * Decodes an Ethernet II frame at `offset`: destination and source MAC, EtherType, then any
 * number (up to MAX_VLAN_TAGS) of VLAN tags. PPPoE session and MPLS payloads are followed to the
 * IP header inside them. IEEE 802.3 frames (a length instead of an EtherType) are followed only
 * when they carry an RFC 1042 / 802.1H SNAP header.
 */
export function decodeEthernet(buf: Buffer, offset: number, end: number): LinkResult {
  if (end - offset < ETHERNET_HEADER_LENGTH) return { kind: 'truncated', detail: 'ethernet header cut short' };
  let off = offset + ETHERNET_HEADER_LENGTH;
  let type = (buf[off - 2] << 8) | buf[off - 1];
  let tags = 0;
  let snaps = 0;
  for (;;) {
    if (isVlanTpid(type)) {
      if (tags === MAX_VLAN_TAGS) return { kind: 'malformed', detail: 'too many vlan tags' };
      if (end - off < 4) return { kind: 'truncated', detail: 'vlan tag cut short' };
      type = (buf[off + 2] << 8) | buf[off + 3];
      off += 4;
      tags++;
      continue;
    }
    if (type <= MAX_8023_LENGTH) {
      // 802.3 length field: only LLC with a SNAP header naming an EtherType is followed.
      if (end - off < 8) return { kind: 'truncated', detail: 'llc header cut short' };
      if (buf[off] !== 0xaa || buf[off + 1] !== 0xaa || buf[off + 2] !== 0x03) {
        return { kind: 'unsupported', detail: '802.3 llc frame' };
      }
      // OUI 00-00-00 (RFC 1042) or 00-00-f8 (802.1H): the protocol id is an EtherType.
      if (buf[off + 3] !== 0 || buf[off + 4] !== 0 || (buf[off + 5] !== 0 && buf[off + 5] !== 0xf8)) {
        return { kind: 'unsupported', detail: 'snap frame with a vendor oui' };
      }
      if (snaps === MAX_SNAP_HEADERS) return { kind: 'malformed', detail: 'too many snap headers' };
      snaps++;
      type = (buf[off + 6] << 8) | buf[off + 7];
      off += 8;
      continue;
    }
    if (type === ETHERTYPE_PPPOE_SESSION) return decodePppoeSession(buf, off, end, tags);
    if (type === ETHERTYPE_MPLS || type === ETHERTYPE_MPLS_MULTICAST) return decodeMpls(buf, off, end, tags);
    return { kind: 'network', etherType: type, offset: off, vlanTags: tags };
  }
}
