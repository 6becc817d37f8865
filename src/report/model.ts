import type { CaptureSummary } from '../capture/types.js';
import type { ConnectionOutcome, Endpoint, FrameRef } from '../outcome/types.js';
import type { SniStatus } from '../tls/types.js';
import type { ConnectionCopy, LinkedConnection } from '../verdict/copies.js';
import { type ClientVerdict, type FoldedTotals, type Verdict, type Verdicts, verdictFields } from '../verdict/verdicts.js';
import { alertName, isGrease, linkTypeName, versionName } from './names.js';

/** What the analysis of one capture file saw besides connections. */
export interface CaptureFacts {
  file: string;
  summary: CaptureSummary;
  tcpPackets: number;
  /** Frames that gave no IP packet, by reason. */
  skipped: Record<string, number>;
  unsupportedLinkTypes: Map<number, number>;
  tunnels: Map<string, number>;
  connections: number;
  connectionsEvicted: number;
  /** Connections whose handshake was given up: the TLS readers held as much as they may. */
  handshakesGivenUp: number;
}

export interface CaptureJson {
  file: string;
  format: 'pcap' | 'pcapng' | null;
  gzip: boolean;
  linkTypes: { type: number; name: string }[];
  packets: number;
  tcpPackets: number;
  firstTime: number | null;
  lastTime: number | null;
  drops: number | null;
  snappedPackets: number;
  truncated: boolean;
  error: string | null;
  skipped: Record<string, number>;
  tunnels: Record<string, number>;
  connections: number;
  connectionsEvicted: number;
  handshakesGivenUp: number;
  warnings: string[];
}

export interface ClientHelloJson {
  frame: number;
  firstFrame: number;
  time: number;
  format: 'tls' | 'sslv2';
  complete: boolean;
  sni: string | null;
  sniHex: string | null;
  sniStatus: SniStatus;
  encryptedClientHello: boolean;
  versions: string[];
  recordVersion: string;
  legacyVersion: string;
  cipherSuites: number;
  extensions: number[];
  alpn: string[];
  ja4: string;
  malformed: string | null;
}

/** A packet of note: frame number and capture time (seconds since the epoch). */
export interface FrameJson {
  frame: number;
  time: number;
}

/** Another copy of the same connection in the captures (same ClientHello random), e.g. after DNAT on a node. */
export interface AliasJson {
  capture: number;
  stream: number;
  client: Endpoint;
  server: Endpoint;
  packets: number;
  firstFrame: number;
  clientHelloFrame: number;
  serverReset: FrameJson | null;
  serverHelloFrame: number | null;
  category: string;
}

export interface ConnectionJson {
  capture: number;
  stream: number;
  client: Endpoint;
  server: Endpoint;
  ipVersion: 4 | 6;
  tunnel: string | null;
  packets: number;
  firstFrame: number;
  /** Capture time of the first packet. */
  firstTime: number;
  lastFrame: number;
  sideEvidence: string;
  syn: FrameJson | null;
  synAck: FrameJson | null;
  /** The client's ACK of the SYN/ACK. */
  handshakeAck: FrameJson | null;
  clientHello: ClientHelloJson | null;
  clientHellos: number;
  helloRetryRequest: FrameJson | null;
  serverHello: { frame: number; time: number; version: string } | null;
  serverAlert: { frame: number; time: number; level: number; description: number; name: string } | null;
  /**
   * The ingress's RST. `from` is the address it came from: the server, or the address of a copy
   * (the pod address after DNAT); `capture` the file it was seen in.
   */
  serverReset: {
    frame: number;
    time: number;
    capture: number;
    from: Endpoint;
    afterClientHelloMs: number | null;
    /** When `from` is a copy's address: the same RST in this connection's own packets, as the client got it. */
    translated: { frame: number; time: number; from: Endpoint } | null;
  } | null;
  clientReset: FrameJson | null;
  category: string;
  /** The same connection seen again under other addresses; counted once. */
  aliases: AliasJson[];
}

