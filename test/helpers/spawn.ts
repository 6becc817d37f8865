import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
/** Runs bin/sni-pcap.js and reports its peak RSS (see rss.mjs). */
const WRAPPER = join(ROOT, 'test/helpers/rss.mjs');

export interface SpawnResult {
  /** Exit status, or null when killed by a signal (or by the timeout). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Peak resident set size in MiB, null when the process did not report it. */
  peakRssMiB: number | null;
  timedOut: boolean;
}

export interface SpawnOptions {
  /** Kill the process after this many milliseconds (a hang detector). */
  timeoutMs?: number;
  /** Bytes written to stdin (then closed); by default stdin is closed at once. */
  input?: Buffer;
  /** Called once the process runs, e.g. to feed stdin slowly or send signals. */
  started?: (child: import('node:child_process').ChildProcess) => void;
}

/** Runs the built command line in its own process with `args`. */
export function runCli(args: string[], options: SpawnOptions = {}): Promise<SpawnResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [WRAPPER, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let rss = '';
    let timedOut = false;
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const fd3 = child.stdio[3];
    if (fd3 !== null && fd3 !== undefined && 'on' in fd3) fd3.on('data', (d: Buffer) => (rss += d.toString()));
    child.stdin?.on('error', () => undefined);
    if (options.started !== undefined) options.started(child);
    else if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const kib = Number.parseInt(rss, 10);
      done({ code, signal, stdout, stderr, peakRssMiB: Number.isFinite(kib) ? kib / 1024 : null, timedOut });
    });
  });
}

/** Runs `tasks` with at most `limit` at a time, results in order. */
export async function inParallel<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
