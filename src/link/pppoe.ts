import { decodePppProtocol } from './ppp.js';
import type { LinkResult } from './types.js';

/** Length of the PPPoE header (RFC 2516): ver/type, code, session id, length. */
export const PPPOE_HEADER_LENGTH = 6;

/**
 * Decodes a PPPoE session-stage packet at `offset` (the bytes after EtherType 0x8864) and the
 * PPP protocol field that follows it. The PPPoE length field (PPP protocol plus payload) bounds
 * the packet: when the frame holds all of it, the result's `end` says where the IP packet stops,
 * so Ethernet padding is not mistaken for payload even when the IP header counts it.
 */
export function decodePppoeSession(buf: Buffer, offset: number, end: number, vlanTags: number): LinkResult {
  if (end - offset < PPPOE_HEADER_LENGTH) return { kind: 'truncated', detail: 'pppoe header cut short' };
  if (buf[offset] !== 0x11) return { kind: 'malformed', detail: 'pppoe version/type is not 1/1' };
  if (buf[offset + 1] !== 0x00) return { kind: 'malformed', detail: 'pppoe session code is not 0' };
  const start = offset + PPPOE_HEADER_LENGTH;
  const declaredEnd = start + ((buf[offset + 4] << 8) | buf[offset + 5]);
  if (declaredEnd >= end) return decodePppProtocol(buf, start, end, vlanTags);
  const frame = decodePppProtocol(buf, start, declaredEnd, vlanTags);
  if (frame.kind !== 'network') return frame.kind === 'truncated' ? { kind: 'malformed', detail: 'pppoe length too short' } : frame;
  return { kind: 'network', etherType: frame.etherType, offset: frame.offset, vlanTags, end: declaredEnd };
}
