// What the bench scripts share: a thread set up as the command's analysis thread is
// (src/cli/analysis-thread.ts, from the current dist/), for stages.mjs and warmup.mjs, and the
// median of a set of runs.
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';

/** A module of the current build, by its path under dist/. */
export const dist = (path) => new URL(`../dist/${path}`, import.meta.url).href;

/**
 * Runs `script` on a new thread with the analysis thread's heap limits, hands it `workerData`,
 * and resolves with the first message it posts; the thread is then ended.
 */
export async function inAnalysisThread(script, workerData) {
  const { WORKER_HEAP } = await import(dist('cli/analysis-thread.js'));
  const worker = new Worker(script, { workerData, resourceLimits: WORKER_HEAP });
  try {
    return await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
}

/** In such a thread, as it starts: the V8 flags the analysis thread sets, then `extra`. */
export async function setAnalysisFlags(extra = []) {
  const { ANALYSIS_V8_FLAGS } = await import(dist('cli/analysis-thread.js'));
  for (const flag of [...ANALYSIS_V8_FLAGS, ...extra]) setFlagsFromString(flag);
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}
