// Types for mutate.mjs (plain JavaScript, shared by the fuzzer and the TypeScript tests).

export interface Site {
  off: number;
  width: 1 | 2 | 3 | 4;
  le: boolean;
  kind: string;
}

export interface Layout {
  container: 'pcap' | 'pcapng' | null;
  headerEnd: number;
  units: { start: number; end: number }[];
  sites: Site[];
  ranges: { start: number; end: number; kind: string }[];
}

export interface Seed {
  bytes: Buffer;
  info: Layout;
  gzip: boolean;
}

export declare class Rng {
  constructor(seed: number);
  next(): number;
  int(n: number): number;
  range(lo: number, hi: number): number;
  chance(p: number): boolean;
  pick<T>(list: readonly T[]): T;
  bytes(n: number): Buffer;
}

export declare function mix32(x: number): number;
export declare function iterationRng(seed: number, i: number): Rng;
export declare function layout(buf: Buffer): Layout;
export declare function prepareSeed(raw: Buffer, maxBytes?: number): Seed;
export declare function makeInput(seeds: readonly Seed[], seed: number, i: number): Buffer;
