import { randomBytes } from 'node:crypto';
import type { IpPacket } from '../ip/types.js';
import { ACK, FIN, RST, SYN, type TcpSegment } from '../tcp/segment.js';
import { int32le } from './bytes.js';
import { FinishedTuples } from './finished.js';
import { DEFAULT_REASSEMBLY_LIMITS, DirectionStream, type PendingBudget, type ReassemblyLimits } from './reassembler.js';

/** 0: sent by the endpoint that sent the connection's first packet; 1: the other way. */
export type Direction = 0 | 1;

/** A TCP connection as the stream stage sees it: two endpoints, no notion yet of client or server. */
export interface TcpConnection {
  /** Index in order of first packet, like Wireshark's tcp.stream. */
  id: number;
  ipVersion: 4 | 6;
  /**
   * Address bytes (one character per byte, as latin1: 4 for IPv4, 16 for IPv6) and port of the
   * endpoint that sent the first packet (direction 0's sender). Text, not Buffers: a string this
   * short costs a fraction of a Buffer, and tens of thousands of connections are open at once.
   */
  addressA: string;
  portA: number;
  addressB: string;
  portB: number;
  tunnel: string | null;
  /**
   * Packets seen so far, and the frame number and capture time of the last: kept by the stream
   * stage, which hands the observer only the segments it has a use for (see ConnectionObserver).
   */
  readonly packets: number;
  readonly lastFrame: number;
  readonly lastTime: number;
}

/**
 * Where a packet is in the capture: its frame number and capture time. Handed on as an object
 * (the capture record itself) rather than as numbers: a time is never a small integer, and V8
 * makes a heap number of it for every call it is passed to, two million times a gigabyte.
 */
export interface PacketAt {
  readonly frame: number;
  readonly time: number;
}

/** What the next stage sees of a segment's header. */
export interface SegmentHeader {
  readonly flags: number;
  readonly seq: number;
}

/** What the next stage does with one connection's packets and bytes. */
export interface ConnectionObserver {
  /**
   * A segment, before its payload is delivered. Every segment with SYN, FIN or RST set, and every
   * segment with bytes of a direction still wanted; the others (ACKs, bytes no longer wanted) only
   * while the last call answered true. The connection counts every one (`packets`, `lastFrame`).
   */
  segment(dir: Direction, header: SegmentHeader, at: PacketAt): boolean;
  data(dir: Direction, bytes: Buffer, frame: number, time: number): void;
  gap(dir: Direction, cause: 'lost' | 'snaplen'): void;
  /** False once this direction's bytes are of no more use: they are then not reassembled at all. */
  wantsData(dir: Direction): boolean;
  /**
   * True once the connection was reset or both sides sent FIN: it is let go after a short linger.
   * Asked after each segment with FIN or RST set, the only ones that can make it true.
   */
  readonly closing: boolean;
  /** The connection ends: closed, replaced by a new one on the same ports, evicted, or end of capture. */
  close(reason: CloseReason): void;
}

export type CloseReason = 'closed' | 'end-of-capture' | 'port-reuse' | 'evicted';

export interface ConnectionLimits extends ReassemblyLimits {
  /** Connections tracked at once; the least recently started is closed ('evicted') to make room. */
  maxConnections: number;
  /**
   * Capture seconds a reset or finished connection is kept for stragglers (the other side's RST,
   * last ACKs). A connection whose two FINs were both acknowledged is let go at once instead.
   */
  lingerSeconds: number;
  /**
   * Connections kept lingering at once: past it the one closing longest is let go early. At
   * thousands of connections a second, two seconds of linger would otherwise hold tens of thousands.
   */
  maxLingering: number;
  /** Finished connections remembered so that their stragglers do not open new ones. */
  maxRemembered: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  ...DEFAULT_REASSEMBLY_LIMITS,
  maxConnections: 65536,
  lingerSeconds: 2,
  maxLingering: 1024,
  maxRemembered: 65536,
};

export interface ConnectionStats {
  connections: number;
  evicted: number;
  portReuses: number;
  lostGaps: number;
  /** Packets of connections already finished (late ACKs, retransmitted RSTs), not attributed. */
  stragglers: number;
}

