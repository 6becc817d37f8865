import { describe, expect, it } from 'vitest';
import { categorize } from '../outcome/category.js';
import { outcome } from '../outcome/testing/outcome.js';
import type { ConnectionOutcome } from '../outcome/types.js';
import { linkCopies } from './copies.js';
import { judge } from './verdicts.js';

const SERVICE = '10.233.0.100';
const POD = '10.233.2.2';

function random(seed: number): string {
  return Buffer.from(Array.from({ length: 32 }, (_, i) => (seed * 31 + i * 7) & 0xff)).toString('latin1');
}

interface CopySketch {
  seed: number;
  server: string;
  /** Frame of the SYN; the ClientHello follows 3 frames later. */
  first: number;
  resetFrame?: number;
  serverHelloFrame?: number;
  client?: string;
  stream?: number;
  capture?: number;
  sni?: 'absent' | 'present';
}

/** One capture of a connection: SYN at `first`, ClientHello at first+3, then a RST or a ServerHello. */
function seen(s: CopySketch): ConnectionOutcome {
  const o = outcome({ client: s.client ?? '10.233.1.2', server: s.server, sni: s.sni ?? 'absent', stream: s.stream ?? 0, serverResetFrame: s.resetFrame, serverHelloFrame: s.serverHelloFrame });
  o.capture = s.capture ?? 0;
  o.server = { ip: s.server, port: s.server === POD ? 8443 : 443 };
  o.first = { frame: s.first, time: s.first / 1000 };
  o.syn = o.first;
  if (o.clientHello !== null) {
    o.clientHello = { ...o.clientHello, hello: { ...o.clientHello.hello, random: random(s.seed) }, at: { frame: s.first + 3, firstFrame: s.first + 3, time: (s.first + 3) / 1000 } };
  }
  o.category = categorize(o);
  return o;
}

