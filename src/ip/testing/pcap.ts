/**
 * Test-only capture reader: classic pcap (either byte order, µs or ns) and the pcapng blocks
 * that carry packets (SHB, IDB, EPB, SPB, PB). Reads a whole file into memory; no error recovery.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface TestRecord {
  /** 1-based, as Wireshark numbers frames. */
  frame: number;
  linkType: number;
  time: number;
  originalLength: number;
  data: Buffer;
}

/** The shared capture corpus next to the repository (may be absent outside the project checkout). */
export const CORPUS_DIR = fileURLToPath(new URL('../../../../shared/corpus/', import.meta.url));
export const TESTDATA_DIR = fileURLToPath(new URL('../testdata/', import.meta.url));

export function corpusFile(name: string): string {
  return CORPUS_DIR + name;
}

export function testdataFile(name: string): string {
  return TESTDATA_DIR + name;
}

export function hasFile(path: string): boolean {
  return existsSync(path);
}

export function readCapture(path: string): TestRecord[] {
  const file = readFileSync(path);
  const magic = file.readUInt32LE(0);
  if (magic === 0x0a0d0d0a) return readPcapng(file);
  return readPcap(file);
}

function readPcap(file: Buffer): TestRecord[] {
  const magicLe = file.readUInt32LE(0);
  let le: boolean;
  let nanos: boolean;
  if (magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d) {
    le = true;
    nanos = magicLe === 0xa1b23c4d;
  } else {
    const magicBe = file.readUInt32BE(0);
    if (magicBe !== 0xa1b2c3d4 && magicBe !== 0xa1b23c4d) throw new Error('not a pcap file');
    le = false;
    nanos = magicBe === 0xa1b23c4d;
  }
  const u32 = (o: number): number => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));
  const linkType = u32(20) & 0xffff;
  const records: TestRecord[] = [];
  let off = 24;
  while (off + 16 <= file.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const caplen = u32(off + 8);
    const origlen = u32(off + 12);
    off += 16;
    if (off + caplen > file.length) break;
    records.push({
      frame: records.length + 1,
      linkType,
      time: sec + frac / (nanos ? 1e9 : 1e6),
      originalLength: origlen,
      data: file.subarray(off, off + caplen),
    });
    off += caplen;
  }
  return records;
}

function readPcapng(file: Buffer): TestRecord[] {
  const records: TestRecord[] = [];
  let le = true;
  let interfaces: { linkType: number; ticks: number }[] = [];
  let off = 0;
  while (off + 12 <= file.length) {
    const typeLe = file.readUInt32LE(off);
    if (typeLe === 0x0a0d0d0a) {
      const bom = file.readUInt32LE(off + 8);
      le = bom === 0x1a2b3c4d;
      interfaces = [];
    }
    const u32 = (o: number): number => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));
    const u16 = (o: number): number => (le ? file.readUInt16LE(o) : file.readUInt16BE(o));
    const type = u32(off);
    const length = u32(off + 4);
    if (length < 12 || off + length > file.length) break;
    const body = off + 8;
    if (type === 1) {
      let ticks = 1e6;
      // if_tsresol option (9) changes the timestamp unit.
      let opt = body + 8;
      while (opt + 4 <= off + length - 4) {
        const code = u16(opt);
        const len = u16(opt + 2);
        if (code === 0) break;
        if (code === 9 && len >= 1) {
          const v = file[opt + 4];
          ticks = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
        }
        opt += 4 + ((len + 3) & ~3);
      }
      interfaces.push({ linkType: u16(body), ticks });
    } else if (type === 6 || type === 2) {
      const iface = type === 6 ? u32(body) : u16(body);
      const high = u32(body + 4);
      const low = u32(body + 8);
      const caplen = u32(body + 12);
      const origlen = u32(body + 16);
      const info = interfaces[iface] ?? { linkType: -1, ticks: 1e6 };
      records.push({
        frame: records.length + 1,
        linkType: info.linkType,
        time: (high * 2 ** 32 + low) / info.ticks,
        originalLength: origlen,
        data: file.subarray(body + 20, body + 20 + caplen),
      });
    } else if (type === 3) {
      const origlen = u32(body);
      const info = interfaces[0] ?? { linkType: -1, ticks: 1e6 };
      const caplen = Math.min(origlen, length - 16);
      records.push({ frame: records.length + 1, linkType: info.linkType, time: 0, originalLength: origlen, data: file.subarray(body + 4, body + 4 + caplen) });
    }
    off += length;
  }
  return records;
}
