import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethertype.js';
import type { LinkResult } from './types.js';

/** Label stack entries passed over before giving up. */
export const MAX_MPLS_LABELS = 16;

/**
 * Decodes an MPLS label stack at `offset` (RFC 3032: 4 bytes per entry, bit 8 of the third byte
 * marks the bottom of the stack). MPLS does not say what follows the stack, so the first nibble
 * of the payload decides: 4 → IPv4, 6 → IPv6; anything else (a pseudowire control word, ...)
 * is reported as unsupported.
 */
export function decodeMpls(buf: Buffer, offset: number, end: number, vlanTags: number): LinkResult {
  let off = offset;
  for (let i = 0; i < MAX_MPLS_LABELS; i++) {
    if (end - off < 4) return { kind: 'truncated', detail: 'mpls label cut short' };
    const bottom = (buf[off + 2] & 0x01) !== 0;
    off += 4;
    if (!bottom) continue;
    if (off >= end) return { kind: 'truncated', detail: 'mpls payload missing' };
    const version = buf[off] >> 4;
    if (version === 4) return { kind: 'network', etherType: ETHERTYPE_IPV4, offset: off, vlanTags };
    if (version === 6) return { kind: 'network', etherType: ETHERTYPE_IPV6, offset: off, vlanTags };
    return { kind: 'unsupported', detail: 'mpls payload is not ip' };
  }
  return { kind: 'malformed', detail: 'too many mpls labels' };
}
