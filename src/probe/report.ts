import Table from 'cli-table3';
import { isIP } from 'node:net';
import { escapeMarkdown, escapeText } from '../report/escape.js';
import type { Attempt, CertificateInfo, ProbeResult } from './probe.js';

export interface ProbeReport extends ProbeResult {
  schemaVersion: 1;
  tool: { name: 'sni-pcap'; version: string };
  summary: {
    /** The handshake without SNI is refused while the one with SNI works (or none was tried). */
    problemFound: boolean;
    conclusion: ProbeResult['conclusion'];
    verdict: string;
  };
}

export function buildProbeReport(version: string, r: ProbeResult): ProbeReport {
  return {
    schemaVersion: 1,
    tool: { name: 'sni-pcap', version },
    ...r,
    summary: { problemFound: r.conclusion === 'reset', conclusion: r.conclusion, verdict: r.verdict },
  };
}

function hostPort(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Unescaped lines describing one attempt. */
export function attemptLines(a: Attempt): string[] {
  const out: string[] = [];
  const where = hostPort(a.address, a.port);
  switch (a.tcp) {
    case 'connected':
      out.push(`TCP: connected to ${where} in ${a.tcpMs ?? '?'} ms`);
      break;
    case 'refused':
      out.push(`TCP: connection to ${where} refused (${a.error ?? 'ECONNREFUSED'})`);
      break;
    case 'timeout':
      out.push(`TCP: no connection to ${where} (${a.error ?? 'timeout'})`);
      break;
    default:
      out.push(`TCP: cannot connect to ${where} (${a.error ?? a.tcp})`);
  }
  if (a.tcp !== 'connected') return out;
  switch (a.handshake) {
    case 'completed':
      out.push(`TLS: handshake completed in ${a.handshakeMs ?? '?'} ms (${a.protocol ?? '?'}, ${a.cipher ?? '?'})`);
      break;
    case 'reset':
      out.push(`TLS: reset by the server during the handshake (${a.error ?? 'ECONNRESET'}), after ${a.handshakeMs ?? '?'} ms`);
      break;
    case 'closed':
      out.push(`TLS: the server closed the connection during the handshake (${a.error ?? 'EOF'}), after ${a.handshakeMs ?? '?'} ms`);
      break;
    case 'alert':
      out.push(`TLS: refused with the alert ${a.alert?.name ?? '?'}${a.alert?.description != null ? ` (${a.alert.description})` : ''}`);
      break;
    case 'timeout':
      out.push(`TLS: ${a.error ?? 'no handshake in time'}`);
      break;
    default:
      out.push(`TLS: handshake failed (${a.error ?? a.handshake})`);
  }
  out.push(...certificateLines(a.certificate));
  return out;
}

export function certificateLines(c: CertificateInfo | null): string[] {
  if (c === null) return ['Certificate: no peer certificate available'];
  const lines = [`Certificate: subject ${c.subject || '(empty)'}`];
  lines.push(`  SANs: ${c.subjectAltNames.join(', ') || '(none)'}`);
  lines.push(`  issuer: ${c.issuer || '(empty)'}${c.selfSigned ? ' (self-signed)' : ''}`);
  lines.push(`  valid: ${c.validFrom ?? '?'} to ${c.validTo ?? '?'}`);
  if (c.matches !== null) lines.push(`  valid for ${c.checkedName ?? '?'}: ${c.matches ? 'yes' : 'no'}`);
  return lines;
}

function attemptTitle(a: Attempt | null, sni: boolean, r: ProbeResult): string {
  if (sni) return a === null ? 'With SNI: not tried' : `With SNI "${a.sni ?? ''}"`;
  return 'Without SNI';
}

function resolutionLine(r: ProbeResult): string {
  const target = `${r.target.host}:${r.target.port}`;
  const res = r.resolution;
  switch (res.status) {
    case 'given':
      return `Probe ${target}, connecting to ${res.addresses[0] ?? ''} (given with --connect)`;
    case 'literal':
      return `Probe ${target}`;
    case 'resolved':
      return `Probe ${target}: ${r.target.host} resolves to ${res.addresses.join(', ')}; using ${r.address ?? ''}`;
    default:
      return `Probe ${target}: ${r.target.host} does not resolve (${res.error ?? res.status})`;
  }
}

/** The same check with openssl, for the support case. */
export function opensslCommands(r: ProbeResult): string[] {
  const where = r.address === null ? `${r.target.host}:${r.target.port}` : hostPort(r.address, r.target.port);
  const out = [`openssl s_client -connect ${where} -noservername </dev/null`];
  if (r.target.servername !== null) out.push(`openssl s_client -connect ${where} -servername ${r.target.servername} </dev/null`);
  return out;
}

const STYLE = { red: '\x1b[31m', green: '\x1b[32m', bold: '\x1b[1m', reset: '\x1b[0m' };

export function renderProbeText(report: ProbeReport, options: { color: boolean }): string {
  const paint = (style: keyof typeof STYLE, s: string) => (options.color ? STYLE[style] + s + STYLE.reset : s);
  const out = [escapeText(resolutionLine(report)), `Timeout: ${report.target.timeoutSeconds} s per step`, ''];
  if (report.withSni !== null || report.withoutSni !== null) {
    const table = new Table({ head: ['Handshake', 'TCP', 'TLS', 'Certificate', 'Verdict'], style: { head: options.color ? ['bold'] : [], border: [] } });
    for (const [a, sni] of [
      [report.withSni, true],
      [report.withoutSni, false],
    ] as const) {
      if (a === null) {
        if (sni && report.withSniSkipped !== null) table.push(['with SNI', '-', '-', '-', 'not tried']);
        continue;
      }
      const tls = a.tcp !== 'connected' ? '-' : a.handshake === 'alert' ? `alert ${a.alert?.name ?? ''}` : a.handshake;
      const cert = a.tcp !== 'connected' ? '-' : a.certificate === null ? 'none' : a.certificate.subject || a.certificate.subjectAltNames[0] || 'present';
      const verdict = a.category ?? '-';
      table.push([sni ? `with SNI ${escapeText(a.sni ?? '')}` : 'without SNI', a.tcp, escapeText(tls), escapeText(cert), verdict === 'non-sni-reset' ? paint('red', verdict) : verdict]);
    }
    out.push(table.toString(), '');
  }
  for (const [a, sni] of [
    [report.withSni, true],
    [report.withoutSni, false],
  ] as const) {
    if (a === null) {
      if (sni && report.withSniSkipped !== null) out.push(`With SNI: not tried: ${escapeText(report.withSniSkipped)}`, '');
      continue;
    }
    out.push(escapeText(attemptTitle(a, sni, report)) + ':', ...attemptLines(a).map((l) => `  ${escapeText(l)}`), '');
  }
  const v = report.summary.verdict;
  out.push(paint('bold', report.summary.problemFound ? paint('red', 'PROBLEM: ') + escapeText(v) : escapeText(v)));
  out.push('', 'The same check with openssl:', ...opensslCommands(report).map((c) => `  ${escapeText(c)}`));
  return out.join('\n') + '\n';
}

/** The probe section in Markdown; `heading` is the level of its title. */
export function renderProbeMarkdown(report: ProbeReport, heading = '#'): string {
  const h = heading;
  const out = [h === '#' ? '# sni-pcap probe report' : `${h} Live probe`, ''];
  out.push(`**${report.summary.problemFound ? 'Problem found: ' : ''}${escapeMarkdown(report.summary.verdict)}**`, '');
  out.push(`- ${escapeMarkdown(resolutionLine(report))}`, `- Timeout: ${report.target.timeoutSeconds} s per step`, '');
  for (const [a, sni] of [
    [report.withSni, true],
    [report.withoutSni, false],
  ] as const) {
    if (a === null) {
      if (sni && report.withSniSkipped !== null) out.push(`${h}# With SNI: not tried`, '', escapeMarkdown(report.withSniSkipped), '');
      continue;
    }
    out.push(`${h}# ${escapeMarkdown(attemptTitle(a, sni, report))}${a.category !== null ? ` — ${a.category}` : ''}`, '');
    for (const l of attemptLines(a)) out.push(l.startsWith('  ') ? `  - ${escapeMarkdown(l.trim())}` : `- ${escapeMarkdown(l)}`);
    out.push('');
  }
  out.push('The same check with openssl:', '', '```', ...opensslCommands(report).map((c) => escapeText(c).replace(/`/g, "'")), '```', '');
  return out.join('\n');
}
