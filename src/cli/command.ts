/**
 * What the commands share, apart from their work: their streams, exit codes and usage errors,
 * and the report formats. The command line loads only this before it knows what is to run.
 */

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

/** Exit codes: 0 nothing wrong found, 1 the non-SNI problem found, 2 could not run. */
export const EXIT_OK = 0;
export const EXIT_PROBLEM = 1;
export const EXIT_ERROR = 2;
/** Interrupted (Ctrl-C) after the partial report was written: 128 + SIGINT, as a shell reports it. */
export const EXIT_INTERRUPTED = 130;

export class UsageError extends Error {}

/** The report formats of analyze. */
export type Format = 'table' | 'json' | 'markdown' | 'html';
export const FORMATS: readonly Format[] = ['table', 'json', 'markdown', 'html'];
