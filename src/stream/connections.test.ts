import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { IpPacket } from '../ip/types.js';
import { ConnectionRecorder } from '../outcome/recorder.js';
import type { ConnectionOutcome } from '../outcome/types.js';
import type { TcpSegment } from '../tcp/segment.js';
import { clientHelloRecord, serverNameExtension } from '../tls/testing/encode.js';
import { ConnectionTable, tupleHash, type ConnectionLimits, type ConnectionObserver, type TcpConnection } from './connections.js';
import { inverse32 } from '../../test/helpers/hash-collisions.js';
import { HELD_SEGMENT_COST } from './reassembler.js';

/** One segment between two of a few endpoints, with any flags, numbers and payload. */
interface Step {
  a: number;
  b: number;
  aPort: number;
  bPort: number;
  flags: number;
  seq: number;
  ack: number;
  payload: Buffer;
  /** Declared payload length beyond what was captured (a snap length cut). */
  cut: number;
  /** Capture time step, negative too (timestamps that go backwards). */
  dt: number;
}

const HELLO = clientHelloRecord({ cipherSuites: [0x1301], extensions: [serverNameExtension([{ name: Buffer.from('a.example') }])] });

const step: fc.Arbitrary<Step> = fc.record({
  a: fc.nat(3),
  b: fc.nat(3),
  aPort: fc.constantFrom(443, 50000, 50001),
  bPort: fc.constantFrom(443, 50000, 50001),
  flags: fc.oneof(fc.constantFrom(0x02, 0x12, 0x10, 0x18, 0x04, 0x14, 0x11, 0x01), fc.nat(0xff)),
  seq: fc.oneof(fc.constantFrom(0, 1, 1000, 1001, 0xffffffff, 0xfffffff0), fc.nat({ max: 0xffffffff })),
  ack: fc.nat({ max: 0xffffffff }),
  payload: fc.oneof(
    fc.constant(Buffer.alloc(0)),
    fc.uint8Array({ maxLength: 64 }).map((x) => Buffer.from(x)),
    fc.nat(HELLO.length).map((n) => HELLO.subarray(0, n)),
    fc.nat(HELLO.length).map((n) => HELLO.subarray(n)),
  ),
  cut: fc.constantFrom(0, 0, 0, 1, 1000),
  dt: fc.oneof(fc.constant(0.001), fc.constant(5), fc.constant(-3), fc.double({ min: -10, max: 10, noNaN: true })),
});

/** A follower that does nothing but what `parts` say: reads no bytes, never closing. */
function follower(parts: Partial<ConnectionObserver>): ConnectionObserver {
  return { segment: () => false, data: () => undefined, gap: () => undefined, wantsData: () => false, closing: false, close: () => undefined, ...parts };
}

function packet(s: Step): { ip: IpPacket; tcp: TcpSegment } {
  const data = Buffer.concat([Buffer.from([10, 0, 0, s.a, 10, 0, 0, s.b]), s.payload]);
  const ip: IpPacket = { version: 4, data, srcOffset: 0, dstOffset: 4, protocol: 6, payloadOffset: 8, payloadEnd: data.length, payloadLength: s.payload.length + s.cut, hopLimit: 64, tunnel: null };
  const tcp: TcpSegment = { srcPort: s.aPort, dstPort: s.bPort, seq: s.seq, ack: s.ack, flags: s.flags, window: 1000, payloadOffset: 8, payloadEnd: data.length, payloadLength: s.payload.length + s.cut };
  return { ip, tcp };
}

/** A full garbage collection, for measuring what a table keeps. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Heap bytes still held after `work`, while `keep` is alive. */
function retainedBy<T>(work: () => T): { kept: T; bytes: number } {
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  const kept = work();
  collectGarbage();
  return { kept, bytes: process.memoryUsage().heapUsed - before };
}

