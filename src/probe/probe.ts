import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, Socket } from 'node:net';
import { checkServerIdentity, type ConnectionOptions, connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { Category } from '../outcome/types.js';
import { alertName } from '../report/names.js';

export interface ProbeTarget {
  host: string;
  port: number;
}

export class TargetError extends Error {}

/** Parses HOST, HOST:PORT, an IPv6 address, or [IPv6]:PORT (port 443 by default). */
export function parseTarget(spec: string): ProbeTarget {
  const s = spec.trim();
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  let host: string;
  let port = '443';
  if (bracket !== null) {
    host = bracket[1];
    if (bracket[2] !== undefined) port = bracket[2];
    if (isIP(host) !== 6) throw new TargetError(`not an IPv6 address in brackets: ${spec}`);
  } else if (isIP(s) === 6) {
    host = s;
  } else {
    const colon = s.lastIndexOf(':');
    if (colon >= 0) {
      host = s.slice(0, colon);
      port = s.slice(colon + 1);
    } else host = s;
    if (host.includes(':')) throw new TargetError(`write an IPv6 address with a port as [ADDRESS]:PORT: ${spec}`);
  }
  if (host === '' || /[\s/\\@]/.test(host)) throw new TargetError(`not a host name or address: ${spec}`);
  const n = Number(port);
  if (!/^\d+$/.test(port) || n < 1 || n > 65535) throw new TargetError(`not a port number: ${port}`);
  return { host, port: n };
}

export interface CertificateInfo {
  subject: string;
  subjectAltNames: string[];
  issuer: string;
  /** ISO 8601. */
  validFrom: string | null;
  validTo: string | null;
  serialNumber: string | null;
  fingerprint256: string | null;
  selfSigned: boolean;
  /** Whether the certificate is valid for `checkedName` (the server name sent, or the address without SNI); null when nothing to check. */
  matches: boolean | null;
  checkedName: string | null;
}

export type TcpOutcome = 'connected' | 'refused' | 'timeout' | 'unreachable' | 'error';
export type HandshakeOutcome = 'completed' | 'reset' | 'closed' | 'alert' | 'timeout' | 'error' | 'not-tried';

/** One TLS handshake attempt, with or without SNI. */
export interface Attempt {
  /** The server_name sent; null for none. */
  sni: string | null;
  address: string;
  port: number;
  tcp: TcpOutcome;
  tcpMs: number | null;
  handshake: HandshakeOutcome;
  handshakeMs: number | null;
  /** The TLS alert the server sent, when it refused with one. */
  alert: { description: number | null; name: string } | null;
  /** The error as Node gave it (code: message), when there was one. */
  error: string | null;
  protocol: string | null;
  cipher: string | null;
  /** The peer certificate; null: no peer certificate available. */
  certificate: CertificateInfo | null;
  /** The analyze category of this connection ('non-sni-reset', 'sni-ok', ...), null when no handshake was tried. */
  category: Category | null;
}

export type Resolver = (host: string) => Promise<string[]>;

export interface ProbeParams {
  host: string;
  port: number;
  /** Connect to this address instead of resolving the host. */
  connect: string | null;
  /** The name sent in the attempt with SNI; default: the host when it is a name. */
  servername: string | null;
  /** Per step: name lookup, TCP connect, TLS handshake. */
  timeoutMs: number;
  resolve?: Resolver;
}

export interface ProbeResult {
  target: { host: string; port: number; servername: string | null; timeoutSeconds: number };
  resolution: { status: 'given' | 'literal' | 'resolved' | 'failed' | 'timeout'; addresses: string[]; error: string | null };
  /** The address both attempts went to. */
  address: string | null;
  withSni: Attempt | null;
  /** Why there is no attempt with SNI. */
  withSniSkipped: string | null;
  withoutSni: Attempt | null;
  conclusion: 'served' | 'reset' | 'inconclusive' | 'cannot-run';
  /** The conclusion in one line. */
  verdict: string;
}

const defaultResolver: Resolver = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)))]).finally(() => clearTimeout(timer));
}

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const message = (e?.message ?? String(err)).split('\n')[0];
  return e?.code !== undefined && !message.includes(e.code) ? `${e.code}: ${message}` : message;
}

