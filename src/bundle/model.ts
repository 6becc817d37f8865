import type { LogClientJson, LogsReport } from '../logs/report.js';
import type { ProbeReport } from '../probe/report.js';
import type { ClientJson, Report } from '../report/model.js';
import type { RoutesReport } from '../routes/report.js';
import type { Verdict } from '../verdict/verdicts.js';

export type InputKind = 'capture' | 'logs' | 'routes' | 'overrides';

/** One input the bundle was given, and where its copy is. */
export interface BundleInput {
  kind: InputKind;
  source: string;
  /** Path of the copy, relative to the bundle folder; null when it could not be copied. */
  copy: string | null;
  /** Values replaced in the copy (overrides.yaml); 0 for verbatim copies. */
  redacted: number;
  bytes: number | null;
  error: string | null;
}

/** A client seen in the capture, in the access logs, or in both. */
export interface BundleClient {
  ip: string;
  capture: Pick<ClientJson, 'verdict' | 'connections' | 'withSni' | 'withoutSni' | 'resetByIngress' | 'completed'> | null;
  logs: Pick<LogClientJson, 'verdict' | 'connections' | 'withSni' | 'withoutSni' | 'resetByIngress' | 'completed' | 'firstTime' | 'lastTime'> | null;
  /** Seen in the capture and in the logs. */
  inBoth: boolean;
  /** Has the symptom in at least one of them. */
  nonSniReset: boolean;
}

export type ChecklistStatus = 'present' | 'partial' | 'missing';

export interface ChecklistItem {
  id: 'capture' | 'logs' | 'probe' | 'routes' | 'overrides' | 'clients';
  item: string;
  status: ChecklistStatus;
  /** What is there, or how to get what is missing. */
  detail: string;
}

export type Source = 'capture' | 'logs' | 'probe' | 'routes';

export interface BundleReport {
  schemaVersion: 1;
  tool: { name: 'sni-pcap'; version: string };
  generatedAt: string;
  summary: {
    /** The non-SNI problem is seen in the capture, the logs or the probe. */
    problemFound: boolean;
    /** Where it was seen. */
    seenIn: Source[];
    /** The routes checks all pass (true), one fails (false), or were not run (null). A probe without SNI that is served counts as true when there are no routes. */
    fixInPlace: boolean | null;
    /** "Is it the non-SNI problem, and is the fix in place?" in one line. */
    verdict: string;
    /** One line per part that ran. */
    lines: string[];
  };
  checklist: ChecklistItem[];
  clients: BundleClient[];
  inputs: BundleInput[];
  /** Inputs that could not be read, and parts that could not run. */
  errors: string[];
  capture: Report | null;
  logs: LogsReport | null;
  probe: ProbeReport | null;
  routes: RoutesReport | null;
}

const SEVERE: Verdict[] = ['non-sni-reset', 'mixed'];

/** Joins the clients of the capture and of the logs by address. */
export function crossLink(capture: Report | null, logs: LogsReport | null): BundleClient[] {
  const byIp = new Map<string, BundleClient>();
  const get = (ip: string): BundleClient => {
    const key = ip.toLowerCase();
    let c = byIp.get(key);
    if (c === undefined) {
      c = { ip, capture: null, logs: null, inBoth: false, nonSniReset: false };
      byIp.set(key, c);
    }
    return c;
  };
  for (const c of capture?.clients ?? []) {
    const b = get(c.ip);
    b.capture = { verdict: c.verdict, connections: c.connections, withSni: c.withSni, withoutSni: c.withoutSni, resetByIngress: c.resetByIngress, completed: c.completed };
    if ((c.categories['non-sni-reset'] ?? 0) > 0) b.nonSniReset = true;
  }
  for (const c of logs?.clients ?? []) {
    const b = get(c.ip);
    b.logs = {
      verdict: c.verdict,
      connections: c.connections,
      withSni: c.withSni,
      withoutSni: c.withoutSni,
      resetByIngress: c.resetByIngress,
      completed: c.completed,
      firstTime: c.firstTime,
      lastTime: c.lastTime,
    };
    if ((c.categories['non-sni-reset'] ?? 0) > 0) b.nonSniReset = true;
  }
  const list = [...byIp.values()];
  for (const b of list) b.inBoth = b.capture !== null && b.logs !== null;
  const rank = (b: BundleClient) => (b.nonSniReset ? 0 : SEVERE.includes(b.capture?.verdict ?? b.logs?.verdict ?? 'no-tls') ? 1 : 2);
  return list.sort((a, b) => rank(a) - rank(b) || Number(b.inBoth) - Number(a.inBoth) || a.ip.localeCompare(b.ip, 'en', { numeric: true }));
}

