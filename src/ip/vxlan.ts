import type { TunnelResult } from './tunnel.js';

export const VXLAN_PORT = 4789;
/** The port Linux used before IANA assigned 4789. */
export const VXLAN_LINUX_PORT = 8472;
export const VXLAN_HEADER_LENGTH = 8;
const VXLAN_FLAG_VNI = 0x08;

/**
 * Decodes a VXLAN header (RFC 7348) at `offset`: flags (I bit set when the VNI is valid),
 * 24 reserved bits, the 24-bit VNI and 8 reserved bits, followed by an Ethernet frame.
 */
export function decodeVxlan(buf: Buffer, offset: number, end: number): TunnelResult {
  if (end - offset < VXLAN_HEADER_LENGTH) return { kind: 'truncated', detail: 'vxlan header cut short' };
  if ((buf[offset] & VXLAN_FLAG_VNI) === 0) return { kind: 'malformed', detail: 'vxlan I flag not set' };
  return { kind: 'payload', etherType: 0x6558, offset: offset + VXLAN_HEADER_LENGTH, end };
}
