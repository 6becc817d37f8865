// Types for check.mjs (plain JavaScript, shared by the fuzzer and the TypeScript tests).
import type { AnalyzeOptions } from '../../src/cli/analyze.js';
import type { Io } from '../../src/cli/command.js';

export type RunAnalyze = (options: AnalyzeOptions, io: Io, version: string) => Promise<number>;

export interface Failure {
  kind: 'exception' | 'invariant';
  message: string;
  /** The failure without numbers: equal for the same bug. */
  signature: string;
  stack?: string;
}

export declare const FORMATS: readonly ('json' | 'table' | 'markdown' | 'html')[];

export declare function errorSignature(err: unknown): string;

export type RunOutput = { code: number; stdout: string; stderr: string; failure?: undefined } | { failure: Failure };

/** Runs one capture through runAnalyze, read from stdin in pieces starting at `cuts`. */
export declare function runInput(runAnalyze: RunAnalyze, bytes: Buffer, format?: string, ingress?: string[], cuts?: number[]): Promise<RunOutput>;

/** Runs one capture (from stdin) through runAnalyze and checks every invariant; null when all hold. */
export declare function checkInput(runAnalyze: RunAnalyze, bytes: Buffer, format?: string, ingress?: string[], cuts?: number[]): Promise<Failure | null>;

/** The same capture read whole and in pieces must give the same exit code and report; null when it does. */
export declare function checkChunking(runAnalyze: RunAnalyze, bytes: Buffer, cuts: number[], ingress?: string[]): Promise<Failure | null>;

export declare function checkResult(r: { code: number; stdout: string; stderr: string }, format: string): Failure | null;

/** What is wrong with the JSON report of one capture and its exit code, or null. */
export declare function reportProblem(report: unknown, code: number): string | null;
