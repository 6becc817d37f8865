import { int32le } from './bytes.js';

/** Words kept per 4-tuple: both ports, the address length, then four words of each address. */
const WORDS = 10;

/**
 * The 4-tuples of the last `max` finished connections, so that their stragglers (late ACKs, a
 * retransmitted RST) are not taken for new connections. Nothing is allocated per tuple: a tuple
 * is found by the connection table's hash of it in an open-addressing index (linear probing in a
 * typed array), and its words are kept in a ring of typed arrays, where the oldest is
 * overwritten. A key string per connection would cost its making, and a Map of numbers its
 * rehashing as tens of thousands of tuples come and go.
 *
 * One tuple is kept per hash: a newer tuple with the same hash replaces the older, which is then
 * forgotten early, as if it had aged out. A tuple is only ever reported remembered when its words
 * equal the packet's, so a collision never hides a new connection.
 */
export class FinishedTuples {
  /** Open-addressing index: ring slot + 1 of each tuple remembered, 0 for an empty cell. */
  private index: Int32Array | null = null;
  private mask = 0;
  /** By ring slot (serial number modulo max): the hash, and the tuple's words. */
  private hashes: Int32Array | null = null;
  private words: Int32Array | null = null;
  private next = 0;
  private count = 0;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.count;
  }

  /**
   * Remembers a finished connection's 4-tuple: addresses as text, one character per byte (see
   * TcpConnection), and ports.
   */
  remember(hash: number, addressA: string, portA: number, addressB: string, portB: number): void {
    if (this.max <= 0) return;
    if (this.index === null) {
      // At most half full, so that probe sequences stay short.
      let cells = 4;
      while (cells < 2 * this.max) cells *= 2;
      this.index = new Int32Array(cells);
      this.mask = cells - 1;
      this.hashes = new Int32Array(this.max);
      this.words = new Int32Array(this.max * WORDS);
    }
    const hashes = this.hashes as Int32Array;
    const slot = this.next++ % this.max;
    if (this.next > this.max) {
      // The slot's tuple is forgotten, unless it was forgotten already or replaced under its hash.
      const cell = this.cellOf(hashes[slot]);
      if (cell >= 0 && this.index[cell] === slot + 1) this.removeCell(cell);
    }
    const same = this.cellOf(hash);
    if (same >= 0) this.removeCell(same);
    hashes[slot] = hash;
    const w = this.words as Int32Array;
    const at = slot * WORDS;
    w[at] = (portA << 16) | portB;
    w[at + 1] = addressA.length;
    textWords(addressA, w, at + 2);
    textWords(addressB, w, at + 6);
    let cell = hash & this.mask;
    while (this.index[cell] !== 0) cell = (cell + 1) & this.mask;
    this.index[cell] = slot + 1;
    this.count++;
  }

  /**
   * Whether the packet from buf[src, src + len) port srcPort to buf[dst, dst + len) port dstPort
   * belongs to a remembered connection, in either direction.
   */
  has(hash: number, buf: Buffer, src: number, dst: number, len: number, srcPort: number, dstPort: number): boolean {
    const cell = this.cellOf(hash);
    if (cell < 0) return false;
    const w = this.words as Int32Array;
    const at = ((this.index as Int32Array)[cell] - 1) * WORDS;
    if (w[at + 1] !== len) return false;
    const words = len >> 2;
    if (w[at] === ((srcPort << 16) | dstPort) && sameWords(w, at + 2, buf, src, words) && sameWords(w, at + 6, buf, dst, words)) return true;
    return w[at] === ((dstPort << 16) | srcPort) && sameWords(w, at + 2, buf, dst, words) && sameWords(w, at + 6, buf, src, words);
  }

  /** Forgets the tuple remembered under `hash` (a new connection reuses it). */
  forget(hash: number): void {
    const cell = this.cellOf(hash);
    if (cell >= 0) this.removeCell(cell);
  }

  /** The index cell of the tuple remembered under `hash`, -1 if none. */
  private cellOf(hash: number): number {
    const index = this.index;
    if (index === null) return -1;
    const hashes = this.hashes as Int32Array;
    for (let cell = hash & this.mask; index[cell] !== 0; cell = (cell + 1) & this.mask) {
      if (hashes[index[cell] - 1] === hash) return cell;
    }
    return -1;
  }

  /** Empties an index cell, moving back the entries after it that its emptiness would hide. */
  private removeCell(cell: number): void {
    const index = this.index as Int32Array;
    const hashes = this.hashes as Int32Array;
    const mask = this.mask;
    let hole = cell;
    for (let next = (cell + 1) & mask; index[next] !== 0; next = (next + 1) & mask) {
      const home = hashes[index[next] - 1] & mask;
      // The entry at `next` may move to the hole unless its home lies cyclically in (hole, next].
      if (((next - home) & mask) >= ((next - hole) & mask)) {
        index[hole] = index[next];
        hole = next;
      }
    }
    index[hole] = 0;
    this.count--;
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
  for (let k = 0; k < count; k++) if (w[at + k] !== int32le(buf, offset + 4 * k)) return false;
  return true;
}
