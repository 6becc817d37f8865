/** Where the network-layer packet starts inside a link-layer frame. */
export interface LinkFrame {
  kind: 'network';
  /** EtherType of the payload (0x0800 IPv4, 0x86dd IPv6, 0x0806 ARP, ...). */
  etherType: number;
  /** Offset of the network-layer header in the buffer. */
  offset: number;
  /** Number of 802.1Q / 802.1ad tags passed over. */
  vlanTags: number;
  /**
   * End of the network-layer packet when the link header states its length (PPPoE) and the
   * frame holds all of it: bytes from here on are not part of the packet, whatever the IP
   * header claims. Absent when only the captured frame bounds the packet.
   */
  end?: number;
}

export interface LinkError {
  kind: 'truncated' | 'malformed' | 'unsupported';
  /** Short, stable reason, e.g. 'ethernet header cut short', 'link type 147'. */
  detail: string;
}

export type LinkResult = LinkFrame | LinkError;
