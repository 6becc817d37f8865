import { describe, expect, it } from 'vitest';
import type { TcpConnection } from '../stream/connections.js';
import { ACK, FIN, PSH, RST, SYN } from '../tcp/segment.js';
import { decodeClientHello } from '../tls/client-hello.js';
import { ja4 } from '../tls/ja4.js';
import {
  alpnExtension,
  clientHelloRecord,
  encodeClientHelloBody,
  encodeServerHelloBody,
  handshakeMessage,
  records,
  signatureAlgorithmsExtension,
  supportedVersionsExtension,
} from '../tls/testing/encode.js';
import { ConnectionRecorder } from './recorder.js';
import type { ConnectionOutcome, CountedConnection, OutcomeSink } from './types.js';

const conn: TcpConnection = {
  id: 0,
  ipVersion: 4,
  addressA: Buffer.from([10, 0, 0, 1]).toString('latin1'),
  portA: 40000,
  addressB: Buffer.from([10, 0, 0, 100]).toString('latin1'),
  portB: 443,
  tunnel: null,
  packets: 0,
  lastFrame: 0,
  lastTime: 0,
};

/** Feeds [direction, flags] per frame (frame n at n ms) and returns the outcome. */
function record(packets: [0 | 1, number][]): ConnectionOutcome {
  let out: ConnectionOutcome | null = null;
  const r = new ConnectionRecorder(conn, 0, (o) => {
    out = o;
  });
  packets.forEach(([dir, flags], i) => r.segment(dir, { flags, seq: 0 }, { frame: i + 1, time: (i + 1) / 1000 }));
  r.close('closed');
  if (out === null) throw new Error('no outcome');
  return out;
}

describe('ConnectionRecorder handshakeAck', () => {
  it("is the client's first ACK after the SYN/ACK", () => {
    const o = record([
      [0, SYN],
      [1, SYN | ACK],
      [0, ACK],
      [0, PSH | ACK],
      [1, RST | ACK],
    ]);
    expect(o.syn).toEqual({ frame: 1, time: 0.001 });
    expect(o.synAck).toEqual({ frame: 2, time: 0.002 });
    expect(o.handshakeAck).toEqual({ frame: 3, time: 0.003 });
  });

  it('asks for every segment while the ACK is awaited, and for no more once it came', () => {
    const r = new ConnectionRecorder(conn, 0, () => undefined);
    const answers = [
      r.segment(0, { flags: SYN, seq: 0 }, { frame: 1, time: 0.001 }),
      r.segment(1, { flags: SYN | ACK, seq: 0 }, { frame: 2, time: 0.002 }),
      r.segment(1, { flags: ACK, seq: 0 }, { frame: 3, time: 0.003 }),
      r.segment(0, { flags: ACK, seq: 0 }, { frame: 4, time: 0.004 }),
      r.segment(0, { flags: PSH | ACK, seq: 0 }, { frame: 5, time: 0.005 }),
    ];
    expect(answers).toEqual([false, true, true, false, false]);
  });

  it('may carry data, and is null without a SYN/ACK or before it', () => {
    expect(record([[0, SYN], [1, SYN | ACK], [0, PSH | ACK]]).handshakeAck?.frame).toBe(3);
    expect(record([[0, ACK], [0, PSH | ACK], [1, ACK]]).handshakeAck).toBeNull();
    // The server's own ACKs do not count, nor a client's FIN or RST.
    expect(record([[0, SYN], [1, SYN | ACK], [1, ACK], [0, FIN | ACK]]).handshakeAck).toBeNull();
  });

  it('is taken from the client direction when the capture starts with the server', () => {
    const o = record([
      [0, SYN | ACK],
      [1, ACK],
      [0, ACK],
    ]);
    expect(o.sideEvidence).toBe('syn-ack');
    expect(o.client.port).toBe(443); // direction 1 (portB's sender) is the client here
    expect(o.handshakeAck?.frame).toBe(2);
  });
});

