import { BlockList, isIP } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { CaptureOpenError } from '../capture/input.js';
import type { ConnectionOutcome } from '../outcome/types.js';
import { renderMarkdown } from '../report/markdown.js';
import { buildReport, type CaptureFacts } from '../report/model.js';
import { renderText } from '../report/text.js';
import { judge } from '../verdict/verdicts.js';
import { analyzeCapture } from './pipeline.js';

export type Format = 'table' | 'json' | 'markdown';
export const FORMATS: readonly Format[] = ['table', 'json', 'markdown'];

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
}

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

/** Exit codes: 0 nothing wrong found, 1 the non-SNI problem found, 2 could not run. */
export const EXIT_OK = 0;
export const EXIT_PROBLEM = 1;
export const EXIT_ERROR = 2;

export class UsageError extends Error {}

/** Parses --ingress values (addresses or CIDR ranges, IPv4 or IPv6) into a predicate. */
export function ingressMatcher(values: string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const raw of values) {
    for (const value of raw.split(',').map((v) => v.trim()).filter((v) => v !== '')) {
      const [addr, prefix, extra] = value.replace(/^\[|\]$/g, '').split('/');
      const family = isIP(addr);
      if (family === 0 || extra !== undefined) throw new UsageError(`--ingress: not an IP address or CIDR range: ${value}`);
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) {
        list.addAddress(addr, type);
        continue;
      }
      const bits = Number(prefix);
      if (!/^\d+$/.test(prefix) || bits > (family === 4 ? 32 : 128)) throw new UsageError(`--ingress: bad prefix length in ${value}`);
      list.addSubnet(addr, bits, type);
    }
  }
  return (ip) => list.check(ip, ip.includes(':') ? 'ipv6' : 'ipv4');
}

export async function runAnalyze(options: AnalyzeOptions, io: Io, version: string): Promise<number> {
  const isIngress = options.ingress.length > 0 ? ingressMatcher(options.ingress) : null;
  if (options.captures.filter((c) => c === '-').length > 1) throw new UsageError('stdin (-) can be read only once');
  const outcomes: ConnectionOutcome[] = [];
  const captures: CaptureFacts[] = [];
  let unreadable = 0;
  for (const [index, source] of options.captures.entries()) {
    let facts: CaptureFacts;
    try {
      facts = await analyzeCapture(source, index, (o) => outcomes.push(o), {
        stdin: io.stdin,
        progress: options.progress ? (frames) => io.stderr.write(`\r${source}: ${frames.toLocaleString('en-US')} frames`) : undefined,
      });
    } catch (err) {
      if (err instanceof CaptureOpenError) {
        io.stderr.write(`sni-pcap: ${err.message}\n`);
        unreadable++;
        continue;
      }
      throw err;
    }
    if (options.progress) io.stderr.write('\r\x1b[K');
    if (facts.summary.format === null) {
      io.stderr.write(`sni-pcap: ${source}: ${facts.summary.error ?? 'not a capture file'}\n`);
      unreadable++;
      continue;
    }
    if (facts.summary.error !== null) io.stderr.write(`sni-pcap: ${source}: ${facts.summary.error}; reporting what was read before it\n`);
    captures.push(facts);
  }
  if (captures.length === 0) return EXIT_ERROR;
  const verdicts = judge(outcomes, isIngress, options.ingress);
  const report = buildReport(version, captures, verdicts);
  const text =
    options.format === 'json'
      ? JSON.stringify(report, null, 2) + '\n'
      : options.format === 'markdown'
        ? renderMarkdown(report)
        : renderText(report, { color: options.color && options.output === null });
  if (options.output !== null) await writeFile(options.output, text);
  else await write(io.stdout, text);
  if (unreadable > 0) return EXIT_ERROR;
  return report.summary.problemFound ? EXIT_PROBLEM : EXIT_OK;
}

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (stream.write(text)) resolve();
    else stream.once('drain', () => resolve());
  });
}
