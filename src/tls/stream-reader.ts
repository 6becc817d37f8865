/**
 * Reads one direction of a TCP connection as TLS: finds the records by content, reassembles
 * records across pushes and handshake messages across records, and reports ClientHello,
 * ServerHello and plaintext Alert messages.
 *
 * Memory: a record that straddles pushes is copied into a carry buffer (at most one record,
 * about 18 KiB); a ClientHello or ServerHello that spans records is copied until complete (at
 * most `maxHandshakeBytes`); other handshake messages are skipped without being kept; while
 * looking for TLS after a plaintext preamble, only the last few unresolved bytes are kept.
 * A record that lies whole inside a push is decoded straight from the pushed buffer. The readers
 * of a capture share a limit on what they hold together (`held`, `maxHeldBytes`, each copy
 * counting HELD_COPY_COST more than its bytes): a reader whose copy would pass it reports what
 * arrived of its ClientHello, cut short, and reads no more.
 */
import { u16, u24 } from './bytes.js';
import { decodeAlertRecord } from './alert.js';
import { decodeClientHello } from './client-hello.js';
import {
  CONTENT_ALERT,
  CONTENT_APPLICATION_DATA,
  CONTENT_CHANGE_CIPHER_SPEC,
  CONTENT_HANDSHAKE,
  HANDSHAKE_CLIENT_HELLO,
  HANDSHAKE_HEADER_LENGTH,
  HANDSHAKE_PROBE_LENGTH,
  HANDSHAKE_SERVER_HELLO,
  RECORD_HEADER_LENGTH,
  handshakeRecordAt,
  readRecordHeader,
  startsWithTls,
} from './record.js';
import { decodeServerHello } from './server-hello.js';
import { decodeSslv2ClientHello } from './sslv2.js';
import type { Position, TlsEvents, TlsStreamReader } from './types.js';

export interface TlsStreamReaderLimits {
  /** Largest ClientHello/ServerHello body that is reassembled (default 256 KiB). */
  maxHandshakeBytes?: number;
  /** How far into a stream that does not start with TLS to look for a hello record (default 16 KiB). */
  maxPrefixScanBytes?: number;
  /** What the readers that share it hold together (default: a count of this reader's own). */
  held?: HeldBytes;
  /** Most bytes the readers sharing `held` may hold together (default 16 MiB). */
  maxHeldBytes?: number;
}

/**
 * Bytes held by the readers that share it (records and hellos that span pushes, copied), and how
 * many readers gave up a handshake because holding more would have passed their limit.
 */
export interface HeldBytes {
  bytes: number;
  givenUp: number;
}

export const DEFAULT_MAX_HANDSHAKE_BYTES = 256 * 1024;
export const DEFAULT_MAX_PREFIX_SCAN_BYTES = 16 * 1024;
export const DEFAULT_MAX_HELD_BYTES = 16 * 1024 * 1024;

/**
 * What keeping a copy costs besides its bytes (its Buffer, its place in a list), counted in
 * `held`: a hello sent in one-byte records holds no more memory than the limit says.
 */
export const HELD_COPY_COST = 256;

/** How a ClientHello cut short by the readers' shared limit is described ("truncated by ..."). */
export const HELD_LIMIT_CUT = 'the limit on bytes held for handshakes';

const SSLV2_HEADER_LENGTH = 2;
/** Smallest hello body accepted after a ChangeCipherSpec (a ServerHello). */
const MIN_HELLO_AFTER_CCS = 38;
/** legacy_version of every TLS 1.3 hello, the only kind that follows a ChangeCipherSpec in plaintext. */
const TLS12_VERSION = 0x0303;

/** A handshake message that spans records. */
interface PendingMessage {
  type: number;
  length: number;
  recordVersion: number;
  firstFrame: number;
  remaining: number;
  /** Copies of the body so far, for a ClientHello or ServerHello; null for a message that is skipped. */
  parts: Buffer[] | null;
  /** What the copies count in the readers' `held`. */
  charged: number;
}