/** `n` short connections from distinct ports, each a SYN and then a RST, `gap` seconds apart. */
function shortConnections(table: ConnectionTable, n: number, gap: (i: number) => number): void {
  let time = 1_700_000_000;
  for (let i = 0; i < n; i++) {
    time += gap(i);
    const syn = packet({ a: 1, b: 2, aPort: 0, bPort: 443, flags: 0x02, seq: i, ack: 0, payload: Buffer.alloc(0), cut: 0, dt: 0 });
    syn.tcp.srcPort = 1024 + (i % 60000);
    syn.ip.data[2] = i >> 16;
    table.segment(syn.ip, syn.tcp, { frame: 2 * i + 1, time });
    const rst = packet({ a: 1, b: 2, aPort: 0, bPort: 443, flags: 0x04, seq: i + 1, ack: 0, payload: Buffer.alloc(0), cut: 0, dt: 0 });
    rst.tcp.srcPort = syn.tcp.srcPort;
    rst.ip.data[2] = i >> 16;
    table.segment(rst.ip, rst.tcp, { frame: 2 * i + 2, time: time + 0.001 });
  }
}

function run(steps: Step[], limits: Partial<ConnectionLimits>) {
  const outcomes: ConnectionOutcome[] = [];
  const table = new ConnectionTable((conn) => new ConnectionRecorder(conn, 0, (o) => outcomes.push(o)), limits);
  let time = 1_700_000_000;
  let maxLive = 0;
  let maxPending = 0;
  steps.forEach((s, i) => {
    time += s.dt;
    const { ip, tcp } = packet(s);
    table.segment(ip, tcp, { frame: i + 1, time });
    maxLive = Math.max(maxLive, table.size);
    maxPending = Math.max(maxPending, table.pendingBytes);
  });
  table.finish();
  return { outcomes, stats: table.stats, maxLive, maxPending, size: table.size, pendingAtEnd: table.pendingBytes };
}

