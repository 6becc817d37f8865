import type { TunnelResult } from './tunnel.js';

export const GENEVE_PORT = 6081;
export const GENEVE_HEADER_LENGTH = 8;

/**
 * Decodes a Geneve header (RFC 8926) at `offset`: version (2 bits, 0), options length
 * (6 bits, in 4-byte words), O and C flags, protocol type (an EtherType: 0x6558 for Ethernet,
 * 0x0800 / 0x86dd for IP), VNI, then the options.
 */
export function decodeGeneve(buf: Buffer, offset: number, end: number): TunnelResult {
  if (end - offset < GENEVE_HEADER_LENGTH) return { kind: 'truncated', detail: 'geneve header cut short' };
  if (buf[offset] >> 6 !== 0) return { kind: 'malformed', detail: 'geneve version is not 0' };
  const length = GENEVE_HEADER_LENGTH + ((buf[offset] & 0x3f) << 2);
  const protocol = (buf[offset + 2] << 8) | buf[offset + 3];
  if (end - offset < length) return { kind: 'truncated', detail: 'geneve options cut short' };
  return { kind: 'payload', etherType: protocol, offset: offset + length, end };
}
