import { anchorId, clientFinding, logsWarnings, sourceLine } from '../logs/render.js';
import { attemptLines, opensslCommands } from '../probe/report.js';
import { escapeHtml } from '../report/escape.js';
import { findings } from '../report/findings.js';
import { pageHead } from '../report/html.js';
import { captureLine } from '../report/text.js';
import type { BundleClient, BundleReport } from './model.js';

/** Every string that reaches the page goes through here. */
const h = escapeHtml;

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1f24}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}h3{font-size:1rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.n{text-align:right}code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;border:1px solid #d0d7de}
.verdict{font-size:1.1rem;font-weight:600;padding:.6rem;border-left:5px solid #1a7f37;background:#f0fff4}
.verdict.problem{border-color:#cf222e;background:#fff5f5}
.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}.skip{color:#9a6700}
.present{color:#1a7f37}.partial{color:#9a6700}.missing{color:#cf222e}
.bad{color:#cf222e;font-weight:600}.both{font-weight:600}
footer{margin-top:2rem;color:#57606a;font-size:.85rem}
@media print{body{margin:0;max-width:none}pre{white-space:pre-wrap}}
`;

function verdictCell(v: string | null | undefined): string {
  if (v === null || v === undefined) return '<td>-</td>';
  return `<td${v === 'non-sni-reset' || v === 'mixed' ? ' class="bad"' : ''}>${h(v)}</td>`;
}

function clientRow(c: BundleClient): string {
  const ip = h(c.ip);
  const cap = c.capture !== null ? `<a href="#${anchorId('capture', c.ip)}">capture</a>` : '';
  const logs = c.logs !== null ? `<a href="#${anchorId('logs', c.ip)}">logs</a>` : '';
  return (
    `<tr><td><code>${ip}</code></td><td${c.inBoth ? ' class="both"' : ''}>${[cap, logs].filter((x) => x !== '').join(' ⇄ ')}</td>` +
    verdictCell(c.capture?.verdict) +
    `<td class="n">${c.capture?.connections ?? '-'}</td>` +
    verdictCell(c.logs?.verdict) +
    `<td class="n">${c.logs?.connections ?? '-'}</td><td>${h(c.logs?.firstTime ?? '-')}</td><td>${h(c.logs?.lastTime ?? '-')}</td></tr>`
  );
}

function crossRef(report: BundleReport, ip: string, to: 'capture' | 'logs'): string {
  const c = report.clients.find((x) => x.ip.toLowerCase() === ip.toLowerCase());
  if (c === undefined || !c.inBoth) return '';
  return ` <a href="#${anchorId(to, ip)}">also in the ${to === 'logs' ? 'access logs' : 'capture'}</a>`;
}

function captureSection(report: BundleReport, captureHtml: string | null): string[] {
  const r = report.capture;
  if (r === null) return [];
  const out = ['<section id="capture">', '<h2>Packet capture</h2>', `<p>${h(r.summary.verdict)}</p>`, '<ul>'];
  for (const c of r.captures) {
    out.push(`<li>${h(captureLine(c))}</li>`);
    for (const w of c.warnings) out.push(`<li class="partial">warning: ${h(w)}</li>`);
  }
  out.push(`<li>Ingress: ${h(r.ingress.addresses.join(', ') || '(none found)')} (${r.ingress.source})</li>`, '</ul>');
  if (captureHtml !== null) out.push(`<p>Every connection drawn as a ladder: <a href="${h(captureHtml)}">${h(captureHtml)}</a>.</p>`);
  if (r.clients.length > 0) {
    out.push('<table><thead><tr><th>Client</th><th>Verdict</th><th>Conns</th><th>SNI</th><th>No SNI</th><th>Reset by ingress</th><th>Completed</th></tr></thead><tbody>');
    for (const c of r.clients.slice(0, 500)) {
      out.push(
        `<tr id="${anchorId('capture', c.ip)}"><td><code>${h(c.ip)}</code>${crossRef(report, c.ip, 'logs')}</td>${verdictCell(c.verdict)}<td class="n">${c.connections}</td><td class="n">${c.withSni}</td><td class="n">${c.withoutSni}</td><td class="n">${c.resetByIngress}</td><td class="n">${c.completed}</td></tr>`,
      );
    }
    out.push('</tbody></table>');
  }
  const list = findings(r);
  if (list.length > 0) {
    out.push('<h3>Findings in the capture</h3>');
    for (const f of list.slice(0, 50)) {
      out.push(`<p><strong>${h(f.title)}</strong></p>`, `<pre>${f.evidence.map(h).join('\n')}</pre>`, `<p>Wireshark: ${f.filters.map((x) => `<code>${h(x)}</code>`).join(' · ')}</p>`);
    }
    if (list.length > 50) out.push(`<p>… and ${list.length - 50} more (report.json).</p>`);
  }
  out.push('</section>');
  return out;
}

function logsSection(report: BundleReport): string[] {
  const r = report.logs;
  if (r === null) return [];
  const out = ['<section id="logs">', '<h2>Ingress access logs</h2>', `<p>${h(r.summary.verdict)}</p>`, '<ul>'];
  for (const s of r.sources) out.push(`<li>${h(sourceLine(s))}</li>`);
  for (const w of logsWarnings(r)) out.push(`<li class="partial">warning: ${h(w)}</li>`);
  if (r.summary.firstTime !== null) out.push(`<li>Time: ${h(r.summary.firstTime)} to ${h(r.summary.lastTime ?? '')}</li>`);
  out.push('</ul>');
  if (r.clients.length > 0) {
    out.push('<table><thead><tr><th>Client</th><th>Verdict</th><th>Entries</th><th>SNI</th><th>No SNI</th><th>Refused</th><th>Served</th><th>First seen</th><th>Last seen</th></tr></thead><tbody>');
    for (const c of r.clients.slice(0, 500)) {
      out.push(
        `<tr id="${anchorId('logs', c.ip)}"><td><code>${h(c.ip)}</code>${crossRef(report, c.ip, 'capture')}</td>${verdictCell(c.verdict)}<td class="n">${c.connections}</td><td class="n">${c.withSni}</td><td class="n">${c.withoutSni}</td><td class="n">${c.resetByIngress}</td><td class="n">${c.completed}</td><td>${h(c.firstTime ?? '-')}</td><td>${h(c.lastTime ?? '-')}</td></tr>`,
      );
    }
    out.push('</tbody></table>');
  }
  const list = r.clients.map(clientFinding).filter((f) => f !== null);
  if (list.length > 0) {
    out.push('<h3>Findings in the logs</h3>', '<ul>');
    for (const f of list.slice(0, 100)) out.push(`<li>${h(f.title)}<ul>${f.lines.map((l) => `<li>${h(l)}</li>`).join('')}</ul></li>`);
    out.push('</ul>');
  }
  out.push('</section>');
  return out;
}

function probeSection(report: BundleReport): string[] {
  const p = report.probe;
  if (p === null) return [];
  const out = ['<section id="probe">', '<h2>Live probe</h2>', `<p class="${p.summary.problemFound ? 'fail' : p.summary.conclusion === 'served' ? 'pass' : 'skip'}">${h(p.summary.verdict)}</p>`];
  for (const [a, title] of [
    [p.withSni, 'With SNI'],
    [p.withoutSni, 'Without SNI'],
  ] as const) {
    if (a === null) {
      if (title === 'With SNI' && p.withSniSkipped !== null) out.push(`<h3>With SNI: not tried</h3>`, `<p>${h(p.withSniSkipped)}</p>`);
      continue;
    }
    out.push(`<h3>${title}${a.sni !== null ? ` <code>${h(a.sni)}</code>` : ''}${a.category !== null ? ` — ${h(a.category)}` : ''}</h3>`, `<pre>${attemptLines(a).map(h).join('\n')}</pre>`);
  }
  out.push('<p>The same check with openssl:</p>', `<pre>${opensslCommands(p).map(h).join('\n')}</pre>`, '</section>');
  return out;
}

function routesSection(report: BundleReport): string[] {
  const r = report.routes;
  if (r === null) return [];
  const out = ['<section id="routes">', '<h2>ApigeeRoutes and overrides</h2>', `<p>${h(r.summary.verdict)}</p>`];
  out.push(`<p>${h(r.inputs.routes.file)}: ${r.inputs.routes.routes} ApigeeRoutes${r.inputs.overrides !== null ? `; ${h(r.inputs.overrides.file)}: ${r.inputs.overrides.virtualhosts.length} virtualhosts` : ''}</p>`);
  for (const e of r.inputs.routes.errors) out.push(`<p class="partial">warning: ${h(e)}</p>`);
  if (r.routes.length > 0) {
    out.push('<table><thead><tr><th>Route</th><th>Role</th><th>Hostnames</th><th>State</th><th>enableNonSniClient</th><th>additionalGateways</th></tr></thead><tbody>');
    for (const x of r.routes.slice(0, 200)) {
      out.push(
        `<tr><td><code>${h(x.name)}</code></td><td>${x.role}</td><td>${h(x.hostnames.join(', '))}</td><td>${h(x.state ?? 'no status')}</td><td>${h(JSON.stringify(x.enableNonSniClient ?? null))}</td><td>${h(x.additionalGateways.join(', ') || '-')}</td></tr>`,
      );
    }
    out.push('</tbody></table>');
  }
  out.push('<table><thead><tr><th>Check</th><th>Result</th><th>Reason</th></tr></thead><tbody>');
  for (const c of r.checks) out.push(`<tr id="check-${c.id}"><td>${h(c.title)}</td><td class="${c.status}">${c.status}</td><td>${h(c.reason)}</td></tr>`);
  out.push('</tbody></table>');
  const fixes = r.checks.filter((c) => c.fix !== null);
  if (fixes.length > 0) {
    out.push('<h3>Fixes</h3>');
    for (const c of fixes) out.push(`<p><a href="#check-${c.id}">${h(c.title)}</a>:</p>`, `<pre>${(c.fix?.text ?? '').replace(/\n$/, '').split('\n').map(h).join('\n')}</pre>`);
  }
  out.push('</section>');
  return out;
}

/** The whole bundle as one self-contained HTML page: no scripts, no external resources. */
export function renderBundleHtml(report: BundleReport, options: { captureHtml: string | null } = { captureHtml: null }): string {
  const s = report.summary;
  const out: string[] = [
    ...pageHead(`sni-pcap support bundle: ${s.verdict}`, STYLE),
    '<body>',
    '<header>',
    '<h1>sni-pcap support bundle</h1>',
    `<p class="verdict${s.problemFound || s.fixInPlace === false ? ' problem' : ''}">${h(s.verdict)}</p>`,
    '<ul>',
    ...s.lines.map((l) => `<li>${h(l)}</li>`),
    ...report.errors.map((e) => `<li class="fail">error: ${h(e)}</li>`),
    '</ul>',
    `<nav>${[
      ['checklist', 'Checklist'],
      ['clients', 'Clients'],
      ...(report.capture !== null ? [['capture', 'Capture']] : []),
      ...(report.logs !== null ? [['logs', 'Access logs']] : []),
      ...(report.probe !== null ? [['probe', 'Probe']] : []),
      ...(report.routes !== null ? [['routes', 'Routes']] : []),
      ['inputs', 'Inputs'],
    ]
      .map(([id, t]) => `<a href="#${id}">${t}</a>`)
      .join(' · ')}</nav>`,
    '</header>',
  ];
  out.push('<section id="checklist">', '<h2>Checklist: what the runbook asks for</h2>', '<table><thead><tr><th>Item</th><th>Status</th><th>Detail</th></tr></thead><tbody>');
  for (const c of report.checklist) out.push(`<tr><td>${h(c.item)}</td><td class="${c.status}">${c.status}</td><td>${h(c.detail)}</td></tr>`);
  out.push('</tbody></table>', '</section>');

  out.push('<section id="clients">', '<h2>Clients in the capture and the logs</h2>');
  if (report.clients.length === 0) out.push('<p>No clients (no capture or logs given, or none in them).</p>');
  else {
    const both = report.clients.filter((c) => c.inBoth).length;
    out.push(`<p>${both} ${both === 1 ? 'client is' : 'clients are'} seen both in the capture and in the access logs (⇄).</p>`);
    out.push('<table><thead><tr><th>Client</th><th>Seen in</th><th>Capture verdict</th><th>Conns</th><th>Logs verdict</th><th>Entries</th><th>First seen</th><th>Last seen</th></tr></thead><tbody>');
    for (const c of report.clients.slice(0, 500)) out.push(clientRow(c));
    out.push('</tbody></table>');
    if (report.clients.length > 500) out.push(`<p>… and ${report.clients.length - 500} more (report.json).</p>`);
  }
  out.push('</section>');
  out.push(...captureSection(report, options.captureHtml), ...logsSection(report), ...probeSection(report), ...routesSection(report));

  out.push('<section id="inputs">', '<h2>Inputs copied into this folder</h2>', '<ul>');
  for (const i of report.inputs) {
    const copy = i.copy !== null ? `<a href="${h(i.copy)}">${h(i.copy)}</a>${i.redacted > 0 ? ` (${i.redacted} values redacted)` : ''}` : `not copied: ${h(i.error ?? '')}`;
    out.push(`<li>${i.kind}: <code>${h(i.source)}</code> → ${copy}</li>`);
  }
  out.push('</ul>', '</section>');
  out.push(`<footer>Made by sni-pcap ${h(report.tool.version)} at ${h(report.generatedAt)}. The same data: report.json, report.md.</footer>`, '</body>', '</html>', '');
  return out.join('\n');
}
