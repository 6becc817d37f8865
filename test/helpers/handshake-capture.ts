import { encodePcap, type PcapRecordInput } from '../../src/capture/testing/encode.js';
import { addr, ethernet, ipv4, tcpHeader } from '../../src/ip/testing/encode.js';
import { clientHelloRecord, serverNameExtension, supportedVersionsExtension } from '../../src/tls/testing/encode.js';

const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;

export interface HandshakeSpec {
  client: string;
  clientPort: number;
  server: string;
  serverPort: number;
  /** server_name bytes, or null for a ClientHello without the extension. */
  sni: Buffer | null;
  /** The ClientHello random (32 bytes). */
  random: Buffer;
  /** The server resets right after the ClientHello. */
  reset: boolean;
  /** Capture time of the SYN, in seconds. */
  start: number;
}

function segment(src: string, sport: number, dst: string, dport: number, flags: number, seq: number, ack: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const tcp = tcpHeader(sport, dport, flags);
  tcp.writeUInt32BE(seq >>> 0, 4);
  tcp.writeUInt32BE(ack >>> 0, 8);
  return ethernet({ etherType: 0x0800 }, ipv4({ src: addr(src), dst: addr(dst), protocol: 6 }, Buffer.concat([tcp, payload])));
}

/**
 * A classic pcap (Ethernet, IPv4) with one short TLS connection per spec: SYN, SYN/ACK, ACK,
 * ClientHello, then the server's RST (when `reset`), 1 ms apart.
 */
export function handshakeCapture(specs: readonly HandshakeSpec[]): Buffer {
  const records: PcapRecordInput[] = [];
  for (const s of specs) {
    const extensions = [supportedVersionsExtension([0x0304, 0x0303])];
    if (s.sni !== null) extensions.unshift(serverNameExtension([{ name: s.sni }]));
    const hello = clientHelloRecord({ random: s.random, cipherSuites: [0x1301, 0x1302], extensions });
    const c = 1000;
    const v = 5000;
    const frames = [
      segment(s.client, s.clientPort, s.server, s.serverPort, SYN, c, 0),
      segment(s.server, s.serverPort, s.client, s.clientPort, SYN | ACK, v, c + 1),
      segment(s.client, s.clientPort, s.server, s.serverPort, ACK, c + 1, v + 1),
      segment(s.client, s.clientPort, s.server, s.serverPort, PSH | ACK, c + 1, v + 1, hello),
    ];
    if (s.reset) frames.push(segment(s.server, s.serverPort, s.client, s.clientPort, RST | ACK, v + 1, c + 1 + hello.length));
    frames.forEach((data, i) => {
      const t = s.start + i / 1000;
      records.push({ seconds: Math.floor(t), fraction: Math.round((t % 1) * 1e6), data });
    });
  }
  return encodePcap(records);
}
