import Table from 'cli-table3';
import { isIP } from 'node:net';
import { escapeMarkdown, escapeText } from '../report/escape.js';
import { thousands } from '../report/numbers.js';
import { type LogClientJson, type LogSourceJson, type LogsReport, logsNextSteps } from './report.js';

const STYLE = { red: '\x1b[31m', yellow: '\x1b[33m', bold: '\x1b[1m', reset: '\x1b[0m' };

/** One line about a source: what was read and what was skipped. */
export function sourceLine(s: LogSourceJson): string {
  const skipped = s.skipped.notJson + s.skipped.invalidJson + s.skipped.notAccessLog + s.skipped.tooLong;
  const parts = [`${thousands(s.lines)} lines`, `${thousands(s.entries)} access-log entries`];
  if (skipped > 0) {
    const why: string[] = [];
    if (s.skipped.notJson > 0) why.push(`${s.skipped.notJson} not JSON`);
    if (s.skipped.invalidJson > 0) why.push(`${s.skipped.invalidJson} invalid JSON`);
    if (s.skipped.notAccessLog > 0) why.push(`${s.skipped.notAccessLog} other JSON`);
    if (s.skipped.tooLong > 0) why.push(`${s.skipped.tooLong} too long`);
    parts.push(`${thousands(skipped)} other lines skipped (${why.join(', ')})`);
  }
  if (s.kubectlPrefixes > 0 || s.kubectlTimestamps > 0) parts.push('kubectl prefixes stripped');
  if (s.gzip) parts.push('gzip');
  return `${s.file}: ${parts.join(', ')}`;
}

/** Warnings about the read: early stops and bounds reached. */
export function logsWarnings(report: LogsReport): string[] {
  const w: string[] = [];
  for (const s of report.sources) if (s.error !== null) w.push(`${s.file}: reading stopped early: ${s.error}`);
  const o = report.summary.overflow;
  if (o.entries > 0) w.push(`more than ${thousands(o.maxClients)} clients: ${o.entries} entries of further clients are counted in the totals only`);
  if (report.summary.withoutAddress > 0) w.push(`${report.summary.withoutAddress} entries have no client address (counted in the totals only)`);
  return w;
}

/** A client's finding, unescaped. */
export function clientFinding(c: LogClientJson): { title: string; lines: string[] } | null {
  const span = c.firstTime === null ? null : c.firstTime === c.lastTime ? `at ${c.firstTime}` : `from ${c.firstTime} to ${c.lastTime}`;
  const of = `of ${c.connections} ${c.connections === 1 ? 'entry' : 'entries'}`;
  const refusedNoSni = c.categories['non-sni-reset'] ?? 0;
  const refusedSni = c.categories['sni-reset'] ?? 0;
  const lines: string[] = [];
  let title: string;
  if (refusedNoSni > 0) {
    title = `Client ${c.ip} sends no SNI and the ingress refuses it: ${refusedNoSni} ${of} filter_chain_not_found with sni_host null`;
  } else if (refusedSni > 0) {
    title = `Client ${c.ip} is refused although it sends SNI: ${refusedSni} ${of} filter_chain_not_found`;
  } else if ((c.categories['non-sni-ok'] ?? 0) > 0) {
    title = `Client ${c.ip} sends no SNI and is served (${c.categories['non-sni-ok']} ${of})`;
  } else return null;
  if (c.refusedHosts.length > 0) lines.push(`refused host names: ${c.refusedHosts.map((h) => `"${h}"`).join(', ')}`);
  if (span !== null) lines.push(span);
  if (c.viaForwardedFor > 0) lines.push(`address from x_forwarded_for in ${c.viaForwardedFor} ${c.viaForwardedFor === 1 ? 'entry' : 'entries'}`);
  lines.push(`e.g. ${c.example.file} line ${c.example.line}`);
  return { title, lines };
}

