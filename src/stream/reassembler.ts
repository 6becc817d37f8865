import { seqDiff } from '../tcp/segment.js';

/**
 * Receives a connection's bytes in sequence order, per direction (0 or 1): one sink serves both
 * directions of a connection, so that a connection costs no closures.
 */
export interface ByteSink {
  data(dir: 0 | 1, bytes: Buffer, frame: number, time: number): void;
  gap(dir: 0 | 1, cause: 'lost' | 'snaplen'): void;
}

export interface ReassemblyLimits {
  /** Out-of-order bytes held per direction before the missing bytes are given up as lost. */
  maxPendingBytes: number;
  /** Out-of-order segments held per direction. */
  maxPendingSegments: number;
  /**
   * Out-of-order bytes held by all the directions that share a budget (a connection table's),
   * each segment counting HELD_SEGMENT_COST more: a direction whose segment would go past it
   * gives up everything it waits for, as lost.
   */
  maxPendingBytesTotal: number;
}

/**
 * What holding a segment costs besides its bytes (its entry, its Buffer, its place in the list),
 * counted in the shared budget: a flood of one-byte segments holds no more memory than it says.
 */
export const HELD_SEGMENT_COST = 256;

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = {
  maxPendingBytes: 256 * 1024,
  maxPendingSegments: 512,
  maxPendingBytesTotal: 64 * 1024 * 1024,
};

/** Out-of-order bytes held now by the directions that share it, HELD_SEGMENT_COST more per segment. */
export interface PendingBudget {
  bytes: number;
}

interface PendingSegment {
  seq: number;
  bytes: Buffer;
  frame: number;
  time: number;
  /** Declared payload length (more than bytes.length when the snaplen cut it). */
  length: number;
}

/**
 * One direction of a TCP connection, rebuilt by sequence number: in-order bytes pass straight
 * through (no copy), out-of-order segments wait in a bounded list, retransmitted and overlapping
 * bytes are dropped (the first copy wins), and sequence numbers wrap at 2^32.
 */
export class DirectionStream {
  /** Next expected sequence number, null until the first SYN or data segment. */
  nextSeq: number | null = null;
  /** The SYN's sequence number (initial sequence number), null when no SYN was seen. */
  isn: number | null = null;
  /** Set once a data byte has been delivered. */
  delivered = false;
  /** Out-of-order segments waiting, oldest sequence first; none (null) in most streams. */
  private pending: PendingSegment[] | null = null;
  private pendingBytes = 0;
  /** What this direction counts in the shared budget: its held bytes and the cost of each segment. */
  private charged = 0;
  /** Out-of-order segments given up on (counted for the report). */
  lostGaps = 0;

  constructor(
    private readonly sink: ByteSink,
    private readonly dir: 0 | 1,
    private readonly limits: ReassemblyLimits,
    private readonly budget: PendingBudget = { bytes: 0 },
  ) {}

  /** A SYN (or SYN/ACK) from this direction: data starts at isn + 1. */
  syn(seq: number): void {
    this.isn = seq;
    if (!this.delivered) {
      this.nextSeq = (seq + 1) >>> 0;
      if (this.pending !== null) {
        const next = this.nextSeq;
        const kept = this.pending.filter((p) => seqDiff(next, p.seq + p.length) > 0);
        this.pending = kept.length > 0 ? kept : null;
        this.setPendingBytes(kept.reduce((n, p) => n + p.bytes.length, 0));
      }
    }
  }

  /** Where the stream starts when it is learned from the other side (the ACK of a SYN/ACK). */
  expect(seq: number): void {
    if (this.nextSeq === null) this.nextSeq = seq >>> 0;
  }

  /**
   * A segment's payload: `buf[start, end)` is what was captured, `length` what the segment carried.
   */
  segment(seq: number, buf: Buffer, start: number, end: number, length: number, frame: number, time: number): void {
    if (length <= 0) return;
    if (this.nextSeq === null) this.nextSeq = seq;
    const rel = seqDiff(this.nextSeq, seq);
    if (rel + length <= 0) return; // all of it was delivered before: a retransmission
    if (rel > 0) {
      this.hold(seq, buf, start, end, length, frame, time);
      return;
    }
    this.deliver(seq, buf, start, end, length, frame, time);
    if (this.pending !== null) this.drain();
  }

  /** No more segments will come: give up on what is still missing. */
  finish(): void {
    while (this.pending !== null) {
      this.skipToPending(this.pending[0]);
      this.drain();
    }
  }

  /** Drop held bytes: the reader wants no more. */
  discard(): void {
    this.pending = null;
    this.setPendingBytes(0);
  }

  /** Held bytes are now `n`, in the segments `pending` holds: the shared budget follows. */
  private setPendingBytes(n: number): void {
    this.pendingBytes = n;
    const charge = n + (this.pending === null ? 0 : this.pending.length * HELD_SEGMENT_COST);
    this.budget.bytes += charge - this.charged;
    this.charged = charge;
  }

  private deliver(seq: number, buf: Buffer, start: number, end: number, length: number, frame: number, time: number): void {
    const skip = -seqDiff(this.nextSeq as number, seq); // bytes already delivered
    const from = start + skip;
    if (from < end) {
      this.sink.data(this.dir, buf.subarray(from, end), frame, time);
      this.delivered = true;
    }
    this.nextSeq = (seq + length) >>> 0;
    if (end - start < length) this.sink.gap(this.dir, 'snaplen');
  }

  private hold(seq: number, buf: Buffer, start: number, end: number, length: number, frame: number, time: number): void {
    const bytes = Buffer.from(buf.subarray(start, end)); // copy: the record's buffer is reused
    const pending = (this.pending ??= []);
    let i = pending.length;
    while (i > 0 && seqDiff(pending[i - 1].seq, seq) < 0) i--;
    pending.splice(i, 0, { seq, bytes, frame, time, length });
    this.setPendingBytes(this.pendingBytes + bytes.length);
    if (this.budget.bytes > this.limits.maxPendingBytesTotal) {
      // All the directions together hold too much: this one gives up everything it waits for.
      this.finish();
    } else if (this.pendingBytes > this.limits.maxPendingBytes || pending.length > this.limits.maxPendingSegments) {
      this.skipToPending(pending[0]);
      this.drain();
    }
  }

  /** Delivers held segments that have become contiguous. */
  private drain(): void {
    let pending = this.pending;
    while (pending !== null) {
      const p = pending[0];
      const rel = seqDiff(this.nextSeq as number, p.seq);
      if (rel > 0) return;
      pending.shift();
      if (pending.length === 0) this.pending = null;
      this.setPendingBytes(this.pendingBytes - p.bytes.length);
      if (rel + p.length > 0) this.deliver(p.seq, p.bytes, 0, p.bytes.length, p.length, p.frame, p.time);
      pending = this.pending; // the sink may have discarded it
    }
  }

  /** The bytes before the first held segment are lost: say so and move on to it. */
  private skipToPending(first: PendingSegment): void {
    if (seqDiff(this.nextSeq as number, first.seq) > 0) {
      this.lostGaps++;
      this.sink.gap(this.dir, 'lost');
      this.nextSeq = first.seq;
    }
  }
}