/** What the runbook asks for, and whether the bundle has it. */
export function checklist(r: Pick<BundleReport, 'capture' | 'logs' | 'probe' | 'routes' | 'clients' | 'inputs'>): ChecklistItem[] {
  const items: ChecklistItem[] = [];
  const failed = (kind: InputKind) => r.inputs.filter((i) => i.kind === kind && i.error !== null).map((i) => i.source);

  if (r.capture !== null) {
    const cut = r.capture.captures.some((c) => c.warnings.some((w) => w.includes('snap length')));
    const hellos = r.capture.summary.clientHellos;
    items.push({
      id: 'capture',
      item: 'Packet capture on the ingress node',
      status: cut || hellos === 0 ? 'partial' : 'present',
      detail: cut
        ? 'present, but packets were cut by the snap length: capture again with tcpdump -n -i any -s 0 -w capture.pcap port 443'
        : hellos === 0
          ? 'present, but it holds no TLS ClientHello to the ingress: capture while a failing client connects'
          : `${r.capture.captures.map((c) => c.file).join(', ')}: ${hellos} ClientHellos, ${r.capture.summary.withoutSni} without SNI`,
    });
  } else {
    const bad = failed('capture');
    items.push({
      id: 'capture',
      item: 'Packet capture on the ingress node',
      status: 'missing',
      detail: `${bad.length > 0 ? `could not read ${bad.join(', ')}; ` : ''}tcpdump -n -i any -s 0 -w capture.pcap 'tcp port 443' on the node of the ingress gateway while a failing client connects; then --capture capture.pcap`,
    });
  }

  if (r.logs !== null) {
    items.push({
      id: 'logs',
      item: 'Ingress gateway access logs',
      status: r.logs.summary.entries === 0 ? 'partial' : 'present',
      detail:
        r.logs.summary.entries === 0
          ? 'given, but no access-log entries in them: the logs of the apigee-ingressgateway pods are needed'
          : `${r.logs.sources.map((s) => s.file).join(', ')}: ${r.logs.summary.entries} entries, ${r.logs.summary.nonSniRefused} refused without SNI`,
    });
  } else {
    const bad = failed('logs');
    items.push({
      id: 'logs',
      item: 'Ingress gateway access logs',
      status: 'missing',
      detail: `${bad.length > 0 ? `could not read ${bad.join(', ')}; ` : ''}kubectl -n apigee logs -l app=apigee-ingressgateway --prefix --timestamps --since=24h > ingress.log; then --logs ingress.log`,
    });
  }

  if (r.probe !== null) {
    const p = r.probe;
    const status: ChecklistStatus = p.summary.conclusion === 'cannot-run' || p.summary.conclusion === 'inconclusive' || p.withSni === null ? 'partial' : 'present';
    items.push({
      id: 'probe',
      item: 'Live handshake with and without SNI (openssl s_client -noservername)',
      status,
      detail:
        p.summary.conclusion === 'cannot-run'
          ? `could not run: ${p.summary.verdict}`
          : p.withSni === null
            ? `no handshake with SNI to compare: give --probe-servername NAME; ${p.summary.verdict}`
            : p.summary.verdict,
    });
  } else {
    items.push({
      id: 'probe',
      item: 'Live handshake with and without SNI (openssl s_client -noservername)',
      status: 'missing',
      detail: 'give --probe HOST[:PORT] (the ingress address or a host name of an environment group)',
    });
  }

  const routesBad = failed('routes');
  items.push(
    r.routes !== null
      ? { id: 'routes', item: 'ApigeeRoutes of the cluster', status: 'present', detail: `${r.routes.inputs.routes.file}: ${r.routes.inputs.routes.routes} ApigeeRoutes; ${r.routes.summary.verdict}` }
      : {
          id: 'routes',
          item: 'ApigeeRoutes of the cluster',
          status: 'missing',
          detail: `${routesBad.length > 0 ? `could not read ${routesBad.join(', ')}; ` : ''}kubectl -n apigee get apigeeroutes -o yaml > routes.yaml; then --routes routes.yaml`,
        },
  );
  const overridesInput = r.inputs.find((i) => i.kind === 'overrides');
  items.push(
    r.routes?.inputs.overrides != null
      ? { id: 'overrides', item: 'overrides.yaml (virtualhosts, additionalGateways)', status: 'present', detail: `${r.routes.inputs.overrides.file}, copied with secrets redacted` }
      : overridesInput !== undefined && overridesInput.error === null
        ? { id: 'overrides', item: 'overrides.yaml (virtualhosts, additionalGateways)', status: 'partial', detail: `${overridesInput.source} copied (redacted), not checked: give --routes too` }
        : {
            id: 'overrides',
            item: 'overrides.yaml (virtualhosts, additionalGateways)',
            status: 'missing',
            detail: `${overridesInput?.error ? `could not use ${overridesInput.source}: ${overridesInput.error}; ` : ''}the hybrid overrides file: --overrides overrides.yaml (keys, certificates and passwords are redacted in the copy)`,
          },
  );

  const affected = r.clients.filter((c) => c.nonSniReset);
  items.push(
    affected.length > 0
      ? {
          id: 'clients',
          item: 'The affected clients: addresses and times',
          status: 'present',
          detail: `${affected.length} ${affected.length === 1 ? 'client' : 'clients'} without SNI reset: ${affected
            .slice(0, 10)
            .map((c) => c.ip)
            .join(', ')}${affected.length > 10 ? ', ...' : ''}`,
        }
      : {
          id: 'clients',
          item: 'The affected clients: addresses and times',
          status: 'missing',
          detail:
            r.capture === null && r.logs === null
              ? 'from a capture or the access logs'
              : 'no client without SNI was reset in the capture or the logs given: the failing client may not have connected while they were taken',
        },
  );
  return items;
}

