import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodePcap } from '../src/capture/testing/encode.js';
import type { Report } from '../src/report/model.js';
import { clientHelloRecord } from '../src/tls/testing/encode.js';
import { handshakeFrames } from './helpers/capture-file.js';
import { cli } from './helpers/run.js';
import { runCli } from './helpers/spawn.js';

/** The process itself: inputs it cannot use, a reader that goes away, Ctrl-C. */
const ROOT = resolve(__dirname, '..');
const BIN = join(ROOT, 'bin/sni-pcap.js');
const DIR = mkdtempSync(join(tmpdir(), 'sni-pcap-process-'));

/** A classic pcap of `n` connections without SNI that the server resets. */
function connections(n: number): Buffer {
  const frames: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const hello = clientHelloRecord({ random: Buffer.alloc(32, 1 + (i % 250)), cipherSuites: [0x1301] });
    frames.push(...handshakeFrames({ client: `10.7.${i >> 8}.${i & 0xff}`, clientPort: 40000 + (i % 20000), server: '192.0.2.10', hello, reset: true }));
  }
  return encodePcap(frames.map((data, i) => ({ seconds: 1_700_000_000 + Math.floor(i / 1000), fraction: (i % 1000) * 1000, data })));
}

const BIG = join(DIR, 'many.pcap');
writeFileSync(BIG, connections(600));

function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l !== '');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at |node:internal|Error:/m);
  return lines[0];
}

