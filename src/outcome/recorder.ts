import type { CloseReason, ConnectionObserver, Direction, PacketAt, SegmentHeader, TcpConnection } from '../stream/connections.js';
import { ACK, FIN, RST, SYN } from '../tcp/segment.js';
import { ja4 } from '../tls/ja4.js';
import { createTlsStreamReader, type TlsStreamReaderLimits } from '../tls/stream-reader.js';
import type { Alert, ClientHello, Position, ServerHello, TlsEvents, TlsStreamReader } from '../tls/types.js';
import { countedFacts } from './category.js';
import { EMPTY_NUMBERS, MAX_KEPT_LIST, addressText, helloFacts, sharedEndpoint, sharedServerHello, sharedText } from './facts.js';
import type { Category, ClientHelloFacts, ClientHelloSeen, ConnectionOutcome, CountedConnection, FrameRef, OutcomeSink, SideEvidence } from './types.js';

/**
 * A ClientHello as a connection keeps it. Its JA4 fingerprint is made when first asked for: the
 * report lists a few thousand connections, and the others are only counted. Until then the
 * cipher suite and signature algorithm lists are kept, which costs two references when they are
 * the decoder's shared lists; a hello with longer lists, or more extension types than the
 * connection keeps of it (MAX_KEPT_LIST), is fingerprinted at once instead.
 */
class HelloSeen implements ClientHelloSeen {
  private fingerprint: string | null = null;
  private cipherSuites = EMPTY_NUMBERS;
  private signatureAlgorithms = EMPTY_NUMBERS;
  /** The first ALPN value's bytes in hex (at most 510 digits): all of ALPN that JA4 reads. */
  private firstAlpnHex: string | undefined;

  constructor(
    readonly hello: ClientHelloFacts,
    readonly at: Position,
    decoded: ClientHello,
  ) {
    const { cipherSuites, signatureAlgorithms, extensionTypes } = decoded;
    if (cipherSuites.length <= MAX_KEPT_LIST && signatureAlgorithms.length <= MAX_KEPT_LIST && extensionTypes.length <= MAX_KEPT_LIST) {
      this.cipherSuites = cipherSuites;
      this.signatureAlgorithms = signatureAlgorithms;
      this.firstAlpnHex = decoded.alpnHex?.[0];
    } else {
      this.fingerprint = sharedText(ja4(decoded, 'tcp'));
    }
  }

  get ja4(): string {
    if (this.fingerprint === null) {
      const { legacyVersion, supportedVersions, extensionTypes, alpn } = this.hello;
      const { cipherSuites, signatureAlgorithms, firstAlpnHex } = this;
      const alpnHex = firstAlpnHex === undefined ? undefined : [firstAlpnHex];
      this.fingerprint = sharedText(ja4({ legacyVersion, supportedVersions, cipherSuites, extensionTypes, signatureAlgorithms, alpn, alpnHex }, 'tcp'));
      this.cipherSuites = EMPTY_NUMBERS;
      this.signatureAlgorithms = EMPTY_NUMBERS;
      this.firstAlpnHex = undefined;
    }
    return this.fingerprint;
  }
}

/**
 * What one direction of a connection sent. It is also where that direction's TLS reader reports
 * (one object per direction rather than three callbacks per reader).
 */
class Side implements TlsEvents {
  /** First SYN without ACK, first SYN/ACK, first RST, first FIN. */
  synOnly: FrameRef | null = null;
  synAck: FrameRef | null = null;
  rst: FrameRef | null = null;
  fin: FrameRef | null = null;
  /** Sequence number of the first SYN. */
  synSeq = 0;
  reader: TlsStreamReader | null = null;
  hello: ClientHelloSeen | null = null;
  helloCount = 0;
  serverHelloSeen: { hello: ServerHello; at: Position } | null = null;
  retry: Position | null = null;
  alertSeen: { alert: Alert; at: Position } | null = null;
  gap: 'lost' | 'snaplen' | null = null;

  constructor(
    private readonly recorder: ConnectionRecorder,
    private readonly dir: Direction,
  ) {}

  clientHello(hello: ClientHello, at: Position): void {
    this.recorder.onClientHello(this.dir, hello, at);
  }

  serverHello(hello: ServerHello, at: Position): void {
    this.recorder.onServerHello(this.dir, hello, at);
  }

  alert(alert: Alert, at: Position): void {
    this.alertSeen ??= { alert, at };
  }
}

/**
 * Follows one connection from the stream stage: notes SYNs, RSTs and FINs per direction, reads
 * each direction's bytes for TLS handshake messages while they can still matter, and when the
 * connection ends turns what it saw into a ConnectionOutcome (which side is the client, what the
 * client sent, how the server answered).
 */
