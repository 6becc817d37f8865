import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { analyzeCaptures } from '../bundle/capture.js';
import { renderBundleHtml } from '../bundle/html.js';
import { renderBundleMarkdown, renderChecklistMarkdown } from '../bundle/markdown.js';
import { type BundleInput, type BundleReport, checklist, conclude, crossLink, type InputKind } from '../bundle/model.js';
import { RedactError, redactYaml } from '../bundle/redact.js';
import { parseTarget, TargetError } from '../probe/probe.js';
import type { ProbeReport } from '../probe/report.js';
import { escapeText } from '../report/escape.js';
import { renderHtml } from '../report/html.js';
import { buildRoutesReport, type RoutesReport } from '../routes/report.js';
import { ingressMatcher } from './analyze.js';
import { EXIT_ERROR, EXIT_OK, EXIT_PROBLEM, type Io, UsageError } from './command.js';
import { collectLogs } from './logs.js';
import { runProbeChecks } from './probe.js';
import { loadRoutesInputs } from './routes.js';

export interface BundleOptions {
  /** The folder to write; created if missing. */
  out: string;
  captures: string[];
  logs: string[];
  routes: string | null;
  overrides: string | null;
  /** HOST[:PORT] to probe, or null. */
  probe: string | null;
  probeConnect: string | null;
  probeServername: string | null;
  /** Seconds per probe step. */
  probeTimeout: number;
  /** Ingress addresses for the capture analysis (as analyze --ingress). */
  ingress: string[];
  /** Write into a folder that is not empty (the bundle's own files are replaced). */
  force: boolean;
}

const INPUTS = 'inputs';

/** A file name safe in any folder and in a link: letters, digits, dot, dash, underscore. */
function safeName(file: string): string {
  const b = basename(file).replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '');
  return (b === '' ? 'input' : b).slice(0, 100);
}

async function prepareFolder(out: string, force: boolean): Promise<void> {
  let entries: string[] = [];
  try {
    const s = await stat(out);
    if (!s.isDirectory()) throw new UsageError(`--out ${out}: exists and is not a folder`);
    entries = await readdir(out);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err instanceof UsageError ? err : new UsageError(`--out ${out}: ${(err as Error).message}`);
  }
  if (entries.length > 0 && !force) throw new UsageError(`--out ${out}: the folder is not empty (give --force to write into it)`);
  if (entries.includes(INPUTS)) await rm(join(out, INPUTS), { recursive: true, force: true });
  await mkdir(join(out, INPUTS), { recursive: true });
}

/** Copies one input verbatim into inputs/. */
async function copyInput(out: string, kind: InputKind, source: string, n: number): Promise<BundleInput> {
  const name = `${kind}-${n + 1}-${safeName(source)}`;
  const rel = `${INPUTS}/${name}`;
  try {
    await copyFile(source, join(out, INPUTS, name));
    return { kind, source, copy: rel, redacted: 0, bytes: (await stat(source)).size, error: null };
  } catch (err) {
    return { kind, source, copy: null, redacted: 0, bytes: null, error: (err as Error).message };
  }
}

/** Copies overrides.yaml with its secrets redacted; not copied at all when it cannot be read as YAML. */
async function copyOverrides(out: string, source: string): Promise<BundleInput> {
  const name = `overrides-${safeName(source).replace(/\.(ya?ml)$/i, '')}.redacted.yaml`;
  try {
    const text = await readFile(source, 'utf8');
    const r = redactYaml(text);
    await writeFile(join(out, INPUTS, name), r.text);
    return { kind: 'overrides', source, copy: `${INPUTS}/${name}`, redacted: r.redacted, bytes: Buffer.byteLength(r.text), error: null };
  } catch (err) {
    const why = err instanceof RedactError ? `not valid YAML (${err.message}), so not copied: its secrets could not be redacted` : (err as Error).message;
    return { kind: 'overrides', source, copy: null, redacted: 0, bytes: null, error: why };
  }
}

