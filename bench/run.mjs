#!/usr/bin/env node
// Throughput and memory benchmark of sni-pcap against the language floor (bench/floor.mjs) and
// tshark, on large generated captures. Not a test: run it with `npm run bench` (builds first) or
// `node bench/run.mjs` (uses the current dist/). See bench/README.md.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { median } from './thread.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = '.cache/bench'; // relative to ROOT, ignored by git
const GENERATOR = '../shared/bench/gen-capture';
const CLI_SNAPSHOT = `${CACHE}/cli`; // copy of the build being timed (see snapshotCli)
const CLI = `${CLI_SNAPSHOT}/bin/sni-pcap.js`;
const FLOOR = 'bench/floor.mjs';
const GNU_TIME = '/usr/bin/time';
const INGRESS = ['203.0.113.10', '203.0.113.20', '2001:db8:443::10'];
const TSHARK_FILTER = 'tls.handshake.type==1 || tcp.flags.reset==1';
const TSHARK_FIELDS = ['frame.number', 'ip.src', 'tcp.stream', 'tls.handshake.extensions_server_name', 'tcp.flags.reset'];

/** The inputs, in the order they run. File names are relative to CACHE. */
const INPUTS = [
  {
    name: '100m',
    what: 'pcap, 1,350 TLS connections, 64k bulk (~100 MB)',
    file: 'bench-100m.pcap',
    truth: 'bench-100m.truth.json',
    gen: ['--connections', '1350', '--bulk-bytes', '64k', '--seed', '1'],
  },
  {
    name: '1g',
    what: 'pcap, 13,500 TLS connections, 64k bulk (~1 GB)',
    file: 'bench-1g.pcap',
    truth: 'bench-1g.truth.json',
    gen: ['--connections', '13500', '--bulk-bytes', '64k', '--seed', '1'],
  },
  {
    name: 'hs-1g',
    what: 'pcap, 135,000 TLS connections, handshakes only (~1 GB)',
    file: 'bench-hs-1g.pcap',
    truth: 'bench-hs-1g.truth.json',
    gen: ['--connections', '135000', '--bulk-bytes', '0', '--seed', '1'],
  },
  {
    name: '1g-pcapng',
    what: 'the 1g packets as pcapng',
    file: 'bench-1g.pcapng',
    truth: 'bench-1g-pcapng.truth.json',
    gen: ['--connections', '13500', '--bulk-bytes', '64k', '--seed', '1', '--format', 'pcapng'],
  },
  {
    name: '1g-gz',
    what: 'the 1g pcap, gzip -1',
    file: 'bench-1g.pcap.gz',
    truth: 'bench-1g.truth.json',
    gzipOf: '1g',
  },
  {
    name: '10g-stream',
    what: 'pcap, 135,000 TLS connections, 64k bulk (~10 GB), piped from the generator, not stored',
    stream: true,
    truth: 'bench-10g-stream.truth.json',
    gen: ['--connections', '135000', '--bulk-bytes', '64k', '--seed', '1'],
  },
];

const USAGE = `usage: node bench/run.mjs [options]   (npm run bench = build, then this)

  --runs N          timed runs of sni-pcap and the floor per input (default 3)
  --tshark-runs N   timed runs of tshark per input (default 1)
  --stream-runs N   runs for the piped 10g-stream input (default 1: each takes about a minute)
  --no-tshark       skip tshark
  --tshark-ooo      give tshark -o tcp.reassemble_out_of_order:TRUE (finds reordered hellos)
  --node-flags "F"  give Node these options when it runs sni-pcap (e.g. "--v8-pool-size=1")
  --only A[,B]      inputs to run: ${INPUTS.map((i) => i.name).join(', ')}
  --quick           just 100m
  --generate-only   create the cached inputs and stop
  --report FILE     print the tables of a saved results JSON again, run nothing
  -h, --help        this text
`;

