import { closeSync, openSync, writeSync } from 'node:fs';
import { encodePcapHeader, encodePcapRecord, type PcapOptions } from '../../src/capture/testing/encode.js';
import { addr, ethernet, ipv4, ipv6 } from '../../src/ip/testing/encode.js';
import { encodeTcp, type TcpFields } from '../../src/tcp/testing/encode.js';

/**
 * Writes a classic pcap straight to a file, in batches, so that captures of millions of packets
 * can be made for tests without holding them in memory.
 */
export class CaptureFile {
  private readonly fd: number;
  private readonly batch: Buffer[] = [];
  private batchBytes = 0;
  packets = 0;

  constructor(
    path: string,
    private readonly options: PcapOptions = {},
  ) {
    this.fd = openSync(path, 'w');
    this.raw(encodePcapHeader(options));
  }

  /** One record; `time` in seconds (microsecond resolution). */
  record(data: Buffer, time: number, extra: { originalLength?: number; capturedLength?: number } = {}): void {
    const seconds = Math.floor(time);
    this.raw(encodePcapRecord({ seconds, fraction: Math.round((time - seconds) * 1e6), data, ...extra }, this.options));
    this.packets++;
  }

  /** Bytes as they are (a pre-encoded record, or damage). */
  raw(bytes: Buffer): void {
    this.batch.push(bytes);
    this.batchBytes += bytes.length;
    if (this.batchBytes >= 1 << 20) this.flush();
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    writeSync(this.fd, Buffer.concat(this.batch));
    this.batch.length = 0;
    this.batchBytes = 0;
  }
}

export interface TcpFrameSpec extends TcpFields {
  src: string;
  dst: string;
  payload?: Buffer;
}

/** An Ethernet frame with an IPv4 or IPv6 (by the address) TCP segment. */
export function tcpFrame(f: TcpFrameSpec): Buffer {
  const tcp = encodeTcp(f, f.payload ?? Buffer.alloc(0));
  const v6 = f.src.includes(':');
  const ip = v6 ? ipv6({ src: addr(f.src), dst: addr(f.dst), nextHeader: 6 }, tcp) : ipv4({ src: addr(f.src), dst: addr(f.dst), protocol: 6 }, tcp);
  return ethernet({ etherType: v6 ? 0x86dd : 0x0800 }, ip);
}

export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

export interface HandshakeFrames {
  client: string;
  clientPort: number;
  server: string;
  serverPort?: number;
  /** The client's first flight (a ClientHello record, or anything). */
  hello: Buffer;
  /** The server answers the hello with a RST. */
  reset: boolean;
}

/** SYN, SYN/ACK, ACK, the client's hello, and the server's RST when asked: the frames of one short connection. */
export function handshakeFrames(h: HandshakeFrames): Buffer[] {
  const port = h.serverPort ?? 443;
  const c = 1000;
  const s = 5000;
  const frames = [
    tcpFrame({ src: h.client, dst: h.server, srcPort: h.clientPort, dstPort: port, flags: SYN, seq: c }),
    tcpFrame({ src: h.server, dst: h.client, srcPort: port, dstPort: h.clientPort, flags: SYN | ACK, seq: s, ack: c + 1 }),
    tcpFrame({ src: h.client, dst: h.server, srcPort: h.clientPort, dstPort: port, flags: ACK, seq: c + 1, ack: s + 1 }),
    tcpFrame({ src: h.client, dst: h.server, srcPort: h.clientPort, dstPort: port, flags: PSH | ACK, seq: c + 1, ack: s + 1, payload: h.hello }),
  ];
  if (h.reset) frames.push(tcpFrame({ src: h.server, dst: h.client, srcPort: port, dstPort: h.clientPort, flags: RST | ACK, seq: s + 1, ack: c + 1 + h.hello.length }));
  return frames;
}
