import type { LinkError } from './types.js';

/** A capture pseudo-header that names the link type of the frame behind it. */
export interface InnerFrame {
  kind: 'inner';
  linkType: number;
  offset: number;
}

export const LINKTYPE_PPI = 192;
export const LINKTYPE_PKTAP = 258;

/**
 * LINKTYPE_PPI (192), Per-Packet Information: version (0), flags, header length (2 bytes,
 * little-endian), link type of the frame that follows (4 bytes, little-endian), then fields.
 */
export function decodePpiHeader(buf: Buffer, offset: number, end: number): InnerFrame | LinkError {
  if (end - offset < 8) return { kind: 'truncated', detail: 'ppi header cut short' };
  if (buf[offset] !== 0) return { kind: 'unsupported', detail: 'ppi version is not 0' };
  const length = buf[offset + 2] | (buf[offset + 3] << 8);
  if (length < 8) return { kind: 'malformed', detail: 'ppi header length below 8' };
  if (end - offset < length) return { kind: 'truncated', detail: 'ppi header cut short' };
  const linkType = (buf[offset + 4] | (buf[offset + 5] << 8) | (buf[offset + 6] << 16) | (buf[offset + 7] << 24)) >>> 0;
  return { kind: 'inner', linkType, offset: offset + length };
}

/** Shortest Darwin pktap header: length, type, link type, interface name, and the rest. */
const PKTAP_MIN_LENGTH = 108;
const PTH_TYPE_PACKET = 1;

/**
 * LINKTYPE_PKTAP (258; older macOS captures use 149, DLT_USER2): Apple's pktap header, in the
 * capturing host's (little-endian) byte order: header length, record type (1 = packet), link
 * type of the frame that follows, interface name, process information.
 */
export function decodePktapHeader(buf: Buffer, offset: number, end: number): InnerFrame | LinkError {
  if (end - offset < 12) return { kind: 'truncated', detail: 'pktap header cut short' };
  const length = (buf[offset] | (buf[offset + 1] << 8) | (buf[offset + 2] << 16) | (buf[offset + 3] << 24)) >>> 0;
  const type = (buf[offset + 4] | (buf[offset + 5] << 8) | (buf[offset + 6] << 16) | (buf[offset + 7] << 24)) >>> 0;
  if (length < PKTAP_MIN_LENGTH) return { kind: 'malformed', detail: 'pktap header length too small' };
  if (type !== PTH_TYPE_PACKET) return { kind: 'unsupported', detail: 'pktap record is not a packet' };
  if (end - offset < length) return { kind: 'truncated', detail: 'pktap header cut short' };
  const linkType = (buf[offset + 8] | (buf[offset + 9] << 8) | (buf[offset + 10] << 16) | (buf[offset + 11] << 24)) >>> 0;
  return { kind: 'inner', linkType, offset: offset + length };
}