/** The answer to "is it the non-SNI problem, and is the fix in place?". */
export function conclude(r: Pick<BundleReport, 'capture' | 'logs' | 'probe' | 'routes'>): BundleReport['summary'] {
  const seenIn: Source[] = [];
  const lines: string[] = [];
  if (r.capture !== null) {
    if (r.capture.summary.problemFound) seenIn.push('capture');
    lines.push(`Capture: ${r.capture.summary.verdict}`);
  }
  if (r.logs !== null) {
    if (r.logs.summary.problemFound) seenIn.push('logs');
    lines.push(`Access logs: ${r.logs.summary.verdict}`);
  }
  if (r.probe !== null) {
    if (r.probe.summary.problemFound) seenIn.push('probe');
    lines.push(`Probe: ${r.probe.summary.verdict}`);
  }
  let fixInPlace: boolean | null = null;
  if (r.routes !== null) {
    fixInPlace = !r.routes.summary.problemFound;
    if (r.routes.summary.problemFound) seenIn.push('routes');
    lines.push(`Routes: ${r.routes.summary.verdict}`);
  } else if (r.probe !== null && r.probe.summary.conclusion === 'served') fixInPlace = true;
  else if (r.probe !== null && r.probe.summary.conclusion === 'reset') fixInPlace = false;

  const observed = seenIn.filter((s) => s !== 'routes');
  const problemFound = observed.length > 0;
  const q1 = problemFound
    ? `It is the non-SNI problem: clients without SNI are reset (seen in the ${observed.join(', the ')})`
    : r.capture === null && r.logs === null && r.probe === null
      ? 'Not known whether clients without SNI are reset (no capture, logs or probe given)'
      : 'No client without SNI was seen being reset';
  const q2 =
    fixInPlace === null
      ? 'whether the fix is in place is not known (give --routes and --overrides, or --probe)'
      : fixInPlace
        ? r.routes !== null
          ? 'the fix is in place (every routes check passes)'
          : 'the fix is in place (the probe without SNI is served)'
        : r.routes !== null
          ? `the fix is not in place (${r.routes.summary.failed} of ${r.routes.checks.length} routes checks ${r.routes.summary.failed === 1 ? 'fails' : 'fail'})`
          : 'the fix is not in place (the probe without SNI is reset)';
  return { problemFound, seenIn, fixInPlace, verdict: `${q1}; ${q2}.`, lines };
}