/** A connection as the table keeps it: the connection itself, and what the table needs of it. */
interface Entry extends TcpConnection {
  packets: number;
  lastFrame: number;
  lastTime: number;
  hash: number;
  /**
   * Address length, and the first four bytes of each address (as readInt32LE reads them): most
   * packets are matched on these and the ports alone, without reaching for the address text.
   */
  addressLength: number;
  wordA: number;
  wordB: number;
  observer: ConnectionObserver;
  streams: [DirectionStream, DirectionStream];
  /** The observer's last answer to `segment`: it wants segments it would have no use for otherwise. */
  everySegment: boolean;
  /** Bit `dir` set while the observer wants direction `dir`'s bytes, as it last said. */
  reading: number;
  /** Capture time at which it started closing, -1 while open. */
  closingSince: number;
  /**
   * The acknowledgment number that acknowledges direction 0's FIN, and direction 1's (its
   * sequence number plus one), -1 until that FIN is seen.
   */
  finAck0: number;
  finAck1: number;
  /** Bit `dir` set once the FIN of direction `dir` was acknowledged by the other side. */
  finsAcked: number;
  retired: boolean;
}

/**
 * The per-connection byte-stream stage: keys TCP segments by their 4-tuple, tells a new
 * connection on reused ports by its SYN, and rebuilds each direction's byte stream for the
 * observer the next stage opens per connection.
 *
 * Connections are found by a hash of the 4-tuple that does not depend on direction, then by
 * comparing address bytes and ports, so no key is built per packet.
 */
export class ConnectionTable {
  private readonly buckets = new Map<number, Entry | Entry[]>();
  private live = 0;
  /** Connections in order of creation (retired ones are skipped), for eviction. */
  private created: Entry[] = [];
  private createdHead = 0;
  /** Connections closing, oldest first. */
  private closing: Entry[] = [];
  private closingHead = 0;
  /** 4-tuples of the last maxRemembered connections that closed. */
  private readonly finished: FinishedTuples;
  private nextId = 0;
  readonly stats: ConnectionStats = { connections: 0, evicted: 0, portReuses: 0, lostGaps: 0, stragglers: 0 };
  private readonly limits: ConnectionLimits;
  /** Out-of-order bytes all the connections hold (see maxPendingBytesTotal). */
  private readonly pending: PendingBudget = { bytes: 0 };

  constructor(
    private readonly open: (conn: TcpConnection) => ConnectionObserver,
    limits: Partial<ConnectionLimits> = {},
  ) {
    this.limits = { ...DEFAULT_CONNECTION_LIMITS, ...limits };
    this.finished = new FinishedTuples(this.limits.maxRemembered);
  }

