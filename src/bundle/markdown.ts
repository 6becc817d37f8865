import { mdAddress, renderLogsMarkdown } from '../logs/render.js';
import { renderProbeMarkdown } from '../probe/report.js';
import { escapeMarkdown } from '../report/escape.js';
import { renderMarkdown } from '../report/markdown.js';
import { renderRoutesMarkdown } from '../routes/report.js';
import type { BundleClient, BundleReport, ChecklistItem } from './model.js';

const MARK: Record<ChecklistItem['status'], string> = { present: '[x]', partial: '[~]', missing: '[ ]' };

/** The checklist alone, as Markdown (also written as checklist.md). */
export function renderChecklistMarkdown(report: BundleReport, heading = '##'): string {
  const out = [`${heading} Checklist: what the runbook asks for`, ''];
  for (const c of report.checklist) out.push(`- ${MARK[c.status]} **${escapeMarkdown(c.item)}** (${c.status}): ${escapeMarkdown(c.detail)}`);
  out.push('');
  return out.join('\n');
}

function seen(c: BundleClient): string {
  return c.inBoth ? 'capture and logs' : c.capture !== null ? 'capture' : 'logs';
}

/** Demotes the headings of a Markdown document by one level (its text escapes a leading #, so only headings start with one). */
function demote(md: string): string {
  return md.replace(/^(#{1,5}) /gm, '#$1 ');
}

/** The whole bundle as one Markdown document. */
export function renderBundleMarkdown(report: BundleReport): string {
  const s = report.summary;
  const out: string[] = ['# sni-pcap support bundle', ''];
  out.push(`**${s.problemFound ? 'Problem found: ' : ''}${escapeMarkdown(s.verdict)}**`, '');
  for (const l of s.lines) out.push(`- ${escapeMarkdown(l)}`);
  for (const e of report.errors) out.push(`- error: ${escapeMarkdown(e)}`);
  out.push('', `Made by sni-pcap ${escapeMarkdown(report.tool.version)} at ${report.generatedAt}.`, '');
  out.push(renderChecklistMarkdown(report));

  if (report.clients.length > 0) {
    out.push('## Clients in the capture and the logs', '');
    out.push('| Client | Seen in | Capture verdict | Capture conns | Logs verdict | Log entries | Logs first seen | Logs last seen |', '|---|---|---|---:|---|---:|---|---|');
    for (const c of report.clients.slice(0, 500)) {
      out.push(
        `| ${mdAddress(c.ip)} | ${seen(c)}${c.inBoth ? ' ⇄' : ''} | ${c.capture?.verdict ?? '-'} | ${c.capture?.connections ?? '-'} | ${c.logs?.verdict ?? '-'} | ${c.logs?.connections ?? '-'} | ${c.logs?.firstTime ?? '-'} | ${c.logs?.lastTime ?? '-'} |`,
      );
    }
    if (report.clients.length > 500) out.push('', `... and ${report.clients.length - 500} more clients (see report.json)`);
    const both = report.clients.filter((c) => c.inBoth).length;
    out.push('', `⇄ marks the ${both} ${both === 1 ? 'client' : 'clients'} seen both in the capture and in the access logs.`, '');
  }
  if (report.capture !== null) out.push('## Packet capture', '', demote(renderMarkdown(report.capture)).replace(/^## sni-pcap report\n\n?/m, ''), '');
  if (report.logs !== null) out.push(renderLogsMarkdown(report.logs, '##'), '');
  if (report.probe !== null) out.push(renderProbeMarkdown(report.probe, '##'), '');
  if (report.routes !== null) out.push(renderRoutesMarkdown(report.routes, '##'), '');
  out.push('## Inputs copied into this folder', '');
  for (const i of report.inputs) {
    const what = i.error !== null ? `not copied: ${escapeMarkdown(i.error)}` : `${escapeMarkdown(i.copy ?? '')}${i.redacted > 0 ? ` (${i.redacted} values redacted)` : ''}`;
    out.push(`- ${i.kind}: ${escapeMarkdown(i.source)} → ${what}`);
  }
  out.push('');
  return out.join('\n');
}