/** No frames: what `tail` carries while there is none (shared, never written). */
const NO_FRAMES: readonly number[] = Object.freeze([]);

export function createTlsStreamReader(events: TlsEvents, limits: TlsStreamReaderLimits = {}): TlsStreamReader {
  return new StreamReader(events, limits);
}

class StreamReader implements TlsStreamReader {
  private readonly maxHandshake: number;
  private readonly maxScan: number;
  private readonly held: HeldBytes;
  private readonly maxHeld: number;
  /** Bytes this reader counts in `held`: its carry, and the copies of a hello that spans records. */
  private holding = 0;
  /**
   * Why reading ends, while what arrived of a hello is reported (at a gap, the end, or the limit
   * on held bytes): that prefix is read in place, and nothing more is counted or refused.
   */
  private cutBy: string | null = null;

  private mode: 'scan' | 'records' | 'done' = 'scan';
  private kind: TlsStreamReader['state'] = 'unknown';
  private frame = 0;
  private time = 0;
  /**
   * The newest frame pushed so far, and its time. Bytes the stream stage held back (out of order)
   * are pushed after the frame that filled the gap before them, with their own older frame: a
   * message they complete became complete in the newest frame, where Wireshark shows it too.
   */
  private latestFrame = 0;
  private latestTime = 0;

  // Looking for the start of TLS.
  /** Stream offset of the next pushed byte while scanning. */
  private scanOffset = 0;
  /** False once a gap makes stream offsets meaningless: the stream start is no longer known. */
  private startKnown = true;
  /** Unresolved bytes at the end of the scanned data (a copy), starting at stream offset `tailOffset`. */
  private tail: Buffer | null = null;
  private tailOffset = 0;
  /** The frame that carried each byte of `tail`. */
  private tailFrames: readonly number[] = NO_FRAMES;

  // Record layer.
  /** The next record is an SSLv2-format ClientHello (2-byte header). */
  private expectSslv2 = false;
  /** Header bytes of a record that straddles pushes, while the header itself is incomplete. */
  private head: Buffer | null = null;
  private headLength = 0;
  /** A record that straddles pushes, once its size is known. */
  private carry: Buffer | null = null;
  private carryLength = 0;
  private carryFirstFrame = 0;

  // Handshake layer.
  private handshakeHeader: Buffer | null = null;
  private handshakeHeaderLength = 0;
  private handshakeHeaderFirstFrame = 0;
  private handshakeHeaderRecordVersion = 0;
  private message: PendingMessage | null = null;
  private afterChangeCipherSpec = false;

  constructor(
    private readonly events: TlsEvents,
    limits: TlsStreamReaderLimits,
  ) {
    this.maxHandshake = limits.maxHandshakeBytes ?? DEFAULT_MAX_HANDSHAKE_BYTES;
    this.maxScan = limits.maxPrefixScanBytes ?? DEFAULT_MAX_PREFIX_SCAN_BYTES;
    this.held = limits.held ?? { bytes: 0, givenUp: 0 };
    this.maxHeld = limits.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES;
  }

  get done(): boolean {
    return this.mode === 'done';
  }

  get state(): TlsStreamReader['state'] {
    return this.kind;
  }

  push(bytes: Buffer, frame: number, time: number): void {
    if (this.mode === 'done' || bytes.length === 0) return;
    this.frame = frame;
    this.time = time;
    if (frame >= this.latestFrame) {
      this.latestFrame = frame;
      this.latestTime = time;
    }
    if (this.mode === 'scan') this.scan(bytes);
    else this.records(bytes, 0);
  }

  gap(cause: 'lost' | 'snaplen'): void {
    if (this.mode === 'done') return;
    if (this.mode === 'scan') {
      // Still looking for TLS: drop the unresolved bytes and keep looking, strictly.
      this.tail = null;
      this.tailFrames = NO_FRAMES;
      this.startKnown = false;
      return;
    }
    this.flushPartial(cause === 'snaplen' ? 'the snap length' : 'a lost segment');
    this.finish();
  }

