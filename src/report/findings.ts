import { endpointText } from './ladder.js';
import type { ClientJson, ConnectionJson, Report } from './model.js';

/** One thing the report says about a client, with the evidence in Wireshark's terms. Strings here are unescaped. */
export interface Finding {
  kind: 'non-sni-reset' | 'sni-reset' | 'unknown' | 'non-sni-ok';
  client: ClientJson;
  title: string;
  /** A representative connection of this kind. */
  example: ConnectionJson;
  /** "frame 83: Client Hello, ..." lines. */
  evidence: string[];
  /** Wireshark display filters that show the same. */
  filters: string[];
}

const KIND_ORDER: Finding['kind'][] = ['non-sni-reset', 'sni-reset', 'unknown', 'non-sni-ok'];

export function findings(report: Report): Finding[] {
  const multiFile = report.captures.length > 1;
  const out: Finding[] = [];
  for (const kind of KIND_ORDER) {
    for (const client of report.clients) {
      const n = client.categories[kind] ?? 0;
      if (n === 0) continue;
      const example = report.connections.find((c) => c.client.ip === client.ip && c.category === kind);
      if (example === undefined) continue;
      const files = report.captures.map((c) => c.file);
      const file = multiFile ? `${files[example.capture] ?? ''}: ` : '';
      out.push({
        kind,
        client,
        title: title(kind, client, n),
        example,
        evidence: evidence(example, files).map((line) => file + line),
        filters: filters(kind, example, report.redacted?.clients ?? false),
      });
    }
  }
  return out;
}

function title(kind: Finding['kind'], c: ClientJson, n: number): string {
  const of = `${n} of ${c.connections} connection${c.connections === 1 ? '' : 's'}`;
  switch (kind) {
    case 'non-sni-reset':
      return `Client ${c.ip} sends no server_name and the ingress resets it (${of})`;
    case 'sni-reset':
      return `Client ${c.ip} sends server_name and is still reset before a ServerHello (${of}): probably a host name no route knows`;
    case 'unknown':
      return `Client ${c.ip}: SNI unknown, the ClientHello was cut short in the capture (${of})`;
    case 'non-sni-ok':
      return `Client ${c.ip} sends no server_name and is not reset (${of})`;
  }
}

function sniText(ch: NonNullable<ConnectionJson['clientHello']>): string {
  switch (ch.sniStatus) {
    case 'present':
      return `Extension: server_name "${ch.sni ?? ''}"${ch.encryptedClientHello ? ' (outer, public name of an Encrypted Client Hello)' : ''}`;
    case 'absent':
      return ch.format === 'sslv2' ? 'SSLv2-compatible hello (cannot carry server_name)' : 'no Extension: server_name';
    case 'empty':
      return 'Extension: server_name with an empty host name';
    case 'malformed':
      return 'Extension: server_name present but malformed';
    case 'unknown':
      return 'server_name unknown (the hello was cut short before it)';
  }
}

function frames(first: number, last: number): string {
  return first === last ? `frame ${first}` : `frames ${first}-${last}`;
}

/** The Wireshark walkthrough of one connection. `files` names the capture files (for a packet seen in another file). */
export function evidence(c: ConnectionJson, files: readonly string[] = []): string[] {
  const lines: string[] = [];
  const ch = c.clientHello;
  if (ch === null) return [`${frames(c.firstFrame, c.lastFrame)}: no ClientHello`];
  const incomplete = ch.complete ? '' : ', incomplete';
  const reassembled = ch.firstFrame !== ch.frame ? ' (reassembled)' : '';
  lines.push(
    `${frames(ch.firstFrame, ch.frame)}: Client Hello${reassembled}, ${ch.versions[0] ?? ch.legacyVersion}${incomplete}, ${sniText(ch)}, ${c.client.ip}:${c.client.port} → ${c.server.ip}:${c.server.port}`,
  );
  if (c.serverReset !== null && c.serverHello === null) {
    const r = c.serverReset;
    const after = r.afterClientHelloMs;
    // Older reports have no `from`/`capture`: the RST then came from the server, in the same file.
    const from = r.from ?? c.server;
    const translated = from.ip !== c.server.ip || from.port !== c.server.port;
    const sender = translated ? `${endpointText(from)} (${endpointText(c.server)} after DNAT)` : c.server.ip;
    const where = r.capture !== undefined && r.capture !== c.capture ? `${files[r.capture] ?? `capture ${r.capture + 1}`}, ` : '';
    const relayed = r.translated ? `; the client got it from ${endpointText(r.translated.from)} in frame ${r.translated.frame}` : '';
    lines.push(`${where}frame ${r.frame}: RST from ingress ${sender}${after !== null ? ` ${formatMs(after)} later` : ''}, no ServerHello${relayed}`);
  } else if (c.serverHello !== null) {
    lines.push(`frame ${c.serverHello.frame}: Server Hello, ${c.serverHello.version}`);
    if (c.serverReset !== null) lines.push(`frame ${c.serverReset.frame}: RST from ingress after the ServerHello`);
  } else if (c.serverAlert !== null) {
    lines.push(`frame ${c.serverAlert.frame}: Alert from ingress: ${c.serverAlert.name}`);
  } else {
    lines.push('no ServerHello and no RST from the ingress in the capture');
  }
  if (c.clientReset !== null) lines.push(`frame ${c.clientReset.frame}: RST from the client`);
  for (const a of c.aliases ?? []) {
    const where = a.capture !== c.capture ? `${files[a.capture] ?? `capture ${a.capture + 1}`}, ` : '';
    const reported = c.serverReset !== null && a.serverReset !== null && a.capture === c.serverReset.capture && a.serverReset.frame === c.serverReset.frame;
    const rst = a.serverReset === null || reported ? '' : `, RST from ${endpointText(a.server)} in frame ${a.serverReset.frame}`;
    lines.push(
      `${where}frame ${a.clientHelloFrame}: the same Client Hello (same random) as ${endpointText(a.client)} → ${endpointText(a.server)}, the connection after address translation on the node${rst}; counted once`,
    );
  }
  return lines;
}