function parseArgs(argv) {
  const o = { runs: 3, tsharkRuns: 1, streamRuns: 1, tshark: true, tsharkOoo: false, nodeFlags: [], only: null, generateOnly: false, report: null };
  const int = (flag, v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag}: a whole number, not ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (flag === '--runs') o.runs = int(flag, value());
    else if (flag === '--tshark-runs') o.tsharkRuns = int(flag, value());
    else if (flag === '--stream-runs') o.streamRuns = int(flag, value());
    else if (flag === '--no-tshark') o.tshark = false;
    else if (flag === '--tshark-ooo') o.tsharkOoo = true;
    else if (flag === '--node-flags') o.nodeFlags = value().split(/\s+/).filter(Boolean);
    else if (flag === '--only') o.only = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (flag === '--quick') o.only = ['100m'];
    else if (flag === '--generate-only') o.generateOnly = true;
    else if (flag === '--report') o.report = value();
    else if (flag === '-h' || flag === '--help') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  if (o.only !== null) {
    for (const n of o.only) if (!INPUTS.some((i) => i.name === n)) throw new Error(`--only: no input named ${n} (${INPUTS.map((i) => i.name).join(', ')})`);
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// small helpers

const rel = (p) => path.join(CACHE, p);
const abs = (p) => path.resolve(ROOT, p);
const exists = (p) => fs.existsSync(abs(p));
const readJson = (p) => JSON.parse(fs.readFileSync(abs(p), 'utf8'));
const log = (s = '') => process.stdout.write(s + '\n');
const warn = (s) => process.stdout.write(`\n!!! ${s}\n\n`);

function fmtBytes(n) {
  if (n == null) return '?';
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(0)} MB`;
  return `${(n / 1e3).toFixed(0)} kB`;
}

function fmtSec(s) {
  return s >= 100 ? s.toFixed(0) : s >= 10 ? s.toFixed(1) : s.toFixed(2);
}

function fmtRate(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} k`;
  return n.toFixed(0);
}

function sh(cmd, args) {
  // GIT_OPTIONAL_LOCKS=0: `git status` must not take the index lock (and never writes anything).
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } });
  return r.status === 0 ? r.stdout.trim() : null;
}

function commandExists(cmd) {
  return spawnSync('sh', ['-c', `command -v "$0"`, cmd], { encoding: 'utf8' }).status === 0;
}

