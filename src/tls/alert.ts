/** Alert records (RFC 8446 section 6; RFC 5246 section 7.2). */
import { clampEnd } from './bytes.js';
import type { Alert } from './types.js';

export const ALERT_LEVEL_WARNING = 1;
export const ALERT_LEVEL_FATAL = 2;

/** Decodes one alert at `offset`; null when fewer than two bytes remain or the level is not 1 or 2. */
export function decodeAlert(buf: Buffer, offset: number, end: number): Alert | null {
  const stop = clampEnd(buf, end);
  if (offset < 0 || offset + 2 > stop) return null;
  const level = buf[offset]!;
  if (level !== ALERT_LEVEL_WARNING && level !== ALERT_LEVEL_FATAL) return null;
  return { level, description: buf[offset + 1]! };
}

/**
 * Decodes the payload of an alert record as plaintext alerts. Returns null when it does not look
 * like plaintext (odd or empty length, more than a few alerts, or a level other than warning or
 * fatal): an encrypted alert is longer than two bytes and its first byte is ciphertext.
 */
export function decodeAlertRecord(buf: Buffer, offset: number, end: number): Alert[] | null {
  const stop = clampEnd(buf, end);
  const length = stop - offset;
  if (offset < 0 || length <= 0 || length % 2 !== 0 || length > 8) return null;
  const alerts: Alert[] = [];
  for (let p = offset; p < stop; p += 2) {
    const alert = decodeAlert(buf, p, stop);
    if (alert === null) return null;
    alerts.push(alert);
  }
  return alerts;
}
