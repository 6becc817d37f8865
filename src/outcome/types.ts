import type { Alert, ClientHello, Position, ServerHello } from '../tls/types.js';

export interface Endpoint {
  ip: string;
  port: number;
}

/** A packet of note: its Wireshark frame number and capture time. */
export interface FrameRef {
  frame: number;
  time: number;
}

/** How the client side of a connection was told apart from the server side. */
export type SideEvidence = 'syn' | 'syn-ack' | 'client-hello' | 'server-hello' | 'port';

/**
 * The connection categories. `reset` means a RST from the server side before any ServerHello.
 * A usable SNI is a server_name extension with a non-empty host_name.
 */
export type Category = 'non-sni-reset' | 'non-sni-ok' | 'sni-ok' | 'sni-reset' | 'no-tls' | 'unknown';

export interface ClientHelloSeen {
  hello: ClientHello;
  at: Position;
  ja4: string;
}

/** Everything the analysis keeps about one TCP connection once it is over. */
export interface ConnectionOutcome {
  /** Index in order of first packet within its capture, like Wireshark's tcp.stream. */
  stream: number;
  /** Index of the capture file in the analysis (0 for the first). */
  capture: number;
  ipVersion: 4 | 6;
  client: Endpoint;
  server: Endpoint;
  sideEvidence: SideEvidence;
  tunnel: string | null;
  packets: number;
  first: FrameRef;
  last: FrameRef;
  syn: FrameRef | null;
  synAck: FrameRef | null;
  /** The client's first ACK after the server's SYN/ACK: the handshake's third packet (it may carry data). */
  handshakeAck: FrameRef | null;
  /** Sequence number of the client's SYN, null without one. Address translation keeps it; a new connection (a proxy's) has its own. */
  clientIsn: number | null;
  /** The client's first ClientHello. */
  clientHello: ClientHelloSeen | null;
  /** ClientHellos seen (2 after a HelloRetryRequest). */
  clientHelloCount: number;
  helloRetryRequest: Position | null;
  /** First ServerHello that is not a HelloRetryRequest. */
  serverHello: { hello: ServerHello; at: Position } | null;
  serverAlert: { alert: Alert; at: Position } | null;
  clientAlert: { alert: Alert; at: Position } | null;
  serverReset: FrameRef | null;
  clientReset: FrameRef | null;
  serverFin: FrameRef | null;
  clientFin: FrameRef | null;
  /** Client bytes went missing before the ClientHello was whole ('snaplen': cut by the capture's snap length). */
  clientGap: 'lost' | 'snaplen' | null;
  closedBy: 'closed' | 'end-of-capture' | 'port-reuse' | 'evicted';
  category: Category;
}
