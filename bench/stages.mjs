#!/usr/bin/env node
// Where the analysis thread's time goes: runs the stages of `analyze` on a capture, one more stage
// each step, on a worker thread with the heap limits and V8 flag of the command's own analysis
// thread (no report is made). Each step runs in turn with the others, several times; the medians
// and what each step adds are printed.
//
//   node bench/stages.mjs FILE [--runs N] [--steps A,B] [--warm]    (the current dist/: npm run build first)
//
// With --warm each step runs twice in its thread and the second pass is timed: the code is then
// optimised already, as it is once a long capture is well under way (see warmup.mjs).
//
// Steps:
//   read     read the capture and walk its records
//   decode   + link, IP and TCP headers
//   table    + the connection table, with followers that do nothing
//   no-tls   + the followers (outcomes, verdict counts), asking for no stream bytes
//   analyze  + reassembly and TLS: the whole analysis, as `analyze` runs it
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { dist, inAnalysisThread, median, setAnalysisFlags } from './thread.mjs';

const STEPS = ['read', 'decode', 'table', 'no-tls', 'analyze'];

if (isMainThread) {
  const args = process.argv.slice(2);
  const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const file = args.find((a, i) => !a.startsWith('--') && !['--runs', '--steps'].includes(args[i - 1]));
  const runs = Number(option('--runs') ?? 5);
  const steps = option('--steps')?.split(',') ?? STEPS;
  const passes = args.includes('--warm') ? 2 : 1;
  if (file === undefined || !(runs >= 1) || steps.some((s) => !STEPS.includes(s))) {
    console.error(`usage: node bench/stages.mjs FILE [--runs N] [--steps ${STEPS.join(',')}] [--warm]`);
    process.exit(2);
  }
  const times = Object.fromEntries(steps.map((s) => [s, []]));
  for (let round = 0; round < runs; round++) {
    for (const step of steps) {
      times[step].push(await inAnalysisThread(new URL(import.meta.url), { file, step, passes }));
    }
    process.stderr.write(`\rround ${round + 1} of ${runs}`);
  }
  process.stderr.write('\n');
  let before = 0;
  console.log(`${file}, medians of ${runs} runs (ms)${passes > 1 ? ', second pass in each thread' : ''}`);
  console.log('step       median  min-max      adds');
  for (const step of steps) {
    const m = median(times[step]);
    const range = `${Math.min(...times[step]).toFixed(0)}-${Math.max(...times[step]).toFixed(0)}`;
    console.log(`${step.padEnd(9)} ${m.toFixed(0).padStart(7)}  ${range.padEnd(11)} ${(m - before).toFixed(0).padStart(5)}`);
    before = m;
  }
} else {
  const { file, step, passes } = workerData;
  await setAnalysisFlags();
  const [{ readCapture }, { createNetworkDecoder }, { isSkip }, { emptySegment, readTcp }, { ConnectionTable }, { ConnectionRecorder, outcomeSink }, { OutcomeCollector }, { analyzeCapture }] =
    await Promise.all(
      ['capture/input.js', 'ip/decoder.js', 'ip/index.js', 'tcp/segment.js', 'stream/connections.js', 'outcome/recorder.js', 'verdict/collect.js', 'cli/pipeline.js'].map((p) =>
        import(dist(p)),
      ),
    );
  const idle = { segment() {}, data() {}, gap() {}, wantsData: () => false, closing: false, close() {} };
  // The recorder, asking for no bytes: it sees the segments the table hands it, and no stream is
  // read. A subclass rather than a wrapper, which would make closures for every connection.
  class WithoutBytes extends ConnectionRecorder {
    wantsData() {
      return false;
    }
  }
  const run = async () => {
    const collector = new OutcomeCollector();
    const start = performance.now();
    if (step === 'analyze') {
      await analyzeCapture(file, 0, collector);
    } else {
      const ends = outcomeSink(collector);
      const withoutBytes = (conn) => new WithoutBytes(conn, 0, ends);
      const table = new ConnectionTable(step === 'no-tls' ? withoutBytes : () => idle);
      const network = createNetworkDecoder();
      const tcp = emptySegment();
      const sink =
        step === 'read'
          ? { record() {} }
          : {
              record(r) {
                const ip = network.decodeAt(r.linkType, r.buf, r.offset, r.offset + r.length, r, r.originalLength);
                if (isSkip(ip) || ip.protocol !== 6) return;
                if (readTcp(ip.data, ip.payloadOffset, ip.payloadEnd, ip.payloadLength, tcp) !== null) return;
                if (step !== 'decode') table.segment(ip, tcp, r);
              },
            };
      await readCapture(file, sink);
      table.finish();
    }
    return performance.now() - start;
  };
  let ms = 0;
  for (let pass = 0; pass < passes; pass++) ms = await run();
  parentPort.postMessage(ms);
}
