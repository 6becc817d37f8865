import { categorize, resetBeforeServerHello } from '../outcome/category.js';
import type { Category, ConnectionOutcome, Endpoint, FrameRef } from '../outcome/types.js';

/**
 * Another capture of a connection under other addresses. On a Kubernetes node, `tcpdump -i any`
 * sees a connection to a service or load-balancer address twice: on the node's interface with
 * the address the client dialled, and on the pod's veth after DNAT with the pod's address.
 */
export interface ConnectionCopy {
  capture: number;
  stream: number;
  client: Endpoint;
  server: Endpoint;
  packets: number;
  first: FrameRef;
  clientHelloFrame: number;
  clientHelloTime: number;
  serverReset: FrameRef | null;
  serverHelloFrame: number | null;
  category: Category;
}

/** Where a connection's server reset was seen. */
export interface ResetOrigin {
  /** The address the RST came from: the connection's server, or a copy's (the pod address after DNAT). */
  from: Endpoint;
  capture: number;
  stream: number;
  /** When the RST came from a copy: the kept copy's own RST, the same one after the node translated its address back. */
  translated: FrameRef | null;
}

/** A connection counted once, with the copies of it found elsewhere in the captures. */
export interface LinkedConnection extends ConnectionOutcome {
  /** The other copies (same ClientHello random); empty for a connection seen once. */
  copies: ConnectionCopy[];
  /** Where `serverReset` was seen; null without one. */
  resetOrigin: ResetOrigin | null;
}

/**
 * Links the copies of one connection by their ClientHello random (32 bytes, fresh for every
 * connection) and keeps one of them, with the others as `copies`. Copies also carry the same
 * ClientHello (JA4 and server_name), differ in an address (DNAT changes the server's, SNAT the
 * client's) and, when both SYNs were captured, have the same initial sequence number, which
 * address translation keeps: a proxy that relays the ClientHello on a connection of its own, or a
 * test trace that replays one hello, is not linked. Without both SYNs, copies must be in one
 * capture file within a second of each other. The one kept is the first copy whose server
 * `preferServer` accepts (the address named with --ingress), else the first seen. A connection
 * counts as reset when any copy was reset before a ServerHello; the RST reported is the earliest
 * within the kept copy's capture (the one the ingress sent, before the node translated its
 * address back), and `resetOrigin` says which address sent it.
 */
export function linkCopies(outcomes: readonly ConnectionOutcome[], preferServer: (ip: string) => boolean): LinkedConnection[] {
  /** Per random, the groups of copies found so far (usually one). */
  const byRandom = new Map<string, ConnectionOutcome[][]>();
  const out: (LinkedConnection | ConnectionOutcome[])[] = [];
  for (const o of outcomes) {
    const key = randomKey(o);
    if (key === null) {
      out.push(single(o));
      continue;
    }
    const groups = byRandom.get(key) ?? [];
    const group = groups.find((g) => sameConnection(g[0], o));
    if (group !== undefined) {
      group.push(o);
      continue;
    }
    const fresh = [o];
    groups.push(fresh);
    byRandom.set(key, groups);
    out.push(fresh);
  }
  return out.map((entry) => (Array.isArray(entry) ? (entry.length === 1 ? single(entry[0]) : merge(entry, preferServer)) : entry));
}

/** The ClientHello random as a map key, or null when it cannot identify a connection. */
function randomKey(o: ConnectionOutcome): string | null {
  const random = o.clientHello?.hello.random;
  if (random === undefined || random.length !== 32) return null;
  // An all-zero or one-byte-repeated random is a test tool's or a broken client's, not a fresh one.
  if (random === random[0].repeat(32)) return null;
  return random;
}

/** Two outcomes with the same random: copies of one connection, or two connections that carry the same hello? */
function sameConnection(a: ConnectionOutcome, b: ConnectionOutcome): boolean {
  const ha = a.clientHello;
  const hb = b.clientHello;
  if (ha === null || hb === null || ha.ja4 !== hb.ja4) return false;
  // Translation changes an address (DNAT the server's, SNAT the client's), not just a port.
  if (a.client.ip === b.client.ip && a.server.ip === b.server.ip) return false;
  if (ha.hello.serverName.status !== hb.hello.serverName.status || ha.hello.serverName.hex !== hb.hello.serverName.hex) return false;
  if (a.clientIsn !== null && b.clientIsn !== null) return a.clientIsn === b.clientIsn;
  return a.capture === b.capture && Math.abs(ha.at.time - hb.at.time) <= 1;
}

/**
 * A connection seen once. Its fields are listed rather than spread (`{ ...o }`): V8 copies an
 * object this large by spreading some ten times slower, and this runs for every connection.
 */
function single(o: ConnectionOutcome): LinkedConnection {
  return {
    stream: o.stream,
    capture: o.capture,
    ipVersion: o.ipVersion,
    client: o.client,
    clientAddressBytes: o.clientAddressBytes,
    server: o.server,
    sideEvidence: o.sideEvidence,
    tunnel: o.tunnel,
    packets: o.packets,
    first: o.first,
    last: o.last,
    syn: o.syn,
    synAck: o.synAck,
    handshakeAck: o.handshakeAck,
    clientIsn: o.clientIsn,
    clientHello: o.clientHello,
    clientHelloCount: o.clientHelloCount,
    helloRetryRequest: o.helloRetryRequest,
    serverHello: o.serverHello,
    serverAlert: o.serverAlert,
    clientAlert: o.clientAlert,
    serverReset: o.serverReset,
    clientReset: o.clientReset,
    serverFin: o.serverFin,
    clientFin: o.clientFin,
    clientGap: o.clientGap,
    closedBy: o.closedBy,
    category: o.category,
    copies: [],
    resetOrigin: o.serverReset === null ? null : { from: o.server, capture: o.capture, stream: o.stream, translated: null },
  };
}

function merge(group: ConnectionOutcome[], preferServer: (ip: string) => boolean): LinkedConnection {
  const byFirst = [...group].sort((a, b) => a.capture - b.capture || a.first.frame - b.first.frame);
  const kept = byFirst.find((o) => preferServer(o.server.ip)) ?? byFirst[0];
  const linked = single(kept);
  linked.copies = byFirst.filter((o) => o !== kept).map(copyOf);
  const resets = byFirst.filter((o) => resetBeforeServerHello(o));
  if (resets.length === 0) return linked;
  // The earliest reset in the kept copy's capture (frames there compare), else one from another capture.
  const sameCapture = resets.filter((o) => o.capture === kept.capture);
  const origin = sameCapture.length > 0 ? sameCapture.reduce((a, b) => (frameOf(b.serverReset) < frameOf(a.serverReset) ? b : a)) : resets[0];
  linked.serverReset = origin.serverReset;
  linked.resetOrigin = { from: origin.server, capture: origin.capture, stream: origin.stream, translated: origin === kept ? null : kept.serverReset };
  // Frame numbers of another file do not compare with this one's: then the other copy's category stands.
  linked.category = origin.capture === kept.capture ? categorize(linked) : origin.category;
  return linked;
}

function frameOf(ref: FrameRef | null): number {
  return ref === null ? Infinity : ref.frame;
}

function copyOf(o: ConnectionOutcome): ConnectionCopy {
  return {
    capture: o.capture,
    stream: o.stream,
    client: o.client,
    server: o.server,
    packets: o.packets,
    first: o.first,
    clientHelloFrame: o.clientHello?.at.frame ?? 0,
    clientHelloTime: o.clientHello?.at.time ?? 0,
    serverReset: o.serverReset,
    serverHelloFrame: o.serverHello?.at.frame ?? null,
    category: o.category,
  };
}
