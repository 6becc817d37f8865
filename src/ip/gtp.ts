import { etherTypeFromVersion, type TunnelResult } from './tunnel.js';

export const GTP_U_PORT = 2152;
/** G-PDU: the message carries a user packet. */
export const GTP_MESSAGE_GPDU = 0xff;
/** Extension headers followed before the packet is called malformed. */
export const MAX_GTP_EXTENSION_HEADERS = 16;

/**
 * Decodes a GTP-U (GTPv1-U, 3GPP TS 29.281) header at `offset`: flags (version 1, PT 1, E, S,
 * PN), message type, length of what follows the first 8 bytes, TEID; when E, S or PN is set, a
 * sequence number, N-PDU number and next-extension-header type; then the extension header chain
 * (each: a length in 4-byte words, content, next type in its last byte). Only G-PDUs carrying
 * IPv4 or IPv6 give a payload.
 */
export function decodeGtpU(buf: Buffer, offset: number, end: number): TunnelResult {
  if (end - offset < 8) return { kind: 'truncated', detail: 'gtp-u header cut short' };
  const flags = buf[offset];
  if (flags >> 5 !== 1 || (flags & 0x10) === 0) return { kind: 'malformed', detail: 'not gtp version 1' };
  if (buf[offset + 1] !== GTP_MESSAGE_GPDU) return { kind: 'unsupported', detail: 'gtp-u message is not a g-pdu' };
  const declaredEnd = offset + 8 + ((buf[offset + 2] << 8) | buf[offset + 3]);
  const stop = declaredEnd < end ? declaredEnd : end;
  let off = offset + 8;
  if ((flags & 0x07) !== 0) {
    if (stop - off < 4) return { kind: 'truncated', detail: 'gtp-u header cut short' };
    let next = (flags & 0x04) !== 0 ? buf[off + 3] : 0;
    off += 4;
    for (let count = 0; next !== 0; count++) {
      if (count === MAX_GTP_EXTENSION_HEADERS) return { kind: 'malformed', detail: 'too many gtp-u extension headers' };
      if (off >= stop) return { kind: 'truncated', detail: 'gtp-u extension header cut short' };
      const length = buf[off] << 2;
      if (length === 0) return { kind: 'malformed', detail: 'gtp-u extension header length 0' };
      if (stop - off < length) return { kind: 'truncated', detail: 'gtp-u extension header cut short' };
      next = buf[off + length - 1];
      off += length;
    }
  }
  if (off >= stop) return { kind: 'truncated', detail: 'gtp-u payload missing' };
  const etherType = etherTypeFromVersion(buf[off]);
  if (etherType < 0) return { kind: 'unsupported', detail: 'gtp-u payload is not ip' };
  return { kind: 'payload', etherType, offset: off, end: stop };
}
