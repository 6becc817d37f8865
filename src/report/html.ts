import { escapeHtml } from './escape.js';
import { attachments, countsLine, type Finding, findings, nextSteps } from './findings.js';
import { endpointText, ladderOf, ladderSvg } from './ladder.js';
import type { CaptureJson, ClientHelloJson, Report } from './model.js';
import { extensionName } from './names.js';
import { thousands } from './numbers.js';
import { isoTime } from './time.js';

/** Findings drawn with a ladder; the rest are listed by title only. */
const MAX_FINDINGS = 50;
const MAX_CLIENTS = 500;

/** Escaped text. Every string that reaches the page goes through here (or through the ladder's own escaping). */
const h = escapeHtml;

/**
 * The report as one self-contained HTML page for a support case: no scripts, no external
 * styles, fonts or images, and a Content-Security-Policy that would block them anyway. It
 * opens offline (from an email attachment) and prints on A4 or Letter.
 */
/** The start of a self-contained page up to its body: a policy that forbids scripts and every external resource, then the title and inline style. */
export function pageHead(title: string, style: string): string[] {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light">',
    `<title>${h(title)}</title>`,
    `<style>${style}</style>`,
    '</head>',
  ];
}

export function renderHtml(report: Report): string {
  const list = findings(report);
  const title = `sni-pcap report: ${report.summary.verdict}`;
  const out: string[] = [];
  out.push(
    ...pageHead(title, STYLE),
    '<body>',
  );
  out.push(...header(report));
  out.push(...captureSection(report));
  out.push(...clientsSection(report));
  if (list.length > 0) {
    out.push(...findingsSection(report, list));
    const steps = nextSteps(report, new Set(list.map((f) => f.kind)));
    if (steps.length > 0) out.push('<section id="next-steps">', '<h2>Next steps</h2>', '<ol>', ...steps.map((s) => `<li>${h(s)}</li>`), '</ol>', '</section>');
  }
  out.push('<section id="attach">', '<h2>What else to attach to the case</h2>', '<ul>', ...attachments(report).map((s) => `<li>${h(s)}</li>`), '</ul>', '</section>');
  out.push(
    `<footer>Made by ${h(report.tool.name)} ${h(report.tool.version)}. The same data as JSON: <code>sni-pcap analyze … --format json</code>.</footer>`,
    '</body>',
    '</html>',
    '',
  );
  return out.join('\n');
}

function header(report: Report): string[] {
  const s = report.summary;
  const out = [
    '<header>',
    '<p class="kicker">sni-pcap · TLS clients without SNI and the ingress resets</p>',
    `<p class="verdict ${s.problemFound ? 'problem' : 'ok'}">${s.problemFound ? '<span class="tag">Problem found</span> ' : ''}${h(s.verdict)}</p>`,
    `<p class="numbers">${h(countsLine(report))}</p>`,
  ];
  const r = report.redacted;
  if (r?.clients) {
    out.push(
      `<p class="redacted"><strong>Redacted:</strong> client addresses are pseudonyms (<code>client-…</code>, a keyed hash whose key was not kept)${r.sni ? '; host names (server_name) too (<code>host-…</code>)' : ''}. Ingress addresses are shown as captured.</p>`,
    );
  }
  out.push('</header>');
  return out;
}

function timeSpan(c: CaptureJson): string {
  if (c.firstTime === null || c.lastTime === null) return '—';
  const start = isoTime(c.firstTime).replace('T', ' ').replace('Z', ' UTC');
  return `${start} + ${(c.lastTime - c.firstTime).toFixed(3)} s`;
}

