import { createHmac, randomBytes } from 'node:crypto';
import type { Endpoint } from '../outcome/types.js';
import type { Report } from './model.js';

export interface RedactOptions {
  /** Also replace host names (server_name). */
  sni: boolean;
  /** HMAC key; by default 32 fresh random bytes, kept nowhere, so pseudonyms differ from run to run. */
  key?: Buffer;
}

/**
 * The report with client addresses replaced by pseudonyms (`client-3f9a2c1b`), and with
 * `sni: true` host names too (`host-5d0e7a44`). A pseudonym is a keyed hash (HMAC-SHA256) of
 * the value, so one client keeps one pseudonym throughout the report, while without the key,
 * which is not stored, the addresses cannot be recovered by trying candidates. Ingress (server)
 * addresses are kept; an address that is also a server of the report counts as the ingress's.
 * Findings, evidence and the ladder are made from the report, so they show the pseudonyms too.
 * The input is not changed.
 */
export function redactReport(report: Report, options: RedactOptions): Report {
  const out = structuredClone(report);
  const pseudonyms = new Pseudonyms(options.key ?? randomBytes(32));
  const servers = new Set<string>();
  for (const c of out.connections) {
    servers.add(c.server.ip);
    if (c.serverReset?.from) servers.add(c.serverReset.from.ip);
    for (const a of c.aliases ?? []) servers.add(a.server.ip);
  }
  const client = (ip: string) => (servers.has(ip) ? ip : pseudonyms.of('client', ip));
  const endpoint = (e: Endpoint): Endpoint => ({ ip: client(e.ip), port: e.port });
  for (const c of out.clients) c.ip = client(c.ip);
  for (const c of out.connections) {
    c.client = endpoint(c.client);
    for (const a of c.aliases ?? []) a.client = endpoint(a.client);
    const ch = c.clientHello;
    if (options.sni && ch !== null && (ch.sni !== null || ch.sniHex !== null)) {
      // Keyed on the raw bytes: names that differ only in bytes that print alike stay apart.
      const name = pseudonyms.of('host', ch.sniHex ?? ch.sni ?? '');
      ch.sni = name;
      ch.sniHex = Buffer.from(name).toString('hex');
    }
  }
  out.redacted = { clients: true, sni: options.sni };
  return out;
}

/** Keyed-hash pseudonyms, unique within one report (a clash of the short form takes a longer one). */
class Pseudonyms {
  private readonly byValue = new Map<string, string>();
  private readonly taken = new Set<string>();

  constructor(private readonly key: Buffer) {}

  of(kind: 'client' | 'host', value: string): string {
    const id = `${kind}\u0000${value}`;
    const known = this.byValue.get(id);
    if (known !== undefined) return known;
    const digest = createHmac('sha256', this.key).update(id).digest('hex');
    let length = 8;
    let name = `${kind}-${digest.slice(0, length)}`;
    while (this.taken.has(name) && length < digest.length) {
      length += 4;
      name = `${kind}-${digest.slice(0, length)}`;
    }
    this.byValue.set(id, name);
    this.taken.add(name);
    return name;
  }
}
