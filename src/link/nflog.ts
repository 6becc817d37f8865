import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethertype.js';
import type { LinkResult } from './types.js';

export const NFLOG_HEADER_LENGTH = 4;
/** TLV type of the logged packet. */
const NFULA_PAYLOAD = 9;
/** TLVs looked at before giving up. */
const MAX_NFLOG_TLVS = 64;

/**
 * LINKTYPE_NFLOG (239), Linux netfilter log: family, version, resource id (4 bytes), then TLVs
 * of length (2 bytes, including the 4-byte TLV header), type (2 bytes), value padded to 4 bytes.
 * Lengths and types are in the byte order of the capturing host; the first TLV decides which.
 * The IP packet is the value of the NFULA_PAYLOAD TLV; its version nibble says IPv4 or IPv6.
 */
export function decodeNflog(buf: Buffer, offset: number, end: number): LinkResult {
  if (end - offset < NFLOG_HEADER_LENGTH) return { kind: 'truncated', detail: 'nflog header cut short' };
  let off = offset + NFLOG_HEADER_LENGTH;
  let little = true;
  if (end - off >= 4) {
    const le = buf[off] | (buf[off + 1] << 8);
    const be = (buf[off] << 8) | buf[off + 1];
    little = !(le < 4 || le > end - off) || be < 4 || be > end - off;
  }
  for (let i = 0; i < MAX_NFLOG_TLVS; i++) {
    if (end - off < 4) return { kind: 'truncated', detail: 'nflog payload not found' };
    const length = little ? buf[off] | (buf[off + 1] << 8) : (buf[off] << 8) | buf[off + 1];
    const type = (little ? buf[off + 2] | (buf[off + 3] << 8) : (buf[off + 2] << 8) | buf[off + 3]) & 0x7fff;
    if (length < 4) return { kind: 'malformed', detail: 'nflog tlv length below 4' };
    if (type === NFULA_PAYLOAD) {
      const payload = off + 4;
      if (payload >= end) return { kind: 'truncated', detail: 'nflog payload cut short' };
      const version = buf[payload] >> 4;
      const etherType = version === 4 ? ETHERTYPE_IPV4 : version === 6 ? ETHERTYPE_IPV6 : -1;
      if (etherType < 0) return { kind: 'unsupported', detail: 'nflog payload is not ip' };
      const payloadEnd = off + length;
      // The TLV length bounds the packet when the frame holds all of it.
      if (payloadEnd < end) return { kind: 'network', etherType, offset: payload, vlanTags: 0, end: payloadEnd };
      return { kind: 'network', etherType, offset: payload, vlanTags: 0 };
    }
    off += (length + 3) & ~3;
  }
  return { kind: 'malformed', detail: 'too many nflog tlvs' };
}
