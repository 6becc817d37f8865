import { isIP } from 'node:net';
import { parseTarget, probe, type Resolver, TargetError } from '../probe/probe.js';
import { buildProbeReport, renderProbeMarkdown, renderProbeText, type ProbeReport } from '../probe/report.js';
import { EXIT_ERROR, EXIT_OK, EXIT_PROBLEM, type Io, UsageError } from './command.js';
import { emit, type ReportFormat } from './output.js';

export interface ProbeOptions {
  /** HOST, HOST:PORT, or [IPv6]:PORT. */
  target: string;
  /** Connect to this address instead of resolving HOST. */
  connect: string | null;
  /** The server name for the handshake with SNI; default HOST when it is a name. */
  servername: string | null;
  /** Seconds per step. */
  timeout: number;
  format: ReportFormat;
  output: string | null;
  color: boolean;
  /** For tests: resolves names instead of the system resolver. */
  resolve?: Resolver;
}

/** Validates the options and runs both handshakes. */
export async function runProbeChecks(options: Omit<ProbeOptions, 'format' | 'output' | 'color'>, version: string): Promise<ProbeReport> {
  let target;
  try {
    target = parseTarget(options.target);
  } catch (err) {
    if (err instanceof TargetError) throw new UsageError(err.message);
    throw err;
  }
  if (options.connect !== null && isIP(options.connect.replace(/^\[|\]$/g, '')) === 0) throw new UsageError(`--connect wants an IP address: ${options.connect}`);
  if (!Number.isFinite(options.timeout) || options.timeout <= 0 || options.timeout > 3600) throw new UsageError(`--timeout wants seconds between 0 and 3600: ${options.timeout}`);
  const servername = options.servername === null || options.servername === '' ? null : options.servername;
  if (servername !== null && (isIP(servername) !== 0 || !/^[A-Za-z0-9_.*-]+$/.test(servername) || servername.length > 253)) {
    throw new UsageError(`--servername wants a host name (an address cannot be sent as SNI): ${servername}`);
  }
  const result = await probe({
    host: target.host,
    port: target.port,
    connect: options.connect === null ? null : options.connect.replace(/^\[|\]$/g, ''),
    servername,
    timeoutMs: options.timeout * 1000,
    resolve: options.resolve,
  });
  return buildProbeReport(version, result);
}

export function probeExitCode(report: ProbeReport): number {
  switch (report.summary.conclusion) {
    case 'served':
      return EXIT_OK;
    case 'reset':
      return EXIT_PROBLEM;
    default:
      return EXIT_ERROR;
  }
}

/** `sni-pcap probe`: one TLS handshake with SNI and one without, step 3 of the runbook. */
export async function runProbe(options: ProbeOptions, io: Io, version: string): Promise<number> {
  const report = await runProbeChecks(options, version);
  const text =
    options.format === 'json'
      ? JSON.stringify(report, null, 2) + '\n'
      : options.format === 'markdown'
        ? renderProbeMarkdown(report)
        : renderProbeText(report, { color: options.color });
  await emit(text, options.output, io);
  return probeExitCode(report);
}
