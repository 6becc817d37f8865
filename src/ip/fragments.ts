/**
 * IPv4 / IPv6 fragment reassembly.
 *
 * Datagrams are keyed by (version, source, destination, identification, protocol). Each one keeps
 * the byte ranges received so far; a fragment only contributes the bytes that fall in holes, so
 * the first copy of any byte wins and overlapping or repeated fragments cannot change data
 * already held. Everything is bounded: datagrams pending, bytes per datagram, bytes held in
 * total, and the age of a datagram measured in capture time.
 */

export interface FragmentLimits {
  /** Datagrams being reassembled at once; the oldest is evicted to make room. */
  maxDatagrams: number;
  /** Largest fragmentable part (payload after the unfragmentable headers) accepted, in bytes. */
  maxDatagramBytes: number;
  /** Bytes held over all pending datagrams; the oldest are evicted to stay below it. */
  maxTotalBytes: number;
  /** Seconds of capture time after a datagram's first fragment before it is given up. */
  timeoutSeconds: number;
}

export const DEFAULT_FRAGMENT_LIMITS: Readonly<FragmentLimits> = Object.freeze({
  maxDatagrams: 1024,
  maxDatagramBytes: 65535,
  maxTotalBytes: 16 * 1024 * 1024,
  timeoutSeconds: 30,
});

export interface FragmentStats {
  /** Fragments offered to the reassembler. */
  fragments: number;
  /** Datagrams completed. */
  reassembled: number;
  /** Fragments refused outright (bad offsets, too long, cut by the snaplen, ...). */
  droppedFragments: number;
  /** Pending datagrams given up, for any reason (the next three, plus inconsistencies). */
  droppedDatagrams: number;
  /** Pending datagrams given up because they were older than the timeout. */
  timedOut: number;
  /** Pending datagrams evicted to respect maxDatagrams or maxTotalBytes. */
  evicted: number;
  /** Fragments that overlapped bytes already held (their copy of those bytes was ignored). */
  overlaps: number;
  /** Datagrams pending right now. */
  pending: number;
  /** Bytes held right now. */
  bytesHeld: number;
}

export function emptyFragmentStats(): FragmentStats {
  return {
    fragments: 0,
    reassembled: 0,
    droppedFragments: 0,
    droppedDatagrams: 0,
    timedOut: 0,
    evicted: 0,
    overlaps: 0,
    pending: 0,
    bytesHeld: 0,
  };
}

/** One fragment, described by offsets into the buffer it arrived in. */
export interface FragmentInput {
  key: string;
  version: 4 | 6;
  buf: Buffer;
  /** Start of the IP header. */
  ipOffset: number;
  /**
   * End of the unfragmentable part: the IPv4 header, or the IPv6 header and the extension
   * headers before the fragment header.
   */
  headerEnd: number;
  /** IPv6 only: offset of the byte that says "next header is 44" (patched on rebuild). */
  linkOffset: number;
  /** IPv6 only: the fragment header's next header (the fragmentable part's first header). */
  nextHeader: number;
  /** Fragment data in `buf`. */
  dataOffset: number;
  dataEnd: number;
  /** Position of this data in the datagram's fragmentable part, bytes. */
  fragmentOffset: number;
  moreFragments: boolean;
}

/** What became of a fragment: the rebuilt datagram, or why there is none yet. */
export type FragmentOutcome =
  | { kind: 'complete'; datagram: Buffer }
  | { kind: 'held' }
  | { kind: 'dropped'; detail: string };

interface Pending {
  key: string;
  version: 4 | 6;
  firstTime: number;
  /** Unfragmentable part from the offset-0 fragment, null until it arrives. */
  header: Buffer | null;
  /** IPv6: position in `header` of the next-header byte to rewrite, and its new value. */
  linkPosition: number;
  nextHeader: number;
  /** Length of the fragmentable part, known once the last fragment (M = 0) arrived; -1 before. */
  total: number;
  /** The fragmentable part as far as received; grows on demand. */
  data: Buffer;
  /** Byte ranges received, as sorted, non-adjacent, non-overlapping [start, end) pairs. */
  ranges: number[];
  /** Bytes covered by ranges. */
  covered: number;
  /** Bytes this entry accounts for in bytesHeld (header plus data capacity). */
  bytes: number;
}

