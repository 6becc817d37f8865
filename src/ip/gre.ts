import { decodePppProtocol } from '../link/ppp.js';
import type { TunnelResult } from './tunnel.js';

export const GRE_FLAG_CHECKSUM = 0x8000;
export const GRE_FLAG_ROUTING = 0x4000;
export const GRE_FLAG_KEY = 0x2000;
export const GRE_FLAG_SEQUENCE = 0x1000;
/** Version 1 (PPTP) only: an acknowledgment number follows. */
export const GRE_FLAG_ACK = 0x0080;

export const GRE_PROTOCOL_PPP = 0x880b;
export const GRE_PROTOCOL_ERSPAN2 = 0x88be;
export const GRE_PROTOCOL_ERSPAN3 = 0x22eb;
const ETHERTYPE_TEB = 0x6558;

/**
 * Decodes a GRE header at `offset`.
 * Version 0 (RFC 2784, RFC 2890): optional checksum, key and sequence number words; the protocol
 * type is an EtherType (0x0800, 0x86dd, 0x6558 transparent Ethernet bridging, 0x8847 MPLS, ...).
 * ERSPAN type I/II (0x88be) and type III (0x22eb) headers are passed over to the mirrored
 * Ethernet frame. Version 1 (PPTP, RFC 2637) carries PPP.
 * Source-routed GRE (R flag, RFC 1701) is reported as unsupported.
 */
export function decodeGre(buf: Buffer, offset: number, end: number): TunnelResult {
  if (end - offset < 4) return { kind: 'truncated', detail: 'gre header cut short' };
  const flags = (buf[offset] << 8) | buf[offset + 1];
  const protocol = (buf[offset + 2] << 8) | buf[offset + 3];
  const version = flags & 0x07;
  let off = offset + 4;

  if (version === 1) {
    if (protocol !== GRE_PROTOCOL_PPP || (flags & GRE_FLAG_KEY) === 0) return { kind: 'malformed', detail: 'gre version 1 is not pptp' };
    off += 4;
    if (flags & GRE_FLAG_SEQUENCE) off += 4;
    if (flags & GRE_FLAG_ACK) off += 4;
    if (off > end) return { kind: 'truncated', detail: 'gre header cut short' };
    // An acknowledgment-only packet has no payload.
    if (off === end) return { kind: 'unsupported', detail: 'pptp gre without payload' };
    let ppp = off;
    if (end - ppp >= 2 && buf[ppp] === 0xff && buf[ppp + 1] === 0x03) ppp += 2;
    const frame = decodePppProtocol(buf, ppp, end, 0);
    if (frame.kind !== 'network') return frame;
    return { kind: 'payload', etherType: frame.etherType, offset: frame.offset, end };
  }
  if (version !== 0) return { kind: 'malformed', detail: 'gre version is not 0 or 1' };
  if (flags & GRE_FLAG_ROUTING) return { kind: 'unsupported', detail: 'gre source routing' };
  if (flags & GRE_FLAG_CHECKSUM) off += 4;
  if (flags & GRE_FLAG_KEY) off += 4;
  if (flags & GRE_FLAG_SEQUENCE) off += 4;
  if (off > end) return { kind: 'truncated', detail: 'gre header cut short' };

  if (protocol === GRE_PROTOCOL_ERSPAN2) {
    // Type I has no ERSPAN header and no sequence number; type II has both (8-byte header).
    if (flags & GRE_FLAG_SEQUENCE) {
      if (end - off < 8) return { kind: 'truncated', detail: 'erspan header cut short' };
      off += 8;
    }
    return { kind: 'payload', etherType: ETHERTYPE_TEB, offset: off, end };
  }
  if (protocol === GRE_PROTOCOL_ERSPAN3) {
    if (end - off < 12) return { kind: 'truncated', detail: 'erspan header cut short' };
    // The O bit (last bit of the header) announces an 8-byte platform-specific subheader.
    const hasSubheader = (buf[off + 11] & 0x01) !== 0;
    off += hasSubheader ? 20 : 12;
    if (off > end) return { kind: 'truncated', detail: 'erspan header cut short' };
    return { kind: 'payload', etherType: ETHERTYPE_TEB, offset: off, end };
  }
  return { kind: 'payload', etherType: protocol, offset: off, end };
}