  segment(ip: IpPacket, tcp: TcpSegment, at: PacketAt): void {
    const time = at.time;
    const { data } = ip;
    const addrLen = ip.version === 4 ? 4 : 16;
    const hash = tupleHash(data, ip.srcOffset, ip.dstOffset, addrLen, tcp.srcPort, tcp.dstPort, SEED);
    if (this.closingHead < this.closing.length) this.letGo(at);

    let entry: Entry | undefined;
    let dir: Direction = 0;
    const bucket = this.buckets.get(hash);
    if (bucket !== undefined) {
      if (Array.isArray(bucket)) {
        for (const e of bucket) {
          const d = matchDirection(e, data, ip.srcOffset, ip.dstOffset, addrLen, tcp.srcPort, tcp.dstPort);
          if (d >= 0) {
            entry = e;
            dir = d as Direction;
            break;
          }
        }
      } else {
        const d = matchDirection(bucket, data, ip.srcOffset, ip.dstOffset, addrLen, tcp.srcPort, tcp.dstPort);
        if (d >= 0) {
          entry = bucket;
          dir = d as Direction;
        }
      }
    }

    const synOnly = (tcp.flags & (SYN | ACK | RST)) === SYN;
    if (entry !== undefined && synOnly && startsNewConnection(entry, dir, tcp.seq)) {
      this.stats.portReuses++;
      this.retire(entry, 'port-reuse');
      entry = undefined;
    }
    if (entry === undefined) {
      if (this.finished.has(hash, data, ip.srcOffset, ip.dstOffset, addrLen, tcp.srcPort, tcp.dstPort)) {
        if (!synOnly) {
          this.stats.stragglers++;
          return;
        }
        this.finished.forget(hash);
      }
      entry = this.create(hash, ip, tcp, addrLen);
      dir = 0;
    }

    entry.packets++;
    entry.lastFrame = at.frame;
    entry.lastTime = time;
    const flags = tcp.flags;
    if ((flags & (SYN | FIN | RST)) === 0 && !entry.everySegment && (tcp.payloadLength === 0 || (entry.reading & (1 << dir)) === 0)) {
      // Of no use to the observer: an ACK, or bytes of a direction no longer read. Most packets
      // of a capture end here, without reaching for the observer or the byte streams.
      if ((flags & ACK) !== 0 && (entry.finAck0 >= 0 || entry.finAck1 >= 0) && this.closedCleanly(entry, dir, tcp)) this.closeCleanly(entry);
      return;
    }
    const observer = entry.observer;
    entry.everySegment = observer.segment(dir, tcp, at);
    if (flags & SYN) {
      entry.streams[dir].syn(tcp.seq);
      if (flags & ACK) entry.streams[dir === 0 ? 1 : 0].expect(tcp.ack);
    }
    if (tcp.payloadLength > 0 && !(flags & RST) && observer.wantsData(dir)) {
      entry.streams[dir].segment((flags & SYN ? tcp.seq + 1 : tcp.seq) >>> 0, data, tcp.payloadOffset, tcp.payloadEnd, tcp.payloadLength, at.frame, time);
    }
    // A direction the observer stopped reading (a ServerHello stops both) lets go of what it holds.
    const reading = (observer.wantsData(0) ? 1 : 0) | (observer.wantsData(1) ? 2 : 0);
    const stopped = entry.reading & ~reading;
    if (stopped & 1) entry.streams[0].discard();
    if (stopped & 2) entry.streams[1].discard();
    entry.reading = reading;
    if ((flags & (FIN | RST)) !== 0 && entry.closingSince < 0 && observer.closing) {
      entry.closingSince = time;
      this.closing.push(entry);
    }
    if ((flags & (FIN | ACK)) !== 0 && (flags & RST) === 0 && this.closedCleanly(entry, dir, tcp)) this.closeCleanly(entry);
  }

  /**
   * Both FINs acknowledged: nothing more belongs to this connection. Let go now rather than after
   * the linger, its state dies young: on a busy capture, lingering connections were most of what
   * the young-generation collector copied.
   */
  private closeCleanly(entry: Entry): void {
    this.retire(entry, 'closed');
    this.remember(entry);
  }

  /**
   * Notes a FIN and the acknowledgment of the other direction's FIN; true once both directions'
   * FINs are acknowledged. An acknowledgment seen before its FIN (reordered in the capture) does
   * not count: that connection lingers as a reset one does.
   */
  private closedCleanly(entry: Entry, dir: Direction, tcp: TcpSegment): boolean {
    if ((tcp.flags & FIN) !== 0) {
      const finAck = (((tcp.flags & SYN) !== 0 ? tcp.seq + 1 : tcp.seq) + tcp.payloadLength + 1) >>> 0;
      if (dir === 0 && entry.finAck0 < 0) entry.finAck0 = finAck;
      else if (dir === 1 && entry.finAck1 < 0) entry.finAck1 = finAck;
    }
    if ((tcp.flags & ACK) !== 0) {
      if (dir === 0 && tcp.ack === entry.finAck1) entry.finsAcked |= 2;
      else if (dir === 1 && tcp.ack === entry.finAck0) entry.finsAcked |= 1;
    }
    return entry.finsAcked === 3;
  }

  /** End of capture: every open connection is closed. */
  finish(): void {
    for (let i = this.createdHead; i < this.created.length; i++) {
      const entry = this.created[i];
      if (!entry.retired) this.retire(entry, 'end-of-capture');
    }
    this.created = [];
    this.createdHead = 0;
    this.closing = [];
    this.closingHead = 0;
  }