function captureSection(report: Report): string[] {
  const out = ['<section id="capture">', '<h2>Capture</h2>'];
  for (const c of report.captures) {
    const format = c.format === null ? 'unreadable' : c.format + (c.gzip ? ' (gzip)' : '') + (c.truncated ? ', truncated' : '');
    const links = c.linkTypes.map((l) => `${l.name} (${l.type})`).join(', ') || '—';
    const facts: [string, string][] = [
      ['File', `<span class="file">${h(c.file)}</span>`],
      ['Format', h(format)],
      ['Link types', h(links)],
      ['Time span', h(timeSpan(c))],
      ['Packets', `${thousands(c.packets)} (${thousands(c.tcpPackets)} TCP)`],
      ['Dropped', c.drops === null ? 'unknown (not recorded in the file)' : String(c.drops)],
      ['TCP connections', String(c.connections)],
    ];
    out.push('<dl class="facts">', ...facts.map(([k, v]) => `<div><dt>${h(k)}</dt><dd>${v}</dd></div>`), '</dl>');
    if (c.warnings.length > 0) out.push('<ul class="warnings">', ...c.warnings.map((w) => `<li>warning: ${h(w)}</li>`), '</ul>');
  }
  const ingress = report.ingress.addresses.join(', ') || '(none found)';
  const how = report.ingress.source === 'given' ? 'given with --ingress' : 'detected: the endpoints that received ClientHellos';
  out.push(`<p>Ingress: <code>${h(ingress)}</code> (${h(how)})</p>`);
  const linked = report.summary.linkedCopies ?? 0;
  if (linked > 0) {
    out.push(
      `<p>${linked} connection${linked === 1 ? ' was' : 's were'} captured twice, before and after address translation on the node (same ClientHello random), and ${linked === 1 ? 'is' : 'are'} counted once.</p>`,
    );
  }
  out.push('</section>');
  return out;
}

function clientsSection(report: Report): string[] {
  if (report.clients.length === 0) return [];
  const out = ['<section id="clients">', '<h2>Clients</h2>', '<table class="clients">'];
  out.push(
    '<thead><tr><th>Client</th><th>Verdict</th><th class="n">Connections</th><th class="n">SNI</th><th class="n">No SNI</th><th class="n">Reset by ingress</th><th class="n">Completed</th></tr></thead>',
    '<tbody>',
  );
  for (const c of report.clients.slice(0, MAX_CLIENTS)) {
    const bad = (c.categories['non-sni-reset'] ?? 0) > 0;
    out.push(
      `<tr${bad ? ' class="bad"' : ''}><td><code>${h(c.ip)}</code></td><td><span class="badge v-${h(c.verdict)}">${h(c.verdict)}</span></td><td class="n">${c.connections}</td><td class="n">${c.withSni}</td><td class="n">${c.withoutSni}</td><td class="n">${c.resetByIngress}</td><td class="n">${c.completed}</td></tr>`,
    );
  }
  out.push('</tbody>', '</table>');
  if (report.clients.length > MAX_CLIENTS) out.push(`<p>… and ${report.clients.length - MAX_CLIENTS} more clients (see the JSON report).</p>`);
  out.push('</section>');
  return out;
}

function findingsSection(report: Report, list: Finding[]): string[] {
  const out = ['<section id="findings">', '<h2>Findings</h2>'];
  list.slice(0, MAX_FINDINGS).forEach((f, i) => out.push(...findingArticle(report, f, i)));
  if (list.length > MAX_FINDINGS) {
    out.push(`<p>${list.length - MAX_FINDINGS} more findings, by title:</p>`, '<ul>', ...list.slice(MAX_FINDINGS).map((f) => `<li>${h(f.title)}</li>`), '</ul>');
  }
  out.push('</section>');
  return out;
}

function findingArticle(report: Report, f: Finding, index: number): string[] {
  const c = f.example;
  const ladder = ladderOf(c);
  const file = report.captures.length > 1 ? ` of ${report.captures[c.capture]?.file ?? ''}` : '';
  const caption = `Representative connection: TCP stream ${c.stream}${file}, ${endpointText(c.client)} → ${endpointText(c.server)}, frames ${c.firstFrame}-${c.lastFrame}.`;
  const out = [
    `<article class="finding kind-${f.kind}" id="finding-${index + 1}">`,
    `<h3>${h(f.title)}</h3>`,
    '<div class="finding-body">',
    '<figure class="flow">',
    ladderSvg(ladder, `Ladder diagram of ${endpointText(c.client)} to ${endpointText(c.server)}`),
    `<figcaption>${h(caption)}</figcaption>`,
    '</figure>',
  ];
  if (c.clientHello !== null) out.push(...helloDetails(c.clientHello));
  out.push('</div>', '<h4>Evidence</h4>', '<ul class="evidence">', ...f.evidence.map((e) => `<li>${h(e)}</li>`), '</ul>');
  out.push('<h4>Wireshark display filters</h4>', '<ul class="filters">', ...f.filters.map((x) => `<li><code>${h(x)}</code></li>`), '</ul>', '</article>');
  return out;
}

