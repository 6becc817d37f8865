/**
 * Runs one capture through `runAnalyze` (in-process, from stdin) and checks what must hold for
 * any input at all. Used by the fuzzer (against dist/) and by the regression test (against src/).
 */
import { Readable, Writable } from 'node:stream';

class Sink extends Writable {
  constructor() {
    super();
    this.text = '';
    this.isTTY = false;
  }

  _write(chunk, _encoding, done) {
    this.text += chunk.toString();
    done();
  }
}

/** Characters that must never reach a terminal or a report from the capture unescaped. */
// eslint-disable-next-line no-control-regex
const UNSAFE_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

export const FORMATS = ['json', 'table', 'markdown', 'html'];

/** A short, stable name for an error: its class, its message without numbers, and where it was thrown. */
export function errorSignature(err) {
  const name = err instanceof Error ? err.name : typeof err;
  const message = (err instanceof Error ? err.message : String(err)).replace(/\d+/g, 'N').slice(0, 160);
  const stack = err instanceof Error && typeof err.stack === 'string' ? err.stack : '';
  const frames = stack.split('\n').filter((l) => /^\s+at /.test(l));
  const frame = frames.find((l) => /\/(dist|src)\//.test(l)) ?? frames[0];
  const where = frame === undefined ? '' : frame.trim().replace(/\(?(?:file:\/\/)?[^\s(]*\/(dist|src)\//, '$1/').replace(/:\d+(:\d+)?\)?$/, '');
  return `${name}: ${message} @ ${where}`;
}

function failure(kind, message) {
  return { kind, message, signature: `${kind}: ${message.replace(/\d+/g, 'N')}` };
}

/**
 * Runs the input once through runAnalyze, read from stdin in the given pieces (`cuts`: offsets
 * where a new chunk starts). Resolves to { code, stdout, stderr }, or { failure } when an
 * exception escaped.
 */
export async function runInput(runAnalyze, bytes, format = 'json', ingress = [], cuts = []) {
  const stdout = new Sink();
  const stderr = new Sink();
  const bounds = [0, ...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length];
  const chunks = [];
  for (let k = 0; k + 1 < bounds.length; k++) if (bounds[k + 1] > bounds[k]) chunks.push(bytes.subarray(bounds[k], bounds[k + 1]));
  try {
    const code = await runAnalyze(
      { captures: ['-'], ingress, format, output: null, color: false, progress: false },
      { stdout, stderr, stdin: Readable.from(chunks) },
      '0.0.0-fuzz',
    );
    return { code, stdout: stdout.text, stderr: stderr.text };
  } catch (err) {
    const f = failure('exception', errorSignature(err));
    f.signature = `exception: ${errorSignature(err)}`;
    f.stack = err instanceof Error ? err.stack : String(err);
    return { failure: f };
  }
}

/**
 * Runs the input once in the given format and returns null when every invariant holds, else
 * { kind, message, signature }. `ingress` is passed as --ingress (an empty list detects it).
 */
export async function checkInput(runAnalyze, bytes, format = 'json', ingress = [], cuts = []) {
  const r = await runInput(runAnalyze, bytes, format, ingress, cuts);
  if (r.failure !== undefined) return r.failure;
  return checkResult(r, format);
}

/** The same input read in other pieces must give the same exit code and the same report. */
export async function checkChunking(runAnalyze, bytes, cuts, ingress = []) {
  const whole = await runInput(runAnalyze, bytes, 'json', ingress);
  const split = await runInput(runAnalyze, bytes, 'json', ingress, cuts);
  if (whole.failure !== undefined) return whole.failure;
  if (split.failure !== undefined) return split.failure;
  if (whole.code !== split.code || whole.stdout !== split.stdout || whole.stderr !== split.stderr) {
    return failure('invariant', 'the report depends on how the input was split into chunks');
  }
  return null;
}

/** The invariants of one run's exit code and output. */
export function checkResult(r, format) {
  if (![0, 1, 2].includes(r.code)) return failure('invariant', `exit code ${r.code}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  if (lines.length > 1) return failure('invariant', `stderr has ${lines.length} lines`);
  if (/^\s+at /m.test(r.stderr)) return failure('invariant', 'stack trace on stderr');
  if (UNSAFE_TEXT.test(r.stderr)) return failure('invariant', 'unescaped control character on stderr');
  if (r.code === 2) {
    if (r.stdout !== '') return failure('invariant', 'exit 2 with a report');
    if (lines.length !== 1) return failure('invariant', 'exit 2 without a reason');
    return null;
  }
  if (format !== 'json') {
    if (UNSAFE_TEXT.test(r.stdout)) {
      const at = r.stdout.search(UNSAFE_TEXT);
      return failure('invariant', `unescaped control character in ${format} output: ${JSON.stringify(r.stdout.slice(Math.max(0, at - 20), at + 5))}`);
    }
    return null;
  }
  let report;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    return failure('invariant', 'JSON output does not parse');
  }
  const problem = reportProblem(report, r.code);
  return problem === null ? null : failure('invariant', problem);
}

function isFrame(n, packets) {
  return Number.isInteger(n) && n >= 1 && n <= packets;
}

function finite(n) {
  return typeof n === 'number' && Number.isFinite(n);
}

/** What is wrong with a JSON report of one capture, or null. */
export function reportProblem(report, code) {
  if (report.captures.length !== 1) return 'not one capture in the report';
  const cap = report.captures[0];
  const packets = cap.packets;
  if (!Number.isInteger(packets) || packets < 0) return `packet count ${packets}`;
  if (cap.tcpPackets > packets) return 'more TCP packets than packets';
  if (cap.format === null) return 'a report for a file that is not a capture';
  if (cap.truncated && cap.error === null) return 'truncated without a reason';
  for (const w of cap.warnings) if (typeof w !== 'string' || w.includes('\n')) return 'a warning is not one line';
  for (const c of report.connections) {
    const id = `stream ${c.stream}`;
    if (!isFrame(c.firstFrame, packets) || !isFrame(c.lastFrame, packets)) return `${id}: frame numbers beyond the packet count`;
    if (c.firstFrame > c.lastFrame) return `${id}: first frame after last frame`;
    if (!finite(c.firstTime)) return `${id}: first time is not a number`;
    if (c.packets < 1) return `${id}: no packets`;
    for (const [name, ref] of [
      ['syn', c.syn],
      ['synAck', c.synAck],
      ['handshakeAck', c.handshakeAck],
      ['serverHello', c.serverHello],
      ['serverAlert', c.serverAlert],
      ['clientReset', c.clientReset],
      ['helloRetryRequest', c.helloRetryRequest],
    ]) {
      if (ref === null || ref === undefined) continue;
      if (!isFrame(ref.frame, packets) || ref.frame < c.firstFrame || ref.frame > c.lastFrame) return `${id}: ${name} frame outside the connection`;
      if (!finite(ref.time)) return `${id}: ${name} time is not a number`;
    }
    if (c.serverReset !== null) {
      if (!isFrame(c.serverReset.frame, packets)) return `${id}: server reset frame beyond the packet count`;
      if (!finite(c.serverReset.time)) return `${id}: server reset time is not a number`;
      if (c.serverReset.afterClientHelloMs !== null && !finite(c.serverReset.afterClientHelloMs)) return `${id}: reset delay is not a number`;
    }
    const ch = c.clientHello;
    if (ch === null) {
      if (c.category !== 'no-tls') return `${id}: category ${c.category} without a ClientHello`;
      continue;
    }
    if (!isFrame(ch.frame, packets) || !isFrame(ch.firstFrame, packets)) return `${id}: ClientHello frame beyond the packet count`;
    if (ch.firstFrame > ch.frame) return `${id}: ClientHello frame before its first frame`;
    if (ch.firstFrame < c.firstFrame || ch.frame > c.lastFrame) return `${id}: ClientHello outside the connection`;
    if (!finite(ch.time)) return `${id}: ClientHello time is not a number`;
    if (ch.sniStatus === 'present' && (typeof ch.sni !== 'string' || ch.sni === '')) return `${id}: SNI present but empty`;
    if (c.category === 'no-tls') return `${id}: no-tls with a ClientHello`;
  }
  const s = report.summary;
  const folded = s.foldedConnections ?? 0;
  if (s.connections !== report.connections.length + folded) return 'summary.connections differs from the connections listed';
  if (s.clients !== report.clients.length) return 'summary.clients differs from the clients listed';
  const perClient = report.clients.reduce((n, c) => n + c.connections, 0);
  if (perClient !== s.connections) return `clients count ${perClient} connections, the summary ${s.connections}`;
  for (const c of report.clients) {
    const sum = Object.values(c.categories).reduce((n, x) => n + x, 0);
    if (sum !== c.connections) return `client ${c.ip}: categories add up to ${sum}, not ${c.connections}`;
    if (c.withSni + c.withoutSni > c.connections) return `client ${c.ip}: more ClientHellos than connections`;
  }
  const nonSniReset = report.clients.reduce((n, c) => n + (c.categories['non-sni-reset'] ?? 0), 0);
  if (nonSniReset !== s.nonSniReset) return 'summary.nonSniReset differs from the clients';
  if (s.problemFound !== nonSniReset > 0) return 'problemFound disagrees with the connections';
  if (code !== (s.problemFound ? 1 : 0)) return `exit code ${code} with problemFound ${s.problemFound}`;
  return null;
}