export interface ClientJson {
  ip: string;
  verdict: Verdict;
  connections: number;
  withSni: number;
  withoutSni: number;
  resetByIngress: number;
  completed: number;
  categories: Partial<Record<string, number>>;
}

export interface Report {
  schemaVersion: 1;
  tool: { name: 'sni-pcap'; version: string };
  captures: CaptureJson[];
  ingress: { addresses: string[]; source: 'given' | 'detected' };
  summary: {
    problemFound: boolean;
    verdict: string;
    connections: number;
    clientHellos: number;
    withoutSni: number;
    nonSniReset: number;
    clients: number;
    nonSniResetClients: number;
    /** Copies of connections folded into others (the same connection before and after DNAT). */
    linkedCopies: number;
    /** Connections counted above and in the clients' verdicts but not listed (past the limits of what is kept; see the warnings). */
    foldedConnections: number;
  };
  clients: ClientJson[];
  connections: ConnectionJson[];
  /** What was pseudonymised (see --redact, --redact-sni). */
  redacted: { clients: boolean; sni: boolean };
}

const NOTHING_FOLDED: FoldedTotals = { connections: 0, clientHellos: 0, withoutSni: 0, nonSniReset: 0 };

export function buildReport(version: string, captures: CaptureFacts[], verdicts: Verdicts): Report {
  return { ...reportWithoutLists(version, captures, verdicts), clients: [...clientJsons(verdicts)], connections: [...connectionJsons(verdicts)] };
}

/**
 * The client and connection lists of the report, made one item at a time: with
 * reportWithoutLists and reportJsonPieces, a large capture's report is written without holding
 * every item's JSON at once.
 */
export function* clientJsons(verdicts: Verdicts): Generator<ClientJson> {
  for (const c of verdicts.clients) yield clientJson(c);
}

export function* connectionJsons(verdicts: Verdicts): Generator<ConnectionJson> {
  for (const o of verdicts.connections) yield connectionJson(o);
}

/** buildReport() with empty `clients` and `connections` lists (see clientJsons, connectionJsons). */
export function reportWithoutLists(version: string, captures: CaptureFacts[], verdicts: Verdicts): Report {
  const hellos = verdicts.connections.filter((o) => o.clientHello !== null);
  const folded = verdicts.folded ?? NOTHING_FOLDED;
  const withoutSni = hellos.filter((o) => {
    const s = o.clientHello?.hello.serverName.status;
    return s !== 'present' && s !== 'unknown';
  }).length;
  const nonSniResetClients = verdicts.clients.filter((c) => (c.categories['non-sni-reset'] ?? 0) > 0).length;
  return {
    schemaVersion: 1,
    tool: { name: 'sni-pcap', version },
    captures: captures.map((c) => captureJson(c, verdicts.connections)),
    ingress: verdicts.ingress,
    summary: {
      problemFound: verdicts.problemFound,
      verdict: verdictSentence(verdicts),
      connections: verdicts.connections.length + folded.connections,
      clientHellos: hellos.length + folded.clientHellos,
      withoutSni: withoutSni + folded.withoutSni,
      nonSniReset: verdicts.connections.filter((o) => o.category === 'non-sni-reset').length + folded.nonSniReset,
      clients: verdicts.clients.length,
      nonSniResetClients,
      linkedCopies: verdicts.linkedCopies,
      foldedConnections: folded.connections,
    },
    clients: [],
    connections: [],
    redacted: { clients: false, sni: false },
  };
}

