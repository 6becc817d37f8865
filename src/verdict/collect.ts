import { countedFacts } from '../outcome/category.js';
import { addressKey, addressText } from '../outcome/facts.js';
import type { Category, ConnectionOutcome, CountedConnection, OutcomeSink } from '../outcome/types.js';

/** Bounds on what the analysis keeps of finished connections until the report is made. */
export interface CollectLimits {
  /** Connections kept in full that carry a ClientHello or a reset from the server side. */
  maxOutcomes: number;
  /** Other connections (plain TCP, port scans, SYN floods) kept in full. */
  maxPlainOutcomes: number;
  /** Client/server address pairs whose connections past the limits above are still counted. */
  maxFoldedPairs: number;
}

export const DEFAULT_COLLECT_LIMITS: Readonly<CollectLimits> = Object.freeze({
  maxOutcomes: 2_000,
  maxPlainOutcomes: 500,
  maxFoldedPairs: 65_536,
});

/**
 * Connections from one client address to one server address that were counted but not kept:
 * the numbers a client verdict is made of (see judge).
 */
export interface FoldedConnections {
  client: string;
  server: string;
  connections: number;
  /** Connections that carry a ClientHello. */
  clientHellos: number;
  withSni: number;
  withoutSni: number;
  /** Reset by the server after the ClientHello and before any ServerHello. */
  resetByIngress: number;
  /** A ServerHello came. */
  completed: number;
  categories: Partial<Record<Category, number>>;
}

export interface CollectStats {
  /** Connections kept in full. */
  kept: number;
  /** Connections past the limits, counted per client/server pair only. */
  folded: number;
  /** Connections past every limit: in no verdict. */
  uncounted: number;
}

/** The counters of one folded client/server pair while connections are added (every category counted, zeros too). */
class FoldedPair {
  connections = 0;
  clientHellos = 0;
  withSni = 0;
  withoutSni = 0;
  resetByIngress = 0;
  completed = 0;
  // Per category: fields of the pair itself rather than an object keyed by name, which would be
  // one more object to reach for each connection.
  nonSniReset = 0;
  nonSniOk = 0;
  sniOk = 0;
  sniReset = 0;
  noTls = 0;
  unknown = 0;

  constructor(
    /** The client's address bytes (latin1): 4 for IPv4, 16 for IPv6. */
    readonly clientAddressBytes: string,
    readonly server: string,
  ) {}

  count(category: Category): void {
    switch (category) {
      case 'non-sni-reset':
        this.nonSniReset++;
        break;
      case 'non-sni-ok':
        this.nonSniOk++;
        break;
      case 'sni-ok':
        this.sniOk++;
        break;
      case 'sni-reset':
        this.sniReset++;
        break;
      case 'no-tls':
        this.noTls++;
        break;
      case 'unknown':
        this.unknown++;
        break;
    }
  }

  /** The categories counted, none with zero. */
  categories(): Partial<Record<Category, number>> {
    const all: [Category, number][] = [
      ['non-sni-reset', this.nonSniReset],
      ['non-sni-ok', this.nonSniOk],
      ['sni-ok', this.sniOk],
      ['sni-reset', this.sniReset],
      ['no-tls', this.noTls],
      ['unknown', this.unknown],
    ];
    return Object.fromEntries(all.filter(([, n]) => n > 0));
  }
}

/**
 * Collects the outcomes of finished connections for judge(), in bounded memory. Every outcome
 * is kept in full until a limit is reached: up to `maxOutcomes` that carry a ClientHello or a
 * server reset (the evidence the report shows), up to `maxPlainOutcomes` others. Past them, one
 * that shows a problem (any category but sni-ok) takes the place of the latest kept sni-ok one
 * while there is one, so that the report lists the evidence that matters; the other is folded
 * into the counters of its client/server address pair, which judge() adds to the client's
 * verdict exactly as it would count the outcome itself; past `maxFoldedPairs` pairs it is only
 * counted as uncounted. Every fold is counted per capture (see warnings()).
 */
export class OutcomeCollector implements OutcomeSink {
  readonly outcomes: ConnectionOutcome[] = [];
  private readonly limits: CollectLimits;
  private plain = 0;
  private withEvidence = 0;
  /**
   * Folded pairs by server address (text: a shared string, one per address, see addressText),
   * then by client address (see addressKey): a client's address text is made only when the report
   * needs it, once per pair rather than once per connection.
   */
  private readonly pairs = new Map<string, Map<number | string, FoldedPair>>();
  private pairCount = 0;
  /** Where in `outcomes` the kept connections that went well (sni-ok) are, the latest last. */
  private readonly healthy: number[] = [];
  private readonly stats: CollectStats[] = [];