describe('linkCopies', () => {
  it('counts a connection captured before and after DNAT once, and says which address reset it', () => {
    const node = seen({ seed: 1, server: SERVICE, first: 1, resetFrame: 12, stream: 0 });
    const pod = seen({ seed: 1, server: POD, first: 2, resetFrame: 11, stream: 1 });
    const linked = linkCopies([node, pod], (ip) => ip === SERVICE);
    expect(linked).toHaveLength(1);
    const [c] = linked;
    expect(c.server.ip).toBe(SERVICE);
    expect(c.copies.map((x) => [x.server.ip, x.server.port, x.stream])).toEqual([[POD, 8443, 1]]);
    // The RST the pod sent (frame 11) is reported, with the pod's address; frame 12 is that RST after the node translated it back.
    expect(c.serverReset?.frame).toBe(11);
    expect(c.resetOrigin).toEqual({ from: { ip: POD, port: 8443 }, capture: 0, stream: 1, translated: { frame: 12, time: 0.012 } });
    expect(c.category).toBe('non-sni-reset');
  });

  it('keeps the copy whose server is the ingress named, else the first one seen', () => {
    const node = seen({ seed: 2, server: SERVICE, first: 1, resetFrame: 12 });
    const pod = seen({ seed: 2, server: POD, first: 2, resetFrame: 11, stream: 1 });
    expect(linkCopies([node, pod], (ip) => ip === POD)[0].server.ip).toBe(POD);
    expect(linkCopies([pod, node], () => false)[0].server.ip).toBe(SERVICE);
  });

  it('takes the reset from a copy when the kept copy saw none', () => {
    const node = seen({ seed: 3, server: SERVICE, first: 1 });
    const pod = seen({ seed: 3, server: POD, first: 2, resetFrame: 9, stream: 1 });
    expect(node.category).toBe('non-sni-ok');
    const [c] = linkCopies([node, pod], (ip) => ip === SERVICE);
    expect(c.category).toBe('non-sni-reset');
    expect(c.serverReset?.frame).toBe(9);
    expect(c.resetOrigin?.from.ip).toBe(POD);
    expect(c.resetOrigin?.translated).toBeNull();
  });

  it('links copies across capture files without comparing their frame numbers', () => {
    const nodeA = seen({ seed: 4, server: SERVICE, first: 100, capture: 0 });
    const nodeB = seen({ seed: 4, server: POD, first: 3, resetFrame: 8, capture: 1 });
    const [c] = linkCopies([nodeA, nodeB], (ip) => ip === SERVICE);
    expect(c.capture).toBe(0);
    expect(c.category).toBe('non-sni-reset');
    expect(c.resetOrigin).toMatchObject({ capture: 1, from: { ip: POD } });
  });

  it('does not link different randoms, nor randoms that cannot identify a connection', () => {
    const a = seen({ seed: 5, server: SERVICE, first: 1 });
    const b = seen({ seed: 6, server: SERVICE, first: 10, stream: 1 });
    expect(linkCopies([a, b], () => true)).toHaveLength(2);
    const zero1 = outcome({ sni: 'absent', stream: 0 });
    const zero2 = outcome({ sni: 'absent', stream: 1, server: POD });
    expect(zero1.clientHello?.hello.random).toBe('\u0000'.repeat(32));
    expect(linkCopies([zero1, zero2], () => true)).toHaveLength(2);
    const noHello = outcome({ sni: null });
    expect(linkCopies([noHello], () => true)[0].copies).toEqual([]);
  });

  it('does not link a proxy relaying the hello on a connection of its own (another initial sequence number)', () => {
    const toProxy = seen({ seed: 8, server: '127.0.0.1', first: 1, client: '127.0.0.1' });
    const upstream = seen({ seed: 8, server: SERVICE, first: 5, client: '192.168.1.183', stream: 1 });
    upstream.clientIsn = 777;
    expect(linkCopies([toProxy, upstream], () => true)).toHaveLength(2);
    upstream.clientIsn = toProxy.clientIsn;
    expect(linkCopies([toProxy, upstream], () => true)).toHaveLength(1);
  });

  it('does not link one random in hellos that differ, or between the same addresses (a trace that replays a hello)', () => {
    const a = seen({ seed: 9, server: SERVICE, first: 1, sni: 'present' });
    const b = seen({ seed: 9, server: POD, first: 10, stream: 1 });
    expect(linkCopies([a, b], () => true)).toHaveLength(2);
    const c = seen({ seed: 9, server: SERVICE, first: 20, stream: 2, sni: 'present' });
    c.client = { ...c.client, port: 50000 };
    expect(linkCopies([a, c], () => true)).toHaveLength(2);
  });

  it('without both SYNs, links copies only within one capture file and one second', () => {
    const a = seen({ seed: 12, server: SERVICE, first: 1 });
    const b = seen({ seed: 12, server: POD, first: 2, stream: 1 });
    a.clientIsn = null;
    expect(linkCopies([a, b], () => true)).toHaveLength(1);
    b.capture = 1;
    expect(linkCopies([a, b], () => true)).toHaveLength(2);
    b.capture = 0;
    if (b.clientHello !== null) b.clientHello = { ...b.clientHello, at: { ...b.clientHello.at, time: 5 } };
    expect(linkCopies([a, b], () => true)).toHaveLength(2);
  });

  it('leaves a connection seen once as it was', () => {
    const o = seen({ seed: 7, server: SERVICE, first: 1, resetFrame: 6 });
    const [c] = linkCopies([o], () => true);
    expect(c).toMatchObject({ ...o, copies: [], resetOrigin: { from: o.server, capture: 0, stream: 0, translated: null } });
  });
});

describe('judge with copies', () => {
  const outcomes = [
    seen({ seed: 10, server: SERVICE, first: 1, resetFrame: 12, stream: 0, client: '10.233.1.2' }),
    seen({ seed: 10, server: POD, first: 2, resetFrame: 11, stream: 1, client: '10.233.1.2' }),
    seen({ seed: 11, server: SERVICE, first: 20, serverHelloFrame: 25, stream: 2, client: '10.233.1.3', sni: 'present' }),
    seen({ seed: 11, server: POD, first: 21, serverHelloFrame: 24, stream: 3, client: '10.233.1.3', sni: 'present' }),
  ];

  it('scopes with the service address and counts each connection once', () => {
    const v = judge(outcomes, (ip) => ip === SERVICE, [SERVICE]);
    expect(v.connections).toHaveLength(2);
    expect(v.linkedCopies).toBe(2);
    expect(v.clients.map((c) => [c.ip, c.verdict, c.connections])).toEqual([
      ['10.233.1.2', 'non-sni-reset', 1],
      ['10.233.1.3', 'sni-ok', 1],
    ]);
  });

  it('finds both addresses as ingress when detecting it, and still counts once', () => {
    const v = judge(outcomes, null, []);
    expect(v.ingress.addresses).toEqual([SERVICE, POD]);
    expect(v.connections).toHaveLength(2);
    expect(v.clients.every((c) => c.connections === 1)).toBe(true);
  });

  it('scopes with the pod address too', () => {
    const v = judge(outcomes, (ip) => ip === POD, [POD]);
    expect(v.connections.map((c) => c.server.ip)).toEqual([POD, POD]);
    expect(v.connections[0].copies[0].server.ip).toBe(SERVICE);
  });
});
