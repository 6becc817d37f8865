/**
 * Network layer: from a captured frame to its innermost IP packet.
 *
 * createNetworkDecoder() runs the link-layer decoders (src/link), IPv4 / IPv6 with extension
 * headers, fragment reassembly and tunnel decapsulation (IP-in-IP, 6in4, 4in6, 6in6, GRE and
 * ERSPAN, VXLAN, Geneve, GTP-U). Results are offsets into the frame's own buffer; only a
 * reassembled datagram lives in a new buffer. Bad bytes never throw: they come back as a
 * NetworkSkip and are counted in the decoder's stats.
 */
export type { IpPacket, NetworkResult, NetworkSkip } from './types.js';
export {
  createNetworkDecoder,
  DEFAULT_NETWORK_LIMITS,
  type NetworkDecoder,
  type NetworkLimits,
  type NetworkStats,
  type SkipReason,
} from './decoder.js';
export {
  anyOf,
  formatAddress,
  parseAddress,
  parseCidr,
  parseCidrOrThrow,
  type AddressError,
  type AddressMatcher,
  type Cidr,
  type ParsedAddress,
} from './address.js';
export { DEFAULT_FRAGMENT_LIMITS, FragmentReassembler, type FragmentLimits, type FragmentStats } from './fragments.js';
export { decodeIpv4, type Ipv4Header, type Ipv4Error } from './ipv4.js';
export { decodeIpv6, type Ipv6Header, type Ipv6Error } from './ipv6.js';
export { decodeGre } from './gre.js';
export { decodeVxlan } from './vxlan.js';
export { decodeGeneve } from './geneve.js';
export { decodeGtpU } from './gtp.js';
export type { TunnelPayload, TunnelError, TunnelResult } from './tunnel.js';

import type { IpPacket, NetworkResult, NetworkSkip } from './types.js';

/** True when decode() gave no packet. */
export function isSkip(result: NetworkResult): result is NetworkSkip {
  return (result as NetworkSkip).kind === 'skip';
}

/** True when decode() gave a packet. */
export function isPacket(result: NetworkResult): result is IpPacket {
  return (result as NetworkSkip).kind !== 'skip';
}