describe('ConnectionTable lookup', () => {
  // Addresses that share their first bytes, and the same port on both sides: a lookup must
  // still tell connections and directions apart by the whole 4-tuple.
  const address = (version: 4 | 6) =>
    fc.tuple(fc.nat(2), fc.nat(2)).map(([x, y]) =>
      version === 4 ? Buffer.from([10, 0, x, y]) : Buffer.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, x, 0, 0, 0, y]),
    );
  const end = (version: 4 | 6) => fc.record({ address: address(version), port: fc.constantFrom(443, 50000) });
  const packets = fc.constantFrom<4 | 6>(4, 6).chain((version) => fc.array(fc.tuple(end(version), end(version)), { minLength: 1, maxLength: 60 }));

  it('finds the connection and direction of every packet by its whole 4-tuple', () => {
    fc.assert(
      fc.property(packets, (list) => {
        const seen: Array<[number, number]> = [];
        const table = new ConnectionTable((conn) =>
          follower({
            segment: (dir) => {
              seen.push([conn.id, dir]);
              return true;
            },
          }),
        );
        // The model: connections by their 4-tuple as text, in the order of their first packet.
        const model = new Map<string, number>();
        const expected: Array<[number, number]> = [];
        list.forEach(([src, dst], i) => {
          const from = `${src.address.toString('hex')}:${src.port}`;
          const to = `${dst.address.toString('hex')}:${dst.port}`;
          const forward = model.get(`${from}>${to}`);
          const backward = model.get(`${to}>${from}`);
          if (forward !== undefined) expected.push([forward, 0]);
          else if (backward !== undefined) expected.push([backward, 1]);
          else {
            model.set(`${from}>${to}`, model.size);
            expected.push([model.size - 1, 0]);
          }
          const data = Buffer.concat([src.address, dst.address]);
          const length = src.address.length;
          const ip: IpPacket = { version: length === 4 ? 4 : 6, data, srcOffset: 0, dstOffset: length, protocol: 6, payloadOffset: data.length, payloadEnd: data.length, payloadLength: 0, hopLimit: 64, tunnel: null };
          const tcp: TcpSegment = { srcPort: src.port, dstPort: dst.port, seq: 1, ack: 1, flags: 0x10, window: 1000, payloadOffset: data.length, payloadEnd: data.length, payloadLength: 0 };
          table.segment(ip, tcp, { frame: i + 1, time: 1 + i });
        });
        expect(seen).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('tupleHash', () => {
  /**
   * For a seed the hash's author knows, `count` IPv4 4-tuples to one server that all hash alike:
   * for each client port, the one client address that brings the hash to the same value (the
   * multiplication is a bijection, so it can be solved for the address).
   */
  function alike(seed: number, count: number): Buffer[] {
    const inverse = inverse32(0x85ebca6b);
    const target = 0x1234567;
    return Array.from({ length: count }, (_, i) => {
      const port = 1024 + i;
      const a0 = Math.imul(port ^ seed, 0x9e3779b1);
      const word = Math.imul((target ^ (a0 >>> 13)) | 0, inverse) ^ a0;
      const packet = Buffer.alloc(12);
      packet.writeInt32LE(word, 0); // client address
      packet.set([192, 0, 2, 10], 4); // server address
      packet.writeUInt16BE(port, 8);
      packet.writeUInt16BE(443, 10);
      return packet;
    });
  }

  const hashOf = (p: Buffer, seed: number): number => tupleHash(p, 0, 4, 4, p.readUInt16BE(8), p.readUInt16BE(10), seed);

  it('is the same in both directions', () => {
    const p = alike(7, 1)[0]!;
    const reverse = Buffer.concat([p.subarray(4, 8), p.subarray(0, 4), p.subarray(10, 12), p.subarray(8, 10)]);
    expect(hashOf(reverse, 7)).toBe(hashOf(p, 7));
  });

  it('4-tuples made to hash alike under one seed spread under another', () => {
    const tuples = alike(7, 2000);
    expect(new Set(tuples.map((p) => hashOf(p, 7))).size).toBe(1);
    expect(new Set(tuples.map((p) => hashOf(p, 8))).size).toBeGreaterThan(1990);
  });
});

describe('ConnectionTable removal', () => {
  // Thousands of connections, then some end, in an order fast-check picks: every other one must
  // still be found by its packets, and none opened anew.
  it('finds every live connection after others are taken out of the table', () => {
    const count = 3000;
    fc.assert(
      fc.property(fc.array(fc.nat(count - 1), { maxLength: 2000 }), fc.boolean(), (ending, v6) => {
        const seen: number[] = [];
        const table = new ConnectionTable(
          (conn) => {
            let reset = false;
            return {
              segment: (_dir, header) => {
                seen.push(conn.id);
                if (header.flags & 0x04) reset = true;
                return true;
              },
              data: () => undefined,
              gap: () => undefined,
              wantsData: () => false,
              get closing() {
                return reset;
              },
              close: () => undefined,
            };
          },
          { lingerSeconds: 0, maxRemembered: 0 },
        );
        const send = (i: number, flags: number, time: number): void => {
          const client = v6 ? Buffer.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, i >> 8, i & 0xff]) : Buffer.from([10, 1, i >> 8, i & 0xff]);
          const server = v6 ? Buffer.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]) : Buffer.from([192, 0, 2, 1]);
          const data = Buffer.concat([client, server]);
          const ip: IpPacket = { version: v6 ? 6 : 4, data, srcOffset: 0, dstOffset: client.length, protocol: 6, payloadOffset: data.length, payloadEnd: data.length, payloadLength: 0, hopLimit: 64, tunnel: null };
          const tcp: TcpSegment = { srcPort: 40000 + (i % 7), dstPort: 443, seq: 1, ack: 1, flags, window: 1000, payloadOffset: data.length, payloadEnd: data.length, payloadLength: 0 };
          table.segment(ip, tcp, { frame: 0, time });
        };
        for (let i = 0; i < count; i++) send(i, 0x02, 1);
        const ended = new Set(ending);
        for (const i of ended) send(i, 0x04, 2);
        seen.length = 0;
        const live = [...Array(count).keys()].filter((i) => !ended.has(i));
        for (const i of live) send(i, 0x10, 3);
        expect(seen).toEqual(live);
        expect(table.size).toBe(live.length);
        expect(table.stats.connections).toBe(count);
      }),
      // A failure is shown as found: shrinking thousands of connections takes minutes.
      { numRuns: 30, endOnFailure: true },
    );
  });
});

describe('ConnectionTable with ConnectionRecorder', () => {
  it('never throws on any sequence of segments, keeps within its limits, and closes every connection once', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120 }), fc.record({ maxConnections: fc.integer({ min: 1, max: 6 }), maxRemembered: fc.nat(4), maxPendingBytes: fc.integer({ min: 1, max: 512 }), maxPendingSegments: fc.integer({ min: 1, max: 8 }), maxPendingBytesTotal: fc.integer({ min: 1, max: 256 }), lingerSeconds: fc.constantFrom(0, 2) }), (steps, limits) => {
        const r = run(steps, limits);
        expect(r.maxLive).toBeLessThanOrEqual(limits.maxConnections);
        expect(r.size).toBe(0);
        // Held out-of-order bytes stay within the total, and all are let go.
        expect(r.maxPending).toBeLessThanOrEqual(limits.maxPendingBytesTotal);
        expect(r.pendingAtEnd).toBe(0);
        expect(r.outcomes).toHaveLength(r.stats.connections);
        const streams = r.outcomes.map((o) => o.stream).sort((x, y) => x - y);
        expect(streams).toEqual(Array.from({ length: r.stats.connections }, (_, i) => i));
        for (const o of r.outcomes) {
          expect(o.first.frame).toBeGreaterThanOrEqual(1);
          expect(o.first.frame).toBeLessThanOrEqual(o.last.frame);
          expect(o.last.frame).toBeLessThanOrEqual(steps.length);
          if (o.clientHello !== null) {
            expect(o.clientHello.at.firstFrame).toBeLessThanOrEqual(o.clientHello.at.frame);
            expect(o.clientHello.at.frame).toBeLessThanOrEqual(o.last.frame);
          }
          if (o.clientHello === null) expect(o.category).toBe('no-tls');
        }
        expect(r.stats.evicted).toBe(r.outcomes.filter((o) => o.closedBy === 'evicted').length);
      }),
      { numRuns: 1500 },
    );
  });

  it('caps a flood of distinct 4-tuples at maxConnections, counting every eviction', () => {
    const outcomes: ConnectionOutcome[] = [];
    const table = new ConnectionTable((conn) => new ConnectionRecorder(conn, 0, (o) => outcomes.push(o)), { maxConnections: 1000 });
    for (let i = 0; i < 20_000; i++) {
      const { ip, tcp } = packet({ a: i >> 16, b: 200, aPort: 1024 + (i & 0xffff), bPort: 443, flags: 0x02, seq: i, ack: 0, payload: Buffer.alloc(0), cut: 0, dt: 0 });
      ip.data[2] = (i >> 8) & 0xff;
      table.segment(ip, tcp, { frame: i + 1, time: 1 + i / 1000 });
      expect(table.size).toBeLessThanOrEqual(1000);
    }
    table.finish();
    expect(table.stats.connections).toBe(20_000);
    expect(table.stats.evicted).toBe(19_000);
    expect(outcomes.filter((o) => o.closedBy === 'evicted')).toHaveLength(19_000);
    expect(outcomes).toHaveLength(20_000);
  });

  it('keeps nothing of connections that closed: a long capture of short connections stays small', () => {
    let outcomes = 0;
    const { kept: table, bytes } = retainedBy(() => {
      const t = new ConnectionTable((conn) => new ConnectionRecorder(conn, 0, () => outcomes++));
      shortConnections(t, 100_000, () => 1);
      return t;
    });
    expect(outcomes).toBeGreaterThan(99_000);
    expect(table.size).toBeLessThan(5);
    // About 2 KB per connection (200 MB here) were kept before; the remembered 4-tuples (65,536) are what stays.
    expect(bytes).toBeLessThan(40 * 1024 * 1024);
  });

  it('stays within maxConnections and bounded memory when capture time goes backwards', () => {
    let outcomes = 0;
    const { kept: table, bytes } = retainedBy(() => {
      const t = new ConnectionTable((conn) => new ConnectionRecorder(conn, 0, () => outcomes++), { maxConnections: 1000 });
      // Every connection closes at a time before the previous one: no linger ever passes.
      shortConnections(t, 100_000, () => -1);
      return t;
    });
    expect(table.size).toBeLessThanOrEqual(1000);
    expect(outcomes).toBeGreaterThanOrEqual(99_000);
    expect(bytes).toBeLessThan(40 * 1024 * 1024);
    table.finish();
    expect(outcomes).toBe(100_000);
  });

  it('keeps at most maxLingering closed connections when thousands close within the linger', () => {
    const closed: string[] = [];
    const table = new ConnectionTable((conn) => new ConnectionRecorder(conn, 0, (o) => closed.push(o.closedBy)), { maxLingering: 100 });
    // 10,000 connections, each reset a millisecond after its SYN, all within one second.
    shortConnections(table, 10_000, () => 0.0001);
    expect(table.size).toBeLessThanOrEqual(101);
    expect(closed.length).toBeGreaterThanOrEqual(9_899);
    expect(closed.every((c) => c === 'closed')).toBe(true);
    table.finish();
    expect(closed).toHaveLength(10_000);
  });

  /** A client (10.0.0.1:50000) and a server (10.0.0.2:443) exchanging empty segments, frame n at capture time 1000 + n ms. */
  function conversation(table: ConnectionTable) {
    let frame = 0;
    return (fromClient: boolean, flags: number, seq: number, ack: number): void => {
      frame++;
      const { ip, tcp } = packet({ a: fromClient ? 1 : 2, b: fromClient ? 2 : 1, aPort: fromClient ? 50000 : 443, bPort: fromClient ? 443 : 50000, flags, seq, ack, payload: Buffer.alloc(0), cut: 0, dt: 0 });
      table.segment(ip, tcp, { frame, time: 1000 + frame / 1000 });
    };
  }

  it('lets a connection go as soon as both FINs are acknowledged, and counts what follows as stragglers', () => {
    const closed: string[] = [];
    const table = new ConnectionTable((conn) => new ConnectionRecorder(conn, 0, (o) => closed.push(`${o.packets} ${o.last.frame} ${o.closedBy}`)), { lingerSeconds: 2 });
    const send = conversation(table);
    send(true, 0x02, 100, 0); // SYN
    send(false, 0x12, 500, 101); // SYN/ACK
    send(true, 0x10, 101, 501); // ACK
    send(true, 0x11, 101, 501); // FIN: acknowledged by 102
    send(false, 0x11, 501, 102); // FIN, acknowledging the client's
    expect(closed).toEqual([]);
    send(true, 0x10, 102, 502); // the last ACK
    expect(closed).toEqual(['6 6 closed']);
    expect(table.size).toBe(0);
    send(false, 0x11, 501, 102); // the server's FIN again
    expect(table.stats.stragglers).toBe(1);
    expect(table.stats.connections).toBe(1);
  });

  it('keeps a finished connection for its linger while a FIN is not acknowledged', () => {
    const closed: string[] = [];
    const table = new ConnectionTable((conn) => new ConnectionRecorder(conn, 0, (o) => closed.push(`${o.packets} ${o.last.frame} ${o.closedBy}`)), { lingerSeconds: 2 });
    const send = conversation(table);
    send(true, 0x02, 100, 0);
    send(false, 0x12, 500, 101);
    send(true, 0x11, 101, 501); // FIN
    send(false, 0x11, 501, 102); // FIN/ACK
    send(true, 0x10, 102, 501); // an ACK, but not of the server's FIN (that would be 502)
    send(false, 0x04, 502, 0); // the server's RST comes within the linger: it is the connection's
    expect(closed).toEqual([]);
    expect(table.size).toBe(1);
    table.finish();
    expect(closed).toEqual(['6 6 end-of-capture']);
  });

  it('shows the follower only the segments it has a use for, and counts every one in the connection', () => {
    const shown: number[] = [];
    let wantsEvery = true;
    let reading = true;
    let connection: TcpConnection | null = null;
    const table = new ConnectionTable((conn) => {
      connection = conn;
      return follower({
        segment: (_dir, _header, at) => {
          shown.push(at.frame);
          return wantsEvery;
        },
        wantsData: () => reading,
      });
    });
    let frame = 0;
    const send = (fromClient: boolean, flags: number, payload = ''): void => {
      frame++;
      const { ip, tcp } = packet({ a: fromClient ? 1 : 2, b: fromClient ? 2 : 1, aPort: fromClient ? 50000 : 443, bPort: fromClient ? 443 : 50000, flags, seq: 101, ack: 501, payload: Buffer.from(payload), cut: 0, dt: 0 });
      table.segment(ip, tcp, { frame, time: 1000 + frame / 1000 });
    };
    send(true, 0x02); // 1 SYN
    send(false, 0x12); // 2 SYN/ACK: the answer asks for every segment
    wantsEvery = false;
    send(true, 0x10); // 3 ACK: shown, as asked; the answer asks for no more
    send(false, 0x10); // 4 ACK: not shown
    send(true, 0x18, 'ab'); // 5 bytes: shown, the follower still read them when last asked
    reading = false;
    send(true, 0x18, 'cd'); // 6 bytes: shown (it still read them when last asked), and now it does not
    send(true, 0x18, 'ef'); // 7 bytes no longer read: not shown
    send(false, 0x10); // 8 ACK: not shown
    send(false, 0x04); // 9 RST: always shown
    expect(shown).toEqual([1, 2, 3, 5, 6, 9]);
    const seen = connection as TcpConnection | null;
    expect([seen?.packets, seen?.lastFrame, seen?.lastTime]).toEqual([9, 9, 1000.009]);
  });

  it("lets go of a direction's held bytes when the follower stops reading it, whichever direction's packet stopped it", () => {
    let reading0 = true;
    const table = new ConnectionTable(() => follower({ wantsData: (dir) => dir === 1 || reading0 }));
    const send = (fromClient: boolean, flags: number, seq: number, payload: string, frame: number): void => {
      const { ip, tcp } = packet({ a: fromClient ? 1 : 2, b: fromClient ? 2 : 1, aPort: fromClient ? 50000 : 443, bPort: fromClient ? 443 : 50000, flags, seq, ack: 0, payload: Buffer.from(payload), cut: 0, dt: 0 });
      table.segment(ip, tcp, { frame, time: 1000 + frame / 1000 });
    };
    send(true, 0x02, 100, '', 1); // SYN: client bytes start at 101
    send(true, 0x18, 110, 'later', 2); // out of order: held
    expect(table.pendingBytes).toBe(5 + HELD_SEGMENT_COST);
    reading0 = false;
    send(false, 0x18, 500, 'x', 3); // the server's bytes make the follower stop reading the client
    expect(table.pendingBytes).toBe(0);
  });

  it('lets a connection go after its linger when capture time jumped back by more than the linger', () => {
    const closed: string[] = [];
    const table = new ConnectionTable((conn) => new ConnectionRecorder(conn, 0, (o) => closed.push(`${o.client.port} ${o.closedBy}`)), { lingerSeconds: 2 });
    const send = (port: number, flags: number, frame: number, time: number) => {
      const { ip, tcp } = packet({ a: 1, b: 2, aPort: port, bPort: 443, flags, seq: 1, ack: 0, payload: Buffer.alloc(0), cut: 0, dt: 0 });
      table.segment(ip, tcp, { frame: frame, time });
    };
    send(50000, 0x02, 1, 1000);
    send(50000, 0x04, 2, 1000.001);
    // An hour earlier: the first connection's linger starts again from here.
    send(50001, 0x02, 3, 10);
    send(50001, 0x04, 4, 10.001);
    expect(closed).toEqual([]);
    send(443, 0x02, 5, 12.5);
    expect(closed).toEqual(['50000 closed', '50001 closed']);
    expect(table.size).toBe(1);
  });
});