describe('ConnectionRecorder reading', () => {
  const clientHello = clientHelloRecord({ cipherSuites: [0x1301], extensions: [] });
  const serverHello = records(22, handshakeMessage(2, encodeServerHelloBody({ cipherSuite: 0x1301 })), 0x0303);

  it('wants no more bytes once both hellos are read, and ignores bytes already on their way', () => {
    let out: ConnectionOutcome | null = null;
    const r = new ConnectionRecorder(conn, 0, (o) => {
      out = o;
    });
    r.segment(0, { flags: SYN, seq: 100 }, { frame: 1, time: 0.001 });
    r.segment(1, { flags: SYN | ACK, seq: 500 }, { frame: 2, time: 0.002 });
    r.data(0, clientHello, 3, 0.003);
    expect([r.wantsData(0), r.wantsData(1)]).toEqual([true, true]);
    r.data(1, serverHello, 4, 0.004);
    expect([r.wantsData(0), r.wantsData(1)]).toEqual([false, false]);
    // Held bytes delivered in one go after reading stopped: another ClientHello is not counted.
    r.data(0, clientHello, 5, 0.005);
    r.close('closed');
    const o = out as ConnectionOutcome | null;
    expect(o?.clientHelloCount).toBe(1);
    expect(o?.serverHello?.at.firstFrame).toBe(4);
  });

  it.each([
    ['short lists: made when asked for', 20],
    ['long lists: made at once', 200],
  ])('gives the JA4 of the hello it read (%s)', (_name, count) => {
    const cipherSuites = Array.from({ length: count }, (_, i) => 0x1000 + i);
    const extensions = [alpnExtension([Buffer.from('h2')]), signatureAlgorithmsExtension([0x0403, 0x0804]), supportedVersionsExtension([0x0304])];
    const body = encodeClientHelloBody({ cipherSuites, extensions });
    let out: ConnectionOutcome | null = null;
    const r = new ConnectionRecorder(conn, 0, (o) => {
      out = o;
    });
    r.data(0, records(22, handshakeMessage(1, body), 0x0301), 1, 0.001);
    r.close('closed');
    const o = out as ConnectionOutcome | null;
    expect(o?.clientHello?.ja4).toBe(ja4(decodeClientHello(body, 0, body.length, true), 'tcp'));
    expect(o?.clientHello?.ja4).toMatch(/^t13i\d{4}h2_[0-9a-f]{12}_[0-9a-f]{12}$/);
  });

  it('keeps the first 128 of 200 extension types, says so, and gives the JA4 of all of them', () => {
    const extensions = [alpnExtension([Buffer.from('h2')]), ...Array.from({ length: 199 }, (_, i) => ({ type: 1000 + i, data: Buffer.alloc(0) }))];
    const body = encodeClientHelloBody({ cipherSuites: [0x1301], extensions });
    let out: ConnectionOutcome | null = null;
    const r = new ConnectionRecorder(conn, 0, (o) => {
      out = o;
    });
    r.data(0, records(22, handshakeMessage(1, body), 0x0301), 1, 0.001);
    r.close('closed');
    const seen = (out as ConnectionOutcome | null)?.clientHello;
    const decoded = decodeClientHello(body, 0, body.length, true);
    expect(decoded.extensionTypes).toHaveLength(200);
    expect(seen?.hello.extensionTypes).toEqual(decoded.extensionTypes.slice(0, 128));
    expect(seen?.hello.malformed).toBe('200 extensions, the first 128 kept');
    expect(seen?.ja4).toBe(ja4(decoded, 'tcp'));
    expect(seen?.ja4).toMatch(/^t12i0199h2_/);
  });

  it('counts a connection its sink does not want in full by the same facts as its outcome, without making one', () => {
    const run = (wanted: boolean) => {
      const got: { outcome?: ConnectionOutcome; counted?: CountedConnection; asked?: [boolean, string] } = {};
      const sink: OutcomeSink = {
        wants: (evidence, category) => {
          got.asked = [evidence, category];
          return wanted;
        },
        add: (o) => (got.outcome = o),
        count: (c) => (got.counted = { ...c }),
      };
      const r = new ConnectionRecorder(conn, 3, sink);
      r.segment(0, { flags: SYN, seq: 100 }, { frame: 1, time: 0.001 });
      r.segment(1, { flags: SYN | ACK, seq: 500 }, { frame: 2, time: 0.002 });
      r.data(0, clientHello, 3, 0.003);
      r.segment(1, { flags: RST, seq: 501 }, { frame: 4, time: 0.004 });
      r.close('closed');
      return got;
    };
    const full = run(true);
    const counted = run(false);
    expect(full.asked).toEqual([true, 'non-sni-reset']);
    expect(counted.outcome).toBeUndefined();
    const o = full.outcome as ConnectionOutcome;
    expect(counted.counted).toEqual({
      capture: 3,
      clientAddressBytes: conn.addressA,
      serverIp: o.server.ip,
      category: o.category,
      sniStatus: 'absent',
      resetByIngress: true,
      completed: false,
    });
    expect(o.clientAddressBytes).toBe(conn.addressA);
    expect(o.server.ip).toBe('10.0.0.100');
  });

  it('stops wanting a direction whose bytes are not TLS', () => {
    const r = new ConnectionRecorder(conn, 0, () => undefined);
    // Past the prefix the reader scans for a TLS record (16 KiB) without finding one.
    r.data(0, Buffer.from('GET / HTTP/1.1\r\nHost: example\r\n\r\n'.repeat(600)), 1, 0.001);
    expect(r.wantsData(0)).toBe(false);
    expect(r.wantsData(1)).toBe(true);
  });
});
