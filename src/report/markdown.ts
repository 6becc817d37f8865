import { escapeMarkdown, escapeText } from './escape.js';
import { attachments, countsLine, type Finding, findings, nextSteps } from './findings.js';
import { endpointText, ladderOf, ladderText } from './ladder.js';
import type { ClientHelloJson, Report } from './model.js';
import { extensionName } from './names.js';
import { captureLine } from './text.js';

const MAX_FINDINGS = 100;
const MAX_CLIENTS = 500;

/** Escaped for use inside a Markdown code span (backticks cannot be escaped there, so they are replaced). */
function code(s: string): string {
  return '`' + escapeText(s).replace(/`/g, "'").replace(/\|/g, '\\|') + '`';
}

/** A fenced code block whose fence is longer than any run of backticks inside. */
function fenced(lines: string[]): string[] {
  const longest = Math.max(0, ...lines.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((r) => r.length))));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [fence + 'text', ...lines, fence];
}

/** The same report as Markdown, to attach to or paste into a support case. */
export function renderMarkdown(report: Report): string {
  const s = report.summary;
  const out: string[] = ['# sni-pcap report', ''];
  out.push(`**${s.problemFound ? 'Problem found: ' : ''}${escapeMarkdown(s.verdict)}**`, '');
  out.push(escapeMarkdown(countsLine(report)), '');
  if (report.redacted?.clients) {
    out.push(
      `> **Redacted:** client addresses are pseudonyms (\`client-…\`, a keyed hash whose key was not kept)${report.redacted.sni ? '; host names (server_name) too (`host-…`)' : ''}. Ingress addresses are shown as captured.`,
      '',
    );
  }
  out.push('## Capture', '');
  for (const c of report.captures) {
    out.push(`- ${escapeMarkdown(captureLine(c).replace(/^Capture /, ''))}, ${c.tcpPackets} TCP packets, ${c.connections} connections`);
    for (const w of c.warnings) out.push(`  - warning: ${escapeMarkdown(w)}`);
  }
  out.push(
    `- Ingress: ${report.ingress.addresses.map(code).join(', ') || '(none found)'} (${report.ingress.source === 'given' ? 'given' : 'detected: the endpoints that received ClientHellos'})`,
  );
  const linked = s.linkedCopies ?? 0;
  if (linked > 0) {
    out.push(`- ${linked} connection${linked === 1 ? ' was' : 's were'} captured twice, before and after address translation on the node (same ClientHello random), and counted once`);
  }
  out.push('');
  if (report.clients.length > 0) {
    out.push('## Clients', '', '| Client | Verdict | Connections | SNI | No SNI | Reset by ingress | Completed |', '|---|---|---:|---:|---:|---:|---:|');
    for (const c of report.clients.slice(0, MAX_CLIENTS)) {
      out.push(`| ${code(c.ip)} | ${c.verdict} | ${c.connections} | ${c.withSni} | ${c.withoutSni} | ${c.resetByIngress} | ${c.completed} |`);
    }
    if (report.clients.length > MAX_CLIENTS) out.push('', `... and ${report.clients.length - MAX_CLIENTS} more clients (see the JSON report)`);
    out.push('');
  }
  const list = findings(report);
  if (list.length > 0) {
    out.push('## Findings', '');
    for (const f of list.slice(0, MAX_FINDINGS)) out.push(...findingLines(report, f));
    if (list.length > MAX_FINDINGS) out.push(`... and ${list.length - MAX_FINDINGS} more findings (see the JSON report)`, '');
    const steps = nextSteps(report, new Set(list.map((f) => f.kind)));
    if (steps.length > 0) {
      out.push('## Next steps', '');
      steps.forEach((step, i) => out.push(`${i + 1}. ${escapeMarkdown(step)}`));
      out.push('');
    }
  }
  out.push('## What else to attach to the case', '');
  for (const a of attachments(report)) out.push(`- ${escapeMarkdown(a)}`);
  out.push('');
  return out.join('\n');
}

function findingLines(report: Report, f: Finding): string[] {
  const c = f.example;
  const file = report.captures.length > 1 ? ` of ${report.captures[c.capture]?.file ?? ''}` : '';
  const out = [`### ${escapeMarkdown(f.title)}`, ''];
  out.push(
    `Representative connection: TCP stream ${c.stream}${escapeMarkdown(file)}, ${code(endpointText(c.client))} → ${code(endpointText(c.server))}, frames ${c.firstFrame}-${c.lastFrame}:`,
    '',
  );
  out.push(...fenced(ladderText(ladderOf(c))), '');
  if (c.clientHello !== null) out.push(...helloLines(c.clientHello), '');
  out.push('Evidence:', '');
  for (const e of f.evidence) out.push(`- ${escapeMarkdown(e)}`);
  out.push('', 'Wireshark display filters:', '');
  for (const x of f.filters) out.push(`- ${code(x)}`);
  out.push('');
  return out;
}

function helloLines(ch: ClientHelloJson): string[] {
  const frames = ch.firstFrame === ch.frame ? `frame ${ch.frame}` : `frames ${ch.firstFrame}-${ch.frame} (reassembled)`;
  const sni =
    ch.sniStatus === 'present'
      ? code(ch.sni ?? '') + (ch.encryptedClientHello ? ' (outer, public name of an Encrypted Client Hello)' : '')
      : `**${ch.sniStatus === 'absent' ? 'not sent' : ch.sniStatus === 'unknown' ? 'unknown (cut short in the capture)' : ch.sniStatus}**`;
  const exts = ch.extensions.map((t) => {
    const name = extensionName(t);
    return `${name} (${name === 'GREASE' ? '0x' + t.toString(16).padStart(4, '0') : t})`;
  });
  if (ch.sniStatus === 'absent') exts.unshift('~~server_name (0)~~ **not sent**');
  const lines = [
    `Client Hello${ch.format === 'sslv2' ? ' (SSLv2-compatible)' : ''}, ${frames}${ch.complete ? '' : ', **incomplete**'}:`,
    '',
    `- server_name: ${sni}`,
    `- Versions offered: ${ch.versions.map(escapeMarkdown).join(', ')}; record / hello version ${escapeMarkdown(ch.recordVersion)} / ${escapeMarkdown(ch.legacyVersion)}`,
    `- Cipher suites: ${ch.cipherSuites}`,
    `- Extensions (${ch.extensions.length} sent, in order): ${exts.join(', ') || 'none'}`,
    `- ALPN: ${ch.alpn.length > 0 ? ch.alpn.map(code).join(', ') : 'none'}`,
    `- JA4: ${code(ch.ja4)}`,
  ];
  if (ch.malformed !== null) lines.push(`- Malformed: ${escapeMarkdown(ch.malformed)}`);
  return lines;
}
