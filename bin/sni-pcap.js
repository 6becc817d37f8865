#!/usr/bin/env node
import { startWorkerEarly } from '../dist/app/worker.js';

// analyze runs on a worker thread, which loads the analysis code while this thread loads its own.
if (process.argv[2] === 'analyze') startWorkerEarly();
const { main } = await import('../dist/app/main.js');

main(process.argv).then((code) => {
  process.exitCode = code;
});
