import { readCapture } from '../capture/input.js';
import type { CaptureRecord } from '../capture/types.js';
import { createNetworkDecoder } from '../ip/decoder.js';
import { isSkip } from '../ip/index.js';
import { ConnectionRecorder, outcomeSink } from '../outcome/recorder.js';
import type { ConnectionOutcome, OutcomeSink } from '../outcome/types.js';
import type { CaptureFacts } from '../report/model.js';
import { ConnectionTable, type ConnectionLimits } from '../stream/connections.js';
import { emptySegment, readTcp } from '../tcp/segment.js';
import type { HeldBytes, TlsStreamReaderLimits } from '../tls/stream-reader.js';

export interface PipelineOptions {
  /** What the source `-` reads: a stream or a file descriptor (see readCapture). */
  stdin?: NodeJS.ReadableStream | number;
  limits?: Partial<ConnectionLimits>;
  /** Called now and then with the frames read so far (for a progress line). */
  progress?: (frames: number) => void;
  /** Stops reading when aborted (Ctrl-C); the connections seen so far are still finished and reported. */
  signal?: AbortSignal;
}

/**
 * Runs one capture through the stages: records → link frames → IP packets → TCP segments →
 * per-connection byte streams → TLS handshake messages → connection outcomes, which go to
 * `outcomes` (a function gets every one in full).
 */
export async function analyzeCapture(
  source: string,
  index: number,
  outcomes: OutcomeSink | ((o: ConnectionOutcome) => void),
  options: PipelineOptions = {},
): Promise<CaptureFacts> {
  const network = createNetworkDecoder();
  const ends = outcomeSink(outcomes);
  // What the TLS readers of all the connections hold together, within one limit.
  const held: HeldBytes = { bytes: 0, givenUp: 0 };
  const readers: TlsStreamReaderLimits = { held };
  const table = new ConnectionTable((conn) => new ConnectionRecorder(conn, index, ends, readers), options.limits);
  let tcpPackets = 0;
  let tcpErrors = 0;
  const progress = options.progress;
  // One segment object for every packet: the table reads it during the call and keeps nothing of it.
  const tcp = emptySegment();
  const sink = {
    record(r: CaptureRecord): void {
      if (progress !== undefined && (r.frame & 0xffff) === 0) progress(r.frame);
      const ip = network.decodeAt(r.linkType, r.buf, r.offset, r.offset + r.length, r, r.originalLength);
      if (isSkip(ip) || ip.protocol !== 6) return;
      if (readTcp(ip.data, ip.payloadOffset, ip.payloadEnd, ip.payloadLength, tcp) !== null) {
        tcpErrors++;
        return;
      }
      tcpPackets++;
      table.segment(ip, tcp, r);
    },
  };
  const summary = await readCapture(source, sink, { stdin: options.stdin, signal: options.signal });
  table.finish();
  const skipped: Record<string, number> = { ...network.stats.skipped };
  if (tcpErrors > 0) skipped['tcp-malformed'] = tcpErrors;
  return {
    file: source === '-' ? '(stdin)' : source,
    summary,
    tcpPackets,
    skipped,
    unsupportedLinkTypes: network.stats.unsupportedLinkTypes,
    tunnels: network.stats.tunnels,
    connections: table.stats.connections,
    connectionsEvicted: table.stats.evicted,
    handshakesGivenUp: held.givenUp,
  };
}