export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(3).replace(/0+$/, '').replace(/\.$/, '')} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

function addrField(ip: string): string {
  return ip.includes(':') ? 'ipv6.addr' : 'ip.addr';
}

function filters(kind: Finding['kind'], c: ConnectionJson, redacted: boolean): string[] {
  // A redacted report has no client address to filter on: its port still finds the connection.
  const host = redacted ? `tcp.port == ${c.client.port}` : `${addrField(c.client.ip)} == ${c.client.ip}`;
  const out: string[] = [];
  if (kind === 'non-sni-reset' || kind === 'non-sni-ok') out.push(`tls.handshake.type == 1 && !tls.handshake.extensions_server_name && ${host}`);
  else out.push(`tls.handshake.type == 1 && ${host}`);
  if (kind === 'non-sni-reset' || kind === 'sni-reset') out.push(`${host} && tcp.flags.reset == 1`);
  if (!redacted) out.push(`${host} && tcp.port == ${c.client.port}`);
  return out;
}

/** The runbook's next steps for the finding kinds present. */
export function nextSteps(report: Report, kinds: Set<Finding['kind']>): string[] {
  const ingress = report.ingress.addresses[0] ?? 'INGRESS';
  const port = report.connections.find((c) => c.clientHello !== null)?.server.port ?? 443;
  const target = ingress.includes(':') ? `[${ingress}]:${port}` : `${ingress}:${port}`;
  const steps: string[] = [];
  if (kinds.has('non-sni-reset') || kinds.has('non-sni-ok')) {
    steps.push(`Reproduce without SNI: openssl s_client -connect ${target} -noservername (a reset, "errno=104" or "no peer certificate available", confirms it)`);
    steps.push('Check the ingress access log for the same clients: response flag NR, status_details filter_chain_not_found, sni_host null');
  }
  if (kinds.has('non-sni-reset')) {
    steps.push('Fix: an ApigeeRoute with hostnames: ["*"] and enableNonSniClient: true, with its TLS settings (secret or certificate)');
    steps.push("List that route in the virtualhost's additionalGateways in overrides.yaml and apply it; then run the openssl check again");
  }
  if (kinds.has('sni-reset')) steps.push('For clients reset despite server_name: check that the host name is in a virtualhost (environment group) hostAliases');
  if (kinds.has('unknown')) steps.push('Capture again with the full packet: tcpdump -n -i any -s 0 -w FILE port 443');
  return steps;
}

/** The runbook's list of what to attach to the support case besides this report. */
export function attachments(report: Report): string[] {
  const files = report.captures.map((c) => c.file).join(', ');
  return [
    `This report and the capture file${report.captures.length === 1 ? '' : 's'} it was made from (${files})`,
    "overrides.yaml of the Apigee hybrid installation: the virtualhosts (environment groups) with their sslCertPath/sslKeyPath or sslSecret and additionalGateways, and the ingressGateways section",
    'The output of: kubectl -n apigee get apigeeroutes',
    'The output of: kubectl -n apigee describe apigeeroute NAME, for each route listed by the command above',
    'The affected environment groups: their names and host names (hostAliases), and which one the clients without SNI should reach',
    'The ingress access log lines of the affected clients, with times (kubectl -n apigee logs on the apigee-ingressgateway pods)',
  ];
}

/** The report's numbers in one line: connections, ClientHellos, without server_name, reset, clients. */
export function countsLine(report: Report): string {
  const s = report.summary;
  const n = (count: number, one: string, many = one + 's') => `${count} ${count === 1 ? one : many}`;
  return [
    `${n(s.connections, 'connection')} to the ingress`,
    n(s.clientHellos, 'ClientHello'),
    `${s.withoutSni} without server_name`,
    `${s.nonSniReset} of ${s.withoutSni === 1 ? 'it' : 'those'} reset by the ingress`,
    n(s.clients, 'client'),
  ].join(' · ');
}
