/**
 * How the thread that runs `analyze` is set up: its heap limits, given when it is made
 * (worker.ts), and the V8 flags it sets as it starts (analyze-worker.ts). The benchmarks in
 * bench/ set up their threads from the same values.
 */

/**
 * Heap limits of the thread that runs `analyze`. With the default limits of a machine with a few
 * GB of memory, V8 lets the old generation grow to about four times what is alive before it
 * collects it (it does from a limit of 2 GB up): a gigabyte of handshakes then peaked above
 * 300 MB. Under a 512 MB limit it grows by at most 1.4 times (1.6 under 1 GB: 6 MiB more at the
 * peak, 4 % less CPU). The young generation of 24 MB (8 MB semi-spaces, against 48 by default)
 * is what the memory target leaves room for: with pretenuring off (see ANALYSIS_V8_FLAGS) it
 * is 10 to 20 % faster on the handshake-heavy file than 12 MB, for about 8 MB more at the peak;
 * 30 MB cost 28 MB more. What the analysis keeps is bounded well below the limit (a flood of 2
 * million SYNs fits); a capture that still reached it would end the worker, not the process,
 * and be reported as such.
 */
export const WORKER_HEAP = { maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 24 };

/**
 * V8 flags the analysis thread sets as it starts. V8's allocation-site pretenuring allocates the
 * objects made at one place in the code straight in the old generation once most of them have
 * outlived a young-generation collection, and never looks back. At the start of a capture every
 * connection outcome is kept (up to --max-listed), so the places that make outcomes, endpoints
 * and hello facts were soon pretenured, and the 130,000 outcomes of the handshake-heavy file
 * that are only counted then died in the old generation. Without it the young generation
 * collects more often, but the analysis takes 7 % less time and the connection table alone 27 %
 * less (medians of 8 to 10 runs alternating with it on); the reports are identical. The flag is
 * read when the collector decides, so it holds from the moment the thread sets it. It is set
 * there, not before the thread is made: V8 flags are the process's, and a thread made after one
 * changed does not start from V8's snapshot (40 ms more).
 */
export const ANALYSIS_V8_FLAGS: readonly string[] = ['--no-allocation-site-pretenuring'];