  /**
   * A ClientHello cut short here is reported at the last frame that carried its bytes (where its
   * prefix is), so `frame` and `time` are not needed for the position.
   */
  end(_frame: number, _time: number): void {
    if (this.mode === 'done') return;
    if (this.mode === 'scan') this.kind = 'not-tls';
    else this.flushPartial('the end of the stream');
    this.finish();
  }

  stop(): void {
    this.finish();
  }

  private finish(): void {
    this.held.bytes -= this.holding;
    this.holding = 0;
    this.mode = 'done';
    this.tail = null;
    this.tailFrames = NO_FRAMES;
    this.carry = null;
    this.carryLength = 0;
    this.headLength = 0;
    this.handshakeHeaderLength = 0;
    this.message = null;
  }

  private position(firstFrame: number): Position {
    return { frame: this.latestFrame, firstFrame, time: this.latestTime };
  }

  // ---- finding TLS ----

  private probe(buf: Buffer, index: number, streamOffset: number): 'yes' | 'sslv2' | 'no' | 'more' {
    if (streamOffset === 0 && this.startKnown) return startsWithTls(buf, index, buf.length);
    return handshakeRecordAt(buf, index, buf.length);
  }

  private begin(verdict: 'yes' | 'sslv2'): void {
    this.mode = 'records';
    this.kind = verdict === 'sslv2' ? 'sslv2' : 'tls';
    this.expectSslv2 = verdict === 'sslv2';
  }

  private notTls(): void {
    this.kind = 'not-tls';
    this.finish();
  }

  private keepTail(source: Buffer, from: number, streamOffset: number, frames: number[]): void {
    this.tail = Buffer.from(source.subarray(from));
    this.tailOffset = streamOffset;
    while (frames.length < this.tail.length) frames.push(this.frame);
    this.tailFrames = frames;
  }

  private scan(bytes: Buffer): void {
    const tail = this.tail;
    const tailFrames = this.tailFrames;
    if (tail !== null) {
      this.tail = null;
      this.tailFrames = NO_FRAMES;
      // Candidates that start in the unresolved tail: the tail plus enough of this push to decide.
      const joined = Buffer.concat([tail, bytes.subarray(0, HANDSHAKE_PROBE_LENGTH)]);
      for (let j = 0; j < tail.length; j++) {
        const streamOffset = this.tailOffset + j;
        if (streamOffset > 0 && streamOffset >= this.maxScan) return this.notTls();
        const verdict = this.probe(joined, j, streamOffset);
        if (verdict === 'no') continue;
        if (verdict === 'more') {
          // Only possible when this push is shorter than a probe: `joined` holds all of it.
          this.keepTail(joined, j, streamOffset, tailFrames.slice(j));
          this.scanOffset += bytes.length;
          return;
        }
        this.begin(verdict);
        // The tail is shorter than a probe, so it holds only the start of the first record.
        this.records(tail.subarray(j), 0, tailFrames[j] ?? this.frame);
        if (this.mode === 'records') this.records(bytes, 0);
        return;
      }
    }
    const start = this.scanOffset;
    let i = start === 0 && this.startKnown ? 0 : bytes.indexOf(0x16);
    while (i >= 0 && i < bytes.length) {
      const streamOffset = start + i;
      if (streamOffset > 0 && streamOffset >= this.maxScan) return this.notTls();
      const verdict = this.probe(bytes, i, streamOffset);
      if (verdict === 'more') {
        this.keepTail(bytes, i, streamOffset, []);
        this.scanOffset += bytes.length;
        return;
      }
      if (verdict !== 'no') {
        this.begin(verdict);
        this.records(bytes, i);
        return;
      }
      i = bytes.indexOf(0x16, i + 1);
    }
    this.scanOffset += bytes.length;
    if (this.scanOffset >= this.maxScan) this.notTls();
  }

  // ---- records ----