export function renderLogsText(report: LogsReport, options: { color: boolean }): string {
  const paint = (style: keyof typeof STYLE, s: string) => (options.color ? STYLE[style] + s + STYLE.reset : s);
  const out: string[] = [];
  for (const s of report.sources) out.push(`Logs ${escapeText(sourceLine(s))}`);
  for (const w of logsWarnings(report)) out.push(paint('yellow', `warning: ${escapeText(w)}`));
  if (report.summary.firstTime !== null) out.push(`Time: ${report.summary.firstTime} to ${report.summary.lastTime ?? ''}`);
  out.push('');
  out.push(paint('bold', (report.summary.problemFound ? paint('red', 'PROBLEM: ') : '') + report.summary.verdict));
  if (report.clients.length > 0) {
    const table = new Table({
      head: ['Client', 'Verdict', 'Entries', 'SNI', 'No SNI', 'Refused', 'Served', 'First seen', 'Last seen'],
      style: { head: options.color ? ['bold'] : [], border: [] },
    });
    for (const c of report.clients.slice(0, 200)) {
      const verdict = (c.categories['non-sni-reset'] ?? 0) > 0 ? paint('red', c.verdict) : c.verdict;
      table.push([escapeText(c.ip), verdict, c.connections, c.withSni, c.withoutSni, c.resetByIngress, c.completed, c.firstTime ?? '-', c.lastTime ?? '-']);
    }
    out.push(table.toString());
    if (report.clients.length > 200) out.push(`... and ${report.clients.length - 200} more clients (see --format json)`);
  }
  const findings = report.clients.map(clientFinding).filter((f) => f !== null);
  if (findings.length > 0) {
    out.push('', paint('bold', 'Findings'));
    for (const f of findings.slice(0, 50)) out.push(`- ${escapeText(f.title)}`, ...f.lines.map((l) => `    ${escapeText(l)}`));
    if (findings.length > 50) out.push(`... and ${findings.length - 50} more findings (see --format json)`);
  }
  const steps = logsNextSteps(report);
  if (steps.length > 0) {
    out.push('', paint('bold', 'Next steps'));
    steps.forEach((s, i) => out.push(`  ${i + 1}. ${escapeText(s)}`));
  }
  return out.join('\n') + '\n';
}

/** An address for Markdown: a code span when it is an IP address (only hex digits, dots and colons), else escaped text. */
export function mdAddress(s: string): string {
  return isIP(s) !== 0 ? '`' + s + '`' : escapeMarkdown(s);
}

/** The logs section in Markdown; `heading` is the level of its title ('#' for a document of its own). */
export function renderLogsMarkdown(report: LogsReport, heading = '#', anchors = false): string {
  const h = heading;
  const out: string[] = [];
  if (h === '#') out.push('# sni-pcap access-log report', '');
  else out.push(`${h} Ingress access logs`, '');
  out.push(`**${report.summary.problemFound ? 'Problem found: ' : ''}${escapeMarkdown(report.summary.verdict)}**`, '');
  for (const s of report.sources) out.push(`- ${escapeMarkdown(sourceLine(s))}`);
  for (const w of logsWarnings(report)) out.push(`- warning: ${escapeMarkdown(w)}`);
  if (report.summary.firstTime !== null) out.push(`- Time: ${report.summary.firstTime} to ${report.summary.lastTime ?? ''}`);
  out.push('');
  if (report.clients.length > 0) {
    out.push(
      `${h}# Clients in the logs`,
      '',
      '| Client | Verdict | Entries | SNI | No SNI | Refused | Served | First seen | Last seen |',
      '|---|---|---:|---:|---:|---:|---:|---|---|',
    );
    for (const c of report.clients.slice(0, 500)) {
      const ip = anchors ? `<a id="${anchorId('logs', c.ip)}"></a>${mdAddress(c.ip)}` : mdAddress(c.ip);
      out.push(`| ${ip} | ${c.verdict} | ${c.connections} | ${c.withSni} | ${c.withoutSni} | ${c.resetByIngress} | ${c.completed} | ${c.firstTime ?? '-'} | ${c.lastTime ?? '-'} |`);
    }
    if (report.clients.length > 500) out.push('', `... and ${report.clients.length - 500} more clients (see the JSON report)`);
    out.push('');
  }
  const findings = report.clients.map(clientFinding).filter((f) => f !== null);
  if (findings.length > 0) {
    out.push(`${h}# Findings in the logs`, '');
    for (const f of findings.slice(0, 100)) {
      out.push(`- ${escapeMarkdown(f.title)}`);
      for (const l of f.lines) out.push(`  - ${escapeMarkdown(l)}`);
    }
    out.push('');
  }
  const steps = logsNextSteps(report);
  if (steps.length > 0 && h === '#') {
    out.push('## Next steps', '');
    steps.forEach((s, i) => out.push(`${i + 1}. ${escapeMarkdown(s)}`));
    out.push('');
  }
  return out.join('\n');
}

/** An id for an HTML anchor of a client in a section: only [a-z0-9-]. */
export function anchorId(section: string, ip: string): string {
  return `${section}-${ip.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 80)}`;
}