  /** Connections tracked now. */
  get size(): number {
    return this.live;
  }

  /** Out-of-order bytes held now, by all connections (HELD_SEGMENT_COST more per segment). */
  get pendingBytes(): number {
    return this.pending.bytes;
  }

  /** Retires connections that have been closing for longer than the linger time. */
  private letGo(at: PacketAt): void {
    const now = at.time;
    while (this.closingHead < this.closing.length) {
      const entry = this.closing[this.closingHead];
      if (!entry.retired) {
        const crowded = this.closing.length - this.closingHead > this.limits.maxLingering;
        if (!crowded && now - entry.closingSince < this.limits.lingerSeconds) {
          // Capture time went back by more than the linger: wait the linger from now instead.
          if (entry.closingSince - now > this.limits.lingerSeconds) entry.closingSince = now;
          break;
        }
        this.retire(entry, 'closed');
        this.remember(entry);
      }
      this.closingHead++;
    }
    // Entries passed at the head are let go in batches, so that few retired ones stay referenced.
    if (this.closingHead > 4096 || (this.closingHead > 1024 && this.closingHead * 2 > this.closing.length)) {
      this.closing = this.closing.slice(this.closingHead);
      this.closingHead = 0;
    }
    if (this.closing.length - this.closingHead > 2 * this.live + 1024) {
      // Entries wait behind one whose linger has not passed (capture time going backwards) and
      // evictions retired most of them: drop the retired, so the queue stays within the live ones.
      this.closing = this.closing.slice(this.closingHead).filter((e) => !e.retired);
      this.closingHead = 0;
    }
  }

  /** A closed connection's 4-tuple, so that its stragglers open no new connection. */
  private remember(entry: Entry): void {
    this.finished.remember(entry.hash, entry.addressA, entry.portA, entry.addressB, entry.portB);
  }

  private create(hash: number, ip: IpPacket, tcp: TcpSegment, addrLen: number): Entry {
    while (this.live >= this.limits.maxConnections && this.createdHead < this.created.length) {
      const oldest = this.created[this.createdHead++];
      if (oldest.retired) continue;
      this.stats.evicted++;
      this.retire(oldest, 'evicted');
    }
    // Entries passed at the head are let go in batches, so that few retired ones stay referenced.
    if (this.createdHead > 4096 || (this.createdHead > 1024 && this.createdHead * 2 > this.created.length)) {
      this.created = this.created.slice(this.createdHead);
      this.createdHead = 0;
    }
    if (this.created.length - this.createdHead > 2 * this.live + 1024) {
      // Connections that closed (or were replaced) leave the eviction order here, else a capture
      // of many short connections would keep every one of them.
      this.created = this.created.slice(this.createdHead).filter((e) => !e.retired);
      this.createdHead = 0;
    }
    const entry: Entry = {
      id: this.nextId++,
      ipVersion: ip.version,
      addressA: ip.data.toString('latin1', ip.srcOffset, ip.srcOffset + addrLen),
      portA: tcp.srcPort,
      addressB: ip.data.toString('latin1', ip.dstOffset, ip.dstOffset + addrLen),
      portB: tcp.dstPort,
      tunnel: ip.tunnel,
      packets: 0,
      lastFrame: 0,
      lastTime: 0,
      hash,
      addressLength: addrLen,
      wordA: int32le(ip.data, ip.srcOffset),
      wordB: int32le(ip.data, ip.dstOffset),
      observer: RETIRED,
      streams: RETIRED_STREAMS,
      everySegment: true,
      reading: 0b11,
      closingSince: -1,
      finAck0: -1,
      finAck1: -1,
      finsAcked: 0,
      retired: false,
    };
    this.stats.connections++;
    const observer = this.open(entry);
    entry.observer = observer;
    entry.streams = [new DirectionStream(observer, 0, this.limits, this.pending), new DirectionStream(observer, 1, this.limits, this.pending)];
    const bucket = this.buckets.get(hash);
    if (bucket === undefined) this.buckets.set(hash, entry);
    else if (Array.isArray(bucket)) bucket.push(entry);
    else this.buckets.set(hash, [bucket, entry]);
    this.created.push(entry);
    this.live++;
    return entry;
  }

