import Table from 'cli-table3';
import { escapeMarkdown, escapeText } from '../report/escape.js';
import { type Check, checkRoutes, type RouteRole } from './check.js';
import type { RoutesFile } from './load.js';
import type { OverridesFile } from './overrides.js';

export interface RouteJson {
  name: string;
  namespace: string | null;
  role: RouteRole;
  hostnames: string[];
  enableNonSniClient: unknown;
  state: string | null;
  additionalGateways: string[];
  ports: RoutesFile['routes'][number]['ports'];
}

export interface RoutesReport {
  schemaVersion: 1;
  tool: { name: 'sni-pcap'; version: string };
  inputs: {
    routes: { file: string; documents: number; routes: number; otherKinds: Record<string, number>; errors: string[] };
    overrides: { file: string; namespace: string | null; virtualhosts: { name: string; additionalGateways: string[] }[]; errors: string[] } | null;
  };
  routes: RouteJson[];
  wildcardRoute: string | null;
  checks: Check[];
  summary: { problemFound: boolean; passed: number; failed: number; skipped: number; verdict: string };
}

export function buildRoutesReport(version: string, routes: RoutesFile, overrides: OverridesFile | null): RoutesReport {
  const result = checkRoutes(routes, overrides);
  const failed = result.checks.filter((c) => c.status === 'fail');
  const passed = result.checks.filter((c) => c.status === 'pass').length;
  const skipped = result.checks.filter((c) => c.status === 'skip').length;
  let verdict: string;
  if (failed.length === 0) {
    verdict = `Non-SNI clients are enabled: ${passed} checks pass on "${result.wildcardRoute ?? ''}"${skipped > 0 ? ` (${skipped} not checked)` : ''}.`;
  } else {
    const count = `${failed.length} of ${result.checks.length} checks ${failed.length === 1 ? 'fails' : 'fail'}`;
    verdict =
      result.wildcardRoute === null
        ? `Non-SNI clients are not enabled: there is no ApigeeRoute with hostnames ["*"] (${count}).`
        : `Non-SNI clients are not enabled: ${count} for "${result.wildcardRoute}" (${failed.map((c) => lowerFirst(c.title)).join('; ')}).`;
  }
  return {
    schemaVersion: 1,
    tool: { name: 'sni-pcap', version },
    inputs: {
      routes: { file: routes.file, documents: routes.documents, routes: routes.routes.length, otherKinds: routes.otherKinds, errors: routes.errors },
      overrides:
        overrides === null
          ? null
          : {
              file: overrides.file,
              namespace: overrides.namespace,
              virtualhosts: overrides.virtualhosts.map((v) => ({ name: v.name, additionalGateways: v.additionalGateways })),
              errors: overrides.errors,
            },
    },
    routes: routes.routes.map((r) => ({
      name: r.name,
      namespace: r.namespace,
      role: result.roles.get(r) ?? 'other',
      hostnames: r.hostnames,
      enableNonSniClient: r.enableNonSniClient ?? null,
      state: r.state,
      additionalGateways: r.additionalGateways,
      ports: r.ports,
    })),
    wildcardRoute: result.wildcardRoute,
    checks: result.checks,
    summary: { problemFound: failed.length > 0, passed, failed: failed.length, skipped, verdict },
  };
}

function lowerFirst(s: string): string {
  return /^[A-Z][a-z]/.test(s) ? s.charAt(0).toLowerCase() + s.slice(1) : s;
}

