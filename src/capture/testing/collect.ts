import { createCaptureDecoder } from '../decoder.js';
import type { CaptureLimits, CaptureRecord, CaptureSink, CaptureSummary } from '../types.js';

/** A record copied out of the sink call (the decoder reuses its record object and buffers). */
export interface CopiedRecord {
  frame: number;
  linkType: number;
  interfaceId: number;
  time: number;
  originalLength: number;
  data: Buffer;
}

export function copyRecord(r: CaptureRecord): CopiedRecord {
  return {
    frame: r.frame,
    linkType: r.linkType,
    interfaceId: r.interfaceId,
    time: r.time,
    originalLength: r.originalLength,
    data: Buffer.from(r.data),
  };
}

export function collector(): { sink: CaptureSink; records: CopiedRecord[] } {
  const records: CopiedRecord[] = [];
  return { sink: { record: (r) => records.push(copyRecord(r)) }, records };
}

export interface Decoded {
  records: CopiedRecord[];
  summary: CaptureSummary;
  /** Largest join buffer the decoder held. */
  maxBuffered: number;
}

/** Decodes `bytes` pushed as the given chunks (cut points), or in one piece. */
export function decode(bytes: Uint8Array, cuts: readonly number[] = [], limits?: Partial<CaptureLimits>): Decoded {
  const { sink, records } = collector();
  const decoder = createCaptureDecoder(sink, limits);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let prev = 0;
  let maxBuffered = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    const at = Math.max(prev, Math.min(c, buf.length));
    decoder.push(buf.subarray(prev, at));
    maxBuffered = Math.max(maxBuffered, decoder.bufferedBytes);
    prev = at;
  }
  decoder.push(buf.subarray(prev));
  maxBuffered = Math.max(maxBuffered, decoder.bufferedBytes);
  return { records, summary: decoder.finish(), maxBuffered };
}

/** Decodes `bytes` pushed in chunks of `size` bytes. */
export function decodeInChunks(bytes: Uint8Array, size: number, limits?: Partial<CaptureLimits>): Decoded {
  const cuts: number[] = [];
  for (let i = size; i < bytes.length; i += size) cuts.push(i);
  return decode(bytes, cuts, limits);
}

/** One string per record: compares much faster than deep equality on many buffers. */
export function fingerprint(records: readonly CopiedRecord[]): string[] {
  return records.map((r) => `${r.frame}|${r.linkType}|${r.interfaceId}|${r.time}|${r.originalLength}|${r.data.toString('base64')}`);
}
