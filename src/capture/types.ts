/** One record of a capture file, as Wireshark numbers them. */
export interface CaptureRecord {
  /** 1-based over every record (packet block) in the file, like Wireshark's frame.number. */
  frame: number;
  /** LINKTYPE_* value of the interface the record belongs to. */
  linkType: number;
  /** pcapng interface id (0 for classic pcap). */
  interfaceId: number;
  /**
   * Seconds since the epoch (fraction included). A pcapng Simple Packet Block carries no
   * timestamp: its record gets the time of the previous record in the file (0 if none).
   */
  time: number;
  /** Bytes on the wire; `length` is what was captured (less when cut by the snaplen). */
  originalLength: number;
  /**
   * The captured bytes are `buf[offset, offset + length)`: `buf` is the reader's chunk (or its
   * join buffer), valid only during the synchronous call. Reading them in place costs nothing per
   * record, which is why the hot path uses these three fields rather than `data`.
   */
  buf: Buffer;
  offset: number;
  length: number;
  /** The captured bytes as a Buffer of their own (a new view on each read), same lifetime as `buf`. */
  readonly data: Buffer;
}

export type CaptureFormat = 'pcap' | 'pcapng';

export interface CaptureInterface {
  id: number;
  linkType: number;
  name: string | null;
  snapLength: number;
  /** Timestamp units per second (1e6 for µs, 1e9 for ns, ...). */
  ticksPerSecond: number;
  /** pcapng section this interface belongs to (0 for classic pcap). */
  section: number;
}

export interface CaptureSummary {
  format: CaptureFormat | null;
  /** 'le' | 'be' of the (first) section. */
  byteOrder: 'le' | 'be' | null;
  gzip: boolean;
  interfaces: CaptureInterface[];
  /** Distinct link types seen in the capture's interfaces, in order of appearance. */
  linkTypes: number[];
  /** Records read (packet blocks), the last frame number. */
  packets: number;
  /** Records whose captured length is shorter than the original length (cut by the snaplen). */
  snappedPackets: number;
  firstTime: number | null;
  lastTime: number | null;
  /**
   * Packets dropped as reported by pcapng Interface Statistics Blocks: per interface the latest
   * isb_ifdrop + isb_osdrop (they count from the start of the capture), summed; null when unknown.
   */
  drops: number | null;
  /**
   * True when the file ended inside a record or block, or damage stopped the reader (pcapng
   * resumes at the next Section Header Block after damage, if there is one: see `warnings`).
   */
  truncated: boolean;
  /** One line: why the input is unusable, or the first damage that cost records. */
  error: string | null;
  warnings: string[];
}

/**
 * Receives what a capture reader decodes, synchronously and in file order.
 *
 * The reader passes the same record object on every call, updated in place, and `buf` (so
 * `data` too) points into a buffer that is reused afterwards: both are valid only during the
 * call. Copy the fields (and `Buffer.from(record.data)`) of anything kept for later.
 */
export interface CaptureSink {
  record(record: CaptureRecord): void;
}

/** Bounds that keep a damaged or hostile capture from making the reader allocate without limit. */
export interface CaptureLimits {
  /**
   * Largest pcapng block, and the hard ceiling for a classic pcap record's captured length.
   * This also bounds the bytes the reader holds back to join a record split across chunks.
   */
  maxRecordBytes: number;
  /**
   * Classic pcap: a record header whose captured length exceeds max(this, the file's snaplen),
   * capped by `maxRecordBytes`, is taken as damage and ends reading.
   */
  pcapMaxCaplen: number;
  /** Interface Description Blocks allowed in one pcapng section (and listed in the summary). */
  maxInterfaces: number;
  /** Warnings kept in the summary; more are counted in one final warning. */
  maxWarnings: number;
}