/** Runs both handshakes and concludes. Never throws for network conditions. */
export async function probe(params: ProbeParams): Promise<ProbeResult> {
  const servername = params.servername ?? (isIP(params.host) === 0 ? params.host : null);
  const result: ProbeResult = {
    target: { host: params.host, port: params.port, servername, timeoutSeconds: params.timeoutMs / 1000 },
    resolution: { status: 'literal', addresses: [], error: null },
    address: null,
    withSni: null,
    withSniSkipped: null,
    withoutSni: null,
    conclusion: 'cannot-run',
    verdict: '',
  };
  if (params.connect !== null) result.resolution = { status: 'given', addresses: [params.connect], error: null };
  else if (isIP(params.host) !== 0) result.resolution = { status: 'literal', addresses: [params.host], error: null };
  else {
    try {
      const r = await withTimeout((params.resolve ?? defaultResolver)(params.host), params.timeoutMs);
      if (r === 'timeout') result.resolution = { status: 'timeout', addresses: [], error: `no answer within ${params.timeoutMs / 1000} s` };
      else if (r.length === 0) result.resolution = { status: 'failed', addresses: [], error: 'no address' };
      else result.resolution = { status: 'resolved', addresses: r, error: null };
    } catch (err) {
      result.resolution = { status: 'failed', addresses: [], error: errorText(err) };
    }
  }
  const address = result.resolution.addresses[0];
  if (address === undefined) {
    result.verdict = `Cannot run: the name ${params.host} does not resolve (${result.resolution.error ?? 'no address'}).`;
    return result;
  }
  result.address = address;

  if (servername !== null) result.withSni = await attempt(address, params.port, servername, params.timeoutMs);
  else result.withSniSkipped = 'the target is an address: give --servername NAME for the handshake with SNI';
  result.withoutSni = await attempt(address, params.port, null, params.timeoutMs);
  conclude(result);
  return result;
}

function refusedInHandshake(a: Attempt): boolean {
  return a.tcp === 'connected' && (a.handshake === 'reset' || a.handshake === 'closed' || a.handshake === 'alert');
}

function describeFailure(a: Attempt): string {
  if (a.tcp !== 'connected') return a.tcp === 'refused' ? 'the TCP connection was refused' : a.tcp === 'timeout' ? 'the TCP connection timed out' : `the TCP connection failed (${a.error ?? a.tcp})`;
  switch (a.handshake) {
    case 'reset':
      return 'reset during the handshake';
    case 'closed':
      return 'closed during the handshake';
    case 'alert':
      return `refused with the TLS alert ${a.alert?.name ?? ''}`;
    case 'timeout':
      return 'the handshake timed out';
    default:
      return `the handshake failed (${a.error ?? a.handshake})`;
  }
}

function conclude(r: ProbeResult): void {
  const none = r.withoutSni;
  const sni = r.withSni;
  const where = `${r.address !== null && isIP(r.address) === 6 ? `[${r.address}]` : r.address}:${r.target.port}`;
  if (none === null) return;
  if (none.handshake === 'completed') {
    r.conclusion = 'served';
    r.verdict = `Non-SNI clients are served: the handshake without SNI completes at ${where} (a wildcard route answers them).`;
    return;
  }
  if (refusedInHandshake(none)) {
    const how = describeFailure(none);
    if (sni === null) {
      r.conclusion = 'reset';
      r.verdict = `Non-SNI clients are ${how} at ${where}: non-SNI clients are not enabled (no handshake with SNI to compare: give --servername).`;
    } else if (sni.handshake === 'completed') {
      r.conclusion = 'reset';
      r.verdict = `Non-SNI clients are ${how} at ${where} while the handshake with SNI ${sni.sni ?? ''} completes: non-SNI clients are not enabled.`;
    } else {
      r.conclusion = 'inconclusive';
      r.verdict = `Inconclusive: without SNI ${how}, and with SNI ${sni.sni ?? ''} ${describeFailure(sni)} too (is the name right?).`;
    }
    return;
  }
  r.conclusion = 'cannot-run';
  r.verdict = `Cannot run: ${describeFailure(none)} (${where}).`;
}