export class ConnectionRecorder implements ConnectionObserver {
  private first: FrameRef | null = null;
  /** What each direction sent. */
  private readonly sides: [Side, Side] = [new Side(this, 0), new Side(this, 1)];
  /**
   * The ACK answering the first SYN/ACK, kept as plain numbers so that no packet allocates:
   * `ackAwaited` is the direction it is awaited from (-1: none awaited), `ackDir` the one it came from.
   */
  private ackAwaited: Direction | -1 = -1;
  private ackDir: Direction | -1 = -1;
  private ackFrame = 0;
  private ackTime = 0;
  /** Which direction spoke TLS first, to order ClientHello vs ServerHello evidence. */
  private firstHelloDir: Direction | null = null;
  /**
   * Bit `dir` set while that direction's bytes are still read. A field of its own, so that the
   * packets of a connection whose handshake is over are turned away without reaching its sides.
   */
  private reading = 0b11;

  private readonly sink: OutcomeSink;

  /**
   * `sink` gets the outcome when the connection ends; a function gets every outcome in full.
   * `readers` are the limits of its TLS readers, shared with the other connections of the capture.
   */
  constructor(
    private readonly conn: TcpConnection,
    private readonly capture: number,
    sink: OutcomeSink | ((outcome: ConnectionOutcome) => void),
    private readonly readers: TlsStreamReaderLimits = NO_LIMITS,
  ) {
    this.sink = outcomeSink(sink);
  }

  /** True while the ACK answering the SYN/ACK is awaited: until then it is shown every segment. */
  segment(dir: Direction, header: SegmentHeader, at: PacketAt): boolean {
    const { flags } = header;
    const { frame, time } = at;
    if (this.first === null) this.first = { frame, time };
    if ((flags & (SYN | RST | FIN)) === 0) {
      if (dir === this.ackAwaited && (flags & ACK) !== 0) {
        this.ackAwaited = -1;
        this.ackDir = dir;
        this.ackFrame = frame;
        this.ackTime = time;
      }
      return this.ackAwaited !== -1;
    }
    const side = this.sides[dir];
    if (flags & SYN) {
      if (flags & ACK) {
        if (side.synAck === null) {
          side.synAck = this.ref(frame, time);
          if (this.ackDir === -1) this.ackAwaited = other(dir);
        }
      } else if (side.synOnly === null) {
        side.synOnly = this.ref(frame, time);
        side.synSeq = header.seq;
      }
    }
    if (flags & RST) {
      side.rst ??= this.ref(frame, time);
      // Nothing after a reset can change the outcome: stop reading both directions.
      this.stopReader(0);
      this.stopReader(1);
    }
    if (flags & FIN) side.fin ??= this.ref(frame, time);
    return this.ackAwaited !== -1;
  }

  /** A reference to the packet `frame`: the connection's first packet, if that is the one (one object fewer to keep). */
  private ref(frame: number, time: number): FrameRef {
    const first = this.first;
    return first !== null && first.frame === frame ? first : { frame, time };
  }

  /** The last packet: usually one already noted (a FIN or RST), whose reference is then shared. */
  private lastRef(): FrameRef {
    const [a, b] = this.sides;
    const { lastFrame, lastTime } = this.conn;
    for (const ref of [a.rst, b.rst, a.fin, b.fin, this.first]) {
      if (ref !== null && ref.frame === lastFrame) return ref;
    }
    return { frame: lastFrame, time: lastTime };
  }

  /** Reset, or both sides sent FIN: only stragglers can follow. */
  get closing(): boolean {
    const a = this.sides[0];
    const b = this.sides[1];
    return a.rst !== null || b.rst !== null || (a.fin !== null && b.fin !== null);
  }

  wantsData(dir: Direction): boolean {
    return (this.reading & (1 << dir)) !== 0;
  }

  data(dir: Direction, bytes: Buffer, frame: number, time: number): void {
    // Bytes that were already on their way when reading stopped (held segments drained at once).
    if (!this.wantsData(dir)) return;
    const reader = this.reader(dir);
    reader.push(bytes, frame, time);
    if (reader.done) this.stopReader(dir);
  }

  gap(dir: Direction, cause: 'lost' | 'snaplen'): void {
    const side = this.sides[dir];
    if (side.hello === null) side.gap ??= cause;
    const reader = side.reader;
    if (reader === null) return;
    reader.gap(cause);
    if (reader.done) this.stopReader(dir);
  }

  close(reason: CloseReason): void {
    for (const dir of [0, 1] as const) {
      const reader = this.sides[dir].reader;
      if (reader !== null && !reader.done) reader.end(this.conn.lastFrame, this.conn.lastTime);
    }
    const [c, sideEvidence] = this.clientDirection();
    const client = this.sides[c];
    const server = this.sides[other(c)];
    countedFacts(counted, client.hello, server.rst, server.serverHelloSeen);
    if (this.sink.wants(client.hello !== null || server.rst !== null, counted.category)) {
      this.sink.add(this.outcome(reason, c, sideEvidence, counted.category));
      return;
    }
    counted.capture = this.capture;
    counted.clientAddressBytes = c === 0 ? this.conn.addressA : this.conn.addressB;
    counted.serverIp = addressText(c === 0 ? this.conn.addressB : this.conn.addressA, this.conn.ipVersion);
    this.sink.count(counted);
  }

  private reader(dir: Direction): TlsStreamReader {
    const side = this.sides[dir];
    let reader = side.reader;
    if (reader === null) {
      reader = createTlsStreamReader(side, this.readers);
      side.reader = reader;
    }
    return reader;
  }

