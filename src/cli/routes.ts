import { readFile } from 'node:fs/promises';
import { parseRoutes, type RoutesFile } from '../routes/load.js';
import { type OverridesFile, parseOverrides } from '../routes/overrides.js';
import { buildRoutesReport, renderRoutesMarkdown, renderRoutesText, type RoutesReport } from '../routes/report.js';
import { escapeText } from '../report/escape.js';
import { EXIT_ERROR, EXIT_OK, EXIT_PROBLEM, type Io } from './command.js';
import { emit, type ReportFormat } from './output.js';

export interface RoutesOptions {
  /** `kubectl -n apigee get apigeeroutes -o yaml` (or -o json) output. */
  routes: string;
  /** The hybrid overrides file; null to skip the overrides check. */
  overrides: string | null;
  format: ReportFormat;
  output: string | null;
  color: boolean;
}

/** Files larger than this are not read (an ApigeeRoute list is a few kilobytes). */
const MAX_FILE = 64 * 1024 * 1024;

async function readText(file: string, io: Io): Promise<string | null> {
  try {
    const buf = await readFile(file);
    if (buf.length > MAX_FILE) {
      io.stderr.write(`sni-pcap: ${escapeText(`${file}: larger than ${MAX_FILE / 1024 / 1024} MiB, not a routes or overrides file`)}\n`);
      return null;
    }
    return buf.toString('utf8');
  } catch (err) {
    io.stderr.write(`sni-pcap: ${escapeText(`${file}: ${(err as Error).message}`)}\n`);
    return null;
  }
}

/** Reads both files; null (after saying why on stderr) when the check cannot run. */
export async function loadRoutesInputs(routesFile: string, overridesFile: string | null, io: Io): Promise<{ routes: RoutesFile; overrides: OverridesFile | null } | null> {
  const text = await readText(routesFile, io);
  if (text === null) return null;
  const routes = parseRoutes(text, routesFile);
  if (routes.routes.length === 0) {
    for (const e of routes.errors) io.stderr.write(`sni-pcap: ${escapeText(`${routesFile}: ${e}`)}\n`);
    const other = Object.keys(routes.otherKinds);
    io.stderr.write(
      `sni-pcap: ${escapeText(`${routesFile}: no ApigeeRoute found${other.length > 0 ? ` (objects of kind ${other.join(', ')})` : ''}`)}; give the output of kubectl -n apigee get apigeeroutes -o yaml\n`,
    );
    return null;
  }
  let overrides: OverridesFile | null = null;
  if (overridesFile !== null) {
    const o = await readText(overridesFile, io);
    if (o === null) return null;
    overrides = parseOverrides(o, overridesFile);
    if (overrides.errors.length > 0) {
      for (const e of overrides.errors) io.stderr.write(`sni-pcap: ${escapeText(`${overridesFile}: ${e}`)}\n`);
      return null;
    }
  }
  return { routes, overrides };
}

export async function routesReport(routesFile: string, overridesFile: string | null, io: Io, version: string): Promise<RoutesReport | null> {
  const inputs = await loadRoutesInputs(routesFile, overridesFile, io);
  return inputs === null ? null : buildRoutesReport(version, inputs.routes, inputs.overrides);
}

/** `sni-pcap routes`: the ApigeeRoute and overrides checks, step 4 of the runbook. */
export async function runRoutes(options: RoutesOptions, io: Io, version: string): Promise<number> {
  const report = await routesReport(options.routes, options.overrides, io, version);
  if (report === null) return EXIT_ERROR;
  const text =
    options.format === 'json'
      ? JSON.stringify(report, null, 2) + '\n'
      : options.format === 'markdown'
        ? renderRoutesMarkdown(report)
        : renderRoutesText(report, { color: options.color });
  await emit(text, options.output, io);
  return report.summary.problemFound ? EXIT_PROBLEM : EXIT_OK;
}
