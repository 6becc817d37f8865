/** Test-only helpers to run the TLS stream reader and to walk TLS records independently of it. */
import { createTlsStreamReader, type TlsStreamReaderLimits } from '../stream-reader.js';
import type { Alert, ClientHello, Position, ServerHello, TlsStreamReader } from '../types.js';
import type { SegmentFixture } from './corpus.js';

/** Everything a reader reported, in order. */
export interface Recorded {
  events: Array<
    | { kind: 'clientHello'; hello: ClientHello; at: Position }
    | { kind: 'serverHello'; hello: ServerHello; at: Position }
    | { kind: 'alert'; alert: Alert; at: Position }
  >;
  clientHellos: Array<{ hello: ClientHello; at: Position }>;
  serverHellos: Array<{ hello: ServerHello; at: Position }>;
  alerts: Array<{ alert: Alert; at: Position }>;
}

export function recordingReader(limits?: TlsStreamReaderLimits): { reader: TlsStreamReader; recorded: Recorded } {
  const recorded: Recorded = { events: [], clientHellos: [], serverHellos: [], alerts: [] };
  const reader = createTlsStreamReader(
    {
      clientHello(hello, at) {
        recorded.events.push({ kind: 'clientHello', hello, at });
        recorded.clientHellos.push({ hello, at });
      },
      serverHello(hello, at) {
        recorded.events.push({ kind: 'serverHello', hello, at });
        recorded.serverHellos.push({ hello, at });
      },
      alert(alert, at) {
        recorded.events.push({ kind: 'alert', alert, at });
        recorded.alerts.push({ alert, at });
      },
    },
    limits,
  );
  return { reader, recorded };
}

/** Runs bytes through a reader in one push (frame 1) and ends the stream (frame 2). */
export function readAll(data: Buffer, limits?: TlsStreamReaderLimits): Recorded & { reader: TlsStreamReader } {
  const { reader, recorded } = recordingReader(limits);
  reader.push(data, 1, 1);
  reader.end(2, 2);
  return { ...recorded, reader };
}

/**
 * Finds the body of the first handshake message of `type` by walking TLS records from the start
 * of `data` (a simple walker, independent of the stream reader).
 */
export function handshakeBody(data: Buffer, type: number): Buffer | null {
  const payload: Buffer[] = [];
  let p = 0;
  while (p + 5 <= data.length) {
    const length = data.readUInt16BE(p + 3);
    if (data[p] === 22) payload.push(data.subarray(p + 5, Math.min(data.length, p + 5 + length)));
    p += 5 + length;
  }
  const all = Buffer.concat(payload);
  let q = 0;
  while (q + 4 <= all.length) {
    const length = (all[q + 1]! << 16) | (all[q + 2]! << 8) | all[q + 3]!;
    if (all[q] === type) return all.subarray(q + 4, q + 4 + length);
    q += 4 + length;
  }
  return null;
}

/**
 * One direction of a TCP stream from corpus segments, in sequence order (a segment that arrived
 * early is delivered in its place), retransmissions dropped, holes marked as gaps.
 */
export interface DirectionPiece {
  kind: 'data' | 'gap';
  frame: number;
  bytes: Buffer;
}

export function direction(segments: SegmentFixture[], stream: number, srcPort: number): DirectionPiece[] {
  const out: DirectionPiece[] = [];
  let next: number | null = null;
  const mine = segments.filter((s) => s.stream === stream && s.srcPort === srcPort).sort((a, b) => a.seq - b.seq);
  for (const s of mine) {
    let bytes = Buffer.from(s.payload, 'hex');
    let seq = s.seq;
    if (next === null) next = seq;
    if (seq + bytes.length <= next) continue; // retransmission
    if (seq < next) {
      bytes = bytes.subarray(next - seq);
      seq = next;
    }
    if (seq > next) out.push({ kind: 'gap', frame: s.frame, bytes: Buffer.alloc(0) });
    out.push({ kind: 'data', frame: s.frame, bytes });
    next = seq + bytes.length;
  }
  return out;
}

export function feed(reader: TlsStreamReader, pieces: DirectionPiece[]): void {
  for (const piece of pieces) {
    if (reader.done) break;
    if (piece.kind === 'gap') reader.gap('lost');
    else reader.push(piece.bytes, piece.frame, piece.frame);
  }
}
