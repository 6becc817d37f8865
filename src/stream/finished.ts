/** Words kept per 4-tuple: both ports, the address length, then four words of each address. */
const WORDS = 10;

/**
 * The 4-tuples of the last `max` finished connections, so that their stragglers (late ACKs, a
 * retransmitted RST) are not taken for new connections. Nothing is allocated per tuple: a tuple
 * is found by the connection table's hash of it in a map of numbers, and its words are kept in
 * a ring of typed arrays, where the oldest is overwritten. A key string per connection would
 * cost its making, and the garbage collector's time as tens of thousands of them aged.
 *
 * One tuple is kept per hash: a newer tuple with the same hash replaces the older, which is then
 * forgotten early, as if it had aged out. A tuple is only ever reported remembered when its words
 * equal the packet's, so a collision never hides a new connection.
 */
export class FinishedTuples {
  /** Hash → serial number of the tuple remembered under it. */
  private readonly serials = new Map<number, number>();
  /** By serial number modulo max: the hash, and the tuple's words. */
  private hashes: Int32Array | null = null;
  private words: Int32Array | null = null;
  private next = 0;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.serials.size;
  }

  /**
   * Remembers a finished connection's 4-tuple: addresses as text, one character per byte (see
   * TcpConnection), and ports.
   */
  remember(hash: number, addressA: string, portA: number, addressB: string, portB: number): void {
    if (this.max <= 0) return;
    this.hashes ??= new Int32Array(this.max);
    this.words ??= new Int32Array(this.max * WORDS);
    const serial = this.next++;
    const slot = serial % this.max;
    if (serial >= this.max) {
      // The slot's tuple is forgotten, unless it was forgotten already or replaced under its hash.
      const oldHash = this.hashes[slot];
      if (this.serials.get(oldHash) === serial - this.max) this.serials.delete(oldHash);
    }
    this.hashes[slot] = hash;
    const w = this.words;
    const at = slot * WORDS;
    w[at] = (portA << 16) | portB;
    w[at + 1] = addressA.length;
    textWords(addressA, w, at + 2);
    textWords(addressB, w, at + 6);
    this.serials.set(hash, serial);
  }

  /**
   * Whether the packet from buf[src, src + len) port srcPort to buf[dst, dst + len) port dstPort
   * belongs to a remembered connection, in either direction.
   */
  has(hash: number, buf: Buffer, src: number, dst: number, len: number, srcPort: number, dstPort: number): boolean {
    const serial = this.serials.get(hash);
    if (serial === undefined) return false;
    const w = this.words as Int32Array;
    const at = (serial % this.max) * WORDS;
    if (w[at + 1] !== len) return false;
    const words = len >> 2;
    if (w[at] === ((srcPort << 16) | dstPort) && sameWords(w, at + 2, buf, src, words) && sameWords(w, at + 6, buf, dst, words)) return true;
    return w[at] === ((dstPort << 16) | srcPort) && sameWords(w, at + 2, buf, dst, words) && sameWords(w, at + 6, buf, src, words);
  }

  /** Forgets the tuple remembered under `hash` (a new connection reuses it). */
  forget(hash: number): void {
    this.serials.delete(hash);
  }
}

/** Address text (one character per byte) as little-endian words, zero-filled to four. */
function textWords(text: string, into: Int32Array, at: number): void {
  for (let k = 0; k < 4; k++) {
    const i = k * 4;
    into[at + k] =
      i < text.length ? text.charCodeAt(i) | (text.charCodeAt(i + 1) << 8) | (text.charCodeAt(i + 2) << 16) | (text.charCodeAt(i + 3) << 24) : 0;
  }
}

function sameWords(w: Int32Array, at: number, buf: Buffer, offset: number, count: number): boolean {
  for (let k = 0; k < count; k++) if (w[at + k] !== buf.readInt32LE(offset + 4 * k)) return false;
  return true;
}
