/** One record of a capture file, as Wireshark numbers them. */
export interface CaptureRecord {
  /** 1-based over every record (packet block) in the file, like Wireshark's frame.number. */
  frame: number;
  /** LINKTYPE_* value of the interface the record belongs to. */
  linkType: number;
  /** pcapng interface id (0 for classic pcap). */
  interfaceId: number;
  /** Seconds since the epoch (fraction included). */
  time: number;
  /** Bytes on the wire; `data.length` is what was captured (less when cut by the snaplen). */
  originalLength: number;
  /** The captured bytes: a view into the reader's chunk, valid only during the synchronous call. */
  data: Buffer;
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
  /** Packets dropped as reported by pcapng Interface Statistics Blocks (ifdrop + osdrop), null when unknown. */
  drops: number | null;
  /** True when the file ended inside a record or block, or a damaged header stopped the reader. */
  truncated: boolean;
  /** Why reading stopped early, if it did. */
  error: string | null;
  warnings: string[];
}

/** Receives what a capture reader decodes, synchronously and in file order. */
export interface CaptureSink {
  record(record: CaptureRecord): void;
}
