/** The innermost IP packet of a frame (after tunnels and fragment reassembly). */
export interface IpPacket {
  version: 4 | 6;
  /** The buffer holding this packet: the record's bytes, or a reassembled datagram. */
  data: Buffer;
  /** Offsets of the source and destination addresses in `data` (4 or 16 bytes each). */
  srcOffset: number;
  dstOffset: number;
  /** Upper-layer protocol of the innermost packet (6 = TCP, 17 = UDP, ...). */
  protocol: number;
  /** Captured bounds of the upper-layer payload in `data`. */
  payloadOffset: number;
  payloadEnd: number;
  /** Payload length the IP header declares; more than payloadEnd - payloadOffset when the snaplen cut it. */
  payloadLength: number;
  /** TTL / hop limit. */
  hopLimit: number;
  /** Outermost tunnel passed through ('vxlan', 'geneve', 'gre', 'ipip', '6in4', 'gtp-u', ...), null when none. */
  tunnel: string | null;
}

/** Why a frame yields no IP packet. Counted by reason, never thrown. */
export interface NetworkSkip {
  kind: 'skip';
  reason: 'non-ip' | 'unsupported-link' | 'truncated' | 'malformed' | 'fragment-held' | 'fragment-dropped';
  detail: string;
}

export type NetworkResult = IpPacket | NetworkSkip;