  private stopReader(dir: Direction): void {
    const side = this.sides[dir];
    side.reader?.stop();
    // Let go of it: connections live on long after their handshake, and thousands are open at once.
    side.reader = null;
    this.reading &= ~(1 << dir);
  }

  /** A ClientHello read in direction `dir` (reported by that side's reader). */
  onClientHello(dir: Direction, hello: ClientHello, at: Position): void {
    const side = this.sides[dir];
    side.helloCount++;
    if (side.hello === null) {
      side.hello = new HelloSeen(helloFacts(hello), at, hello);
      this.firstHelloDir ??= dir;
    }
    // A second ClientHello (after a HelloRetryRequest) is all a client sends in the clear.
    if (side.helloCount >= 2 || this.sides[other(dir)].serverHelloSeen !== null) this.stopReader(dir);
  }

  /** A ServerHello read in direction `dir` (reported by that side's reader). */
  onServerHello(dir: Direction, hello: ServerHello, at: Position): void {
    this.firstHelloDir ??= other(dir);
    if (hello.helloRetryRequest) {
      this.sides[dir].retry ??= at;
      return;
    }
    this.sides[dir].serverHelloSeen ??= { hello: sharedServerHello(hello), at };
    this.stopReader(dir);
    if (this.sides[other(dir)].hello !== null) this.stopReader(other(dir));
  }

  /** Direction sent by the client, and how that was known. */
  private clientDirection(): [Direction, SideEvidence] {
    const [a, b] = this.sides;
    if (a.synOnly !== null || b.synOnly !== null) {
      if (a.synOnly === null) return [1, 'syn'];
      if (b.synOnly === null) return [0, 'syn'];
      return [a.synOnly.frame <= b.synOnly.frame ? 0 : 1, 'syn'];
    }
    if (a.synAck !== null) return [1, 'syn-ack'];
    if (b.synAck !== null) return [0, 'syn-ack'];
    if (a.hello !== null || b.hello !== null) {
      if (b.hello === null) return [0, 'client-hello'];
      if (a.hello === null) return [1, 'client-hello'];
      return [a.hello.at.firstFrame <= b.hello.at.firstFrame ? 0 : 1, 'client-hello'];
    }
    if (a.serverHelloSeen !== null) return [1, 'server-hello'];
    if (b.serverHelloSeen !== null) return [0, 'server-hello'];
    // The server is the side with the lower port (well-known ports are low); on a tie, the first sender is the client.
    return [this.conn.portA >= this.conn.portB ? 0 : 1, 'port'];
  }

  private outcome(reason: CloseReason, c: Direction, sideEvidence: SideEvidence, category: Category): ConnectionOutcome {
    const client = this.sides[c];
    const server = this.sides[other(c)];
    const { conn } = this;
    const ipA = addressText(conn.addressA, conn.ipVersion);
    const ipB = addressText(conn.addressB, conn.ipVersion);
    const last = this.lastRef();
    const first = this.first ?? last;
    return {
      stream: conn.id,
      capture: this.capture,
      ipVersion: conn.ipVersion,
      client: c === 0 ? { ip: ipA, port: conn.portA } : { ip: ipB, port: conn.portB },
      clientAddressBytes: c === 0 ? conn.addressA : conn.addressB,
      server: c === 0 ? sharedEndpoint(ipB, conn.portB) : sharedEndpoint(ipA, conn.portA),
      sideEvidence,
      tunnel: conn.tunnel,
      packets: conn.packets,
      first,
      last,
      syn: client.synOnly,
      synAck: server.synAck,
      handshakeAck: this.ackDir === c ? { frame: this.ackFrame, time: this.ackTime } : null,
      clientIsn: client.synOnly === null ? null : client.synSeq,
      clientHello: client.hello,
      clientHelloCount: client.helloCount,
      helloRetryRequest: server.retry,
      serverHello: server.serverHelloSeen,
      serverAlert: server.alertSeen,
      clientAlert: client.alertSeen,
      serverReset: server.rst,
      clientReset: client.rst,
      serverFin: server.fin,
      clientFin: client.fin,
      clientGap: client.gap,
      closedBy: reason,
      category,
    };
  }
}

/** The sink itself, or for a function, a sink that hands it every outcome in full. */
export function outcomeSink(sink: OutcomeSink | ((outcome: ConnectionOutcome) => void)): OutcomeSink {
  return typeof sink === 'function' ? { wants: () => true, add: sink, count: () => undefined } : sink;
}

/** The TLS readers' default limits, each reader counting only what it holds itself. */
const NO_LIMITS: TlsStreamReaderLimits = Object.freeze({});

/** What a connection that is only counted hands on: one object, refilled for each. */
const counted: CountedConnection = {
  capture: 0,
  clientAddressBytes: '',
  serverIp: '',
  category: 'no-tls',
  sniStatus: null,
  resetByIngress: false,
  completed: false,
};

function other(dir: Direction): Direction {
  return dir === 0 ? 1 : 0;
}
