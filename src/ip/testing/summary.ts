/** Test-only: compact text for decoder results, for comparing with tshark's view. */
import { formatAddress } from '../address.js';
import type { NetworkResult } from '../types.js';

/** 'src > dst proto tunnel' for a packet, 'skip:reason' otherwise. */
export function describeResult(r: NetworkResult): string {
  if ('kind' in r) return `skip:${r.reason}`;
  return `${formatAddress(r.data, r.srcOffset, r.version)} > ${formatAddress(r.data, r.dstOffset, r.version)} ${r.protocol} ${r.tunnel ?? '-'}`;
}

/** Counts of describeResult over `results`, as a plain object sorted by key. */
export function countResults(results: NetworkResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) {
    const key = describeResult(r);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