/** Separate ranges a datagram may have before it is given up (real traffic has one or two). */
export const MAX_FRAGMENT_RANGES = 256;

const HELD: FragmentOutcome = Object.freeze({ kind: 'held' });
const EMPTY = Buffer.alloc(0);

export class FragmentReassembler {
  readonly limits: Readonly<FragmentLimits>;
  readonly stats: FragmentStats;
  /** Insertion order is first-fragment order, so the first entry is the oldest. */
  private readonly pending = new Map<string, Pending>();
  private lastTime = 0;

  constructor(limits: Partial<FragmentLimits> = {}, stats: FragmentStats = emptyFragmentStats()) {
    this.limits = { ...DEFAULT_FRAGMENT_LIMITS, ...limits };
    this.stats = stats;
  }

  /** Offers one fragment; `time` is its capture time in seconds. */
  add(f: FragmentInput, captureTime: number): FragmentOutcome {
    const stats = this.stats;
    stats.fragments++;
    // A missing or absurd timestamp must not flush (NaN) or pin (Infinity) the table.
    const time = Number.isFinite(captureTime) ? captureTime : this.lastTime;
    this.lastTime = time;
    if (this.pending.size > 0) this.expire(time);

    const length = f.dataEnd - f.dataOffset;
    const start = f.fragmentOffset;
    const end = start + length;
    if (length < 0 || end > this.limits.maxDatagramBytes) {
      stats.droppedFragments++;
      return { kind: 'dropped', detail: 'fragment beyond the largest datagram' };
    }

    let entry = this.pending.get(f.key);
    if (entry === undefined) {
      if (this.pending.size >= this.limits.maxDatagrams) this.evictOldest();
      entry = {
        key: f.key,
        version: f.version,
        firstTime: time,
        header: null,
        linkPosition: -1,
        nextHeader: f.nextHeader,
        total: -1,
        data: EMPTY,
        ranges: [],
        covered: 0,
        bytes: 0,
      };
      this.pending.set(f.key, entry);
      stats.pending = this.pending.size;
    }

    const ranges = entry.ranges;
    const heldEnd = ranges.length > 0 ? ranges[ranges.length - 1] : 0;
    if (!f.moreFragments && entry.total < 0) {
      if (end < heldEnd) return this.drop(entry, 'last fragment ends before data already held');
      entry.total = end;
    }

    // The part of this fragment that may add bytes: its range clipped to the known total.
    const limitEnd = entry.total >= 0 && end > entry.total ? entry.total : end;
    let overlapped = limitEnd < end;

    // Room for the header (first fragment only) and for the data up to limitEnd.
    const headerBytes = start === 0 && entry.header === null ? f.headerEnd - f.ipOffset : 0;
    let capacity = entry.data.length;
    if (limitEnd > capacity) {
      capacity = Math.max(limitEnd, Math.min(capacity * 2, entry.total >= 0 ? entry.total : this.limits.maxDatagramBytes));
    }
    const adding = headerBytes + (capacity - entry.data.length);
    if (adding > 0 && !this.makeRoom(entry, adding)) {
      return { kind: 'dropped', detail: 'fragment reassembly memory limit' };
    }
    if (capacity > entry.data.length) {
      const grown = Buffer.allocUnsafe(capacity);
      entry.data.copy(grown, 0);
      entry.data = grown;
    }
    entry.bytes += adding;
    stats.bytesHeld += adding;
    if (headerBytes > 0) {
      const header = Buffer.allocUnsafe(headerBytes);
      f.buf.copy(header, 0, f.ipOffset, f.headerEnd);
      entry.header = header;
      entry.linkPosition = f.version === 6 ? f.linkOffset - f.ipOffset : -1;
      entry.nextHeader = f.nextHeader;
    }

    // Copy the bytes that fall in holes of [start, limitEnd); held bytes win.
    if (start < limitEnd) {
      let i = 0;
      while (i < ranges.length && ranges[i + 1] < start) i += 2;
      let cursor = start;
      let j = i;
      while (j < ranges.length && ranges[j] <= limitEnd) {
        const rs = ranges[j];
        const re = ranges[j + 1];
        if (rs > cursor) {
          f.buf.copy(entry.data, cursor, f.dataOffset + (cursor - start), f.dataOffset + (rs - start));
          entry.covered += rs - cursor;
        }
        if (rs < limitEnd && re > start) overlapped = true;
        if (re > cursor) cursor = re;
        j += 2;
      }
      if (cursor < limitEnd) {
        f.buf.copy(entry.data, cursor, f.dataOffset + (cursor - start), f.dataOffset + (limitEnd - start));
        entry.covered += limitEnd - cursor;
      }
      // Ranges i .. j-1 touch or overlap [start, limitEnd): replace them by their union with it.
      const mergedStart = i < j && ranges[i] < start ? ranges[i] : start;
      const mergedEnd = i < j && ranges[j - 1] > limitEnd ? ranges[j - 1] : limitEnd;
      ranges.splice(i, j - i, mergedStart, mergedEnd);
      if (ranges.length > 2 * MAX_FRAGMENT_RANGES) return this.drop(entry, 'too many separate fragment ranges');
    }
    if (overlapped) stats.overlaps++;

    if (entry.total >= 0 && entry.header !== null && entry.covered === entry.total) {
      return this.complete(entry);
    }
    return HELD;
  }

