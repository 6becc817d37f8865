import { writeFile } from 'node:fs/promises';
import type { Io } from './command.js';

/** The report formats of the runbook commands (logs, probe, routes). */
export type ReportFormat = 'table' | 'json' | 'markdown';
export const REPORT_FORMATS: readonly ReportFormat[] = ['table', 'json', 'markdown'];

/** Writes a report to the file, or to stdout (waiting for it to drain). */
export async function emit(text: string, output: string | null, io: Io): Promise<void> {
  if (output !== null) {
    await writeFile(output, text);
    return;
  }
  await new Promise<void>((resolve) => {
    if (io.stdout.write(text)) resolve();
    else io.stdout.once('drain', () => resolve());
  });
}

/** Colour only on a terminal, when not writing to a file and NO_COLOR is unset. */
export function useColor(wanted: boolean, io: Io, output: string | null): boolean {
  return wanted && output === null && (io.stdout as NodeJS.WriteStream).isTTY === true && !process.env.NO_COLOR;
}