  private retire(entry: Entry, reason: CloseReason): void {
    if (entry.retired) return;
    entry.retired = true;
    for (const dir of [0, 1] as const) {
      if (entry.observer.wantsData(dir)) entry.streams[dir].finish();
      entry.streams[dir].discard();
      this.stats.lostGaps += entry.streams[dir].lostGaps;
    }
    const bucket = this.buckets.get(entry.hash);
    if (bucket === entry) this.buckets.delete(entry.hash);
    else if (Array.isArray(bucket)) {
      const rest = bucket.filter((e) => e !== entry);
      this.buckets.set(entry.hash, rest.length === 1 ? rest[0] : rest);
    }
    this.live--;
    const observer = entry.observer;
    // The eviction and closing queues may hold a retired entry for a while yet: it lets go of the
    // connection's state now, else thousands of finished connections would stay reachable.
    entry.observer = RETIRED;
    entry.streams = RETIRED_STREAMS;
    observer.close(reason);
  }
}

/** What a retired entry holds in place of its observer and streams: nothing. */
const RETIRED: ConnectionObserver = { segment: () => false, data() {}, gap() {}, wantsData: () => false, closing: true, close() {} };
const RETIRED_STREAMS: [DirectionStream, DirectionStream] = [
  new DirectionStream(RETIRED, 0, DEFAULT_REASSEMBLY_LIMITS),
  new DirectionStream(RETIRED, 1, DEFAULT_REASSEMBLY_LIMITS),
];

function startsNewConnection(entry: Entry, dir: Direction, seq: number): boolean {
  const isn = entry.streams[dir].isn;
  if (isn !== null) return isn !== seq;
  return entry.packets > 0 && (entry.streams[0].delivered || entry.streams[1].delivered || entry.streams[dir === 0 ? 1 : 0].isn !== null);
}

/**
 * The seed of the 4-tuple hash, drawn for each process: without it, a capture could be made of
 * thousands of 4-tuples that all hash alike (the function is no secret), and each of their
 * packets would be compared with every one of them.
 */
const SEED = randomBytes(4).readInt32LE(0);

/** A hash of the 4-tuple that is the same in both directions, from `seed`. */
export function tupleHash(buf: Buffer, src: number, dst: number, len: number, srcPort: number, dstPort: number, seed: number): number {
  let a = Math.imul(srcPort ^ seed, 0x9e3779b1);
  let b = Math.imul(dstPort ^ seed, 0x9e3779b1);
  for (let i = 0; i < len; i += 4) {
    a = Math.imul(a ^ int32le(buf, src + i), 0x85ebca6b) ^ (a >>> 13);
    b = Math.imul(b ^ int32le(buf, dst + i), 0x85ebca6b) ^ (b >>> 13);
  }
  return (a ^ b) & 0x3fffffff; // a small integer: the fastest Map key
}

/** 0 when the packet goes from A to B, 1 from B to A, -1 when it is another connection. */
function matchDirection(e: Entry, buf: Buffer, src: number, dst: number, len: number, srcPort: number, dstPort: number): number {
  if (e.addressLength !== len) return -1;
  const srcWord = int32le(buf, src);
  const dstWord = int32le(buf, dst);
  const v4 = len === 4;
  if (e.portA === srcPort && e.portB === dstPort && e.wordA === srcWord && e.wordB === dstWord) {
    if (v4 || (sameAddress(e.addressA, buf, src) && sameAddress(e.addressB, buf, dst))) return 0;
  }
  if (e.portA === dstPort && e.portB === srcPort && e.wordA === dstWord && e.wordB === srcWord) {
    if (v4 || (sameAddress(e.addressA, buf, dst) && sameAddress(e.addressB, buf, src))) return 1;
  }
  return -1;
}

function sameAddress(address: string, buf: Buffer, offset: number): boolean {
  for (let i = 0; i < address.length; i++) if (address.charCodeAt(i) !== buf[offset + i]) return false;
  return true;
}
