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
  const segment = emptySegment();
  return readTcp(buf, offset, capturedEnd, declaredLength, segment) ?? segment;
}

/** A segment to give readTcp. */
export function emptySegment(): TcpSegment {
  return { srcPort: 0, dstPort: 0, seq: 0, ack: 0, flags: 0, window: 0, payloadOffset: 0, payloadEnd: 0, payloadLength: 0 };
}

/**
 * decodeTcp() into `into` (so that a caller can use one segment object for every packet);
 * returns null when the header decoded, else the error, leaving `into` in an unspecified state.
 */
export function readTcp(buf: Buffer, offset: number, capturedEnd: number, declaredLength: number, into: TcpSegment): TcpError | null {
  if (capturedEnd - offset < 20) return { kind: 'truncated', detail: 'tcp header cut short' };
  const dataOffset = (buf[offset + 12] >> 4) * 4;
  if (dataOffset < 20) return { kind: 'malformed', detail: `tcp header length ${dataOffset}` };
  if (dataOffset > declaredLength) return { kind: 'malformed', detail: `tcp header length ${dataOffset} exceeds segment length ${declaredLength}` };
  const payloadOffset = offset + dataOffset;
  if (payloadOffset > capturedEnd) return { kind: 'truncated', detail: 'tcp options cut short' };
  into.srcPort = (buf[offset] << 8) | buf[offset + 1];
  into.dstPort = (buf[offset + 2] << 8) | buf[offset + 3];
  // The multiplication keeps the value unsigned (a shift of the top byte by 24 would make it negative).
  into.seq = buf[offset + 4] * 0x1000000 + ((buf[offset + 5] << 16) | (buf[offset + 6] << 8) | buf[offset + 7]);
  into.ack = buf[offset + 8] * 0x1000000 + ((buf[offset + 9] << 16) | (buf[offset + 10] << 8) | buf[offset + 11]);
  into.flags = buf[offset + 13];
  into.window = (buf[offset + 14] << 8) | buf[offset + 15];
  into.payloadOffset = payloadOffset;
  into.payloadEnd = Math.min(capturedEnd, offset + declaredLength);
  into.payloadLength = declaredLength - dataOffset;
  return null;
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
