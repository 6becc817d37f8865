import { escapeMarkdown, escapeText } from './escape.js';
import { findings, nextSteps } from './findings.js';
import type { Report } from './model.js';
import { captureLine } from './text.js';

/** Escaped for use inside a Markdown code span (backticks cannot be escaped there, so they are replaced). */
function code(s: string): string {
  return '`' + escapeText(s).replace(/`/g, "'").replace(/\|/g, '\\|') + '`';
}

/** The same report as Markdown, to attach to a support case. */
export function renderMarkdown(report: Report): string {
  const out: string[] = ['# sni-pcap report', ''];
  out.push(`**${report.summary.problemFound ? 'Problem found: ' : ''}${escapeMarkdown(report.summary.verdict)}**`, '');
  out.push('## Capture', '');
  for (const c of report.captures) {
    out.push(`- ${escapeMarkdown(captureLine(c).replace(/^Capture /, ''))}`);
    for (const w of c.warnings) out.push(`  - warning: ${escapeMarkdown(w)}`);
  }
  out.push(
    `- Ingress: ${report.ingress.addresses.map(code).join(', ') || '(none found)'} (${report.ingress.source === 'given' ? 'given' : 'detected: the endpoints that received ClientHellos'})`,
    '',
  );
  if (report.clients.length > 0) {
    out.push('## Clients', '', '| Client | Verdict | Connections | SNI | No SNI | Reset by ingress | Completed |', '|---|---|---:|---:|---:|---:|---:|');
    for (const c of report.clients.slice(0, 500)) {
      out.push(`| ${code(c.ip)} | ${c.verdict} | ${c.connections} | ${c.withSni} | ${c.withoutSni} | ${c.resetByIngress} | ${c.completed} |`);
    }
    if (report.clients.length > 500) out.push('', `... and ${report.clients.length - 500} more clients (see the JSON report)`);
    out.push('');
  }
  const list = findings(report);
  if (list.length > 0) {
    out.push('## Findings', '');
    for (const f of list.slice(0, 100)) {
      out.push(`### ${escapeMarkdown(f.title)}`, '');
      for (const e of f.evidence) out.push(`- ${escapeMarkdown(e)}`);
      out.push('', 'Wireshark display filters:', '');
      for (const x of f.filters) out.push(`- ${code(x)}`);
      out.push('');
    }
    const steps = nextSteps(report, new Set(list.map((f) => f.kind)));
    if (steps.length > 0) {
      out.push('## Next steps', '');
      steps.forEach((s, i) => out.push(`${i + 1}. ${escapeMarkdown(s)}`));
      out.push('');
    }
  }
  return out.join('\n');
}
