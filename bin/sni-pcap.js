#!/usr/bin/env node
import { startWorkerEarly } from '../dist/cli/worker.js';

// analyze runs on a worker thread, which loads the analysis code while this thread loads its own.
if (process.argv[2] === 'analyze') startWorkerEarly();
const { main } = await import('../dist/cli/main.js');

main(process.argv).then((code) => {
  process.exitCode = code;
});
