import type { CloseReason, ConnectionObserver, Direction, TcpConnection } from '../stream/connections.js';
import { ACK, FIN, RST, SYN } from '../tcp/segment.js';
import { ja4 } from '../tls/ja4.js';
import { createTlsStreamReader } from '../tls/stream-reader.js';
import type { Alert, ClientHello, Position, ServerHello, TlsStreamReader } from '../tls/types.js';
import { categorize } from './category.js';
import { addressText, helloFacts, sharedEndpoint, sharedServerHello, sharedText } from './facts.js';
import type { ClientHelloSeen, ConnectionOutcome, FrameRef, SideEvidence } from './types.js';

type PerDirection<T> = [T, T];

/**
 * Follows one connection from the stream stage: notes SYNs, RSTs and FINs per direction, reads
 * each direction's bytes for TLS handshake messages while they can still matter, and when the
 * connection ends turns what it saw into a ConnectionOutcome (which side is the client, what the
 * client sent, how the server answered).
 */
export class ConnectionRecorder implements ConnectionObserver {
  private packets = 0;
  private first: FrameRef | null = null;
  private lastFrame = 0;
  private lastTime = 0;
  private readonly synOnly: PerDirection<FrameRef | null> = [null, null];
  private readonly synAck: PerDirection<FrameRef | null> = [null, null];
  private readonly rst: PerDirection<FrameRef | null> = [null, null];
  private readonly fin: PerDirection<FrameRef | null> = [null, null];
  /**
   * The ACK answering the first SYN/ACK, kept as plain numbers so that no packet allocates:
   * `ackAwaited` is the direction it is awaited from (-1: none awaited), `ackDir` the one it came from.
   */
  private ackAwaited: Direction | -1 = -1;
  private ackDir: Direction | -1 = -1;
  private ackFrame = 0;
  private ackTime = 0;
  /** Sequence number of each direction's first SYN. */
  private readonly synSeq: PerDirection<number> = [0, 0];
  private readonly readers: PerDirection<TlsStreamReader | null> = [null, null];
  private readonly readerDone: PerDirection<boolean> = [false, false];
  private readonly hello: PerDirection<ClientHelloSeen | null> = [null, null];
  private readonly helloCount: PerDirection<number> = [0, 0];
  private readonly serverHello: PerDirection<{ hello: ServerHello; at: Position } | null> = [null, null];
  private readonly retry: PerDirection<Position | null> = [null, null];
  private readonly alert: PerDirection<{ alert: Alert; at: Position } | null> = [null, null];
  private readonly gaps: PerDirection<'lost' | 'snaplen' | null> = [null, null];
  /** Which direction spoke TLS first, to order ClientHello vs ServerHello evidence. */
  private firstHelloDir: Direction | null = null;

  constructor(
    private readonly conn: TcpConnection,
    private readonly capture: number,
    private readonly done: (outcome: ConnectionOutcome) => void,
  ) {}

  segment(dir: Direction, flags: number, seq: number, _ack: number, frame: number, time: number): void {
    this.packets++;
    this.lastFrame = frame;
    this.lastTime = time;
    if (this.first === null) this.first = { frame, time };
    if ((flags & (SYN | RST | FIN)) === 0) {
      if (dir === this.ackAwaited && (flags & ACK) !== 0) {
        this.ackAwaited = -1;
        this.ackDir = dir;
        this.ackFrame = frame;
        this.ackTime = time;
      }
      return;
    }
    if (flags & SYN) {
      if (flags & ACK) {
        if (this.synAck[dir] === null) {
          this.synAck[dir] = this.ref(frame, time);
          if (this.ackDir === -1) this.ackAwaited = other(dir);
        }
      } else if (this.synOnly[dir] === null) {
        this.synOnly[dir] = this.ref(frame, time);
        this.synSeq[dir] = seq;
      }
    }
    if (flags & RST) {
      this.rst[dir] ??= this.ref(frame, time);
      // Nothing after a reset can change the outcome: stop reading both directions.
      this.stopReader(0);
      this.stopReader(1);
    }
    if (flags & FIN) this.fin[dir] ??= this.ref(frame, time);
  }

  /** A reference to the packet `frame`: the connection's first packet, if that is the one (one object fewer to keep). */
  private ref(frame: number, time: number): FrameRef {
    const first = this.first;
    return first !== null && first.frame === frame ? first : { frame, time };
  }

  /** The last packet: usually one already noted (a FIN or RST), whose reference is then shared. */
  private lastRef(): FrameRef {
    for (const ref of [this.rst[0], this.rst[1], this.fin[0], this.fin[1], this.first]) {
      if (ref !== null && ref.frame === this.lastFrame) return ref;
    }
    return { frame: this.lastFrame, time: this.lastTime };
  }

  /** Reset, or both sides sent FIN: only stragglers can follow. */
  get closing(): boolean {
    return this.rst[0] !== null || this.rst[1] !== null || (this.fin[0] !== null && this.fin[1] !== null);
  }

  wantsData(dir: Direction): boolean {
    return !this.readerDone[dir] && !(this.readers[dir]?.done ?? false);
  }

  data(dir: Direction, bytes: Buffer, frame: number, time: number): void {
    this.reader(dir).push(bytes, frame, time);
  }

