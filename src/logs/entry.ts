import { isIP } from 'node:net';
import type { Category } from '../outcome/types.js';

/**
 * One access-log entry of the ingress gateway, reduced to what the diagnosis needs. The field
 * names are those of the Apigee hybrid ingress access log (start_time, remote_address, sni_host,
 * status_details, upstream_response_flags, status, x_forwarded_for); the names Envoy's own
 * command operators suggest (downstream_remote_address, requested_server_name,
 * response_code_details, response_flags, response_code) are read too.
 */
export interface AccessLogRecord {
  /** Epoch milliseconds of start_time (else of the kubectl timestamp), or null. */
  time: number | null;
  /** The client: the first x_forwarded_for address where there is one, else remote_address without its port. Null when neither is there. */
  client: string | null;
  /** Where `client` came from. */
  via: 'remote_address' | 'x_forwarded_for' | null;
  /** The server_name the client sent; null when it sent none. */
  sni: string | null;
  statusDetails: string | null;
  flags: string | null;
  /** No filter chain matched: the ingress closed the connection during the handshake. */
  refused: boolean;
  category: Category;
}

const TIME = ['start_time', 'timestamp', 'time', '@timestamp'];
const REMOTE = ['remote_address', 'downstream_remote_address', 'downstream_direct_remote_address'];
const SNI = ['sni_host', 'requested_server_name'];
const DETAILS = ['status_details', 'response_code_details'];
const FLAGS = ['upstream_response_flags', 'response_flags'];
const STATUS = ['status', 'response_code'];
const XFF = ['x_forwarded_for'];

/** Longest text kept from one field (a host name is at most 253 characters). */
const MAX_FIELD = 512;

function field(o: Record<string, unknown>, names: readonly string[]): { present: boolean; value: unknown } {
  for (const n of names) if (n in o) return { present: true, value: o[n] };
  return { present: false, value: undefined };
}

/**
 * A string field: trimmed, null when absent, empty or Envoy's "-". Of a longer one, the first
 * MAX_FIELD characters in a string of their own: a slice would keep the whole value alive with
 * each client that remembers it (up to the line limit, 1 MB).
 */
function text(value: unknown): string | null {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') return null;
  const t = value.trim();
  if (t === '' || t === '-') return null;
  return t.length > MAX_FIELD ? (JSON.parse(JSON.stringify(t.slice(0, MAX_FIELD))) as string) : t;
}

/**
 * Reads an address as Envoy writes it: `ip:port`, `[v6]:port`, a bare address; an IPv4-mapped
 * IPv6 address becomes IPv4 (as a capture shows it). Anything else is kept as it is (it is shown
 * escaped), so that an odd log still groups by what it says.
 */
export function addressOf(value: string): string {
  let s = value.trim();
  const bracket = /^\[([^\]]*)\](?::\d+)?$/.exec(s);
  if (bracket !== null) s = bracket[1];
  else if (isIP(s) === 0) {
    const colon = s.lastIndexOf(':');
    if (colon > 0 && /^\d+$/.test(s.slice(colon + 1)) && isIP(s.slice(0, colon)) === 4) s = s.slice(0, colon);
  }
  const zone = s.indexOf('%');
  if (zone > 0 && isIP(s.slice(0, zone)) === 6) s = s.slice(0, zone);
  if (isIP(s) === 6) {
    const lower = s.toLowerCase();
    const mapped = /^(?:::|(?:0{1,4}:){5})ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    if (mapped !== null && isIP(mapped[1]) === 4) return mapped[1];
    return lower;
  }
  return s;
}

/** The first address of an X-Forwarded-For list, when it is an IP address. */
function forwardedFor(value: unknown): string | null {
  const t = text(value);
  if (t === null) return null;
  const first = addressOf(t.split(',')[0]);
  return isIP(first) !== 0 ? first : null;
}

function hasFlag(flags: string | null, flag: string): boolean {
  if (flags === null) return false;
  return flags.split(/[,\s]+/).includes(flag);
}

/**
 * Reads one parsed JSON value as an access-log entry; null when it is not one (it has no client
 * address and not both an SNI and a details field).
 */
export function readAccessLog(value: unknown, kubectlTime: string | null): AccessLogRecord | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const o = value as Record<string, unknown>;
  const remote = field(o, REMOTE);
  const sniField = field(o, SNI);
  const details = field(o, DETAILS);
  if (!remote.present && !(sniField.present && details.present)) return null;

  const remoteText = text(remote.value);
  const xff = forwardedFor(field(o, XFF).value);
  const client = xff ?? (remoteText === null ? null : addressOf(remoteText));
  const via = xff !== null ? 'x_forwarded_for' : client !== null ? 'remote_address' : null;

  const sni = text(sniField.value);
  const statusDetails = text(details.value);
  const flags = text(field(o, FLAGS).value);
  const statusValue = field(o, STATUS).value;
  const status = typeof statusValue === 'number' ? statusValue : typeof statusValue === 'string' && /^\d+$/.test(statusValue) ? Number(statusValue) : null;

  const refused =
    statusDetails !== null
      ? statusDetails.toLowerCase().includes('filter_chain_not_found')
      : hasFlag(flags, 'NR') && (status === null || status === 0);

  let category: Category;
  if (refused) category = sni === null ? 'non-sni-reset' : 'sni-reset';
  else if (statusDetails === 'listener_filter_timeout') category = 'no-tls';
  else category = sni === null ? 'non-sni-ok' : 'sni-ok';

  return { time: timeOf(field(o, TIME).value, kubectlTime), client, via, sni, statusDetails, flags, refused, category };
}

function timeOf(value: unknown, kubectlTime: string | null): number | null {
  if (typeof value === 'string') {
    const t = Date.parse(value);
    if (!Number.isNaN(t)) return t;
  } else if (typeof value === 'number' && Number.isFinite(value)) {
    // Epoch seconds or milliseconds.
    return value < 1e11 ? value * 1000 : value;
  }
  if (kubectlTime !== null) {
    const t = Date.parse(kubectlTime);
    if (!Number.isNaN(t)) return t;
  }
  return null;
}
