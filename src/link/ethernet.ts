import {
  ETHERTYPE_ETAG,
  ETHERTYPE_MPLS,
  ETHERTYPE_MPLS_MULTICAST,
  ETHERTYPE_PBB,
  ETHERTYPE_PPPOE_SESSION,
  ETHERTYPE_VNTAG,
  MAX_8023_LENGTH,
  isVlanTpid,
} from './ethertype.js';
import { decodeLlcSnap } from './llc.js';
import { decodeMpls } from './mpls.js';
import { decodePppoeSession } from './pppoe.js';
import type { LinkResult } from './types.js';

export const ETHERNET_HEADER_LENGTH = 14;
/** VLAN tags (802.1Q, 802.1ad, 0x9100) passed over before the frame is called malformed. */
export const MAX_VLAN_TAGS = 8;
/** Other headers (VN-Tag, E-Tag, 802.1ah, LLC/SNAP) passed over before the frame is called malformed. */
export const MAX_ETHERNET_SHIMS = 8;

/**
 * Decodes an Ethernet II frame at `offset`: destination and source MAC, EtherType, then any
 * number (up to MAX_VLAN_TAGS) of VLAN tags, and VN-Tag / E-Tag / 802.1ah headers between them.
 * PPPoE session and MPLS payloads are followed to the IP header inside them. IEEE 802.3 frames
 * (a length instead of an EtherType) are followed only through an RFC 1042 / 802.1H SNAP header.
 */
export function decodeEthernet(buf: Buffer, offset: number, end: number): LinkResult {
  if (end - offset < ETHERNET_HEADER_LENGTH) return { kind: 'truncated', detail: 'ethernet header cut short' };
  let off = offset + ETHERNET_HEADER_LENGTH;
  let type = (buf[off - 2] << 8) | buf[off - 1];
  let tags = 0;
  let shims = 0;
  for (;;) {
    if (isVlanTpid(type)) {
      if (tags === MAX_VLAN_TAGS) return { kind: 'malformed', detail: 'too many vlan tags' };
      if (end - off < 4) return { kind: 'truncated', detail: 'vlan tag cut short' };
      type = (buf[off + 2] << 8) | buf[off + 3];
      off += 4;
      tags++;
      continue;
    }
    let skip = 0;
    if (type === ETHERTYPE_VNTAG) skip = 4;
    else if (type === ETHERTYPE_ETAG) skip = 6;
    else if (type === ETHERTYPE_PBB) skip = 4 + 12; // I-TAG, then the customer frame's MACs
    if (skip > 0) {
      if (shims === MAX_ETHERNET_SHIMS) return { kind: 'malformed', detail: 'too many ethernet headers' };
      if (end - off < skip + 2) return { kind: 'truncated', detail: 'ethernet tag cut short' };
      type = (buf[off + skip] << 8) | buf[off + skip + 1];
      off += skip + 2;
      shims++;
      continue;
    }
    if (type <= MAX_8023_LENGTH) {
      // 802.3 length field: only LLC with a SNAP header naming an EtherType is followed.
      if (shims === MAX_ETHERNET_SHIMS) return { kind: 'malformed', detail: 'too many ethernet headers' };
      const llc = decodeLlcSnap(buf, off, end, tags);
      if (llc.kind !== 'network') return llc;
      type = llc.etherType;
      off = llc.offset;
      shims++;
      continue;
    }
    if (type === ETHERTYPE_PPPOE_SESSION) return decodePppoeSession(buf, off, end, tags);
    if (type === ETHERTYPE_MPLS || type === ETHERTYPE_MPLS_MULTICAST) return decodeMpls(buf, off, end, tags);
    return { kind: 'network', etherType: type, offset: off, vlanTags: tags };
  }
}
