import { open } from 'node:fs/promises';
import { CaptureOpenError } from '../capture/input.js';
import { anyOf, type Cidr, ipv4Mapped, parseAddress, parseCidrOrThrow } from '../ip/address.js';
import { escapeText } from '../report/escape.js';
import { reportJsonPieces } from '../report/json.js';
import { buildReport, clientJsons, connectionJsons, reportWithoutLists, type CaptureFacts } from '../report/model.js';
import { thousands } from '../report/numbers.js';
import { type CollectLimits, OutcomeCollector } from '../verdict/collect.js';
import { judge } from '../verdict/verdicts.js';
import { analyzeCapture } from './pipeline.js';
import { EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_PROBLEM, type Format, type Io, UsageError } from './command.js';

export interface AnalyzeOptions {
  captures: string[];
  /** Addresses or CIDR ranges of the ingress; empty to detect it. */
  ingress: string[];
  format: Format;
  /** Write the report here instead of stdout. */
  output: string | null;
  color: boolean;
  /** Progress lines on stderr. */
  progress: boolean;
  /** Pseudonymise client addresses (see redactReport). */
  redact?: boolean;
  /** Pseudonymise host names too. */
  redactSni?: boolean;
  /** When aborted (Ctrl-C), reading stops and the report covers what was read (exit EXIT_INTERRUPTED). */
  signal?: AbortSignal;
  /** Bounds on the finished connections kept for the report (tests lower them). */
  collectLimits?: Partial<CollectLimits>;
  /** Stdin (`-`) is read from this file descriptor instead of `io.stdin`, into reused buffers. */
  stdinFd?: number;
}

/**
 * Parses --ingress values (addresses or CIDR ranges, IPv4 or IPv6, a bare address in brackets
 * too, an IPv6 zone ignored) into a predicate on address texts. An IPv4 address and its
 * IPv4-mapped IPv6 form (::ffff:a.b.c.d) are one address, in ranges of either family.
 */
export function ingressMatcher(values: string[]): (ip: string) => boolean {
  const ranges: Cidr[] = [];
  for (const raw of values) {
    for (const value of raw.split(',').map((v) => v.trim()).filter((v) => v !== '')) {
      const [written, prefix, extra] = value.replace(/^\[|\]$/g, '').split('/');
      // An IPv6 zone (fe80::1%eth0) names the interface, which a capture does not record.
      const addr = written.includes(':') ? written.replace(/%[^%]+$/, '') : written;
      const address = parseAddress(addr);
      if (address.kind === 'error' || extra !== undefined) throw new UsageError(`--ingress: not an IP address or CIDR range: ${value}`);
      const most = address.version === 4 ? 32 : 128;
      const bits = prefix === undefined ? most : Number(prefix);
      if (prefix !== undefined && (!/^\d+$/.test(prefix) || bits > most)) throw new UsageError(`--ingress: bad prefix length in ${value}`);
      ranges.push(parseCidrOrThrow(`${addr}/${bits}`));
    }
  }
  const ingress = anyOf(ranges);
  // Each address is asked about once per client or connection: remember its answer.
  const seen = new Map<string, boolean>();
  return (ip) => {
    let inside = seen.get(ip);
    if (inside === undefined) {
      const address = parseAddress(ip);
      if (address.kind === 'error') inside = false;
      else if (address.version === 6) inside = ingress.contains(address.bytes, 0, 6);
      else inside = ingress.contains(ipv4Mapped(address.bytes), 0, 6);
      if (seen.size < 1_000_000) seen.set(ip, inside);
    }
    return inside;
  };
}

export async function runAnalyze(options: AnalyzeOptions, io: Io, version: string): Promise<number> {
  const isIngress = options.ingress.length > 0 ? ingressMatcher(options.ingress) : null;
  if (options.captures.filter((c) => c === '-').length > 1) throw new UsageError('stdin (-) can be read only once');
  const collector = new OutcomeCollector(options.collectLimits);
  const captures: CaptureFacts[] = [];
  let unreadable = 0;
  const interrupted = (): boolean => options.signal?.aborted === true;
  for (const [index, source] of options.captures.entries()) {
    if (interrupted()) break;
    let facts: CaptureFacts;
    try {
      facts = await analyzeCapture(source, index, collector, {
        stdin: options.stdinFd ?? io.stdin,
        signal: options.signal,
        progress: options.progress ? (frames) => io.stderr.write(`\r${escapeText(source)}: ${thousands(frames)} frames`) : undefined,
      });
    } catch (err) {
      if (err instanceof CaptureOpenError) {
        io.stderr.write(`sni-pcap: ${escapeText(err.message)}\n`);
        unreadable++;
        continue;
      }
      throw err;
    }
    if (options.progress) io.stderr.write('\r\x1b[K');
    if (facts.summary.format === null) {
      io.stderr.write(`sni-pcap: ${escapeText(source)}: ${escapeText(facts.summary.error ?? 'not a capture file')}\n`);
      unreadable++;
      continue;
    }
    if (facts.summary.error !== null) io.stderr.write(`sni-pcap: ${escapeText(source)}: ${escapeText(facts.summary.error)}; reporting what was read before it\n`);
    facts.summary.warnings.push(...collector.warnings(index));
    captures.push(facts);
  }
  if (captures.length === 0) return interrupted() ? EXIT_INTERRUPTED : EXIT_ERROR;
  const verdicts = judge(collector.outcomes, isIngress, options.ingress, collector.folded());
  const redacting = options.redact === true || options.redactSni === true;
  // The JSON report is written as its clients and connections are turned into text, one at a time,
  // so that a large capture's report never exists whole; redaction needs the whole report first.
  const streamed = options.format === 'json' && !redacting;
  const built = streamed ? reportWithoutLists(version, captures, verdicts) : buildReport(version, captures, verdicts);
  // Redaction and each renderer are loaded only when asked for: every module loaded delays the start.
  const report = redacting ? (await import('../report/redact.js')).redactReport(built, { sni: options.redactSni === true }) : built;
  const text: Iterable<string> =
    options.format === 'json'
      ? reportJsonPieces(report, streamed ? { clients: clientJsons(verdicts), connections: connectionJsons(verdicts) } : report)
      : options.format === 'markdown'
        ? [(await import('../report/markdown.js')).renderMarkdown(report)]
        : options.format === 'html'
          ? [(await import('../report/html.js')).renderHtml(report)]
          : [(await import('../report/text.js')).renderText(report, { color: options.color && options.output === null })];
  if (options.output !== null) await writeToFile(options.output, text);
  else await writeToStream(io.stdout, text);
  if (interrupted()) return EXIT_INTERRUPTED;
  if (unreadable > 0) return EXIT_ERROR;
  return report.summary.problemFound ? EXIT_PROBLEM : EXIT_OK;
}

/** Writes the pieces in turn; once the reader went away (EPIPE), the rest is left unwritten. */
async function writeToStream(stream: NodeJS.WritableStream, pieces: Iterable<string>): Promise<void> {
  for (const piece of pieces) {
    if (stream.writable === false) return;
    await write(stream, piece);
  }
}

async function writeToFile(path: string, pieces: Iterable<string>): Promise<void> {
  const file = await open(path, 'w');
  try {
    for (const piece of pieces) await file.write(piece);
  } finally {
    await file.close();
  }
}

/** Writes and waits for the stream to take it; a reader that went away (EPIPE) ends the wait too. */
function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('error', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('error', done);
    stream.on('close', done);
    if (stream.write(text)) done();
  });
}
