import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT_ERROR, EXIT_INTERRUPTED, FORMATS, type Format, type Io, UsageError } from './command.js';
import { escapeText } from '../report/escape.js';
import { REPORT_FORMATS, type ReportFormat, useColor } from './output.js';
import { type CollectLimits, DEFAULT_COLLECT_LIMITS } from '../verdict/collect.js';
import { runAnalyzeOnWorker, workerAvailable } from './worker.js';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const ANALYZE_EXAMPLES = `
Examples:
  $ sni-pcap analyze capture.pcap --ingress 10.0.0.5
  $ sni-pcap analyze node1.pcapng node2.pcap.gz --ingress 10.0.0.0/24 --ingress 2001:db8::/64
  $ tcpdump -n -i any -s 0 -w - port 443 | sni-pcap analyze - --ingress 10.0.0.5
  $ sni-pcap analyze capture.pcap --format markdown -o report.md
  $ sni-pcap analyze capture.pcap --format html --redact -o report.html
  $ sni-pcap analyze capture.pcap --format json | jq '.clients[] | select(.verdict == "non-sni-reset")'

Exit status: 0 nothing wrong found, 1 a client without SNI was reset by the ingress, 2 could not run.`;

const LOGS_EXAMPLES = `
Examples:
  $ kubectl -n apigee logs -l app=apigee-ingressgateway --prefix --timestamps --since=24h | sni-pcap logs
  $ sni-pcap logs ingress-1.log ingress-2.log.gz --format json | jq '.clients[] | select(.verdict == "non-sni-reset")'

Exit status: 0 nothing wrong found, 1 a connection without SNI was refused (filter_chain_not_found), 2 could not run.`;

const PROBE_EXAMPLES = `
Examples:
  $ sni-pcap probe api.example.com
  $ sni-pcap probe api.example.com:443 --connect 10.0.0.5
  $ sni-pcap probe 10.0.0.5 --servername api.example.com --timeout 5

Exit status: 0 the handshake without SNI completes, 1 it is reset or refused while the one with SNI works,
2 could not run (name lookup failed, connection refused, timeout).`;

const ROUTES_EXAMPLES = `
Examples:
  $ kubectl -n apigee get apigeeroutes -o yaml > routes.yaml
  $ sni-pcap routes --routes routes.yaml --overrides overrides.yaml

Exit status: 0 every check passes, 1 a check fails, 2 could not run.`;

const BUNDLE_EXAMPLES = `
Examples:
  $ sni-pcap bundle --out case-123 --capture node1.pcap --logs ingress.log --routes routes.yaml --overrides overrides.yaml
  $ sni-pcap bundle --out case-123 --probe api.example.com --routes routes.yaml

Exit status: 0 nothing wrong found, 1 the non-SNI problem found or a routes check fails, 2 an input could not be read.`;

function positiveInteger(flag: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError(`${flag} takes a whole number of at least 1`);
    return Number(value);
  };
}

