import type { IpPacket } from '../ip/types.js';
import { ACK, RST, SYN, type TcpSegment } from '../tcp/segment.js';
import { DEFAULT_REASSEMBLY_LIMITS, DirectionStream, type ReassemblyLimits } from './reassembler.js';

/** 0: sent by the endpoint that sent the connection's first packet; 1: the other way. */
export type Direction = 0 | 1;

/** A TCP connection as the stream stage sees it: two endpoints, no notion yet of client or server. */
export interface TcpConnection {
  /** Index in order of first packet, like Wireshark's tcp.stream. */
  id: number;
  ipVersion: 4 | 6;
  /** Address bytes and port of the endpoint that sent the first packet (direction 0's sender). */
  addressA: Buffer;
  portA: number;
  addressB: Buffer;
  portB: number;
  tunnel: string | null;
}

/** What the next stage does with one connection's packets and bytes. */
export interface ConnectionObserver {
  /** Every segment, before its payload is delivered. */
  segment(dir: Direction, flags: number, seq: number, ack: number, frame: number, time: number): void;
  data(dir: Direction, bytes: Buffer, frame: number, time: number): void;
  gap(dir: Direction, cause: 'lost' | 'snaplen'): void;
  /** False once this direction's bytes are of no more use: they are then not reassembled at all. */
  wantsData(dir: Direction): boolean;
  /** True once the connection was reset or both sides sent FIN: it is let go after a short linger. */
  readonly closing: boolean;
  /** The connection ends: closed, replaced by a new one on the same ports, evicted, or end of capture. */
  close(reason: CloseReason): void;
}

export type CloseReason = 'closed' | 'end-of-capture' | 'port-reuse' | 'evicted';

export interface ConnectionLimits extends ReassemblyLimits {
  /** Connections tracked at once; the least recently started is closed ('evicted') to make room. */
  maxConnections: number;
  /** Capture seconds a reset or finished connection is kept for stragglers (the other side's RST, last ACKs). */
  lingerSeconds: number;
  /** Finished connections remembered so that their stragglers do not open new ones. */
  maxRemembered: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  ...DEFAULT_REASSEMBLY_LIMITS,
  maxConnections: 65536,
  lingerSeconds: 2,
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

interface Entry {
  key: string;
  conn: TcpConnection;
  observer: ConnectionObserver;
  streams: [DirectionStream, DirectionStream];
  packets: number;
  /** Capture time at which it started closing, -1 while open. */
  closingSince: number;
}

/**
 * The per-connection byte-stream stage: keys TCP segments by their 4-tuple, tells a new
 * connection on reused ports by its SYN, and rebuilds each direction's byte stream for the
 * observer the next stage opens per connection.
 */
export class ConnectionTable {
  private readonly table = new Map<string, Entry>();
  /** Connections closing, oldest first. */
  private closing: Entry[] = [];
  private closingHead = 0;
  /** Keys of finished connections, oldest first. */
  private readonly finished = new Set<string>();
  private nextId = 0;
  readonly stats: ConnectionStats = { connections: 0, evicted: 0, portReuses: 0, lostGaps: 0, stragglers: 0 };
  private readonly limits: ConnectionLimits;

  constructor(
    private readonly open: (conn: TcpConnection) => ConnectionObserver,
    limits: Partial<ConnectionLimits> = {},
  ) {
    this.limits = { ...DEFAULT_CONNECTION_LIMITS, ...limits };
  }

  segment(ip: IpPacket, tcp: TcpSegment, frame: number, time: number): void {
    const addrLen = ip.version === 4 ? 4 : 16;
    const { data } = ip;
    const order = compareEndpoints(data, ip.srcOffset, tcp.srcPort, data, ip.dstOffset, tcp.dstPort, addrLen);
    const lo = order <= 0 ? ip.srcOffset : ip.dstOffset;
    const hi = order <= 0 ? ip.dstOffset : ip.srcOffset;
    const key =
      data.toString('latin1', lo, lo + addrLen) +
      data.toString('latin1', hi, hi + addrLen) +
      String.fromCharCode(order <= 0 ? tcp.srcPort : tcp.dstPort, order <= 0 ? tcp.dstPort : tcp.srcPort);

    if (this.closingHead < this.closing.length) this.letGo(time);
    let entry = this.table.get(key);
    const synOnly = (tcp.flags & (SYN | ACK | RST)) === SYN;
    if (entry !== undefined && synOnly && this.startsNewConnection(entry, ip, tcp)) {
      this.stats.portReuses++;
      this.retire(entry, 'port-reuse');
      entry = undefined;
    }
    if (entry === undefined) {
      if (this.finished.has(key)) {
        if (!synOnly) {
          this.stats.stragglers++;
          return;
        }
        this.finished.delete(key);
      }
      entry = this.create(key, ip, tcp);
    }

    entry.packets++;
    const dir: Direction = sameAddress(entry.conn.addressA, data, ip.srcOffset) && entry.conn.portA === tcp.srcPort ? 0 : 1;
    entry.observer.segment(dir, tcp.flags, tcp.seq, tcp.ack, frame, time);
    const stream = entry.streams[dir];
    if (tcp.flags & SYN) {
      stream.syn(tcp.seq);
      if (tcp.flags & ACK) entry.streams[dir === 0 ? 1 : 0].expect(tcp.ack);
    }
    if (tcp.payloadLength > 0 && !(tcp.flags & RST) && entry.observer.wantsData(dir)) {
      stream.segment(
        (tcp.flags & SYN ? tcp.seq + 1 : tcp.seq) >>> 0,
        data,
        tcp.payloadOffset,
        tcp.payloadEnd,
        tcp.payloadLength,
        frame,
        time,
      );
      if (!entry.observer.wantsData(dir)) stream.discard();
    }
    if (entry.closingSince < 0 && entry.observer.closing) {
      entry.closingSince = time;
      this.closing.push(entry);
    }
  }

