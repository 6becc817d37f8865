/**
 * Test-only access to the shared conformance corpus (`../shared/corpus/` next to the repository;
 * its MANIFEST.md lists the sources and licences of every capture). Nothing from it is copied
 * into the repository: captures are read at test time with the project's own capture, IP and TCP
 * stages, and tshark's and FoxIO's answers are read from the corpus files next to them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCapture } from '../../capture/input.js';
import { createNetworkDecoder } from '../../ip/decoder.js';
import { isSkip } from '../../ip/index.js';
import { SYN, decodeTcp, isTcpError, seqDiff } from '../../tcp/segment.js';

/** The corpus directory, resolved from this file's place in the repository. */
export const CORPUS_DIR = fileURLToPath(new URL('../../../../shared/corpus/', import.meta.url));

export function corpusPath(relative: string): string {
  return CORPUS_DIR + relative;
}

/** tshark's answer for one ClientHello (expected/<capture>.json), in this project's naming. */
export interface ExpectedHello {
  sni: string | null;
  sslv2Record: boolean;
  recordVersion: string;
  handshakeVersion: string;
  supportedVersions: string[];
  extensionsReported: boolean;
  extensionTypes: number[];
  sniExtensionPresent: boolean;
  echExtensionPresent: boolean;
}

/** A ClientHello or ServerHello found in a capture. */
export interface MessageFixture {
  /** Frame holding the end of the record that completes the message (where tshark reports it). */
  frame: number;
  stream: number;
  srcPort: number;
  dstPort: number;
  /** tshark's SNI for a ClientHello, null otherwise. */
  sni: string | null;
  /**
   * Hex of the records that carry the message, from the first one to the last one (for an
   * SSLv2-format hello, its record).
   */
  data: string;
  /** tshark's answer for this ClientHello, when tshark lists one in the same frame. */
  expected?: ExpectedHello;
}

/** A TCP segment with payload, in capture order. */
export interface SegmentFixture {
  frame: number;
  stream: number;
  srcPort: number;
  dstPort: number;
  /** Relative to the direction's initial sequence number (0 for the SYN), signed. */
  seq: number;
  payload: string;
}

/** A ClientHello as tshark lists it in expected/<capture>.json. */
export interface TsharkHello {
  frame: number;
  segmentFrames: number[];
  stream: number;
  srcPort: number;
  sni: string | null;
}

/** One entry of FoxIO's snapshot upstream-expected/ja4/ja4__insta@<name>.snap. */
export interface UpstreamJa4 {
  stream: number;
  transport: string;
  srcPort: number;
  dstPort: number;
  sni?: string;
  ja4: string;
}

export interface CorpusCapture {
  capture: string;
  segments: SegmentFixture[];
  clientHellos: MessageFixture[];
  serverHellos: MessageFixture[];
  /** tshark's TCP ClientHellos. */
  tsharkHellos: TsharkHello[];
  /** FoxIO's snapshot entries, null when the corpus has no snapshot for the capture. */
  upstreamJa4: UpstreamJa4[] | null;
}

interface RawSegment {
  frame: number;
  stream: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  payload: Buffer;
}

interface ExpectedClientHelloJson {
  frame: number;
  segment_frames: number[];
  transport: string;
  tcp_stream?: number;
  src_port: number;
  sslv2_record: boolean;
  record_version: string;
  handshake_version: string;
  supported_versions: string[];
  extensions_reported: boolean;
  extension_types: number[];
  sni: string | null;
  sni_extension_present: boolean;
  ech_extension_present: boolean;
}

interface ExpectedJson {
  client_hellos: ExpectedClientHelloJson[];
}

const cache = new Map<string, Promise<CorpusCapture>>();

/** Loads (once per test file) a capture of the corpus by its name in captures/. */
export function loadCapture(capture: string): Promise<CorpusCapture> {
  let loaded = cache.get(capture);
  if (loaded === undefined) {
    loaded = load(capture);
    cache.set(capture, loaded);
  }
  return loaded;
}

