/** The largest time a Date can hold, in milliseconds either side of the epoch. */
const MAX_DATE_MS = 8.64e15;

/**
 * A capture time (seconds since the epoch) as ISO 8601 UTC. A timestamp a Date cannot hold (a
 * damaged or hostile capture can claim any 64-bit time) is given as plain seconds instead.
 */
export function isoTime(seconds: number): string {
  const ms = seconds * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) return `${seconds} s after the epoch`;
  return new Date(ms).toISOString();
}