  /** Retires connections that have been closing for longer than the linger time. */
  private letGo(now: number): void {
    while (this.closingHead < this.closing.length) {
      const entry = this.closing[this.closingHead];
      if (this.table.get(entry.key) === entry) {
        if (now - entry.closingSince < this.limits.lingerSeconds) break;
        this.retire(entry, 'closed');
        this.remember(entry.key);
      }
      this.closingHead++;
    }
    if (this.closingHead > 1024 && this.closingHead * 2 > this.closing.length) {
      this.closing = this.closing.slice(this.closingHead);
      this.closingHead = 0;
    }
  }

  private remember(key: string): void {
    this.finished.add(key);
    if (this.finished.size > this.limits.maxRemembered) {
      const oldest = this.finished.values().next().value;
      if (oldest !== undefined) this.finished.delete(oldest);
    }
  }

  /** End of capture: every open connection is closed. */
  finish(): void {
    for (const entry of this.table.values()) this.retire(entry, 'end-of-capture');
    this.closing = [];
    this.closingHead = 0;
  }

  get size(): number {
    return this.table.size;
  }

  private startsNewConnection(entry: Entry, ip: IpPacket, tcp: TcpSegment): boolean {
    const dir = sameAddress(entry.conn.addressA, ip.data, ip.srcOffset) && entry.conn.portA === tcp.srcPort ? 0 : 1;
    const isn = entry.streams[dir].isn;
    if (isn !== null) return isn !== tcp.seq;
    return entry.packets > 0 && (entry.streams[0].delivered || entry.streams[1].delivered || entry.streams[dir === 0 ? 1 : 0].isn !== null);
  }

  private create(key: string, ip: IpPacket, tcp: TcpSegment): Entry {
    if (this.table.size >= this.limits.maxConnections) {
      const oldest = this.table.values().next().value;
      if (oldest !== undefined) {
        this.stats.evicted++;
        this.retire(oldest, 'evicted');
      }
    }
    const addrLen = ip.version === 4 ? 4 : 16;
    const conn: TcpConnection = {
      id: this.nextId++,
      ipVersion: ip.version,
      addressA: Buffer.from(ip.data.subarray(ip.srcOffset, ip.srcOffset + addrLen)),
      portA: tcp.srcPort,
      addressB: Buffer.from(ip.data.subarray(ip.dstOffset, ip.dstOffset + addrLen)),
      portB: tcp.dstPort,
      tunnel: ip.tunnel,
    };
    this.stats.connections++;
    const observer = this.open(conn);
    const streams: [DirectionStream, DirectionStream] = [
      new DirectionStream(directionSink(observer, 0), this.limits),
      new DirectionStream(directionSink(observer, 1), this.limits),
    ];
    const entry: Entry = { key, conn, observer, streams, packets: 0, closingSince: -1 };
    this.table.set(key, entry);
    return entry;
  }

  private retire(entry: Entry, reason: CloseReason): void {
    for (const dir of [0, 1] as const) {
      if (entry.observer.wantsData(dir)) entry.streams[dir].finish();
      this.stats.lostGaps += entry.streams[dir].lostGaps;
    }
    this.table.delete(entry.key);
    entry.observer.close(reason);
  }
}

function directionSink(observer: ConnectionObserver, dir: Direction) {
  return {
    data: (bytes: Buffer, frame: number, time: number) => observer.data(dir, bytes, frame, time),
    gap: (cause: 'lost' | 'snaplen') => observer.gap(dir, cause),
  };
}

function compareEndpoints(a: Buffer, aOff: number, aPort: number, b: Buffer, bOff: number, bPort: number, len: number): number {
  for (let i = 0; i < len; i++) {
    const d = a[aOff + i] - b[bOff + i];
    if (d !== 0) return d;
  }
  return aPort - bPort;
}

function sameAddress(address: Buffer, buf: Buffer, offset: number): boolean {
  for (let i = 0; i < address.length; i++) if (address[i] !== buf[offset + i]) return false;
  return true;
}