function machine() {
  let cpu = null;
  try {
    cpu = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? null;
  } catch {
    cpu = os.cpus()[0]?.model ?? null;
  }
  const tsharkLine = commandExists('tshark') ? sh('tshark', ['--version'])?.split('\n')[0] ?? null : null;
  return {
    nproc: os.availableParallelism(),
    cpu,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    tshark: tsharkLine?.replace(/^TShark \(Wireshark\) /, '').replace(/\.$/, '') ?? null,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

function machineLine(m) {
  return `${m.nproc} CPUs (${m.cpu ?? 'unknown CPU'}), ${m.memoryGiB} GiB RAM, ${m.kernel}, Node ${m.node}, tshark ${m.tshark ?? 'not installed'}`;
}

// ---------------------------------------------------------------------------------------------
// inputs

function runToCompletion(cmd, args, { stdout = 'inherit' } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', stdout, 'inherit'] });
    child.on('error', reject);
    child.on('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: ${signal ?? `exit ${code}`}`))));
  });
}

/** Is the cached capture complete? Its size must be the truth's file_bytes. */
function cached(input) {
  if (!exists(rel(input.file)) || !exists(rel(input.truth))) return false;
  if (input.gzipOf) return true; // written under a temporary name and renamed when complete
  try {
    return readJson(rel(input.truth)).file_bytes === fs.statSync(abs(rel(input.file))).size;
  } catch {
    return false;
  }
}

async function ensureInput(input) {
  if (input.stream || cached(input)) return;
  fs.mkdirSync(abs(CACHE), { recursive: true });
  const t0 = performance.now();
  if (input.gzipOf) {
    const src = INPUTS.find((i) => i.name === input.gzipOf);
    await ensureInput(src);
    const tmp = rel(input.file + '.partial');
    log(`generating ${rel(input.file)} (gzip -1 of ${rel(src.file)}) ...`);
    if (commandExists('gzip')) {
      const fd = fs.openSync(abs(tmp), 'w');
      try {
        await runToCompletion('gzip', ['-1', '-c', rel(src.file)], { stdout: fd });
      } finally {
        fs.closeSync(fd);
      }
    } else {
      await pipeline(fs.createReadStream(abs(rel(src.file))), zlib.createGzip({ level: 1 }), fs.createWriteStream(abs(tmp)));
    }
    fs.renameSync(abs(tmp), abs(rel(input.file)));
  } else {
    const ext = path.extname(input.file);
    const tmp = rel(input.file.slice(0, -ext.length) + '.partial' + ext);
    const tmpTruth = rel(input.truth + '.partial');
    log(`generating ${rel(input.file)} (gen-capture ${input.gen.join(' ')}) ...`);
    await runToCompletion(process.execPath, [GENERATOR, '--out', tmp, '--truth', tmpTruth, ...input.gen]);
    fs.renameSync(abs(tmpTruth), abs(rel(input.truth)));
    fs.renameSync(abs(tmp), abs(rel(input.file)));
  }
  log(`  done in ${fmtSec((performance.now() - t0) / 1000)} s`);
}

function warmPageCache(file) {
  const fd = fs.openSync('/dev/null', 'w');
  try {
    spawnSync('cat', [file], { cwd: ROOT, stdio: ['ignore', fd, 'inherit'] });
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Copies the build (bin/, dist/, package.json) under the cache and times that copy, so a
 * rebuild of dist/ while the benchmark runs does not change the code half-way. Dependencies
 * still resolve from the repository's node_modules (a parent folder of the copy).
 * Returns an error message, or null.
 */
function snapshotCli() {
  if (!exists('dist/app/main.js')) return 'dist/app/main.js is missing (npm run build has not succeeded)';
  fs.rmSync(abs(CLI_SNAPSHOT), { recursive: true, force: true });
  for (const part of ['bin', 'dist', 'package.json']) fs.cpSync(abs(part), abs(`${CLI_SNAPSHOT}/${part}`), { recursive: true });
  const r = spawnSync(process.execPath, [CLI, '--version'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) return `the build does not start (${CLI} --version: exit ${r.status}):\n${(r.stderr || '').trim().split('\n').slice(-10).join('\n')}`;
  return null;
}

function gitState() {
  const head = sh('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = sh('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src', 'bin', 'package.json']);
  return head === null ? null : { head, dirty: dirty !== null && dirty !== '' };
}

// ---------------------------------------------------------------------------------------------
// reading sni-pcap's JSON report without holding all of it

/**
 * Collects the report's text up to its top-level "connections" key (the per-connection list,
 * which can be far larger than the rest) and parses that prefix as an object. Works on any
 * whitespace layout; if the key never comes, the whole text is parsed.
 */
class ReportScanner {
  constructor(limit = 256 * 2 ** 20) {
    this.chunks = [];
    this.kept = 0;
    this.total = 0;
    this.limit = limit;
    this.done = false; // the connections key was found: the rest is only counted
    this.cut = -1;
    this.depth = 0;
    this.inString = false;
    this.escape = false;
    this.expectKey = false;
    this.key = null; // bytes of a depth-1 string being read
    this.keyStart = -1; // offset (in kept text) of that string's opening quote
    this.lastKey = null;
    this.lastKeyStart = -1;
  }

  push(buf) {
    this.total += buf.length;
    if (this.done) return;
    const base = this.kept;
    this.chunks.push(buf);
    this.kept += buf.length;
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i];
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === 0x5c) this.escape = true;
        else if (c === 0x22) {
          this.inString = false;
          if (this.key !== null) {
            this.lastKey = Buffer.from(this.key).toString('utf8');
            this.lastKeyStart = this.keyStart;
            this.key = null;
          }
          continue;
        }
        if (this.key !== null && this.key.length < 64) this.key.push(c);
        continue;
      }
      switch (c) {
        case 0x22: // "
          this.inString = true;
          if (this.depth === 1 && this.expectKey) {
            this.key = [];
            this.keyStart = base + i;
          }
          break;
        case 0x3a: // :
          if (this.depth === 1 && this.expectKey) {
            this.expectKey = false;
            if (this.lastKey === 'connections') {
              this.cut = this.lastKeyStart;
              this.done = true;
              return;
            }
          }
          break;
        case 0x7b: // {
        case 0x5b: // [
          this.depth++;
          if (this.depth === 1) this.expectKey = c === 0x7b;
          break;
        case 0x7d: // }
        case 0x5d: // ]
          this.depth--;
          break;
        case 0x2c: // ,
          if (this.depth === 1) this.expectKey = true;
          break;
      }
    }
    if (this.kept > this.limit) {
      this.done = true;
      this.cut = -2;
    }
  }

  /** The parsed report (without `connections`), or throws. */
  result() {
    if (this.cut === -2) throw new Error(`report larger than ${this.limit >> 20} MiB before its connections list`);
    const all = Buffer.concat(this.chunks);
    const text = this.cut >= 0 ? all.subarray(0, this.cut).toString('utf8').replace(/[\s,]+$/, '') + '}' : all.toString('utf8');
    if (text.trim() === '') throw new Error('empty output');
    return JSON.parse(text);
  }
}

// ---------------------------------------------------------------------------------------------
// timed runs

/**
 * Runs cmd under GNU time (%e wall, %M max RSS KiB, %U user, %S sys). Wall time is also taken
 * here with a millisecond clock, which is what the tables use (%e has 10 ms resolution).
 * stdout: 'scan' (sni-pcap's report), 'collect' (small output), or 'null'.
 */
function timedRun(cmd, args, { stdin = 'ignore', stdout = 'collect' } = {}) {
  return new Promise((resolve) => {
    const haveTime = fs.existsSync(GNU_TIME);
    const timeFile = path.join(os.tmpdir(), `sni-pcap-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const argv = haveTime ? [GNU_TIME, ['-o', timeFile, '-f', '%e %M %U %S', cmd, ...args]] : [cmd, args];
    const devnull = stdout === 'null' ? fs.openSync('/dev/null', 'w') : null;
    const t0 = performance.now();
    const child = spawn(argv[0], argv[1], { cwd: ROOT, stdio: [stdin, devnull ?? 'pipe', 'pipe'] });
    const scanner = stdout === 'scan' ? new ReportScanner() : null;
    const out = [];
    const err = [];
    let errBytes = 0;
    if (child.stdout) child.stdout.on('data', (b) => (scanner ? scanner.push(b) : out.push(b)));
    child.stderr.on('data', (b) => {
      err.push(b);
      errBytes += b.length;
      while (errBytes > 65536 && err.length > 1) errBytes -= err.shift().length;
    });
    const finish = (code, signal, spawnError) => {
      const wall = (performance.now() - t0) / 1000;
      if (devnull !== null) fs.closeSync(devnull);
      let time = null;
      if (haveTime) {
        try {
          const lines = fs.readFileSync(timeFile, 'utf8').trim().split('\n');
          const [e, m, u, s] = lines[lines.length - 1].split(' ').map(Number);
          if ([e, m, u, s].every(Number.isFinite)) time = { wall: e, rssKiB: m, user: u, sys: s };
          if (lines.length > 1) signal ??= lines[0].match(/signal (\d+)/)?.[1] ?? null;
        } catch {
          // time did not write its file: the command could not start
        }
        fs.rmSync(timeFile, { force: true });
      }
      resolve({
        code,
        signal,
        spawnError: spawnError?.message ?? null,
        wall,
        time,
        stdout: scanner ?? Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    };
    child.on('error', (e) => finish(null, null, e));
    child.on('close', (code, signal) => finish(code, signal, null));
  });
}

/** Like timedRun, with the generator's stdout piped into the command's stdin. */
async function timedPipedRun(input, cmd, args, stdout) {
  const truth = rel(input.truth);
  const gen = spawn(process.execPath, [GENERATOR, '--out', '-', '--truth', truth, '--quiet', ...input.gen], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const genErr = [];
  gen.stderr.on('data', (b) => genErr.push(b));
  const genDone = new Promise((resolve) => gen.on('close', (code, signal) => resolve({ code, signal })));
  const run = timedRun(cmd, args, { stdin: gen.stdout, stdout });
  gen.stdout.destroy(); // the child holds its own copy of the pipe
  const [r, g] = await Promise.all([run, genDone]);
  r.generator = { ...g, stderr: Buffer.concat(genErr).toString('utf8') };
  // A reader that stops early makes the generator fail with EPIPE: that is the reader's failure.
  if (g.code !== 0 && !/EPIPE/.test(r.generator.stderr)) {
    warn(`the generator failed (${g.signal ?? `exit code ${g.code}`}): ${r.generator.stderr.trim().split('\n').slice(-5).join('\n')}`);
    r.spawnError ??= 'the generator feeding the pipe failed';
  }
  return r;
}

function failed(r, okCodes) {
  return r.spawnError !== null || r.signal !== null || !okCodes.includes(r.code);
}

function describeFailure(tool, r) {
  const how = r.spawnError ?? (r.signal !== null ? `killed by signal ${r.signal}` : `exit code ${r.code}`);
  const tail = r.stderr.trim().split('\n').slice(-20).join('\n');
  return `${tool} failed (${how})${tail ? `; its stderr:\n${tail}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// checking sni-pcap against the truth

function normalizeIp(ip) {
  if (!ip.includes(':')) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip.toLowerCase();
  }
}

/** Compares a report (summary, clients, captures) with the generator's truth; returns mismatches. */
function checkAgainstTruth(report, truth) {
  const problems = [];
  const eq = (what, got, want) => {
    if (got !== want) problems.push(`${what}: sni-pcap ${got}, truth ${want}`);
  };
  const s = report.summary ?? {};
  eq('ClientHellos', s.clientHellos, truth.client_hellos);
  eq('without SNI', s.withoutSni, truth.client_hellos_without_sni);
  eq('non-SNI reset', s.nonSniReset, truth.non_sni_hellos_reset);
  eq('clients with a non-SNI reset', s.nonSniResetClients, truth.client_verdicts?.non_sni_reset);
  const packets = (report.captures ?? []).reduce((n, c) => n + (c.packets ?? 0), 0);
  eq('packets', packets, truth.packets);

  const got = new Map((report.clients ?? []).map((c) => [normalizeIp(c.ip), c]));
  const want = new Map((truth.clients_with_non_sni_or_ingress_rst ?? []).map((c) => [normalizeIp(c.ip), c]));
  const bad = [];
  for (const [ip, t] of want) {
    const c = got.get(ip);
    const g = {
      withSni: c?.withSni ?? 0,
      withoutSni: c?.withoutSni ?? 0,
      nonSniReset: c?.categories?.['non-sni-reset'] ?? 0,
      resetByIngress: c?.resetByIngress ?? 0,
    };
    const w = { withSni: t.sni_hellos, withoutSni: t.non_sni_hellos, nonSniReset: t.non_sni_reset, resetByIngress: t.non_sni_reset + t.sni_reset };
    const diff = Object.keys(w).filter((k) => g[k] !== w[k]);
    if (diff.length > 0) bad.push(`${ip}: ${diff.map((k) => `${k} ${g[k]} (truth ${w[k]})`).join(', ')}`);
  }
  for (const [ip, c] of got) {
    if (want.has(ip)) continue;
    if ((c.withoutSni ?? 0) > 0 || (c.resetByIngress ?? 0) > 0) {
      bad.push(`${ip}: withoutSni ${c.withoutSni}, resetByIngress ${c.resetByIngress} (truth: neither)`);
    }
  }
  if (bad.length > 0) problems.push(`${bad.length} clients differ, e.g. ${bad.slice(0, 5).join('; ')}`);
  if (problems.length > 0) {
    // What sni-pcap itself says may explain the difference. It counts copies of one connection
    // (seen twice, linked by the ClientHello random) once; every generated connection is distinct.
    if ((s.linkedCopies ?? 0) > 0) {
      problems.push(
        `(sni-pcap linked ${s.linkedCopies} connections to others as copies of one connection; ClientHellos + linked copies = ${s.clientHellos + s.linkedCopies}, truth ${truth.client_hellos}: the generator's connections are all distinct)`,
      );
    }
    for (const c of report.captures ?? []) {
      const notes = [
        c.error ? `error: ${c.error}` : null,
        c.connectionsEvicted ? `${c.connectionsEvicted} connections evicted` : null,
        Object.entries(c.skipped ?? {}).some(([, n]) => n > 0) ? `skipped ${JSON.stringify(Object.fromEntries(Object.entries(c.skipped).filter(([, n]) => n > 0)))}` : null,
        ...(c.warnings ?? []),
      ].filter(Boolean);
      if (notes.length > 0) problems.push(`(sni-pcap on ${c.file}: ${notes.join('; ')})`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// the benchmark

function summarize(runs) {
  const ok = runs.filter((r) => r.ok);
  if (ok.length === 0) return { ok: 0, failed: runs.length };
  const walls = ok.map((r) => r.wall);
  const rss = ok.map((r) => r.rssKiB).filter((x) => x != null);
  return {
    ok: ok.length,
    failed: runs.length - ok.length,
    wallMedian: median(walls),
    wallMin: Math.min(...walls),
    wallMax: Math.max(...walls),
    rssMiBMedian: rss.length ? median(rss) / 1024 : null,
    cpuMedian: ok.every((r) => r.user != null) ? median(ok.map((r) => r.user + r.sys)) : null,
  };
}

/**
 * The median, over the rounds both tools ran well, of the first tool's wall time over the
 * second's: each ratio compares two runs made one after the other, so a machine whose speed
 * drifts during the bench does not weigh on it (a ratio of medians would compare tshark's runs,
 * made in the first rounds, with sni-pcap's of every round).
 */
function pairedRatio(a, b) {
  const ratios = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i].ok && b[i].ok) ratios.push(a[i].wall / b[i].wall);
  return ratios.length > 0 ? median(ratios) : null;
}

function record(r, ok, extra = {}) {
  return {
    ok,
    wall: Math.round(r.wall * 1000) / 1000,
    timeWall: r.time?.wall ?? null,
    rssKiB: r.time?.rssKiB ?? null,
    user: r.time?.user ?? null,
    sys: r.time?.sys ?? null,
    code: r.code,
    signal: r.signal,
    ...extra,
  };
}

async function runInput(input, opts, env) {
  const result = { name: input.name, what: input.what, file: input.stream ? null : rel(input.file), tools: {} };
  const source = input.stream ? '-' : rel(input.file);
  const runs = input.stream ? opts.streamRuns : opts.runs;
  const launch = (cmd, args, stdout) => (input.stream ? timedPipedRun(input, cmd, args, stdout) : timedRun(cmd, args, { stdout }));
  let truth = !input.stream && exists(rel(input.truth)) ? readJson(rel(input.truth)) : null;
  const loadTruth = () => {
    if (input.stream && exists(rel(input.truth))) truth = readJson(rel(input.truth));
  };

  log(`== ${input.name}: ${input.what}${input.stream ? '' : ` - ${rel(input.file)}, ${fmtBytes(fs.statSync(abs(rel(input.file))).size)}`}`);
  if (!input.stream) warmPageCache(rel(input.file));

  const floorRuns = [];
  const sniRuns = [];
  const tsharkRuns = [];
  const tsharkCount = env.tshark && !input.stream ? opts.tsharkRuns : 0;
  let checked = null;
  // The tools take turns, run by run, so that each ratio compares runs made in the same minutes
  // (the speed of a shared machine drifts).
  for (let i = 1; i <= Math.max(runs, tsharkCount); i++) {
    // the floor
    if (i <= runs) {
      const r = await launch(process.execPath, [FLOOR, source], 'collect');
      let ok = !failed(r, [0]);
      let out = null;
      if (ok) {
        try {
          out = JSON.parse(r.stdout);
        } catch {
          ok = false;
        }
      }
      if (!ok) warn(describeFailure('floor', r));
      loadTruth();
      if (out && truth && out.packets !== truth.packets) warn(`floor counted ${out.packets} packets, truth has ${truth.packets}`);
      floorRuns.push(record(r, ok, { packets: out?.packets ?? null, bytes: out?.bytes ?? null }));
      log(`  run ${i}/${runs} floor     ${ok ? `${fmtSec(r.wall)} s, ${r.time ? `${(r.time.rssKiB / 1024).toFixed(0)} MiB` : '? MiB'}` : 'FAILED'}`);
    }
    // sni-pcap
    if (env.cli && i <= runs) {
      const args = [...opts.nodeFlags, CLI, 'analyze', source, '--format', 'json', ...INGRESS.flatMap((a) => ['--ingress', a])];
      const r = await launch(process.execPath, args, 'scan');
      let ok = !failed(r, [0, 1]);
      let report = null;
      if (!ok) warn(describeFailure('sni-pcap', r));
      else {
        try {
          report = r.stdout.result();
        } catch (e) {
          ok = false;
          warn(`sni-pcap's output is not a JSON report (${e.message}); stderr:\n${r.stderr.trim().split('\n').slice(-20).join('\n')}`);
        }
      }
      loadTruth();
      let problems = null;
      if (report && truth) {
        problems = checkAgainstTruth(report, truth);
        if (problems.length > 0) warn(`MISMATCH sni-pcap vs truth on ${input.name}:\n  ${problems.join('\n  ')}`);
        if (checked === null || problems.length > 0) checked = problems;
      }
      const summary = report?.summary
        ? {
            clientHellos: report.summary.clientHellos,
            withoutSni: report.summary.withoutSni,
            nonSniReset: report.summary.nonSniReset,
            nonSniResetClients: report.summary.nonSniResetClients,
            linkedCopies: report.summary.linkedCopies ?? null,
          }
        : null;
      sniRuns.push(record(r, ok, { reportBytes: r.stdout.total, summary, truthMismatches: problems }));
      log(
        `  run ${i}/${runs} sni-pcap  ${ok ? `${fmtSec(r.wall)} s, ${r.time ? `${(r.time.rssKiB / 1024).toFixed(0)} MiB` : '? MiB'}, report ${fmtBytes(r.stdout.total)}${problems ? (problems.length ? ', MISMATCH' : ', matches truth') : ''}` : 'FAILED'}`,
      );
    }
    // tshark
    if (i <= tsharkCount) {
      const args = ['-r', source, ...(opts.tsharkOoo ? ['-o', 'tcp.reassemble_out_of_order:TRUE'] : []), '-Y', TSHARK_FILTER, '-T', 'fields', ...TSHARK_FIELDS.flatMap((f) => ['-e', f])];
      const r = await timedRun('tshark', args, { stdout: 'null' });
      const ok = !failed(r, [0]);
      if (!ok) warn(describeFailure('tshark', r));
      tsharkRuns.push(record(r, ok));
      log(`  run ${i}/${tsharkCount} tshark    ${ok ? `${fmtSec(r.wall)} s, ${r.time ? `${(r.time.rssKiB / 1024).toFixed(0)} MiB` : '? MiB'}` : 'FAILED'}`);
    }
  }
  result.tools.floor = { runs: floorRuns, ...summarize(floorRuns) };
  if (env.cli) result.tools['sni-pcap'] = { runs: sniRuns, ...summarize(sniRuns), truthCheck: checked === null ? 'not checked' : checked.length === 0 ? 'match' : 'mismatch', mismatches: checked ?? [] };
  if (tsharkCount > 0) result.tools.tshark = { runs: tsharkRuns, ...summarize(tsharkRuns), ooo: opts.tsharkOoo };

  loadTruth();
  result.bytes = truth?.file_bytes ?? (input.stream ? null : fs.statSync(abs(rel(input.file))).size);
  result.packets = truth?.packets ?? null;
  result.storedBytes = input.stream ? null : fs.statSync(abs(rel(input.file))).size;
  // The gzip file is read as its uncompressed capture: MB/s counts capture bytes.
  result.truth = truth && {
    client_hellos: truth.client_hellos,
    client_hellos_without_sni: truth.client_hellos_without_sni,
    non_sni_hellos_reset: truth.non_sni_hellos_reset,
    packets: truth.packets,
    file_bytes: truth.file_bytes,
  };
  return result;
}

// ---------------------------------------------------------------------------------------------
// tables

const COLUMNS = ['input', 'size', 'tool', 'wall s, median (min-max)', 'MB/s', 'packets/s', 'CPU s', 'RSS MiB', '% of floor', 'vs tshark', 'truth'];

function rows(results) {
  const out = [];
  for (const res of results) {
    const floor = res.tools.floor;
    const sni = res.tools['sni-pcap'];
    const tshark = res.tools.tshark;
    const size = fmtBytes(res.bytes) + (res.storedBytes != null && res.storedBytes !== res.bytes ? ` (${fmtBytes(res.storedBytes)} gz)` : '');
    for (const [name, t] of Object.entries(res.tools)) {
      const tool = name === 'tshark' && t.ooo ? 'tshark (ooo)' : name;
      if (!t.ok) {
        out.push([res.name, size, tool, `FAILED (${t.failed} runs)`, '', '', '', '', '', '', tool === 'sni-pcap' ? t.truthCheck : '']);
        continue;
      }
      const mbps = res.bytes ? res.bytes / 1e6 / t.wallMedian : null;
      const pps = res.packets ? res.packets / t.wallMedian : null;
      const wall = `${fmtSec(t.wallMedian)} (${fmtSec(t.wallMin)}-${fmtSec(t.wallMax)})`;
      let ofFloor = '';
      let vsTshark = '';
      let truth = '';
      if (tool === 'sni-pcap') {
        const byFloor = floor?.ok ? pairedRatio(floor.runs, t.runs) : null;
        const byTshark = tshark?.ok ? pairedRatio(tshark.runs, t.runs) : null;
        if (byFloor !== null) ofFloor = `${(byFloor * 100).toFixed(0)}%`;
        if (byTshark !== null) vsTshark = `${byTshark.toFixed(1)}x faster`;
        truth = t.truthCheck === 'mismatch' ? 'MISMATCH' : t.truthCheck;
      }
      const cpu = t.cpuMedian != null ? fmtSec(t.cpuMedian) : '?';
      out.push([res.name, size, tool, wall, mbps ? mbps.toFixed(0) : '?', pps ? fmtRate(pps) : '?', cpu, t.rssMiBMedian != null ? t.rssMiBMedian.toFixed(0) : '?', ofFloor, vsTshark, truth]);
    }
  }
  return out;
}

function textTable(header, body) {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function markdownTable(header, body) {
  const numeric = new Set([3, 4, 5, 6, 7, 8, 9]);
  const esc = (c) => String(c).replace(/\|/g, '\\|');
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (numeric.has(i) ? '---:' : '---')).join('|')}|`,
    ...body.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.report !== null) {
    const doc = JSON.parse(fs.readFileSync(path.resolve(opts.report), 'utf8'));
    log(textTable(COLUMNS, rows(doc.results)));
    log('');
    printMarkdown(doc);
    return;
  }
  const selected = INPUTS.filter((i) => (opts.only ?? INPUTS.map((x) => x.name)).includes(i.name));
  const m = machine();
  log(`machine: ${machineLine(m)}`);
  if (m.loadAverageAtStart[0] > m.nproc / 2) warn(`load average ${m.loadAverageAtStart.join(' ')} on ${m.nproc} CPUs: other work is running, timings will be noisy`);
  if (!fs.existsSync(GNU_TIME)) warn(`${GNU_TIME} (GNU time) not found: no peak RSS, wall time from this process's clock`);

  for (const input of selected) await ensureInput(input);
  if (opts.generateOnly) return;

  const cliError = snapshotCli();
  const env = { cli: cliError === null, tshark: opts.tshark && m.tshark !== null, git: gitState() };
  if (cliError !== null) warn(`${cliError}\nsni-pcap is skipped, the floor and tshark still run`);
  else log(`sni-pcap ${sh(process.execPath, [CLI, '--version']) ?? '?'}${env.git ? ` at ${env.git.head}${env.git.dirty ? ' (uncommitted changes)' : ''}` : ''}, timed from a copy of the build in ${CLI_SNAPSHOT}${opts.nodeFlags.length > 0 ? `, with node ${opts.nodeFlags.join(' ')}` : ''}`);
  if (opts.tshark && m.tshark === null) log('tshark is not installed: skipped');

  const results = [];
  for (const input of selected) results.push(await runInput(input, opts, env));

  const body = rows(results);
  log('');
  log(textTable(COLUMNS, body));
  const mismatched = results.filter((r) => r.tools['sni-pcap']?.truthCheck === 'mismatch').map((r) => r.name);
  if (mismatched.length > 0) warn(`sni-pcap does NOT match the generator's truth on: ${mismatched.join(', ')}`);

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outFile = rel(`results-${stamp}.json`);
  const doc = {
    date: new Date().toISOString(),
    machine: m,
    sniPcap: env.cli ? { version: sh(process.execPath, [CLI, '--version']), git: env.git } : null,
    options: { runs: opts.runs, tsharkRuns: opts.tsharkRuns, streamRuns: opts.streamRuns, tshark: env.tshark, tsharkOoo: opts.tsharkOoo, nodeFlags: opts.nodeFlags, cli: env.cli },
    commands: {
      sniPcap: `node bin/sni-pcap.js analyze FILE --format json ${INGRESS.map((a) => `--ingress ${a}`).join(' ')}`,
      floor: `node ${FLOOR} FILE`,
      tshark: `tshark -r FILE${opts.tsharkOoo ? ' -o tcp.reassemble_out_of_order:TRUE' : ''} -Y '${TSHARK_FILTER}' -T fields ${TSHARK_FIELDS.map((f) => `-e ${f}`).join(' ')} > /dev/null`,
      stream: `gen-capture --out - --truth T ... | node bin/sni-pcap.js analyze - ...`,
    },
    results,
  };
  fs.mkdirSync(abs(CACHE), { recursive: true });
  fs.writeFileSync(abs(outFile), JSON.stringify(doc, null, 2) + '\n');
  log(`\nresults: ${outFile}\n`);
  printMarkdown(doc);
}

function printMarkdown(doc) {
  const o = doc.options;
  log('Markdown:\n');
  log(markdownTable(COLUMNS, rows(doc.results)));
  log('');
  log(
    `Machine: ${machineLine(doc.machine)}; load average at start ${doc.machine.loadAverageAtStart.join(' ')}. ` +
      `sni-pcap ${doc.sniPcap?.version ?? '(not run)'}${doc.sniPcap?.git ? ` at ${doc.sniPcap.git.head}${doc.sniPcap.git.dirty ? '+' : ''}` : ''}. ` +
      `Median of ${o.runs} runs (tshark: ${o.tshark ? o.tsharkRuns : 0}, 10g-stream: ${o.streamRuns}), warm page cache; ` +
      'wall and CPU (user+sys) seconds of the whole process; MB = 10^6 bytes; RSS = peak resident set.',
  );
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