function helloDetails(ch: ClientHelloJson): string[] {
  const frames = ch.firstFrame === ch.frame ? `frame ${ch.frame}` : `frames ${ch.firstFrame}-${ch.frame} (reassembled)`;
  const sni =
    ch.sniStatus === 'present'
      ? `<code>${h(ch.sni ?? '')}</code>${ch.encryptedClientHello ? ' (outer, public name of an Encrypted Client Hello)' : ''}`
      : `<span class="missing">${h(ch.sniStatus === 'absent' ? 'not sent' : ch.sniStatus === 'unknown' ? 'unknown (cut short in the capture)' : ch.sniStatus)}</span>`;
  const exts: string[] = [];
  if (ch.sniStatus === 'absent') exts.push('<li class="missing"><s>server_name <span class="num">(0)</span></s> not sent</li>');
  for (const t of ch.extensions) {
    const name = extensionName(t);
    const hex = '0x' + t.toString(16).padStart(4, '0');
    exts.push(`<li${t === 0 && ch.sniStatus !== 'present' ? ' class="missing"' : ''}>${h(name)} <span class="num">(${name === 'GREASE' ? hex : t})</span></li>`);
  }
  const rows: [string, string][] = [
    ['Seen in', h(frames) + (ch.complete ? '' : ' — <span class="missing">incomplete</span>')],
    ['server_name', sni],
    ['Versions offered', h(ch.versions.join(', '))],
    ['Record / hello version', h(`${ch.recordVersion} / ${ch.legacyVersion}`)],
    ['Cipher suites', String(ch.cipherSuites)],
    ['ALPN', ch.alpn.length > 0 ? ch.alpn.map((p) => `<code>${h(p)}</code>`).join(', ') : 'none'],
    ['JA4', `<code>${h(ch.ja4)}</code>`],
  ];
  if (ch.malformed !== null) rows.push(['Malformed', h(ch.malformed)]);
  return [
    '<aside class="hello">',
    `<h4>${ch.format === 'sslv2' ? 'SSLv2-compatible Client Hello' : 'Client Hello'}</h4>`,
    '<dl>',
    ...rows.map(([k, v]) => `<dt>${h(k)}</dt><dd>${v}</dd>`),
    `<dt>Extensions (${ch.extensions.length} sent, in order)</dt>`,
    `<dd><ul class="ext">${exts.join('')}</ul></dd>`,
    '</dl>',
    '</aside>',
  ];
}

