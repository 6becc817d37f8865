import type { Category } from '../outcome/types.js';
import { type ClientVerdict, sortClients, verdictOf } from '../verdict/verdicts.js';
import type { AccessLogRecord } from './entry.js';

/** At most this many clients are tracked; entries of further clients are counted as overflow. */
export const DEFAULT_MAX_CLIENTS = 100_000;
/** Refused host names remembered per client. */
const MAX_HOSTS_PER_CLIENT = 10;

/** Where an entry was read: the source's index and the line number in it. */
export interface LineRef {
  source: number;
  line: number;
}

/**
 * A client as the access logs show it, with analyze's verdict fields: `connections` counts
 * access-log entries (one per downstream connection for the refusals, one per request otherwise),
 * `resetByIngress` the entries with filter_chain_not_found, `completed` those that got past the
 * filter chain (served).
 */
export interface LogClient extends ClientVerdict {
  firstTime: number | null;
  lastTime: number | null;
  /** Host names sent by this client and refused (up to 10), for `sni-reset`. */
  refusedHosts: string[];
  /** Entries whose client came from x_forwarded_for. */
  viaForwardedFor: number;
  /** The first refusal without SNI, else the first refusal, else the first entry. */
  example: LineRef;
  exampleCategory: Category;
}

export interface LogTotals {
  entries: number;
  categories: Partial<Record<Category, number>>;
  firstTime: number | null;
  lastTime: number | null;
  /** Entries with no client address at all. */
  withoutAddress: number;
  /** Entries of clients beyond the table's bound, and their categories. */
  overflowEntries: number;
  overflowCategories: Partial<Record<Category, number>>;
}

const EXAMPLE_RANK: Record<Category, number> = { 'non-sni-reset': 0, 'sni-reset': 1, 'non-sni-ok': 2, 'sni-ok': 3, unknown: 4, 'no-tls': 5 };

/** Groups access-log entries by client with bounded memory. */
export class LogAggregator {
  private readonly clients = new Map<string, LogClient>();
  readonly totals: LogTotals = {
    entries: 0,
    categories: {},
    firstTime: null,
    lastTime: null,
    withoutAddress: 0,
    overflowEntries: 0,
    overflowCategories: {},
  };

  constructor(private readonly maxClients: number = DEFAULT_MAX_CLIENTS) {}

  add(r: AccessLogRecord, at: LineRef): void {
    const t = this.totals;
    t.entries++;
    t.categories[r.category] = (t.categories[r.category] ?? 0) + 1;
    if (r.time !== null) {
      if (t.firstTime === null || r.time < t.firstTime) t.firstTime = r.time;
      if (t.lastTime === null || r.time > t.lastTime) t.lastTime = r.time;
    }
    if (r.client === null) {
      t.withoutAddress++;
      return;
    }
    let c = this.clients.get(r.client);
    if (c === undefined) {
      if (this.clients.size >= this.maxClients) {
        t.overflowEntries++;
        t.overflowCategories[r.category] = (t.overflowCategories[r.category] ?? 0) + 1;
        return;
      }
      c = {
        ip: r.client,
        verdict: 'no-tls',
        connections: 0,
        withSni: 0,
        withoutSni: 0,
        resetByIngress: 0,
        completed: 0,
        categories: {},
        firstTime: null,
        lastTime: null,
        refusedHosts: [],
        viaForwardedFor: 0,
        example: at,
        exampleCategory: r.category,
      };
      this.clients.set(r.client, c);
    }
    c.connections++;
    c.categories[r.category] = (c.categories[r.category] ?? 0) + 1;
    if (r.category !== 'no-tls') {
      if (r.sni === null) c.withoutSni++;
      else c.withSni++;
    }
    if (r.refused) c.resetByIngress++;
    else if (r.category === 'sni-ok' || r.category === 'non-sni-ok') c.completed++;
    if (r.via === 'x_forwarded_for') c.viaForwardedFor++;
    if (r.time !== null) {
      if (c.firstTime === null || r.time < c.firstTime) c.firstTime = r.time;
      if (c.lastTime === null || r.time > c.lastTime) c.lastTime = r.time;
    }
    if (r.refused && r.sni !== null && c.refusedHosts.length < MAX_HOSTS_PER_CLIENT && !c.refusedHosts.includes(r.sni)) c.refusedHosts.push(r.sni);
    if (EXAMPLE_RANK[r.category] < EXAMPLE_RANK[c.exampleCategory]) {
      c.example = at;
      c.exampleCategory = r.category;
    }
  }

  /** The clients with their verdicts, the runbook's symptom first. */
  result(): LogClient[] {
    const list = [...this.clients.values()];
    for (const c of list) c.verdict = verdictOf(c.categories);
    return sortClients(list);
  }
}