/** One TCP connection and one TLS handshake on it, each step bounded by the timeout. */
export async function attempt(address: string, port: number, servername: string | null, timeoutMs: number): Promise<Attempt> {
  const a: Attempt = {
    sni: servername,
    address,
    port,
    tcp: 'error',
    tcpMs: null,
    handshake: 'not-tried',
    handshakeMs: null,
    alert: null,
    error: null,
    protocol: null,
    cipher: null,
    certificate: null,
    category: null,
  };
  const t0 = performance.now();
  const socket = new Socket();
  const tcp = await new Promise<TcpOutcome>((resolve) => {
    const timer = setTimeout(() => {
      a.error = `no TCP connection within ${timeoutMs / 1000} s`;
      resolve('timeout');
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      a.error = errorText(err);
      resolve(err.code === 'ECONNREFUSED' ? 'refused' : err.code === 'ETIMEDOUT' ? 'timeout' : err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH' ? 'unreachable' : 'error');
    });
    socket.connect({ host: address, port });
  });
  a.tcp = tcp;
  if (tcp !== 'connected') {
    socket.destroy();
    return a;
  }
  a.tcpMs = round1(performance.now() - t0);
  socket.on('error', () => {});

  const t1 = performance.now();
  const tlsOptions: ConnectionOptions = { socket, rejectUnauthorized: false };
  // Node sends a server_name only when servername is a non-empty string; without it, no SNI is
  // sent whatever the host (checked against the test ingress's access log and a capture).
  if (servername !== null) tlsOptions.servername = servername;
  const tlsSocket: TLSSocket = tlsConnect(tlsOptions);
  tlsSocket.on('error', () => {});
  a.handshake = await new Promise<HandshakeOutcome>((resolve) => {
    const timer = setTimeout(() => {
      a.error = `no handshake within ${timeoutMs / 1000} s`;
      resolve('timeout');
    }, timeoutMs);
    tlsSocket.once('secureConnect', () => {
      clearTimeout(timer);
      resolve('completed');
    });
    tlsSocket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      a.error = errorText(err);
      const alert = alertOf(err);
      if (alert !== null) {
        a.alert = alert;
        resolve('alert');
      } else if (err.code === 'ECONNRESET' && (err.syscall === 'read' || err.syscall === 'write')) resolve('reset');
      else if (err.code === 'EPIPE') resolve('reset');
      else if (err.code === 'ECONNRESET') resolve('closed');
      else resolve('error');
    });
    tlsSocket.once('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
  });
  a.handshakeMs = round1(performance.now() - t1);
  if (a.handshake === 'completed') {
    a.protocol = tlsSocket.getProtocol();
    a.cipher = tlsSocket.getCipher()?.name ?? null;
    a.certificate = certificateInfo(tlsSocket.getPeerCertificate(false), servername ?? address);
  }
  tlsSocket.destroy();
  socket.destroy();
  if (a.handshake === 'completed') a.category = servername === null ? 'non-sni-ok' : 'sni-ok';
  else if (refusedInHandshake(a)) a.category = servername === null ? 'non-sni-reset' : 'sni-reset';
  return a;
}

/** The TLS alert in a handshake error: OpenSSL's "SSL alert number N", else Node's ERR_SSL_..._ALERT_NAME code. */
export function alertOf(err: NodeJS.ErrnoException): Attempt['alert'] {
  const number = /SSL alert number (\d+)/.exec(err.message ?? '');
  if (number !== null) {
    const d = Number(number[1]);
    return { description: d, name: alertName(d) };
  }
  const code = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z0-9_]+)$/.exec(err.code ?? '');
  if (code !== null) return { description: null, name: code[1].toLowerCase() };
  if (err.code === 'ERR_SSL_TLSV1_UNRECOGNIZED_NAME') return { description: 112, name: 'unrecognized_name' };
  return null;
}

function dn(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  return Object.entries(value as Record<string, string | string[]>)
    .map(([k, v]) => (Array.isArray(v) ? v.map((x) => `${k}=${x}`).join(', ') : `${k}=${v}`))
    .join(', ');
}

function isoDate(s: string | undefined): string | null {
  if (s === undefined) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? s : new Date(t).toISOString();
}

export function certificateInfo(cert: PeerCertificate, name: string | null): CertificateInfo | null {
  if (cert === null || cert === undefined || Object.keys(cert).length === 0) return null;
  const subject = dn(cert.subject);
  const issuer = dn(cert.issuer);
  const sans = (cert.subjectaltname ?? '')
    .split(/,\s*/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  let matches: boolean | null = null;
  if (name !== null) {
    try {
      matches = checkServerIdentity(name, cert) === undefined;
    } catch {
      matches = false;
    }
  }
  return {
    subject,
    subjectAltNames: sans,
    issuer,
    validFrom: isoDate(cert.valid_from),
    validTo: isoDate(cert.valid_to),
    serialNumber: cert.serialNumber ?? null,
    fingerprint256: cert.fingerprint256 ?? null,
    selfSigned: subject !== '' && subject === issuer,
    matches,
    checkedName: name,
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