/** --max-listed N: N connections with a ClientHello or a server reset, a quarter as many others. */
function listLimits(n: number): Partial<CollectLimits> {
  return { maxOutcomes: n, maxPlainOutcomes: Math.ceil(n / 4) };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Builds the command line; `io` receives all output, and each command's exit code is passed to `exit`. */
export function buildProgram(io: Io, exit: (code: number) => void): Command {
  const version = packageVersion();
  const program = new Command('sni-pcap')
    .description('Is it the non-SNI problem? Find TLS clients that send no SNI (server_name) and whether the ingress resets them: in a packet capture (analyze), the ingress access logs (logs), a live handshake (probe) and the route configuration (routes)')
    .version(version, '-V, --version')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `\nExample:\n  $ sni-pcap analyze capture.pcap --ingress 10.0.0.5\n\nRun 'sni-pcap help analyze' for more.`);

  program
    .command('analyze')
    .description('Analyse pcap/pcapng captures (gzip too; - reads stdin): ClientHellos without server_name and the ingress RSTs that follow')
    .argument('<capture...>', 'capture files (pcap, pcapng, optionally gzip-compressed), or - for stdin')
    .option('-i, --ingress <addr>', 'ingress address or CIDR range, IPv4 or IPv6 (repeatable, or comma-separated); default: detected', collect, [])
    .addOption(new Option('-f, --format <format>', 'report format').choices(FORMATS as string[]).default('table'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--redact', 'replace client addresses with pseudonyms (keyed hash, fresh key each run); ingress addresses are kept')
    .option('--redact-sni', 'also replace host names (server_name) with pseudonyms; implies --redact')
    .option('--no-color', 'no colour even on a terminal (NO_COLOR is honoured too)')
    .option('--no-progress', 'no progress line on stderr')
    .option(
      '--max-listed <n>',
      `connections listed one by one in the report, about 1.3 KB of memory each; past it they are counted in the client verdicts only (default ${DEFAULT_COLLECT_LIMITS.maxOutcomes})`,
      positiveInteger('--max-listed'),
    )
    .addHelpText('after', ANALYZE_EXAMPLES)
    .action(async (captures: string[], opts: { ingress: string[]; format: Format; output?: string; color: boolean; progress: boolean; redact?: boolean; redactSni?: boolean; maxListed?: number }) => {
      const stdout = io.stdout as NodeJS.WriteStream;
      const stderr = io.stderr as NodeJS.WriteStream;
      const interrupt = isProcess(io) ? interruptOnSigint() : null;
      // The analysis modules are loaded where it runs: on the worker thread, or here (in tests).
      const run = isProcess(io) && workerAvailable() ? runAnalyzeOnWorker : (await import('./analyze.js')).runAnalyze;
      const code = await run(
        {
          signal: interrupt?.signal,
          captures,
          ingress: opts.ingress,
          format: opts.format,
          output: opts.output ?? null,
          redact: opts.redact === true || opts.redactSni === true,
          redactSni: opts.redactSni === true,
          color: opts.color && stdout.isTTY === true && !process.env.NO_COLOR,
          progress: opts.progress && stderr.isTTY === true,
          collectLimits: opts.maxListed === undefined ? undefined : listLimits(opts.maxListed),
        },
        io,
        version,
      ).finally(() => interrupt?.dispose());
      exit(code);
    });
  program
    .command('logs')
    .description('Runbook step 1: ingress access logs (kubectl logs output): connections refused for lack of SNI, grouped by client')
    .argument('[file...]', 'access-log files, or - for stdin (the default): JSON lines, kubectl --prefix/--timestamps allowed, plain or gzip')
    .addOption(new Option('-f, --format <format>', 'report format').choices(REPORT_FORMATS as string[]).default('table'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--no-color', 'no colour even on a terminal (NO_COLOR is honoured too)')
    .addHelpText('after', LOGS_EXAMPLES)
    .action(async (files: string[], opts: { format: ReportFormat; output?: string; color: boolean }) => {
      const output = opts.output ?? null;
      // The runbook's other commands are loaded when run, not on every start.
      const { runLogs } = await import('./logs.js');
      exit(await runLogs({ files, format: opts.format, output, color: useColor(opts.color, io, output) }, io, version));
    });

  program
    .command('probe')
    .description('Runbook step 3: one TLS handshake with SNI and one without (openssl s_client -noservername, done by the tool)')
    .argument('<target>', 'HOST[:PORT] (port 443 by default; IPv6 as [ADDR]:PORT)')
    .option('--connect <ip>', 'connect to this address instead of resolving HOST (HOST is still sent as SNI)')
    .option('--servername <name>', 'server name for the handshake with SNI (default: HOST when it is a name)')
    .option('--timeout <seconds>', 'timeout of each step: name lookup, TCP connect, TLS handshake', '10')
    .addOption(new Option('-f, --format <format>', 'report format').choices(REPORT_FORMATS as string[]).default('table'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--no-color', 'no colour even on a terminal (NO_COLOR is honoured too)')
    .addHelpText('after', PROBE_EXAMPLES)
    .action(async (target: string, opts: { connect?: string; servername?: string; timeout: string; format: ReportFormat; output?: string; color: boolean }) => {
      const output = opts.output ?? null;
      const timeout = Number(opts.timeout);
      const { runProbe } = await import('./probe.js');
      exit(
        await runProbe(
          { target, connect: opts.connect ?? null, servername: opts.servername ?? null, timeout, format: opts.format, output, color: useColor(opts.color, io, output) },
          io,
          version,
        ),
      );
    });

  program
    .command('routes')
    .description('Runbook step 4: is the wildcard ApigeeRoute for non-SNI clients in place (and named in overrides.yaml)?')
    .requiredOption('--routes <file>', 'output of kubectl -n apigee get apigeeroutes -o yaml (or -o json)')
    .option('--overrides <file>', 'the hybrid overrides.yaml')
    .addOption(new Option('-f, --format <format>', 'report format').choices(REPORT_FORMATS as string[]).default('table'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--no-color', 'no colour even on a terminal (NO_COLOR is honoured too)')
    .addHelpText('after', ROUTES_EXAMPLES)
    .action(async (opts: { routes: string; overrides?: string; format: ReportFormat; output?: string; color: boolean }) => {
      const output = opts.output ?? null;
      const { runRoutes } = await import('./routes.js');
      exit(await runRoutes({ routes: opts.routes, overrides: opts.overrides ?? null, format: opts.format, output, color: useColor(opts.color, io, output) }, io, version));
    });
  program
    .command('bundle')
    .description('Runs what it is given and writes one folder for the support case: report.html/.md/.json, copies of the inputs, a checklist')
    .requiredOption('--out <dir>', 'the folder to write (created if missing)')
    .option('--capture <file...>', 'capture files (pcap, pcapng, gzip)')
    .option('--logs <file...>', 'ingress access-log files')
    .option('--routes <file>', 'kubectl -n apigee get apigeeroutes -o yaml (or -o json) output')
    .option('--overrides <file>', 'the hybrid overrides.yaml (copied with keys, certificates and secrets redacted)')
    .option('--probe <target>', 'HOST[:PORT] to probe with and without SNI')
    .option('--probe-connect <ip>', 'connect the probe to this address instead of resolving HOST')
    .option('--probe-servername <name>', 'server name for the probe with SNI')
    .option('--probe-timeout <seconds>', 'timeout of each probe step', '10')
    .option('-i, --ingress <addr>', 'ingress address or CIDR range for the capture (as analyze --ingress)', collect, [])
    .option('--force', 'write into a folder that is not empty')
    .addHelpText('after', BUNDLE_EXAMPLES)
    .action(
      async (opts: {
        out: string;
        capture?: string[];
        logs?: string[];
        routes?: string;
        overrides?: string;
        probe?: string;
        probeConnect?: string;
        probeServername?: string;
        probeTimeout: string;
        ingress: string[];
        force?: boolean;
      }) => {
        const { runBundle } = await import('./bundle.js');
        exit(
          await runBundle(
            {
              out: opts.out,
              captures: opts.capture ?? [],
              logs: opts.logs ?? [],
              routes: opts.routes ?? null,
              overrides: opts.overrides ?? null,
              probe: opts.probe ?? null,
              probeConnect: opts.probeConnect ?? null,
              probeServername: opts.probeServername ?? null,
              probeTimeout: Number(opts.probeTimeout),
              ingress: opts.ingress,
              force: opts.force === true,
            },
            io,
            version,
          ),
        );
      },
    );
  return program;
}

/** True when the command line runs as the process itself (not in-process with other streams, as in tests). */
function isProcess(io: Io): boolean {
  return io.stdout === process.stdout && io.stderr === process.stderr;
}

/**
 * Ctrl-C while analyze reads: the first stops reading (the report covers what was read and the
 * exit status is EXIT_INTERRUPTED), a second exits at once.
 */
function interruptOnSigint(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

let pipesGuarded = false;

/**
 * A reader that goes away (`sni-pcap analyze ... | head -1`) ends the process quietly with status
 * 0 instead of an EPIPE stack trace; other write errors on stdout are one line and status 2.
 * Errors on stderr are ignored: there is nowhere left to report them.
 */
function guardPipes(): void {
  if (pipesGuarded) return;
  pipesGuarded = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    try {
      process.stderr.write(`sni-pcap: cannot write the report: ${err.message}\n`);
    } finally {
      process.exit(EXIT_ERROR);
    }
  });
  process.stderr.on('error', () => undefined);
  // A bug must still end in one line, not a stack trace.
  const fatal = (err: unknown): void => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`sni-pcap: internal error: ${escapeText(message)}\n`);
    process.exit(EXIT_ERROR);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
}

/**
 * The process's streams. Stdin is opened only when asked for: `analyze` on a worker thread reads
 * file descriptor 0 there, and opening it here too would make a pipe non-blocking under it.
 */
function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    get stdin() {
      return process.stdin;
    },
  };
}

/** Runs the command line and resolves to the process exit code. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  if (isProcess(io)) guardPipes();
  let code = 0;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_ERROR;
    if (err instanceof UsageError) {
      io.stderr.write(`sni-pcap: ${escapeText(err.message)}\n`);
      return EXIT_ERROR;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`sni-pcap: ${escapeText(message)}\n`);
    return EXIT_ERROR;
  }
}