const STYLE = { red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', bold: '\x1b[1m', reset: '\x1b[0m' };

function inputLines(report: RoutesReport): string[] {
  const r = report.inputs.routes;
  const other = Object.entries(r.otherKinds).map(([k, n]) => `${n} ${k}`);
  const lines = [`Routes ${r.file}: ${r.routes} ApigeeRoutes in ${r.documents} ${r.documents === 1 ? 'document' : 'documents'}${other.length > 0 ? `; other objects left: ${other.join(', ')}` : ''}`];
  for (const e of r.errors) lines.push(`warning: ${r.file}: ${e}`);
  const o = report.inputs.overrides;
  if (o !== null) {
    lines.push(`Overrides ${o.file}: ${o.virtualhosts.length} virtualhosts${o.virtualhosts.length > 0 ? ` (${o.virtualhosts.map((v) => v.name).join(', ')})` : ''}`);
    for (const e of o.errors) lines.push(`warning: ${o.file}: ${e}`);
  }
  return lines;
}

function stateText(r: RouteJson): string {
  const flag = r.enableNonSniClient === true ? 'enableNonSniClient' : '';
  return [r.state ?? 'no status', flag].filter((x) => x !== '').join(', ');
}

export function renderRoutesText(report: RoutesReport, options: { color: boolean }): string {
  const paint = (style: keyof typeof STYLE, s: string) => (options.color ? STYLE[style] + s + STYLE.reset : s);
  const out = inputLines(report).map(escapeText);
  if (report.routes.length > 0) {
    const table = new Table({ head: ['Route', 'Role', 'Hostnames', 'State', 'additionalGateways'], style: { head: options.color ? ['bold'] : [], border: [] } });
    for (const r of report.routes.slice(0, 100)) {
      table.push([escapeText(r.name), r.role, escapeText(r.hostnames.join(', ')), escapeText(stateText(r)), escapeText(r.additionalGateways.join(', ') || '-')]);
    }
    out.push(table.toString());
  }
  out.push('');
  const table = new Table({ head: ['Check', 'Result', 'Reason'], colWidths: [36, 8, 72], wordWrap: true, style: { head: options.color ? ['bold'] : [], border: [] } });
  for (const c of report.checks) {
    const result = c.status === 'pass' ? paint('green', 'pass') : c.status === 'fail' ? paint('red', 'FAIL') : paint('yellow', 'skip');
    table.push([c.title, result, escapeText(c.reason)]);
  }
  out.push(table.toString(), '');
  out.push(paint('bold', (report.summary.problemFound ? paint('red', 'PROBLEM: ') : '') + escapeText(report.summary.verdict)));
  const fixes = report.checks.filter((c) => c.fix !== null);
  if (fixes.length > 0) {
    out.push('', paint('bold', 'Fixes'));
    for (const c of fixes) {
      const lines = (c.fix?.text ?? '').replace(/\n$/, '').split('\n');
      out.push('', `${c.title}:`, ...lines.map((l) => `    ${escapeText(l)}`));
    }
  }
  return out.join('\n') + '\n';
}

function fence(text: string, language: string): string[] {
  const lines = text.replace(/\n$/, '').split('\n').map((l) => escapeText(l).replace(/`/g, "'"));
  return ['```' + language, ...lines, '```'];
}

/** The routes section in Markdown; `heading` is the level of its title. */
export function renderRoutesMarkdown(report: RoutesReport, heading = '#'): string {
  const h = heading;
  const out = [h === '#' ? '# sni-pcap routes report' : `${h} ApigeeRoutes and overrides`, ''];
  out.push(`**${report.summary.problemFound ? 'Problem found: ' : ''}${escapeMarkdown(report.summary.verdict)}**`, '');
  for (const l of inputLines(report)) out.push(`- ${escapeMarkdown(l)}`);
  out.push('');
  if (report.routes.length > 0) {
    out.push('| Route | Role | Hostnames | State | additionalGateways |', '|---|---|---|---|---|');
    for (const r of report.routes.slice(0, 200)) {
      out.push(
        `| ${escapeMarkdown(r.name)} | ${r.role} | ${escapeMarkdown(r.hostnames.join(', '))} | ${escapeMarkdown(stateText(r))} | ${escapeMarkdown(r.additionalGateways.join(', ') || '-')} |`,
      );
    }
    out.push('');
  }
  out.push('| Check | Result | Reason |', '|---|---|---|');
  for (const c of report.checks) out.push(`| ${escapeMarkdown(c.title)} | ${c.status === 'fail' ? '**FAIL**' : c.status} | ${escapeMarkdown(c.reason)} |`);
  out.push('');
  const fixes = report.checks.filter((c) => c.fix !== null);
  if (fixes.length > 0) {
    out.push(`${h}# Fixes`, '');
    for (const c of fixes) out.push(`${escapeMarkdown(c.title)}:`, '', ...fence(c.fix?.text ?? '', c.fix?.language ?? ''), '');
  }
  return out.join('\n');
}