describe('inputs that cannot be analysed: exit 2 with the reason on one line', () => {
  const dir = join(DIR, 'a-directory');
  mkdirSync(dir);
  const empty = join(DIR, 'empty.pcap');
  writeFileSync(empty, '');
  const text = join(DIR, 'notes.pcap');
  writeFileSync(text, 'GET / HTTP/1.1\r\nHost: example\r\n\r\n');
  const gzText = join(DIR, 'notes.pcap.gz');
  writeFileSync(gzText, gzipSync(Buffer.from('just some text\n')));
  const locked = join(DIR, 'locked.pcap');
  writeFileSync(locked, connections(1));
  chmodSync(locked, 0o000);
  // Permission bits do not stop root; a write-only kernel setting does.
  const unreadable = process.getuid?.() === 0 && existsSync('/proc/sys/vm/compact_memory') ? '/proc/sys/vm/compact_memory' : locked;

  const cases: [string, string, RegExp][] = [
    ['a missing file', join(DIR, 'missing.pcap'), /cannot read .*missing\.pcap: no such file$/],
    ['a directory', dir, /cannot read .*a-directory: is a directory$/],
    ['an unreadable file', unreadable, /cannot read .*: permission denied$/],
    ['an empty file', empty, /empty\.pcap: empty file$/],
    ['a file that is not a capture', text, /notes\.pcap: not a pcap or pcapng file \(starts with 47 45 54 20\)$/],
    ['gzip-compressed text', gzText, /notes\.pcap\.gz: not a pcap or pcapng file \(starts with 6a 75 73 74: gzip-compressed data\)?|notes\.pcap\.gz: not a pcap or pcapng file/],
  ];

  it.each(cases)('%s', async (_what, path, reason) => {
    const r = await runCli(['analyze', path], { timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(oneLine(r.stderr)).toMatch(reason);
  });

  it('a readable capture among unreadable ones is still reported, with exit 2', async () => {
    const r = await runCli(['analyze', BIG, join(DIR, 'missing.pcap'), '--format', 'json'], { timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/no such file/);
    expect((JSON.parse(r.stdout) as Report).summary.nonSniReset).toBe(600);
  });
});

describe('a reader that goes away', () => {
  function pipeline(command: string): Promise<{ status: number; stderr: string; stdout: string }> {
    return new Promise((done) => {
      const sh = spawn('bash', ['-c', `set -o pipefail; ${command}; echo "status=\${PIPESTATUS[0]}" >&2`], { cwd: ROOT });
      let stderr = '';
      let stdout = '';
      sh.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      sh.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      sh.on('close', () => {
        const m = /status=(\d+)\n$/.exec(stderr);
        done({ status: m === null ? -1 : Number(m[1]), stderr: stderr.replace(/status=\d+\n$/, ''), stdout });
      });
    });
  }

  it('analyze ... --format json | head -1 exits quietly', async () => {
    expect(readFileSync(BIG).length).toBeGreaterThan(100_000);
    const r = await pipeline(`node ${JSON.stringify(BIN)} analyze ${JSON.stringify(BIG)} --format json | head -1`);
    expect(r.stdout).toBe('{\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);

  it('the table, and stderr into the same closed pipe, exit quietly too', async () => {
    const damaged = join(DIR, 'damaged.pcap');
    const bytes = readFileSync(BIG);
    writeFileSync(damaged, bytes.subarray(0, bytes.length - 7));
    const r = await pipeline(`node ${JSON.stringify(BIN)} analyze ${JSON.stringify(damaged)} 2>&1 | head -1`);
    expect(r.stdout).toMatch(/^sni-pcap: .*file ends inside a record/);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);

  it('in-process runs add no listeners to the process streams', async () => {
    const before = process.stdout.listenerCount('error') + process.stderr.listenerCount('error');
    for (let i = 0; i < 15; i++) await cli(['analyze', BIG, '--format', 'json']);
    expect(process.stdout.listenerCount('error') + process.stderr.listenerCount('error')).toBe(before);
  }, 60_000);
});

describe('Ctrl-C', () => {
  /**
   * Starts `analyze -`, feeds it half a capture, keeps stdin open like a capture still running,
   * and once the command line has taken what was written, sends `signals` SIGINTs.
   */
  async function interrupted(signals: number, gzip: boolean) {
    // Connections, then records of random bytes: gzip cannot make it small enough to fit a pipe's buffer.
    const noise = encodePcap(Array.from({ length: 800 }, (_, i) => ({ seconds: 1_700_000_100, fraction: i, data: randomBytes(1000) }))).subarray(24);
    const all = Buffer.concat([connections(2000), noise]);
    const input = gzip ? gzipSync(all) : all;
    // Half of it: the rest never comes, like a capture still running.
    const part = input.subarray(0, Math.floor(input.length / 2));
    return runCli(['analyze', '-', '--format', 'json'], {
      timeoutMs: 60_000,
      started: (child) => {
        const stdin = child.stdin;
        if (stdin === null) throw new Error('no stdin');
        let off = 0;
        const interrupt = () => {
          setTimeout(() => {
            for (let i = 0; i < signals; i++) child.kill('SIGINT');
          }, 300);
        };
        // Chunk by chunk, waiting whenever the pipe is full: once all was taken, the command line is reading.
        const send = () => {
          while (off < part.length) {
            const chunk = part.subarray(off, off + 16384);
            off += chunk.length;
            if (!stdin.write(chunk)) {
              stdin.once('drain', send);
              return;
            }
          }
          stdin.write(Buffer.alloc(0), interrupt);
        };
        send();
      },
    });
  }

  it('prints the partial report with "interrupted after N frames" and exits 130', async () => {
    const r = await interrupted(1, false);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(130);
    const line = oneLine(r.stderr);
    const m = /^sni-pcap: -: interrupted after (\d+) frames; reporting what was read before it$/.exec(line);
    expect(m, line).not.toBeNull();
    const report = JSON.parse(r.stdout) as Report;
    const capture = report.captures[0];
    expect(capture.packets).toBe(Number(m?.[1]));
    expect(capture.packets).toBeGreaterThan(0);
    expect(capture.truncated).toBe(true);
    expect(capture.warnings).toContain(`reading stopped early: interrupted after ${capture.packets} frames`);
    expect(capture.warnings.some((w) => /file ends inside/.test(w))).toBe(false);
    // Every connection read so far is in the report.
    expect(report.summary.nonSniReset).toBeGreaterThan(0);
  }, 90_000);

  it('does the same for gzip-compressed input', async () => {
    const r = await interrupted(1, true);
    expect(r.code).toBe(130);
    expect(oneLine(r.stderr)).toMatch(/interrupted after \d+ frames/);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
  }, 90_000);

  it.skipIf(process.platform === 'win32')('stops reading a named pipe given by its path while its writer is idle', async () => {
    const fifo = join(DIR, 'capture.fifo');
    execFileSync('mkfifo', [fifo]);
    // Far more than the pipe holds: once the write is done, the command line is reading.
    const all = connections(2000);
    const part = all.subarray(0, Math.floor(all.length / 2));
    let writer: FileHandle | null = null;
    const r = await runCli(['analyze', fifo, '--format', 'json'], {
      timeoutMs: 60_000,
      started: (child) => {
        void (async () => {
          writer = await open(fifo, 'w');
          await writer.write(part);
          setTimeout(() => child.kill('SIGINT'), 300);
        })();
      },
    });
    await (writer as FileHandle | null)?.close();
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(130);
    expect(oneLine(r.stderr)).toMatch(/: interrupted after \d+ frames; reporting what was read before it$/);
    expect((JSON.parse(r.stdout) as Report).captures[0].packets).toBeGreaterThan(0);
  }, 90_000);

  it('a second Ctrl-C exits at once, still 130 and no stack trace', async () => {
    const r = await interrupted(2, false);
    expect(r.code).toBe(130);
    expect(r.stderr).not.toMatch(/^\s+at |node:internal/m);
  }, 90_000);
});

describe('analyze on a worker thread (as the process runs it)', () => {
  it('gives the report the in-process run gives', async () => {
    const inProcess = await cli(['analyze', BIG, '--format', 'json']);
    const spawned = await runCli(['analyze', BIG, '--format', 'json']);
    expect(spawned.code).toBe(inProcess.code);
    expect(spawned.stderr).toBe(inProcess.stderr);
    expect(spawned.stdout).toBe(inProcess.stdout);
  }, 60_000);

  it('reports a worker that runs out of memory as an error, not a crash', async () => {
    const { runAnalyzeOnWorker } = (await import(join(ROOT, 'dist/app/worker.js'))) as typeof import('../src/cli/worker.js');
    const options = { captures: [BIG], ingress: [], format: 'json' as const, output: null, color: false, progress: false };
    const io = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough() };
    const run = runAnalyzeOnWorker(options, io, '0.0.0', { maxOldGenerationSizeMb: 2, maxYoungGenerationSizeMb: 1 });
    await expect(run).rejects.toThrow('the analysis ran out of memory (its heap limit is 2 MB)');
  }, 60_000);
});
