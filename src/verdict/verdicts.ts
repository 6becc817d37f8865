import { resetBeforeServerHello } from '../outcome/category.js';
import type { Category, ConnectionOutcome } from '../outcome/types.js';
import type { FoldedConnections } from './collect.js';
import { type LinkedConnection, linkCopies } from './copies.js';

export type Verdict = Category | 'mixed';

export interface ClientVerdict {
  ip: string;
  /** The common category of the client's connections that carry a ClientHello; 'mixed' when they differ; 'no-tls' when none does. */
  verdict: Verdict;
  connections: number;
  withSni: number;
  withoutSni: number;
  /** Connections the server reset after the ClientHello and before any ServerHello. */
  resetByIngress: number;
  /** Connections in which a ServerHello came. */
  completed: number;
  categories: Partial<Record<Category, number>>;
}

/** Just the verdict fields of a client (objects that extend ClientVerdict carry more). */
export function verdictFields(c: ClientVerdict): ClientVerdict {
  const { ip, verdict, connections, withSni, withoutSni, resetByIngress, completed, categories } = c;
  return { ip, verdict, connections, withSni, withoutSni, resetByIngress, completed, categories };
}

export interface IngressScope {
  addresses: string[];
  source: 'given' | 'detected';
}

export interface Verdicts {
  ingress: IngressScope;
  /** Connections whose server is an ingress address, in capture and stream order; copies of one connection count once. */
  connections: LinkedConnection[];
  clients: ClientVerdict[];
  /** At least one connection is 'non-sni-reset': the runbook's symptom. */
  problemFound: boolean;
  /** Copies folded into the connections above (one connection captured before and after DNAT). */
  linkedCopies: number;
  /** Connections to the ingress counted in the client verdicts but not listed above (see OutcomeCollector). */
  folded?: FoldedTotals;
}

/** Totals of the folded connections to the ingress. */
export interface FoldedTotals {
  connections: number;
  clientHellos: number;
  withoutSni: number;
  nonSniReset: number;
}

/**
 * Links the copies of each connection (see linkCopies), scopes connections to the ingress and
 * gives each client a verdict. Without a given ingress, the ingress is the set of endpoints that
 * received ClientHellos. `folded` are connections only counted (past the collector's limits):
 * they count in the verdicts of their clients like the outcomes, but are not linked or listed.
 */
export function judge(
  outcomes: readonly ConnectionOutcome[],
  isIngress: ((ip: string) => boolean) | null,
  given: string[],
  folded: readonly FoldedConnections[] = [],
): Verdicts {
  let ingress: IngressScope;
  let inScope: (ip: string) => boolean;
  if (isIngress !== null) {
    ingress = { addresses: given, source: 'given' };
    inScope = isIngress;
  } else {
    const receivers = new Set<string>();
    for (const o of outcomes) if (o.clientHello !== null) receivers.add(o.server.ip);
    for (const f of folded) if (f.clientHellos > 0) receivers.add(f.server);
    ingress = { addresses: [...receivers].sort(compareAddresses), source: 'detected' };
    inScope = (ip) => receivers.has(ip);
  }
  const connections = linkCopies(outcomes, inScope).filter((o) => inScope(o.server.ip));
  connections.sort((a, b) => a.capture - b.capture || a.first.frame - b.first.frame);

  const byClient = new Map<string, ClientVerdict>();
  for (const o of connections) {
    let v = byClient.get(o.client.ip);
    if (v === undefined) {
      v = { ip: o.client.ip, verdict: 'no-tls', connections: 0, withSni: 0, withoutSni: 0, resetByIngress: 0, completed: 0, categories: {} };
      byClient.set(o.client.ip, v);
    }
    v.connections++;
    v.categories[o.category] = (v.categories[o.category] ?? 0) + 1;
    if (o.clientHello !== null) {
      const status = o.clientHello.hello.serverName.status;
      if (status === 'present') v.withSni++;
      else if (status !== 'unknown') v.withoutSni++;
    }
    if (resetBeforeServerHello(o)) v.resetByIngress++;
    if (o.serverHello !== null) v.completed++;
  }
  const totals: FoldedTotals = { connections: 0, clientHellos: 0, withoutSni: 0, nonSniReset: 0 };
  for (const f of folded) {
    if (!inScope(f.server)) continue;
    let v = byClient.get(f.client);
    if (v === undefined) {
      v = { ip: f.client, verdict: 'no-tls', connections: 0, withSni: 0, withoutSni: 0, resetByIngress: 0, completed: 0, categories: {} };
      byClient.set(f.client, v);
    }
    v.connections += f.connections;
    v.withSni += f.withSni;
    v.withoutSni += f.withoutSni;
    v.resetByIngress += f.resetByIngress;
    v.completed += f.completed;
    for (const [category, n] of Object.entries(f.categories) as [Category, number][]) v.categories[category] = (v.categories[category] ?? 0) + n;
    totals.connections += f.connections;
    totals.clientHellos += f.clientHellos;
    totals.withoutSni += f.withoutSni;
    totals.nonSniReset += f.categories['non-sni-reset'] ?? 0;
  }
  for (const v of byClient.values()) {
    v.categories = inReportOrder(v.categories);
    v.verdict = verdictOf(v.categories);
  }
  const clients = sortClients([...byClient.values()]);
  return {
    ingress,
    connections,
    clients,
    problemFound: connections.some((o) => o.category === 'non-sni-reset') || totals.nonSniReset > 0,
    linkedCopies: connections.reduce((n, o) => n + o.copies.length, 0),
    folded: totals,
  };
}