  /** Gives up datagrams whose first fragment is older than the timeout at capture time `time`. */
  expire(time: number): void {
    if (!Number.isFinite(time)) return;
    const cutoff = time - this.limits.timeoutSeconds;
    for (const entry of this.pending.values()) {
      if (entry.firstTime >= cutoff) break;
      this.remove(entry);
      this.stats.timedOut++;
      this.stats.droppedDatagrams++;
    }
  }

  /** Forgets every pending datagram (counted as dropped). */
  clear(): void {
    for (const entry of this.pending.values()) {
      this.remove(entry);
      this.stats.droppedDatagrams++;
    }
  }

  private complete(entry: Pending): FragmentOutcome {
    const header = entry.header as Buffer;
    this.remove(entry);
    const total = header.length + entry.total;
    if (entry.version === 4) {
      if (total > 0xffff) return this.dropped('reassembled ipv4 datagram longer than 65535');
    } else if (total - 40 > 0xffff) {
      return this.dropped('reassembled ipv6 payload longer than 65535');
    }
    const datagram = Buffer.allocUnsafe(total);
    header.copy(datagram, 0);
    entry.data.copy(datagram, header.length, 0, entry.total);
    if (entry.version === 4) {
      datagram[2] = total >> 8;
      datagram[3] = total & 0xff;
      // Keep DF, clear MF and the offset: the rebuilt datagram is not a fragment.
      datagram[6] &= 0x40;
      datagram[7] = 0;
    } else {
      const payload = total - 40;
      datagram[4] = payload >> 8;
      datagram[5] = payload & 0xff;
      datagram[entry.linkPosition] = entry.nextHeader;
    }
    this.stats.reassembled++;
    return { kind: 'complete', datagram };
  }

  private dropped(detail: string): FragmentOutcome {
    this.stats.droppedDatagrams++;
    return { kind: 'dropped', detail };
  }

  private drop(entry: Pending, detail: string): FragmentOutcome {
    this.remove(entry);
    return this.dropped(detail);
  }

  private remove(entry: Pending): void {
    this.pending.delete(entry.key);
    this.stats.bytesHeld -= entry.bytes;
    this.stats.pending = this.pending.size;
  }

  private evictOldest(): Pending | undefined {
    const oldest = this.pending.values().next();
    if (oldest.done === true) return undefined;
    this.remove(oldest.value);
    this.stats.evicted++;
    this.stats.droppedDatagrams++;
    return oldest.value;
  }

  /** Evicts the oldest datagrams until `bytes` more fit; false when `entry` itself had to go. */
  private makeRoom(entry: Pending, bytes: number): boolean {
    while (this.stats.bytesHeld + bytes > this.limits.maxTotalBytes) {
      const evicted = this.evictOldest();
      if (evicted === undefined || evicted === entry) return false;
    }
    return true;
  }
}
