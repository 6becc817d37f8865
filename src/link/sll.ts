import { MAX_8023_LENGTH } from './ethertype.js';
import type { LinkResult } from './types.js';

export const SLL_HEADER_LENGTH = 16;
export const SLL2_HEADER_LENGTH = 20;

/** ARPHRD_NETLINK: the protocol field is a netlink family, not an EtherType. */
const ARPHRD_NETLINK = 824;
/** ARPHRD_IEEE80211_RADIOTAP and friends: the payload is an 802.11 frame. */
const ARPHRD_IEEE80211 = 801;
const ARPHRD_IEEE80211_PRISM = 802;
const ARPHRD_IEEE80211_RADIOTAP = 803;

function sllPayload(hatype: number, protocol: number, offset: number): LinkResult {
  if (hatype === ARPHRD_NETLINK) return { kind: 'unsupported', detail: 'netlink frame' };
  if (hatype === ARPHRD_IEEE80211 || hatype === ARPHRD_IEEE80211_PRISM || hatype === ARPHRD_IEEE80211_RADIOTAP) {
    return { kind: 'unsupported', detail: '802.11 frame' };
  }
  // Small values are Linux pseudo-protocols (ETH_P_802_2, ETH_P_802_3, ETH_P_CAN, ...), not EtherTypes.
  if (protocol <= MAX_8023_LENGTH) return { kind: 'unsupported', detail: 'linux cooked non-ethertype protocol' };
  return { kind: 'network', etherType: protocol, offset, vlanTags: 0 };
}

/**
 * LINKTYPE_LINUX_SLL (113), 16 bytes: packet type, ARPHRD type, address length,
 * 8 address bytes, protocol (an EtherType for most ARPHRD types).
 */
export function decodeSll(buf: Buffer, offset: number, end: number): LinkResult {
  if (end - offset < SLL_HEADER_LENGTH) return { kind: 'truncated', detail: 'linux cooked header cut short' };
  const hatype = (buf[offset + 2] << 8) | buf[offset + 3];
  const protocol = (buf[offset + 14] << 8) | buf[offset + 15];
  return sllPayload(hatype, protocol, offset + SLL_HEADER_LENGTH);
}

/**
 * LINKTYPE_LINUX_SLL2 (276), 20 bytes: protocol, reserved, interface index, ARPHRD type,
 * packet type, address length, 8 address bytes.
 */
export function decodeSll2(buf: Buffer, offset: number, end: number): LinkResult {
  if (end - offset < SLL2_HEADER_LENGTH) return { kind: 'truncated', detail: 'linux cooked v2 header cut short' };
  const protocol = (buf[offset] << 8) | buf[offset + 1];
  const hatype = (buf[offset + 8] << 8) | buf[offset + 9];
  return sllPayload(hatype, protocol, offset + SLL2_HEADER_LENGTH);
}
