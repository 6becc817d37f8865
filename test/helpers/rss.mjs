// Runs the command line exactly as bin/sni-pcap.js does, and at exit writes the process's peak
// resident set size (KiB) to file descriptor 3 when the parent opened one.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  try {
    writeSync(3, `${process.resourceUsage().maxRSS}\n`);
  } catch {
    // No fd 3: nobody asked.
  }
});

await import('../../bin/sni-pcap.js');