  private headerLength(): number {
    return this.expectSslv2 ? SSLV2_HEADER_LENGTH : RECORD_HEADER_LENGTH;
  }

  /** Size of the record whose header is at buf[offset] (header included), or -1 when the header is not sane. */
  private recordSize(buf: Buffer, offset: number, end: number): number {
    if (this.expectSslv2) return SSLV2_HEADER_LENGTH + (u16(buf, offset) & 0x7fff);
    const header = readRecordHeader(buf, offset, end);
    return header === null ? -1 : RECORD_HEADER_LENGTH + header.length;
  }

  /** Records in bytes[from...]; `firstFrame` is the frame that carried bytes[from] (the current one unless replaying a tail). */
  private records(bytes: Buffer, from: number, firstFrame: number = this.frame): void {
    const n = bytes.length;
    let i = from;
    while (i < n && this.mode === 'records') {
      if (this.headLength > 0 || this.carry !== null) {
        i = this.appendCarry(bytes, i);
        continue;
      }
      const frame = i === from ? firstFrame : this.frame;
      if (n - i < this.headerLength()) {
        this.carryFirstFrame = frame;
        i = this.appendCarry(bytes, i);
        continue;
      }
      const size = this.recordSize(bytes, i, n);
      if (size < 0) return this.finish();
      if (n - i >= size) {
        this.record(bytes, i, i + size, frame);
        i += size;
      } else {
        this.carryFirstFrame = frame;
        i = this.appendCarry(bytes, i);
      }
    }
  }

  /** Copies bytes of a record that straddles pushes; processes the record once whole. Returns the new index. */
  private appendCarry(bytes: Buffer, from: number): number {
    const n = bytes.length;
    let i = from;
    if (this.carry === null) {
      const headerLength = this.headerLength();
      const take = Math.min(headerLength - this.headLength, n - i);
      // Allocated when first needed: most readers never see a header split between pushes.
      const head = (this.head ??= Buffer.alloc(RECORD_HEADER_LENGTH));
      bytes.copy(head, this.headLength, i, i + take);
      this.headLength += take;
      i += take;
      if (this.headLength < headerLength) return i;
      const size = this.recordSize(head, 0, headerLength);
      this.headLength = 0;
      if (size < 0) {
        this.finish();
        return n;
      }
      if (!this.hold(size + HELD_COPY_COST)) {
        // What arrived of the record is all that will be read of it: seen in place when this push
        // holds its header, else copied.
        const rest = bytes.subarray(i, Math.min(n, i + size - headerLength));
        this.carry = take === headerLength ? bytes.subarray(from, i + rest.length) : Buffer.concat([head.subarray(0, headerLength), rest]);
        this.carryLength = this.carry.length;
        this.giveUp();
        return n;
      }
      this.carry = Buffer.allocUnsafe(size);
      head.copy(this.carry, 0, 0, headerLength);
      this.carryLength = headerLength;
    }
    const carry = this.carry;
    const take = Math.min(carry.length - this.carryLength, n - i);
    bytes.copy(carry, this.carryLength, i, i + take);
    this.carryLength += take;
    i += take;
    if (this.carryLength === carry.length) {
      this.carry = null;
      this.carryLength = 0;
      this.release(carry.length + HELD_COPY_COST);
      this.record(carry, 0, carry.length, this.carryFirstFrame);
    }
    return i;
  }

  /** One whole record in buf[start, end), header included. */
  private record(buf: Buffer, start: number, end: number, firstFrame: number): void {
    if (this.expectSslv2) {
      this.expectSslv2 = false;
      this.events.clientHello(decodeSslv2ClientHello(buf, start, end), this.position(firstFrame));
      return;
    }
    const type = buf[start]!;
    const payload = start + RECORD_HEADER_LENGTH;
    switch (type) {
      case CONTENT_CHANGE_CIPHER_SPEC:
        this.afterChangeCipherSpec = true;
        break;
      case CONTENT_ALERT: {
        const alerts = decodeAlertRecord(buf, payload, end);
        if (alerts === null) break;
        for (const alert of alerts) {
          if (this.mode !== 'records') break;
          this.events.alert(alert, this.position(firstFrame));
        }
        break;
      }
      case CONTENT_HANDSHAKE:
        this.handshake(buf, payload, end, u16(buf, start + 1), firstFrame);
        break;
      case CONTENT_APPLICATION_DATA:
        // Encrypted from here on: nothing more to learn.
        this.finish();
        break;
      default:
        break; // heartbeat
    }
  }