/** The finding in one sentence. */
export function verdictSentence(v: Verdicts): string {
  const resetClients = v.clients.filter((c) => (c.categories['non-sni-reset'] ?? 0) > 0).length;
  const nonSniOk = v.clients.filter((c) => (c.categories['non-sni-ok'] ?? 0) > 0).length;
  const sniReset = v.clients.filter((c) => (c.categories['sni-reset'] ?? 0) > 0).length;
  const hellos = v.connections.filter((o) => o.clientHello !== null).length + (v.folded?.clientHellos ?? 0);
  if (resetClients > 0) {
    return `${plural(resetClients, 'client sends', 'clients send')} ClientHellos without server_name and the ingress resets them.`;
  }
  if (hellos === 0) return 'No TLS ClientHello to the ingress was found in the capture.';
  const parts: string[] = [];
  if (nonSniOk > 0) parts.push(`${plural(nonSniOk, 'client sends', 'clients send')} ClientHellos without server_name and the ingress does not reset them`);
  if (sniReset > 0) parts.push(`${plural(sniReset, 'client is', 'clients are')} reset although they send server_name (a host name no route knows?)`);
  if (parts.length === 0) return `All ${plural(hellos, 'ClientHello', 'ClientHellos')} to the ingress carry server_name and none was reset before a ServerHello.`;
  return parts.join('; ') + '.';
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function captureJson(c: CaptureFacts, outcomes: readonly ConnectionOutcome[]): CaptureJson {
  const s = c.summary;
  return {
    file: c.file,
    format: s.format,
    gzip: s.gzip,
    linkTypes: s.linkTypes.map((t) => ({ type: t, name: linkTypeName(t) })),
    packets: s.packets,
    tcpPackets: c.tcpPackets,
    firstTime: s.firstTime,
    lastTime: s.lastTime,
    drops: s.drops,
    snappedPackets: s.snappedPackets,
    truncated: s.truncated,
    error: s.error,
    skipped: c.skipped,
    tunnels: Object.fromEntries(c.tunnels),
    connections: c.connections,
    connectionsEvicted: c.connectionsEvicted,
    handshakesGivenUp: c.handshakesGivenUp,
    warnings: captureWarnings(c, outcomes),
  };
}

function captureWarnings(c: CaptureFacts, outcomes: readonly ConnectionOutcome[]): string[] {
  const w = [...c.summary.warnings];
  if (c.summary.error !== null) w.push(`reading stopped early: ${c.summary.error}`);
  const cut = outcomes.filter((o) => o.clientHello !== null && !o.clientHello.hello.complete && o.clientGap === 'snaplen');
  const cutFrames = cut.map((o) => o.clientHello?.at.firstFrame ?? 0);
  if (cut.length > 0) {
    w.push(
      `${plural(cut.length, 'ClientHello was', 'ClientHellos were')} cut short by the capture's snap length (frame ${cutFrames.slice(0, 10).join(', ')}${cut.length > 10 ? ', ...' : ''}); capture again with tcpdump -s 0`,
    );
  } else if (c.summary.snappedPackets > 0) {
    w.push(`${plural(c.summary.snappedPackets, 'packet was', 'packets were')} cut by the snap length; if ClientHellos are missing, capture again with tcpdump -s 0`);
  }
  for (const [type, n] of c.unsupportedLinkTypes) w.push(`${plural(n, 'frame', 'frames')} of unsupported link type ${type} (${linkTypeName(type)}) skipped`);
  if (c.summary.drops !== null && c.summary.drops > 0) w.push(`the capturing interface dropped ${c.summary.drops} packets: some connections may be incomplete`);
  if (c.handshakesGivenUp > 0) {
    w.push(
      `${plural(c.handshakesGivenUp, 'handshake was', 'handshakes were')} given up: the bytes held for handshakes that span segments reached their limit (what arrived of a ClientHello is reported, cut short)`,
    );
  }
  if (c.connectionsEvicted > 0) w.push(`${c.connectionsEvicted} connections were evicted from the connection table (limit reached); their outcome is what was seen until then`);
  return w;
}

function frameJson(ref: FrameRef | null): FrameJson | null {
  return ref && { frame: ref.frame, time: ref.time };
}

function connectionJson(o: LinkedConnection): ConnectionJson {
  const ch = o.clientHello;
  return {
    capture: o.capture,
    stream: o.stream,
    client: o.client,
    server: o.server,
    ipVersion: o.ipVersion,
    tunnel: o.tunnel,
    packets: o.packets,
    firstFrame: o.first.frame,
    firstTime: o.first.time,
    lastFrame: o.last.frame,
    sideEvidence: o.sideEvidence,
    syn: frameJson(o.syn),
    synAck: frameJson(o.synAck),
    handshakeAck: frameJson(o.handshakeAck),
    clientHello:
      ch === null
        ? null
        : {
            frame: ch.at.frame,
            firstFrame: ch.at.firstFrame,
            time: ch.at.time,
            format: ch.hello.format,
            complete: ch.hello.complete,
            sni: ch.hello.serverName.name,
            sniHex: ch.hello.serverName.hex,
            sniStatus: ch.hello.serverName.status,
            encryptedClientHello: ch.hello.encryptedClientHello,
            versions: offeredVersions(ch.hello.supportedVersions, ch.hello.legacyVersion).map(versionName),
            recordVersion: versionName(ch.hello.recordVersion),
            legacyVersion: versionName(ch.hello.legacyVersion),
            cipherSuites: ch.hello.cipherSuiteCount,
            extensions: [...ch.hello.extensionTypes],
            alpn: [...ch.hello.alpn],
            ja4: ch.ja4,
            malformed: ch.hello.malformed,
          },
    clientHellos: o.clientHelloCount,
    helloRetryRequest: o.helloRetryRequest && { frame: o.helloRetryRequest.frame, time: o.helloRetryRequest.time },
    serverHello: o.serverHello && { frame: o.serverHello.at.frame, time: o.serverHello.at.time, version: versionName(o.serverHello.hello.version) },
    serverAlert: o.serverAlert && {
      frame: o.serverAlert.at.frame,
      time: o.serverAlert.at.time,
      level: o.serverAlert.alert.level,
      description: o.serverAlert.alert.description,
      name: alertName(o.serverAlert.alert.description),
    },
    serverReset: o.serverReset && {
      frame: o.serverReset.frame,
      time: o.serverReset.time,
      capture: o.resetOrigin?.capture ?? o.capture,
      from: o.resetOrigin?.from ?? o.server,
      afterClientHelloMs: afterHelloMs(o),
      translated: o.resetOrigin?.translated ? { frame: o.resetOrigin.translated.frame, time: o.resetOrigin.translated.time, from: o.server } : null,
    },
    clientReset: frameJson(o.clientReset),
    category: o.category,
    aliases: o.copies.map(aliasJson),
  };
}

/** Time from the ClientHello to the ingress's RST, measured within the copy that saw the RST. */
function afterHelloMs(o: LinkedConnection): number | null {
  if (o.serverReset === null) return null;
  let hello = o.clientHello?.at.time ?? null;
  if (o.resetOrigin !== null && o.resetOrigin.capture !== o.capture) {
    const copy = o.copies.find((c) => c.capture === o.resetOrigin?.capture && c.stream === o.resetOrigin.stream);
    hello = copy === undefined ? null : copy.clientHelloTime;
  }
  return hello === null ? null : round3((o.serverReset.time - hello) * 1000);
}

function aliasJson(c: ConnectionCopy): AliasJson {
  return {
    capture: c.capture,
    stream: c.stream,
    client: c.client,
    server: c.server,
    packets: c.packets,
    firstFrame: c.first.frame,
    clientHelloFrame: c.clientHelloFrame,
    serverReset: frameJson(c.serverReset),
    serverHelloFrame: c.serverHelloFrame,
    category: c.category,
  };
}

/** The versions a client offers, best first: supported_versions without GREASE, else the legacy version. */
export function offeredVersions(supported: readonly number[], legacy: number): number[] {
  const list = supported.filter((v) => !isGrease(v));
  return list.length > 0 ? list : [legacy];
}

function clientJson(c: ClientVerdict): ClientJson {
  return verdictFields(c);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