  gap(dir: Direction, cause: 'lost' | 'snaplen'): void {
    if (this.hello[dir] === null) this.gaps[dir] ??= cause;
    this.readers[dir]?.gap(cause);
  }

  close(reason: CloseReason): void {
    for (const dir of [0, 1] as const) {
      const reader = this.readers[dir];
      if (reader !== null && !reader.done) reader.end(this.lastFrame, this.lastTime);
    }
    this.done(this.outcome(reason));
  }

  private reader(dir: Direction): TlsStreamReader {
    let reader = this.readers[dir];
    if (reader === null) {
      reader = createTlsStreamReader({
        clientHello: (hello, at) => this.onClientHello(dir, hello, at),
        serverHello: (hello, at) => this.onServerHello(dir, hello, at),
        alert: (alert, at) => {
          this.alert[dir] ??= { alert, at };
        },
      });
      this.readers[dir] = reader;
    }
    return reader;
  }

  private stopReader(dir: Direction): void {
    this.readers[dir]?.stop();
    // Let go of it: connections live on long after their handshake, and thousands are open at once.
    this.readers[dir] = null;
    this.readerDone[dir] = true;
  }

  private onClientHello(dir: Direction, hello: ClientHello, at: Position): void {
    this.helloCount[dir]++;
    if (this.hello[dir] === null) {
      this.hello[dir] = { hello: helloFacts(hello), at, ja4: sharedText(ja4(hello, 'tcp')) };
      this.firstHelloDir ??= dir;
    }
    // A second ClientHello (after a HelloRetryRequest) is all a client sends in the clear.
    if (this.helloCount[dir] >= 2 || this.serverHello[other(dir)] !== null) this.stopReader(dir);
  }

  private onServerHello(dir: Direction, hello: ServerHello, at: Position): void {
    this.firstHelloDir ??= other(dir);
    if (hello.helloRetryRequest) {
      this.retry[dir] ??= at;
      return;
    }
    this.serverHello[dir] ??= { hello: sharedServerHello(hello), at };
    this.stopReader(dir);
    if (this.hello[other(dir)] !== null) this.stopReader(other(dir));
  }

  /** Direction sent by the client, and how that was known. */
  private clientDirection(): [Direction, SideEvidence] {
    if (this.synOnly[0] !== null || this.synOnly[1] !== null) {
      if (this.synOnly[0] === null) return [1, 'syn'];
      if (this.synOnly[1] === null) return [0, 'syn'];
      return [this.synOnly[0].frame <= this.synOnly[1].frame ? 0 : 1, 'syn'];
    }
    if (this.synAck[0] !== null) return [1, 'syn-ack'];
    if (this.synAck[1] !== null) return [0, 'syn-ack'];
    if (this.hello[0] !== null || this.hello[1] !== null) {
      if (this.hello[1] === null) return [0, 'client-hello'];
      if (this.hello[0] === null) return [1, 'client-hello'];
      return [this.hello[0].at.firstFrame <= this.hello[1].at.firstFrame ? 0 : 1, 'client-hello'];
    }
    if (this.serverHello[0] !== null) return [1, 'server-hello'];
    if (this.serverHello[1] !== null) return [0, 'server-hello'];
    // The server is the side with the lower port (well-known ports are low); on a tie, the first sender is the client.
    return [this.conn.portA >= this.conn.portB ? 0 : 1, 'port'];
  }

  private outcome(reason: CloseReason): ConnectionOutcome {
    const [c, sideEvidence] = this.clientDirection();
    const s = other(c);
    const { conn } = this;
    const ipA = addressText(conn.addressA, conn.ipVersion);
    const ipB = addressText(conn.addressB, conn.ipVersion);
    const last = this.lastRef();
    const first = this.first ?? last;
    const outcome: ConnectionOutcome = {
      stream: conn.id,
      capture: this.capture,
      ipVersion: conn.ipVersion,
      client: c === 0 ? { ip: ipA, port: conn.portA } : { ip: ipB, port: conn.portB },
      server: c === 0 ? sharedEndpoint(ipB, conn.portB) : sharedEndpoint(ipA, conn.portA),
      sideEvidence,
      tunnel: conn.tunnel,
      packets: this.packets,
      first,
      last,
      syn: this.synOnly[c],
      synAck: this.synAck[s],
      handshakeAck: this.ackDir === c ? { frame: this.ackFrame, time: this.ackTime } : null,
      clientIsn: this.synOnly[c] === null ? null : this.synSeq[c],
      clientHello: this.hello[c],
      clientHelloCount: this.helloCount[c],
      helloRetryRequest: this.retry[s],
      serverHello: this.serverHello[s],
      serverAlert: this.alert[s],
      clientAlert: this.alert[c],
      serverReset: this.rst[s],
      clientReset: this.rst[c],
      serverFin: this.fin[s],
      clientFin: this.fin[c],
      clientGap: this.gaps[c],
      closedBy: reason,
      category: 'no-tls',
    };
    outcome.category = categorize(outcome);
    return outcome;
  }
}

function other(dir: Direction): Direction {
  return dir === 0 ? 1 : 0;
}