  // ---- handshake messages ----

  /** Handshake bytes buf[p, end) from one record (or the bytes of a partial record at a gap or the end). */
  private handshake(buf: Buffer, from: number, end: number, recordVersion: number, recordFirstFrame: number): void {
    let p = from;
    while (p < end && this.mode === 'records') {
      const pending = this.message;
      if (pending !== null) {
        const take = Math.min(pending.remaining, end - p);
        if (pending.parts !== null) {
          const kept = this.hold(take + HELD_COPY_COST);
          pending.parts.push(Buffer.from(buf.subarray(p, p + take)));
          if (!kept) return this.giveUp();
          pending.charged += take + HELD_COPY_COST;
        }
        pending.remaining -= take;
        p += take;
        if (pending.remaining === 0) {
          this.message = null;
          if (pending.parts !== null) {
            this.release(pending.charged);
            const body = Buffer.concat(pending.parts, pending.length);
            this.emit(pending.type, body, 0, body.length, pending.recordVersion, pending.firstFrame);
          }
        }
        continue;
      }

      let type: number;
      let length: number;
      let firstFrame: number;
      let version: number;
      if (this.handshakeHeaderLength > 0 || end - p < HANDSHAKE_HEADER_LENGTH) {
        if (this.handshakeHeaderLength === 0) {
          this.handshakeHeaderFirstFrame = recordFirstFrame;
          this.handshakeHeaderRecordVersion = recordVersion;
        }
        const take = Math.min(HANDSHAKE_HEADER_LENGTH - this.handshakeHeaderLength, end - p);
        const header = (this.handshakeHeader ??= Buffer.alloc(HANDSHAKE_HEADER_LENGTH));
        buf.copy(header, this.handshakeHeaderLength, p, p + take);
        this.handshakeHeaderLength += take;
        p += take;
        if (this.handshakeHeaderLength < HANDSHAKE_HEADER_LENGTH) return;
        this.handshakeHeaderLength = 0;
        type = header[0]!;
        length = u24(header, 1);
        firstFrame = this.handshakeHeaderFirstFrame;
        version = this.handshakeHeaderRecordVersion;
      } else {
        type = buf[p]!;
        length = u24(buf, p + 1);
        p += HANDSHAKE_HEADER_LENGTH;
        firstFrame = recordFirstFrame;
        version = recordVersion;
      }

      const hello = type === HANDSHAKE_CLIENT_HELLO || type === HANDSHAKE_SERVER_HELLO;
      if (this.afterChangeCipherSpec && !this.plaintextHelloAfterCcs(hello, length, buf, p, end)) {
        // A TLS 1.2 Finished or other encrypted handshake record.
        return this.finish();
      }
      if (!hello) {
        const skip = Math.min(length, end - p);
        p += skip;
        if (skip < length) {
          this.message = { type, length, recordVersion: version, firstFrame, remaining: length - skip, parts: null, charged: 0 };
        }
        continue;
      }
      if (length > this.maxHandshake) {
        if (type === HANDSHAKE_CLIENT_HELLO) {
          const prefix = decodeClientHello(buf, p, end, false, { recordVersion: version, declaredLength: length });
          prefix.malformed = `handshake length ${length} exceeds limit`;
          this.events.clientHello(prefix, this.position(firstFrame));
        }
        return this.finish();
      }
      if (end - p >= length) {
        this.emit(type, buf, p, p + length, version, firstFrame);
        p += length;
        continue;
      }
      if (this.cutBy !== null) {
        // What arrived is all there will be: a ClientHello's prefix is read in place.
        if (type === HANDSHAKE_CLIENT_HELLO) this.reportPrefix(buf, p, end, version, length, firstFrame, this.cutBy);
        return this.finish();
      }
      const kept = this.hold(end - p + HELD_COPY_COST);
      this.message = {
        type,
        length,
        recordVersion: version,
        firstFrame,
        remaining: length - (end - p),
        parts: [Buffer.from(buf.subarray(p, end))],
        charged: kept ? end - p + HELD_COPY_COST : 0,
      };
      if (!kept) return this.giveUp();
      p = end;
    }
  }

