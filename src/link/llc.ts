import type { LinkResult } from './types.js';

/** Length of an LLC header with a SNAP extension (RFC 1042): AA AA 03, OUI, EtherType. */
export const LLC_SNAP_LENGTH = 8;

/**
 * Decodes an IEEE 802.2 LLC header at `offset` and, when it has a SNAP extension with OUI
 * 00-00-00 (RFC 1042) or 00-00-f8 (802.1H), returns the EtherType it names. Other LLC frames
 * (spanning tree, NetBIOS, vendor SNAP, ...) are reported as unsupported.
 */
export function decodeLlcSnap(buf: Buffer, offset: number, end: number, vlanTags: number): LinkResult {
  if (end - offset < 3) return { kind: 'truncated', detail: 'llc header cut short' };
  if (buf[offset] !== 0xaa || buf[offset + 1] !== 0xaa || buf[offset + 2] !== 0x03) {
    return { kind: 'unsupported', detail: '802.2 llc frame' };
  }
  if (end - offset < LLC_SNAP_LENGTH) return { kind: 'truncated', detail: 'snap header cut short' };
  if (buf[offset + 3] !== 0 || buf[offset + 4] !== 0 || (buf[offset + 5] !== 0 && buf[offset + 5] !== 0xf8)) {
    return { kind: 'unsupported', detail: 'snap frame with a vendor oui' };
  }
  const etherType = (buf[offset + 6] << 8) | buf[offset + 7];
  return { kind: 'network', etherType, offset: offset + LLC_SNAP_LENGTH, vlanTags };
}
