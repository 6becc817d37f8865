import type { Alert, Position, ServerHello, ServerName } from '../tls/types.js';

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

/**
 * What a connection keeps of its ClientHello: the fields the verdict and the reports use. The
 * decoded message (ClientHello in src/tls) also lists every cipher suite, extension length and
 * signature algorithm; keeping all that for each of hundreds of thousands of connections cost
 * kilobytes per connection.
 */
export interface ClientHelloFacts {
  format: 'tls' | 'sslv2';
  /** TLS record-layer version (0x0301 ...), or 0x0002 for an SSLv2 record. */
  recordVersion: number;
  legacyVersion: number;
  /** supported_versions in the order offered, GREASE included; empty when absent. */
  readonly supportedVersions: readonly number[];
  /** The 32-byte random, one character per byte (latin1): it identifies copies of one connection. Shorter only when cut. */
  random: string;
  cipherSuiteCount: number;
  /** Extension types in wire order. */
  readonly extensionTypes: readonly number[];
  readonly serverName: Readonly<ServerName>;
  readonly alpn: readonly string[];
  encryptedClientHello: boolean;
  /** The whole message was available; false when decoded from a prefix. */
  complete: boolean;
  malformed: string | null;
  /** Handshake message length as declared. */
  length: number;
}

export interface ClientHelloSeen {
  readonly hello: ClientHelloFacts;
  readonly at: Position;
  readonly ja4: string;
}

/** Everything the analysis keeps about one TCP connection once it is over. */
export interface ConnectionOutcome {
  /** Index in order of first packet within its capture, like Wireshark's tcp.stream. */
  stream: number;
  /** Index of the capture file in the analysis (0 for the first). */
  capture: number;
  ipVersion: 4 | 6;
  client: Endpoint;
  /** The client's address, one character per byte (latin1): what a connection that is only counted is counted by. */
  clientAddressBytes: string;
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

/**
 * What a connection that is only counted is counted by: its client and server, its category,
 * and the facts a client verdict adds up.
 */
export interface CountedConnection {
  capture: number;
  /** The client's address, one character per byte (latin1): 4 bytes for IPv4, 16 for IPv6. */
  clientAddressBytes: string;
  /** The server's address as text. */
  serverIp: string;
  category: Category;
  /** The ClientHello's server_name status; null without a ClientHello. */
  sniStatus: ServerName['status'] | null;
  /** Reset by the server after the ClientHello and before any ServerHello. */
  resetByIngress: boolean;
  /** A ServerHello came. */
  completed: boolean;
}

/**
 * Where connections go when they end. Most connections of a busy capture are only counted, so
 * the recorder asks first whether an outcome is wanted in full, and makes one only then.
 */
export interface OutcomeSink {
  /** Whether a connection with (`evidence`) or without a ClientHello or server reset, of this category, is wanted in full. */
  wants(evidence: boolean, category: Category): boolean;
  /** A connection wanted in full. */
  add(outcome: ConnectionOutcome): void;
  /** A connection not wanted in full. The object is the caller's, reused: nothing of it may be kept but its values. */
  count(connection: Readonly<CountedConnection>): void;
}