/** `sni-pcap bundle`: runs what it is given and writes one folder for the support case. */
export async function runBundle(options: BundleOptions, io: Io, version: string): Promise<number> {
  const given = options.captures.length + options.logs.length + (options.routes !== null ? 1 : 0) + (options.overrides !== null ? 1 : 0) + (options.probe !== null ? 1 : 0);
  if (given === 0) throw new UsageError('give at least one of --capture, --logs, --routes, --overrides, --probe');
  for (const f of [...options.captures, ...options.logs, options.routes, options.overrides]) {
    if (f === '-') throw new UsageError('bundle reads files (it copies them into the folder): save stdin to a file first');
  }
  if (options.ingress.length > 0) ingressMatcher(options.ingress); // a bad --ingress is a usage error before any work
  if (options.probe !== null) {
    try {
      parseTarget(options.probe);
    } catch (err) {
      if (err instanceof TargetError) throw new UsageError(`--probe: ${err.message}`);
      throw err;
    }
  }
  await prepareFolder(options.out, options.force);

  const inputs: BundleInput[] = [];
  for (const [i, f] of options.captures.entries()) inputs.push(await copyInput(options.out, 'capture', f, i));
  for (const [i, f] of options.logs.entries()) inputs.push(await copyInput(options.out, 'logs', f, i));
  if (options.routes !== null) inputs.push(await copyInput(options.out, 'routes', options.routes, 0));
  if (options.overrides !== null) inputs.push(await copyOverrides(options.out, options.overrides));
  const errors: string[] = inputs.filter((i) => i.error !== null && i.kind !== 'overrides').map((i) => `${i.source}: ${i.error}`);
  for (const i of inputs) if (i.kind === 'overrides' && i.error !== null) errors.push(`${i.source}: ${i.error}`);

  const readable = (kind: InputKind) => inputs.filter((i) => i.kind === kind && i.error === null).map((i) => i.source);

  // Capture (step 2 of the runbook).
  const capture = await analyzeCaptures(readable('capture'), options.ingress, io, version);
  errors.push(...capture.errors);

  // Access logs (step 1).
  let logs = null;
  const logFiles = readable('logs');
  if (logFiles.length > 0) {
    const r = await collectLogs(logFiles, io, version);
    logs = r.report;
    if (r.unreadable > 0) errors.push(`${r.unreadable} access-log ${r.unreadable === 1 ? 'file' : 'files'} could not be read`);
  }

  // Live probe (step 3).
  let probe: ProbeReport | null = null;
  if (options.probe !== null) {
    probe = await runProbeChecks(
      { target: options.probe, connect: options.probeConnect, servername: options.probeServername, timeout: options.probeTimeout },
      version,
    );
  }

  // Routes and overrides (step 4).
  let routes: RoutesReport | null = null;
  if (options.routes !== null && readable('routes').length > 0) {
    const overridesOk = options.overrides !== null && inputs.some((i) => i.kind === 'overrides' && i.error === null) ? options.overrides : null;
    const loaded = await loadRoutesInputs(options.routes, overridesOk, io);
    if (loaded === null) errors.push(`${options.routes}: no ApigeeRoute could be read`);
    else routes = buildRoutesReport(version, loaded.routes, loaded.overrides);
  }

  const clients = crossLink(capture.report, logs);
  const parts = { capture: capture.report, logs, probe, routes };
  const report: BundleReport = {
    schemaVersion: 1,
    tool: { name: 'sni-pcap', version },
    generatedAt: new Date().toISOString(),
    summary: conclude(parts),
    checklist: checklist({ ...parts, clients, inputs }),
    clients,
    inputs,
    errors,
    ...parts,
  };

  const written: string[] = [];
  const write = async (name: string, text: string) => {
    await writeFile(join(options.out, name), text);
    written.push(name);
  };
  let captureHtml: string | null = null;
  if (capture.report !== null) {
    captureHtml = 'capture.html';
    await write(captureHtml, renderHtml(capture.report));
  }
  await write('report.html', renderBundleHtml(report, { captureHtml }));
  await write('report.md', renderBundleMarkdown(report));
  await write('report.json', JSON.stringify(report, null, 2) + '\n');
  await write('checklist.md', `# Checklist\n\n${renderChecklistMarkdown(report, '##').replace(/^## .*\n\n/, '')}`);

  const copies = inputs.filter((i) => i.copy !== null).length;
  const missing = report.checklist.filter((c) => c.status !== 'present');
  const out = [
    report.summary.verdict,
    ...report.summary.lines.map((l) => `  ${l}`),
    `Bundle written to ${options.out}: ${written.join(', ')}, ${INPUTS}/ (${copies} ${copies === 1 ? 'copy' : 'copies'})`,
  ];
  if (missing.length > 0) {
    out.push('Still missing or partial:');
    for (const m of missing) out.push(`  - ${m.item}: ${m.detail}`);
  }
  io.stdout.write(out.map(escapeText).join('\n') + '\n');

  const ran = capture.report !== null || logs !== null || probe !== null || routes !== null || inputs.some((i) => i.kind === 'overrides' && i.error === null);
  if (!ran || errors.length > 0) return EXIT_ERROR;
  return report.summary.problemFound || routes?.summary.problemFound === true ? EXIT_PROBLEM : EXIT_OK;
}
