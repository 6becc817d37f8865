import { PassThrough, Writable } from 'node:stream';
import { type AnalyzeOptions, runAnalyze } from '../../src/cli/analyze.js';
import { main } from '../../src/cli/main.js';
import type { Report } from '../../src/report/model.js';

export class Sink extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs analyze in-process, as the command line would. */
export async function analyze(options: Partial<AnalyzeOptions> & { captures: string[] }): Promise<RunResult> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await runAnalyze(
    { ingress: [], format: 'json', output: null, color: false, progress: false, ...options },
    { stdout, stderr, stdin: new PassThrough() },
    '0.0.0-test',
  );
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export async function analyzeJson(captures: string[], ingress: string[] = []): Promise<Report> {
  const r = await analyze({ captures, ingress, format: 'json' });
  if (r.code === 2) throw new Error(`analyze failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Report;
}

/** Runs the whole command line in-process with the given arguments. */
export async function cli(args: string[], stdin: NodeJS.ReadableStream = new PassThrough()): Promise<RunResult> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await main(['node', 'sni-pcap', ...args], { stdout, stderr, stdin });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
