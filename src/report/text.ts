import Table from 'cli-table3';
import { escapeText } from './escape.js';
import { type Finding, findings, nextSteps } from './findings.js';
import type { CaptureJson, Report } from './model.js';
import { thousands } from './numbers.js';
import { isoTime } from './time.js';

export interface TextOptions {
  /** ANSI colour (only when stdout is a terminal and NO_COLOR is unset). */
  color: boolean;
}

const STYLE = { red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', bold: '\x1b[1m', dim: '\x1b[2m', reset: '\x1b[0m' };

/** The human report, for a terminal: capture summary, per-client table, findings with evidence. */
export function renderText(report: Report, options: TextOptions): string {
  const paint = (style: keyof typeof STYLE, s: string) => (options.color ? STYLE[style] + s + STYLE.reset : s);
  const out: string[] = [];
  for (const c of report.captures) out.push(captureLine(c));
  for (const c of report.captures) for (const w of c.warnings) out.push(paint('yellow', `warning: ${escapeText(w)}`));
  out.push(
    `Ingress: ${report.ingress.addresses.map(escapeText).join(', ') || '(none found)'} (${report.ingress.source === 'given' ? 'given with --ingress' : 'detected: the endpoints that received ClientHellos'})`,
  );
  const linked = report.summary.linkedCopies ?? 0;
  if (linked > 0) out.push(`${linked} connection${linked === 1 ? ' was' : 's were'} captured twice (before and after address translation on the node) and counted once`);
  if (report.redacted?.clients) {
    out.push(paint('yellow', `Redacted: client addresses are pseudonyms (keyed hash, key not kept)${report.redacted.sni ? '; host names too' : ''}`));
  }
  out.push('');
  out.push(paint('bold', (report.summary.problemFound ? paint('red', 'PROBLEM: ') : '') + report.summary.verdict));
  if (report.clients.length > 0) {
    const table = new Table({
      head: ['Client', 'Verdict', 'Conns', 'SNI', 'No SNI', 'Reset by ingress', 'Completed'],
      style: { head: options.color ? ['bold'] : [], border: [] },
    });
    for (const c of report.clients.slice(0, 200)) {
      const verdict = c.verdict === 'non-sni-reset' || (c.categories['non-sni-reset'] ?? 0) > 0 ? paint('red', c.verdict) : c.verdict;
      table.push([escapeText(c.ip), verdict, c.connections, c.withSni, c.withoutSni, c.resetByIngress, c.completed]);
    }
    out.push(table.toString());
    if (report.clients.length > 200) out.push(`... and ${report.clients.length - 200} more clients (see --format json)`);
  }
  const list = findings(report);
  if (list.length > 0) {
    out.push('', paint('bold', 'Findings'));
    for (const f of list.slice(0, 50)) out.push(...findingLines(f));
    if (list.length > 50) out.push(`... and ${list.length - 50} more findings (see --format json)`);
    const steps = nextSteps(report, new Set(list.map((f) => f.kind)));
    if (steps.length > 0) {
      out.push('', paint('bold', 'Next steps'));
      steps.forEach((s, i) => out.push(`  ${i + 1}. ${escapeText(s)}`));
    }
  }
  return out.join('\n') + '\n';
}

function findingLines(f: Finding): string[] {
  return [
    `- ${escapeText(f.title)}`,
    ...f.evidence.map((e) => `    ${escapeText(e)}`),
    '    Wireshark display filters:',
    ...f.filters.map((x) => `      ${escapeText(x)}`),
  ];
}

export function captureLine(c: CaptureJson): string {
  const parts = [
    c.format === null ? 'unreadable' : c.format + (c.gzip ? ' (gzip)' : ''),
    c.linkTypes.map((l) => l.name).join('+') || 'no interfaces',
    `${thousands(c.packets)} packets`,
  ];
  if (c.firstTime !== null && c.lastTime !== null) {
    parts.push(`${isoTime(c.firstTime)} + ${(c.lastTime - c.firstTime).toFixed(3)} s`);
  }
  parts.push(c.drops === null ? 'drops unknown' : `${c.drops} dropped`);
  if (c.truncated) parts.push('TRUNCATED');
  return `Capture ${escapeText(c.file)}: ${parts.join(', ')}`;
}