  /** Counts `n` more bytes held; false when the readers together would hold more than their limit. */
  private hold(n: number): boolean {
    if (this.cutBy !== null) return true;
    if (this.held.bytes + n > this.maxHeld) return false;
    this.held.bytes += n;
    this.holding += n;
    return true;
  }

  private release(n: number): void {
    if (this.cutBy !== null) return;
    this.held.bytes -= n;
    this.holding -= n;
  }

  /**
   * The readers hold as much as they may: what arrived of a ClientHello (in the carry or the
   * copies of its message) is reported, cut short, and nothing more is read.
   */
  private giveUp(): void {
    this.held.givenUp++;
    this.flushPartial(HELD_LIMIT_CUT);
    this.finish();
  }

  /**
   * After a ChangeCipherSpec, TLS 1.2 and earlier encrypt; TLS 1.3 in middlebox compatibility mode
   * may still send a second ClientHello (after a HelloRetryRequest) or a ServerHello in plaintext.
   */
  private plaintextHelloAfterCcs(hello: boolean, length: number, buf: Buffer, p: number, end: number): boolean {
    return hello && length >= MIN_HELLO_AFTER_CCS && end - p >= 2 && u16(buf, p) === TLS12_VERSION;
  }

  private emit(type: number, buf: Buffer, start: number, end: number, recordVersion: number, firstFrame: number): void {
    if (type === HANDSHAKE_CLIENT_HELLO) {
      this.events.clientHello(decodeClientHello(buf, start, end, true, { recordVersion }), this.position(firstFrame));
    } else {
      const serverHello = decodeServerHello(buf, start, end);
      if (serverHello !== null) this.events.serverHello(serverHello, this.position(firstFrame));
    }
  }

  /** At a gap, the end, or the limit on held bytes: reports a ClientHello of which only a prefix arrived. */
  private flushPartial(cutBy: string): void {
    this.cutBy = cutBy;
    // A record that never became whole: its handshake bytes still count.
    if (this.carry !== null) {
      const carry = this.carry;
      const have = this.carryLength;
      this.carry = null;
      this.carryLength = 0;
      if (this.expectSslv2) {
        this.expectSslv2 = false;
        this.events.clientHello(decodeSslv2ClientHello(carry, 0, have), this.position(this.carryFirstFrame));
      } else if (carry[0] === CONTENT_HANDSHAKE && have > RECORD_HEADER_LENGTH) {
        this.handshake(carry, RECORD_HEADER_LENGTH, have, u16(carry, 1), this.carryFirstFrame);
      }
    }
    const pending = this.message;
    if (this.mode !== 'records' || pending === null || pending.type !== HANDSHAKE_CLIENT_HELLO || pending.parts === null) return;
    this.message = null;
    const prefix = Buffer.concat(pending.parts);
    this.reportPrefix(prefix, 0, prefix.length, pending.recordVersion, pending.length, pending.firstFrame, cutBy);
  }

  /** Reports the ClientHello of which buf[start, end) is all that arrived. */
  private reportPrefix(buf: Buffer, start: number, end: number, recordVersion: number, declaredLength: number, firstFrame: number, cutBy: string): void {
    this.events.clientHello(decodeClientHello(buf, start, end, false, { recordVersion, declaredLength, cutBy }), this.position(firstFrame));
  }
}
