import { Writable } from 'node:stream';
import { runAnalyze } from '../cli/analyze.js';
import { EXIT_ERROR, type Io } from '../cli/command.js';
import type { Report } from '../report/model.js';

/** Collects what is written to it. */
class Collect extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk);
    done();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * Analyses the captures exactly as `sni-pcap analyze --format json` does and returns its report;
 * what analyze says on stderr is passed on, and the files it could not read are returned in `errors`.
 */
export async function analyzeCaptures(files: string[], ingress: string[], io: Io, version: string): Promise<{ report: Report | null; errors: string[] }> {
  if (files.length === 0) return { report: null, errors: [] };
  const stdout = new Collect();
  const stderr = new Collect();
  const code = await runAnalyze(
    { captures: files, ingress, format: 'json', output: null, color: false, progress: false },
    { stdout, stderr, stdin: io.stdin },
    version,
  );
  const said = stderr.text();
  if (said !== '') io.stderr.write(said);
  const errors = code === EXIT_ERROR ? said.split('\n').filter((l) => l.trim() !== '').map((l) => l.replace(/^sni-pcap: /, '')) : [];
  const out = stdout.text();
  return { report: out === '' ? null : (JSON.parse(out) as Report), errors };
}
