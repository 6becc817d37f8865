/** A decoded TCP header; the payload is given as offsets into the packet's buffer. */
export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  /** Sequence and acknowledgement numbers, unsigned 32-bit. */
  seq: number;
  ack: number;
  flags: number;
  window: number;
  payloadOffset: number;
  /** End of the captured payload. */
  payloadEnd: number;
  /** Payload length as the IP header declares it (more than captured when the snaplen cut it). */
  payloadLength: number;
}

export interface TcpError {
  kind: 'truncated' | 'malformed';
  detail: string;
}

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

/**
 * Decodes the TCP header at `offset`. `capturedEnd` bounds what was captured, `declaredLength`
 * is the TCP segment length from the IP header (header + payload).
 */
export function decodeTcp(buf: Buffer, offset: number, capturedEnd: number, declaredLength: number): TcpSegment | TcpError {
  if (capturedEnd - offset < 20) return { kind: 'truncated', detail: 'tcp header cut short' };
  const dataOffset = (buf[offset + 12] >> 4) * 4;
  if (dataOffset < 20) return { kind: 'malformed', detail: `tcp header length ${dataOffset}` };
  if (dataOffset > declaredLength) return { kind: 'malformed', detail: `tcp header length ${dataOffset} exceeds segment length ${declaredLength}` };
  const payloadOffset = offset + dataOffset;
  if (payloadOffset > capturedEnd) return { kind: 'truncated', detail: 'tcp options cut short' };
  const end = Math.min(capturedEnd, offset + declaredLength);
  return {
    srcPort: buf.readUInt16BE(offset),
    dstPort: buf.readUInt16BE(offset + 2),
    seq: buf.readUInt32BE(offset + 4),
    ack: buf.readUInt32BE(offset + 8),
    flags: buf[offset + 13],
    window: buf.readUInt16BE(offset + 14),
    payloadOffset,
    payloadEnd: end,
    payloadLength: declaredLength - dataOffset,
  };
}

export function isTcpError(r: TcpSegment | TcpError): r is TcpError {
  return (r as TcpError).kind !== undefined;
}

/** Signed distance from sequence number a to b (b - a) modulo 2^32. */
export function seqDiff(a: number, b: number): number {
  return ((b - a) | 0);
}

/** Text for a flags byte as Wireshark shows it, e.g. "SYN, ACK". */
export function flagNames(flags: number): string {
  const names: string[] = [];
  if (flags & FIN) names.push('FIN');
  if (flags & SYN) names.push('SYN');
  if (flags & RST) names.push('RST');
  if (flags & PSH) names.push('PSH');
  if (flags & ACK) names.push('ACK');
  return names.join(', ');
}