async function load(capture: string): Promise<CorpusCapture> {
  if (!existsSync(corpusPath('captures/'))) {
    throw new Error(`the shared corpus is missing: expected ${corpusPath('')} next to the repository`);
  }
  const raw = await tcpSegments(corpusPath(`captures/${capture}`));
  const expectedHellos = (JSON.parse(readFileSync(corpusPath(`expected/${capture}.json`), 'utf8')) as ExpectedJson).client_hellos.filter(
    (h) => h.transport === 'tcp',
  );
  const found = findHellos(raw);
  const clientHellos = attachExpected(found.filter((m) => m.type === 1), expectedHellos);
  const serverHellos = found.filter((m) => m.type === 2).map(({ type: _type, ...m }) => m);
  return {
    capture,
    segments: raw.map(({ payload, ...s }) => ({ ...s, payload: payload.toString('hex') })),
    clientHellos,
    serverHellos,
    tsharkHellos: expectedHellos.map((h) => ({
      frame: h.frame,
      segmentFrames: h.segment_frames,
      stream: h.tcp_stream ?? -1,
      srcPort: h.src_port,
      sni: h.sni,
    })),
    upstreamJa4: upstreamJa4(capture),
  };
}

/**
 * Every TCP segment with payload. Connections are numbered by the first appearance of their
 * address and port pair, as Wireshark numbers tcp.stream (which also counts the TCP headers
 * quoted in ICMP errors). Sequence numbers are relative as Wireshark shows them: the first
 * payload byte after the SYN, or of the first segment seen when there was no SYN, is 1.
 */
async function tcpSegments(path: string): Promise<RawSegment[]> {
  const network = createNetworkDecoder();
  const streams = new Map<string, number>();
  const bases = new Map<string, number>();
  const segments: RawSegment[] = [];
  const streamOf = (src: string, dst: string): number => {
    const connection = src < dst ? `${src} ${dst}` : `${dst} ${src}`;
    let stream = streams.get(connection);
    if (stream === undefined) {
      stream = streams.size;
      streams.set(connection, stream);
    }
    return stream;
  };
  const summary = await readCapture(path, {
    record(record) {
      const packet = network.decode(record.linkType, record.data, record.time);
      if (isSkip(packet)) return;
      const buf = packet.data;
      if (packet.protocol === 1 || packet.protocol === 58) {
        const quoted = quotedTcp(buf, packet.payloadOffset, packet.payloadEnd, packet.protocol === 58);
        if (quoted !== null) streamOf(quoted.src, quoted.dst);
        return;
      }
      if (packet.protocol !== 6) return;
      const tcp = decodeTcp(buf, packet.payloadOffset, packet.payloadEnd, packet.payloadLength);
      if (isTcpError(tcp)) return;
      const size = packet.version === 4 ? 4 : 16;
      const src = `${buf.toString('hex', packet.srcOffset, packet.srcOffset + size)}/${tcp.srcPort}`;
      const dst = `${buf.toString('hex', packet.dstOffset, packet.dstOffset + size)}/${tcp.dstPort}`;
      const stream = streamOf(src, dst);
      const syn = (tcp.flags & SYN) !== 0;
      const side = `${stream} ${src}`;
      let base = bases.get(side);
      if (base === undefined) {
        base = syn ? tcp.seq : (tcp.seq - 1) >>> 0;
        bases.set(side, base);
      }
      if (tcp.payloadEnd <= tcp.payloadOffset) return;
      segments.push({
        frame: record.frame,
        stream,
        srcPort: tcp.srcPort,
        dstPort: tcp.dstPort,
        // Sequence number of the first payload byte (a SYN takes one before it).
        seq: seqDiff(base, tcp.seq) + (syn ? 1 : 0),
        payload: Buffer.from(buf.subarray(tcp.payloadOffset, tcp.payloadEnd)),
      });
    },
  });
  if (summary.packets === 0) throw new Error(`${path}: no packets read${summary.error !== null ? ` (${summary.error})` : ''}`);
  return segments;
}

/** The address and port pair of a TCP header quoted in an ICMP or ICMPv6 error message. */
function quotedTcp(buf: Buffer, offset: number, end: number, v6: boolean): { src: string; dst: string } | null {
  const type = buf[offset];
  const error = v6 ? type !== undefined && type >= 1 && type <= 4 : type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
  if (!error) return null;
  const ip = offset + 8;
  if (ip >= end) return null;
  const version = buf[ip]! >> 4;
  let tcp: number;
  let size: number;
  if (version === 4) {
    if (buf[ip + 9] !== 6) return null;
    tcp = ip + (buf[ip]! & 0x0f) * 4;
    size = 4;
  } else if (version === 6) {
    if (buf[ip + 6] !== 6) return null;
    tcp = ip + 40;
    size = 16;
  } else return null;
  if (tcp + 4 > end) return null;
  const srcOffset = version === 4 ? ip + 12 : ip + 8;
  const dstOffset = srcOffset + size;
  return {
    src: `${buf.toString('hex', srcOffset, srcOffset + size)}/${buf.readUInt16BE(tcp)}`,
    dst: `${buf.toString('hex', dstOffset, dstOffset + size)}/${buf.readUInt16BE(tcp + 2)}`,
  };
}

