import { StringDecoder } from 'node:string_decoder';

/** Lines longer than this (in UTF-16 code units, about the bytes of an ASCII log line) are skipped and counted. */
export const DEFAULT_MAX_LINE_LENGTH = 1024 * 1024;

export interface LineStats {
  /** Lines seen, including the skipped long ones and a last line without a newline. */
  lines: number;
  /** Lines longer than the limit, skipped without being held in memory. */
  tooLong: number;
}

/**
 * Splits a byte stream into lines (LF or CRLF) and calls `onLine` for each, with its 1-based
 * number. Memory stays bounded by the line limit: a longer line is dropped as it streams past
 * and only counted.
 */
export async function readLines(
  stream: AsyncIterable<Buffer | string>,
  maxLineLength: number,
  onLine: (line: string, lineNumber: number) => void,
): Promise<LineStats> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let skipping = false;
  let lines = 0;
  let tooLong = 0;

  const take = (text: string): void => {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) {
        if (!skipping && start < text.length) {
          if (carry.length + (text.length - start) > maxLineLength) {
            skipping = true;
            carry = '';
          } else {
            carry = carry.length === 0 ? text.slice(start) : carry + text.slice(start);
          }
        }
        return;
      }
      lines++;
      if (skipping) {
        skipping = false;
        tooLong++;
      } else {
        let line = carry.length === 0 ? text.slice(start, nl) : carry + text.slice(start, nl);
        carry = '';
        if (line.length > maxLineLength + 1) tooLong++;
        else {
          if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
          if (line.length > maxLineLength) tooLong++;
          else onLine(line, lines);
        }
      }
      start = nl + 1;
    }
  };

  for await (const chunk of stream) take(typeof chunk === 'string' ? chunk : decoder.write(chunk));
  take(decoder.end());
  if (skipping) {
    lines++;
    tooLong++;
  } else if (carry.length > 0) {
    lines++;
    const line = carry.charCodeAt(carry.length - 1) === 13 ? carry.slice(0, -1) : carry;
    onLine(line, lines);
  }
  return { lines, tooLong };
}