  constructor(limits: Partial<CollectLimits> = {}) {
    this.limits = { ...DEFAULT_COLLECT_LIMITS, ...limits };
  }

  /**
   * Whether add() would keep an outcome with (`evidence`) or without a ClientHello or server
   * reset, of this category, rather than fold it: when it would not, the outcome need not be made.
   */
  wants(evidence: boolean, category: Category): boolean {
    if (evidence ? this.withEvidence < this.limits.maxOutcomes : this.plain < this.limits.maxPlainOutcomes) return true;
    return evidence && category !== 'sni-ok' && this.healthy.length > 0;
  }

  add(o: ConnectionOutcome): void {
    const stats = this.statsOf(o.capture);
    const evidence = o.clientHello !== null || o.serverReset !== null;
    if (evidence ? this.withEvidence < this.limits.maxOutcomes : this.plain < this.limits.maxPlainOutcomes) {
      if (evidence) this.withEvidence++;
      else this.plain++;
      if (o.category === 'sni-ok') this.healthy.push(this.outcomes.length);
      this.outcomes.push(o);
      stats.kept++;
      return;
    }
    const healthy = evidence && o.category !== 'sni-ok' ? this.healthy.pop() : undefined;
    if (healthy !== undefined) {
      // A connection that went well gives way to one that shows a problem.
      const displaced = this.outcomes[healthy];
      this.outcomes[healthy] = o;
      stats.kept++;
      this.statsOf(displaced.capture).kept--;
      this.count(countedOf(displaced));
      return;
    }
    this.count(countedOf(o));
  }

  /** Counts a connection in its client/server pair's counters instead of keeping it. */
  count(c: Readonly<CountedConnection>): void {
    const stats = this.statsOf(c.capture);
    const key = addressKey(c.clientAddressBytes);
    let clients = this.pairs.get(c.serverIp);
    let pair = clients?.get(key);
    if (pair === undefined) {
      if (this.pairCount >= this.limits.maxFoldedPairs) {
        stats.uncounted++;
        return;
      }
      pair = new FoldedPair(c.clientAddressBytes, c.serverIp);
      if (clients === undefined) this.pairs.set(c.serverIp, (clients = new Map()));
      clients.set(key, pair);
      this.pairCount++;
    }
    stats.folded++;
    pair.connections++;
    pair.count(c.category);
    if (c.sniStatus !== null) {
      pair.clientHellos++;
      if (c.sniStatus === 'present') pair.withSni++;
      else if (c.sniStatus !== 'unknown') pair.withoutSni++;
    }
    if (c.resetByIngress) pair.resetByIngress++;
    if (c.completed) pair.completed++;
  }

  /** The counters of folded connections, per client/server address pair. */
  folded(): FoldedConnections[] {
    const out: FoldedConnections[] = [];
    for (const pair of [...this.pairs.values()].flatMap((clients) => [...clients.values()])) {
      const categories = pair.categories();
      const { clientAddressBytes, server, connections, clientHellos, withSni, withoutSni, resetByIngress, completed } = pair;
      const client = addressText(clientAddressBytes, clientAddressBytes.length === 4 ? 4 : 6);
      out.push({ client, server, connections, clientHellos, withSni, withoutSni, resetByIngress, completed, categories });
    }
    return out;
  }

  /** What was kept, folded and left uncounted of one capture's connections. */
  statsOf(capture: number): CollectStats {
    let s = this.stats[capture];
    if (s === undefined) {
      for (let i = this.stats.length; i <= capture; i++) this.stats[i] = { kept: 0, folded: 0, uncounted: 0 };
      s = this.stats[capture];
    }
    return s;
  }

  /** One line per kind of fold in a capture, for its warnings. */
  warnings(capture: number): string[] {
    const s = this.statsOf(capture);
    const { maxOutcomes, maxPlainOutcomes, maxFoldedPairs } = this.limits;
    const out: string[] = [];
    if (s.folded > 0) {
      out.push(
        `${s.folded} connections are counted in the client verdicts but not listed (more than ${maxOutcomes} with a ClientHello or server reset, or ${maxPlainOutcomes} others, are kept in full)`,
      );
    }
    if (s.uncounted > 0) {
      out.push(`${s.uncounted} connections are in no verdict: past the limits above and from more than ${maxFoldedPairs} client/server address pairs`);
    }
    return out;
  }
}

/** What an outcome is counted by when it is folded: a kept one that gives way, or one past the limits. */
export function countedOf(o: ConnectionOutcome): CountedConnection {
  const c: CountedConnection = { capture: o.capture, clientAddressBytes: o.clientAddressBytes, serverIp: o.server.ip, category: o.category, sniStatus: null, resetByIngress: false, completed: false };
  countedFacts(c, o.clientHello, o.serverReset, o.serverHello);
  return c;
}