const STYLE = `
:root { --fg: #1d232b; --muted: #5b6673; --line: #d5dbe2; --bg-soft: #f4f6f9; --bad: #b3261e; --bad-soft: #fdecea; --ok: #1e6b35; --ok-soft: #e7f4ea; --warn-soft: #fff6dd; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0 auto; max-width: 76rem; padding: 1.5rem 2rem 3rem; color: var(--fg); background: #fff;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
code, .file, .num { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.92em; }
code { background: var(--bg-soft); padding: 0.05em 0.3em; border-radius: 3px; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.6rem; padding-bottom: 0.2rem; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05rem; margin: 0 0 0.8rem; }
h4 { font-size: 0.95rem; margin: 1rem 0 0.3rem; }
header .kicker { margin: 0; color: var(--muted); font-size: 0.85rem; text-transform: uppercase; letter-spacing: 0.04em; }
.verdict { font-size: 1.45rem; font-weight: 650; line-height: 1.3; margin: 0.4rem 0; }
.verdict.problem { color: var(--bad); }
.verdict.ok { color: var(--ok); }
.verdict .tag { display: inline-block; font-size: 0.75rem; vertical-align: middle; color: #fff; background: var(--bad); border-radius: 3px; padding: 0.1rem 0.45rem; text-transform: uppercase; letter-spacing: 0.04em; }
.numbers { color: var(--muted); margin: 0; }
.redacted { background: var(--warn-soft); border-left: 4px solid #d79b00; padding: 0.5rem 0.8rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; padding: 0.35rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg-soft); font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: 0.3rem 1.2rem; margin: 0.6rem 0; padding: 0.6rem 0.8rem; background: var(--bg-soft); border-radius: 6px; }
dl.facts dt { font-size: 0.8rem; color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
table.clients code { white-space: nowrap; }
tr.bad td { background: var(--bad-soft); }
.badge { display: inline-block; padding: 0 0.4rem; border-radius: 3px; background: var(--bg-soft); font-size: 0.85em; white-space: nowrap; }
.badge.v-non-sni-reset, .badge.v-sni-reset, .badge.v-mixed { background: var(--bad); color: #fff; }
.badge.v-sni-ok, .badge.v-non-sni-ok { background: var(--ok-soft); color: var(--ok); }
.warnings li { background: var(--warn-soft); margin: 0.2rem 0; padding: 0.15rem 0.4rem; }
.finding { border: 1px solid var(--line); border-left: 5px solid var(--line); border-radius: 6px; padding: 1rem 1.2rem; margin: 1rem 0 1.4rem; }
.finding.kind-non-sni-reset, .finding.kind-sni-reset { border-left-color: var(--bad); }
.finding.kind-non-sni-ok { border-left-color: var(--ok); }
.finding-body { display: grid; grid-template-columns: minmax(0, 2.2fr) minmax(15rem, 1fr); gap: 1.2rem; align-items: start; }
figure.flow { margin: 0; }
figure.flow figcaption { color: var(--muted); font-size: 0.85rem; margin-top: 0.3rem; overflow-wrap: anywhere; }
svg.ladder { display: block; width: 100%; height: auto; }
svg.ladder text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; font-size: 13px; fill: var(--fg); }
svg.ladder .gutter-head, svg.ladder .caption { fill: var(--muted); font-size: 12px; }
svg.ladder .frame, svg.ladder .time, svg.ladder .addr { font-family: ui-monospace, Menlo, Consolas, "Liberation Mono", monospace; }
svg.ladder .frame, svg.ladder .time { fill: var(--muted); font-size: 12px; }
svg.ladder .who { font-weight: 650; }
svg.ladder .addr-note, svg.ladder .note { fill: var(--muted); font-size: 12px; font-style: italic; }
svg.ladder rect { fill: var(--bg-soft); stroke: #7d8a99; }
svg.ladder .life { stroke: #9aa5b1; stroke-dasharray: 5 4; }
svg.ladder .arrow { stroke: #3b4652; stroke-width: 1.6; }
svg.ladder .head { fill: #3b4652; }
svg.ladder .alarm .arrow { stroke: var(--bad); stroke-width: 2.4; }
svg.ladder .alarm .head { fill: var(--bad); }
svg.ladder .alarm .label { fill: var(--bad); font-weight: 650; }
.hello { background: var(--bg-soft); border-radius: 6px; padding: 0.7rem 0.9rem; font-size: 0.88rem; }
.hello h4 { margin-top: 0; }
.hello dl { margin: 0; }
.hello dt { font-weight: 600; margin-top: 0.45rem; }
.hello dd { margin: 0; overflow-wrap: anywhere; }
.missing { color: var(--bad); font-weight: 650; }
ul.ext { list-style: none; margin: 0.25rem 0 0; padding: 0; display: flex; flex-wrap: wrap; gap: 0.25rem; }
ul.ext li { background: #fff; border: 1px solid var(--line); border-radius: 3px; padding: 0 0.3rem; font-size: 0.85em; overflow-wrap: anywhere; }
ul.ext li.missing { border-color: var(--bad); background: var(--bad-soft); }
ul.ext .num { color: var(--muted); }
ul.evidence li, ul.filters li { margin: 0.15rem 0; overflow-wrap: anywhere; }
ul.evidence li { font-family: ui-monospace, Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.85rem; }
footer { margin-top: 2.5rem; color: var(--muted); font-size: 0.85rem; border-top: 1px solid var(--line); padding-top: 0.6rem; }
@media (max-width: 56rem) {
  .finding-body { grid-template-columns: minmax(0, 1fr); }
  body { padding: 1rem; }
  .hello dl { display: grid; grid-template-columns: minmax(8rem, max-content) minmax(0, 1fr); gap: 0.2rem 1rem; }
  .hello dt { margin-top: 0; }
}
@page { margin: 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  .finding-body { grid-template-columns: minmax(0, 1fr); }
  .hello dl { display: grid; grid-template-columns: minmax(8rem, max-content) minmax(0, 1fr); gap: 0.2rem 1rem; }
  .hello dt { margin-top: 0; }
  .finding, figure.flow, .hello, table, tr { break-inside: avoid; }
  h2, h3, h4 { break-after: avoid; }
  section#findings > .finding + .finding { break-before: auto; }
}
`;
