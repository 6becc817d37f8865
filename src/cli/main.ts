import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { EXIT_ERROR, FORMATS, type Format, type Io, runAnalyze, UsageError } from './analyze.js';

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
  $ sni-pcap analyze capture.pcap --format json | jq '.clients[] | select(.verdict == "non-sni-reset")'

Exit status: 0 nothing wrong found, 1 a client without SNI was reset by the ingress, 2 could not run.`;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Builds the command line; `io` receives all output, and each command's exit code is passed to `exit`. */
export function buildProgram(io: Io, exit: (code: number) => void): Command {
  const version = packageVersion();
  const program = new Command('sni-pcap')
    .description('Find TLS clients that send no SNI (server_name) in a packet capture and whether the ingress resets them')
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
    .option('--no-color', 'no colour even on a terminal (NO_COLOR is honoured too)')
    .option('--no-progress', 'no progress line on stderr')
    .addHelpText('after', ANALYZE_EXAMPLES)
    .action(async (captures: string[], opts: { ingress: string[]; format: Format; output?: string; color: boolean; progress: boolean }) => {
      const stdout = io.stdout as NodeJS.WriteStream;
      const stderr = io.stderr as NodeJS.WriteStream;
      const code = await runAnalyze(
        {
          captures,
          ingress: opts.ingress,
          format: opts.format,
          output: opts.output ?? null,
          color: opts.color && stdout.isTTY === true && !process.env.NO_COLOR,
          progress: opts.progress && stderr.isTTY === true,
        },
        io,
        version,
      );
      exit(code);
    });
  return program;
}

/** Runs the command line and resolves to the process exit code. */
export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }): Promise<number> {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
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
      io.stderr.write(`sni-pcap: ${err.message}\n`);
      return EXIT_ERROR;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`sni-pcap: ${message}\n`);
    return EXIT_ERROR;
  }
}
