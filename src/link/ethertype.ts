/** EtherType values the link and network decoders care about. */
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_MPLS = 0x8847;
export const ETHERTYPE_MPLS_MULTICAST = 0x8848;
export const ETHERTYPE_PPPOE_DISCOVERY = 0x8863;
export const ETHERTYPE_PPPOE_SESSION = 0x8864;
export const ETHERTYPE_QINQ = 0x88a8;
/** Pre-standard QinQ outer tag, still emitted by some switches. */
export const ETHERTYPE_QINQ_LEGACY = 0x9100;
/** Cisco VN-Tag: 4 tag bytes after the EtherType. */
export const ETHERTYPE_VNTAG = 0x8926;
/** IEEE 802.1BR E-Tag: 6 tag bytes after the EtherType. */
export const ETHERTYPE_ETAG = 0x893f;
/** IEEE 802.1ah provider backbone bridging: a 4-byte I-TAG, then a whole customer frame. */
export const ETHERTYPE_PBB = 0x88e7;
/** Transparent Ethernet bridging: the payload is a whole Ethernet frame (GRE, Geneve). */
export const ETHERTYPE_TEB = 0x6558;

/** Largest value of an IEEE 802.3 length field; anything from 0x0600 up is an EtherType. */
export const MAX_8023_LENGTH = 0x05dc;

/** True for the tag protocol identifiers of 802.1Q / 802.1ad VLAN tags. */
export function isVlanTpid(type: number): boolean {
  return type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_LEGACY;
}