/** A client's verdict from the categories of its connections: the common one, 'mixed' when they differ, 'no-tls' when none carries a ClientHello. */
export function verdictOf(categories: Partial<Record<Category, number>>): Verdict {
  const withHello = (Object.keys(categories) as Category[]).filter((c) => c !== 'no-tls');
  if (withHello.length === 0) return 'no-tls';
  return withHello.length === 1 ? withHello[0] : 'mixed';
}

const ORDER: Record<Verdict, number> = {
  'non-sni-reset': 0,
  mixed: 1,
  'sni-reset': 2,
  unknown: 3,
  'non-sni-ok': 4,
  'sni-ok': 5,
  'no-tls': 6,
};

/** The same counts with the categories in report order, whatever order the connections ended in. */
function inReportOrder(categories: Partial<Record<Category, number>>): Partial<Record<Category, number>> {
  const ordered: Partial<Record<Category, number>> = {};
  for (const c of Object.keys(ORDER) as Category[]) if (categories[c] !== undefined) ordered[c] = categories[c];
  return ordered;
}

/** Clients with the runbook's symptom first. */
function severity(v: Pick<ClientVerdict, 'verdict' | 'categories'>): number {
  return v.categories['non-sni-reset'] ? -1 : ORDER[v.verdict];
}

/** Sorts clients into report order (as compareClients), computing each sort key once: for long lists. */
export function sortClients<T extends Pick<ClientVerdict, 'ip' | 'verdict' | 'categories'>>(list: T[]): T[] {
  const keyed = list.map((c) => ({ c, s: severity(c), k: addressKey(c.ip) }));
  keyed.sort((a, b) => a.s - b.s || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  return keyed.map((x) => x.c);
}

/** Report order of clients: the runbook's symptom first, then by verdict, then by address. */
export function compareClients(a: Pick<ClientVerdict, 'ip' | 'verdict' | 'categories'>, b: Pick<ClientVerdict, 'ip' | 'verdict' | 'categories'>): number {
  return severity(a) - severity(b) || compareAddresses(a.ip, b.ip);
}

/** Orders IPv4 before IPv6 and addresses numerically within a family. */
export function compareAddresses(a: string, b: string): number {
  const ka = addressKey(a);
  const kb = addressKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function addressKey(ip: string): string {
  if (ip.includes(':')) {
    const [head, tail = ''] = ip.split('::');
    const h = head === '' ? [] : head.split(':');
    const t = tail === '' ? [] : tail.split(':');
    const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
    return '6' + groups.map((g) => g.padStart(4, '0')).join('');
  }
  return '4' + ip.split('.').map((p) => p.padStart(3, '0')).join('');
}
