import { DEFAULT_MAX_CLIENTS, LogAggregator } from '../logs/aggregate.js';
import { DEFAULT_MAX_LINE_LENGTH } from '../logs/lines.js';
import { LogOpenError, type LogSourceStats, readLogSource } from '../logs/read.js';
import { buildLogsReport, type LogsReport } from '../logs/report.js';
import { renderLogsMarkdown, renderLogsText } from '../logs/render.js';
import { escapeText } from '../report/escape.js';
import { EXIT_ERROR, EXIT_OK, EXIT_PROBLEM, type Io, UsageError } from './command.js';
import { emit, type ReportFormat } from './output.js';

export interface LogsOptions {
  /** Access-log files (plain or gzip), or - for stdin; none means stdin. */
  files: string[];
  format: ReportFormat;
  output: string | null;
  color: boolean;
  maxLineLength?: number;
  maxClients?: number;
}

/** Reads the sources into a report; null when none could be read. Unreadable sources are named on stderr. */
export async function collectLogs(
  files: string[],
  io: Io,
  version: string,
  limits: { maxLineLength?: number; maxClients?: number } = {},
  stdin: NodeJS.ReadableStream = io.stdin,
): Promise<{ report: LogsReport | null; unreadable: number }> {
  if (files.length === 0 && (stdin as NodeJS.ReadStream).isTTY === true) throw new UsageError('give access-log files, or pipe kubectl logs into sni-pcap logs');
  const sources = files.length === 0 ? ['-'] : files;
  if (sources.filter((s) => s === '-').length > 1) throw new UsageError('stdin (-) can be read only once');
  const maxClients = limits.maxClients ?? DEFAULT_MAX_CLIENTS;
  const aggregator = new LogAggregator(maxClients);
  const stats: LogSourceStats[] = [];
  let unreadable = 0;
  for (const source of sources) {
    try {
      const s = await readLogSource(source, stats.length, aggregator, { stdin, maxLineLength: limits.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH });
      if (s.error !== null) io.stderr.write(`sni-pcap: ${escapeText(`${s.file}: ${s.error}; reporting what was read before it`)}\n`);
      stats.push(s);
    } catch (err) {
      if (!(err instanceof LogOpenError)) throw err;
      io.stderr.write(`sni-pcap: ${escapeText(err.message)}\n`);
      unreadable++;
    }
  }
  if (stats.length === 0) return { report: null, unreadable };
  return { report: buildLogsReport(version, stats, aggregator, maxClients), unreadable };
}

/** `sni-pcap logs`: the ingress access logs, step 1 of the runbook. */
export async function runLogs(options: LogsOptions, io: Io, version: string): Promise<number> {
  const { report, unreadable } = await collectLogs(options.files, io, version, options);
  if (report === null) return EXIT_ERROR;
  const text =
    options.format === 'json'
      ? JSON.stringify(report, null, 2) + '\n'
      : options.format === 'markdown'
        ? renderLogsMarkdown(report)
        : renderLogsText(report, { color: options.color });
  await emit(text, options.output, io);
  if (unreadable > 0) return EXIT_ERROR;
  return report.summary.problemFound ? EXIT_PROBLEM : EXIT_OK;
}