interface FoundMessage {
  type: number;
  frame: number;
  stream: number;
  srcPort: number;
  dstPort: number;
  sni: null;
  data: string;
}

/** One direction of a connection: the bytes from its first sequence number up to the first hole. */
interface Direction {
  stream: number;
  srcPort: number;
  dstPort: number;
  bytes: Buffer;
  /** Start offset and frame of each piece of `bytes`, in order. */
  pieces: Array<{ start: number; frame: number }>;
}

function directions(segments: RawSegment[]): Direction[] {
  const groups = new Map<string, RawSegment[]>();
  for (const s of segments) {
    const key = `${s.stream}/${s.srcPort}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [s]);
    else group.push(s);
  }
  const out: Direction[] = [];
  for (const group of groups.values()) {
    // Stable sort: of two copies of the same bytes, the earlier one in the capture wins.
    const sorted = [...group].sort((a, b) => a.seq - b.seq);
    const parts: Buffer[] = [];
    const pieces: Direction['pieces'] = [];
    let next = sorted[0]!.seq;
    let length = 0;
    for (const s of sorted) {
      if (s.seq > next) break; // a hole: nothing after it is contiguous
      if (s.seq + s.payload.length <= next) continue;
      const bytes = s.payload.subarray(next - s.seq);
      pieces.push({ start: length, frame: s.frame });
      parts.push(bytes);
      length += bytes.length;
      next += bytes.length;
    }
    const { stream, srcPort, dstPort } = sorted[0]!;
    out.push({ stream, srcPort, dstPort, bytes: Buffer.concat(parts), pieces });
  }
  return out;
}

function frameAt(direction: Direction, offset: number): number {
  let frame = direction.pieces[0]!.frame;
  for (const piece of direction.pieces) {
    if (piece.start > offset) break;
    frame = piece.frame;
  }
  return frame;
}

function isSslv2Hello(b: Buffer, at: number): boolean {
  return b.length - at >= 5 && (b[at]! & 0x80) !== 0 && b[at + 2] === 1 && (b[at + 3] === 0 || b[at + 3] === 3);
}

/** A handshake record header followed by a ClientHello or ServerHello header. */
function isHelloRecord(b: Buffer, at: number): boolean {
  return b.length - at >= 6 && b[at] === 22 && b[at + 1] === 3 && b[at + 2]! <= 4 && (b[at + 5] === 1 || b[at + 5] === 2);
}

/** The plaintext start of a hello message in a handshake record payload (type, length, version 3.x). */
function startsPlainHello(payload: Buffer): boolean {
  return payload.length >= 6 && (payload[0] === 1 || payload[0] === 2) && payload[4] === 3 && payload[5]! <= 4;
}

/**
 * ClientHellos and ServerHellos found by walking the TLS records of each direction: TLS starts at
 * an SSLv2-format hello at the start of the direction, or at the first handshake record holding a
 * hello (after any plaintext preamble); the walk stops at application data, at an encrypted
 * handshake record after a ChangeCipherSpec, or at anything that is not a record.
 */
function findHellos(segments: RawSegment[]): FoundMessage[] {
  const found: Array<FoundMessage & { order: number }> = [];
  for (const d of directions(segments)) {
    const b = d.bytes;
    const add = (type: number, from: number, to: number): void => {
      found.push({
        type,
        frame: frameAt(d, to - 1),
        stream: d.stream,
        srcPort: d.srcPort,
        dstPort: d.dstPort,
        sni: null,
        data: b.toString('hex', from, to),
        order: from,
      });
    };
    let p = 0;
    if (isSslv2Hello(b, 0)) {
      const length = (((b[0]! & 0x7f) << 8) | b[1]!) + 2;
      if (length > b.length) continue;
      add(1, 0, length);
      p = length;
    } else {
      while (p < b.length && !isHelloRecord(b, p)) p++;
    }
    // Handshake records: stream offsets, offset of their payload in the handshake bytes, and
    // whether a message starts at their payload.
    const records: Array<{ start: number; end: number; at: number; boundary: boolean }> = [];
    let handshake = Buffer.alloc(0);
    let message = 0; // start of the next message in the handshake bytes
    let afterChangeCipherSpec = false;
    while (p + 5 <= b.length && b[p + 1] === 3) {
      const type = b[p]!;
      const end = p + 5 + b.readUInt16BE(p + 3);
      if (end > b.length) break;
      const payload = b.subarray(p + 5, end);
      if (type === 20) afterChangeCipherSpec = true;
      else if (type === 22) {
        const boundary = message === handshake.length;
        if (afterChangeCipherSpec && !(boundary && startsPlainHello(payload))) break;
        afterChangeCipherSpec = false;
        records.push({ start: p, end, at: handshake.length, boundary });
        handshake = Buffer.concat([handshake, payload]);
        while (message + 4 <= handshake.length) {
          const length = handshake.readUIntBE(message + 1, 3);
          const messageEnd = message + 4 + length;
          if (messageEnd > handshake.length) break;
          const msgType = handshake[message]!;
          if (msgType === 1 || msgType === 2) {
            const first = records.filter((r) => r.at <= message && r.boundary).pop()!;
            const last = records.find((r) => r.at + (r.end - r.start - 5) >= messageEnd)!;
            add(msgType, first.start, last.end);
          }
          message = messageEnd;
        }
      } else if (type !== 21) break;
      p = end;
    }
  }
  found.sort((a, b) => a.frame - b.frame || a.stream - b.stream || a.order - b.order);
  return found.map(({ order: _order, ...m }) => m);
}

/** Pairs ClientHellos with tshark's answers: the i-th hello of a frame with tshark's i-th of it. */
function attachExpected(hellos: FoundMessage[], expected: ExpectedClientHelloJson[]): MessageFixture[] {
  const used = new Map<number, number>();
  return hellos.map(({ type: _type, ...hello }) => {
    const rank = used.get(hello.frame) ?? 0;
    used.set(hello.frame, rank + 1);
    const answer = expected.filter((h) => h.frame === hello.frame)[rank];
    if (answer === undefined) return hello;
    return {
      ...hello,
      sni: answer.sni,
      expected: {
        sni: answer.sni,
        sslv2Record: answer.sslv2_record,
        recordVersion: answer.record_version,
        handshakeVersion: answer.handshake_version,
        supportedVersions: answer.supported_versions,
        extensionsReported: answer.extensions_reported,
        extensionTypes: answer.extension_types,
        sniExtensionPresent: answer.sni_extension_present,
        echExtensionPresent: answer.ech_extension_present,
      },
    };
  });
}

/** Parses FoxIO's insta snapshot for a ja4 capture (entries with a JA4 only). */
function upstreamJa4(capture: string): UpstreamJa4[] | null {
  const path = corpusPath(`upstream-expected/ja4/ja4__insta@${capture.replace(/^ja4__/, '')}.snap`);
  if (!capture.startsWith('ja4__') || !existsSync(path)) return null;
  const entries: Array<Partial<UpstreamJa4>> = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const start = /^- stream: (\d+)$/.exec(line);
    if (start) {
      entries.push({ stream: Number(start[1]) });
      continue;
    }
    const current = entries[entries.length - 1];
    const field = /^ {2}(transport|src_port|dst_port|tls_server_name|ja4): (.*)$/.exec(line);
    if (current === undefined || !field) continue;
    const value = field[2]!;
    switch (field[1]) {
      case 'transport':
        current.transport = value;
        break;
      case 'src_port':
        current.srcPort = Number(value);
        break;
      case 'dst_port':
        current.dstPort = Number(value);
        break;
      case 'tls_server_name':
        current.sni = value;
        break;
      case 'ja4':
        current.ja4 = value;
        break;
    }
  }
  const out: UpstreamJa4[] = [];
  for (const e of entries) {
    const { stream, transport, srcPort, dstPort, sni, ja4 } = e;
    if (stream === undefined || transport === undefined || srcPort === undefined || dstPort === undefined || ja4 === undefined) continue;
    out.push({ stream, transport, srcPort, dstPort, ...(sni !== undefined ? { sni } : {}), ja4 });
  }
  return out;
}
