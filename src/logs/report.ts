import type { Category } from '../outcome/types.js';
import type { ClientJson } from '../report/model.js';
import { verdictFields } from '../verdict/verdicts.js';
import type { LogAggregator, LogClient } from './aggregate.js';
import type { LogSourceStats } from './read.js';

export type LogSourceJson = LogSourceStats;

/** A client as analyze reports it, plus what the access log adds. */
export interface LogClientJson extends ClientJson {
  /** ISO 8601 times of the client's first and last entry (null when the log has no times). */
  firstTime: string | null;
  lastTime: string | null;
  /** Host names the client sent and the ingress refused (up to 10). */
  refusedHosts: string[];
  /** Entries whose client address came from x_forwarded_for rather than remote_address. */
  viaForwardedFor: number;
  /** A representative line: the first refusal without SNI, else the first refusal, else the first entry. */
  example: { file: string; line: number; category: Category };
}

export interface LogsReport {
  schemaVersion: 1;
  tool: { name: 'sni-pcap'; version: string };
  sources: LogSourceJson[];
  summary: {
    problemFound: boolean;
    verdict: string;
    entries: number;
    /** Entries with filter_chain_not_found. */
    refused: number;
    /** Refused without SNI (the symptom) and refused with a host name no route knows. */
    nonSniRefused: number;
    unknownSniRefused: number;
    /** Entries without SNI, refused or not. */
    withoutSni: number;
    categories: Partial<Record<Category, number>>;
    clients: number;
    nonSniResetClients: number;
    firstTime: string | null;
    lastTime: string | null;
    /** Entries without any client address (counted above, in no client). */
    withoutAddress: number;
    /** Entries of clients past the bound of the client table (counted above, in no client). */
    overflow: { maxClients: number; entries: number; categories: Partial<Record<Category, number>> };
  };
  clients: LogClientJson[];
}

export function isoTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function buildLogsReport(version: string, sources: LogSourceStats[], aggregator: LogAggregator, maxClients: number): LogsReport {
  const clients = aggregator.result();
  const t = aggregator.totals;
  const count = (c: Category) => t.categories[c] ?? 0;
  const nonSniResetClients = clients.filter((c) => (c.categories['non-sni-reset'] ?? 0) > 0).length;
  return {
    schemaVersion: 1,
    tool: { name: 'sni-pcap', version },
    sources,
    summary: {
      problemFound: count('non-sni-reset') > 0,
      verdict: logsVerdict(clients, t.entries, count('non-sni-reset')),
      entries: t.entries,
      refused: count('non-sni-reset') + count('sni-reset'),
      nonSniRefused: count('non-sni-reset'),
      unknownSniRefused: count('sni-reset'),
      withoutSni: count('non-sni-reset') + count('non-sni-ok'),
      categories: t.categories,
      clients: clients.length,
      nonSniResetClients,
      firstTime: isoTime(t.firstTime),
      lastTime: isoTime(t.lastTime),
      withoutAddress: t.withoutAddress,
      overflow: { maxClients, entries: t.overflowEntries, categories: t.overflowCategories },
    },
    clients: clients.map((c) => clientJson(c, sources)),
  };
}

function clientJson(c: LogClient, sources: LogSourceStats[]): LogClientJson {
  return {
    ...verdictFields(c),
    firstTime: isoTime(c.firstTime),
    lastTime: isoTime(c.lastTime),
    refusedHosts: c.refusedHosts,
    viaForwardedFor: c.viaForwardedFor,
    example: { file: sources[c.example.source]?.file ?? '', line: c.example.line, category: c.exampleCategory },
  };
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The finding of the logs in one sentence. */
export function logsVerdict(clients: LogClient[], entries: number, nonSniRefused: number): string {
  const refusedClients = clients.filter((c) => (c.categories['non-sni-reset'] ?? 0) > 0).length;
  if (refusedClients > 0) {
    return `${plural(refusedClients, 'client sends', 'clients send')} no SNI and the ingress refuses ${refusedClients === 1 ? 'it' : 'them'} (filter_chain_not_found, sni_host null).`;
  }
  if (nonSniRefused > 0) return `${plural(nonSniRefused, 'connection', 'connections')} without SNI refused by the ingress (filter_chain_not_found, sni_host null).`;
  if (entries === 0) return 'No access-log entries were found.';
  const served = clients.filter((c) => (c.categories['non-sni-ok'] ?? 0) > 0).length;
  const unknown = clients.filter((c) => (c.categories['sni-reset'] ?? 0) > 0).length;
  const parts: string[] = [];
  if (served > 0) parts.push(`${plural(served, 'client sends', 'clients send')} no SNI and the ingress serves ${served === 1 ? 'it' : 'them'}`);
  if (unknown > 0) parts.push(`${plural(unknown, 'client is', 'clients are')} refused although they send SNI (a host name no route knows)`);
  if (parts.length === 0) return `All ${plural(entries, 'entry carries', 'entries carry')} SNI and none was refused.`;
  return parts.join('; ') + '.';
}

/** The runbook's next steps for what the logs show. */
export function logsNextSteps(report: LogsReport): string[] {
  const steps: string[] = [];
  if (report.summary.nonSniRefused > 0) {
    steps.push('Reproduce it: sni-pcap probe INGRESS_HOST:443 (the same as openssl s_client -connect INGRESS_HOST:443 -noservername)');
    steps.push('Check the fix: kubectl -n apigee get apigeeroutes -o yaml > routes.yaml; sni-pcap routes --routes routes.yaml --overrides overrides.yaml');
    steps.push('Fix: an ApigeeRoute with hostnames: ["*"], enableNonSniClient: true and TLS settings, named in the additionalGateways of each virtualhost in overrides.yaml');
  }
  if (report.summary.unknownSniRefused > 0) {
    steps.push('For clients refused with a host name: check that the name is in the hostAliases of an environment group');
  }
  return steps;
}
