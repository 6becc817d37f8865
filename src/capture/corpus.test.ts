import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import pcapParser from 'pcap-parser';
import { describe, expect, it } from 'vitest';
import { readCapture } from './input.js';
import { collector, decode, decodeInChunks, fingerprint, type CopiedRecord } from './testing/collect.js';

const corpus = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const capturesDir = `${corpus}captures/`;
const expectedDir = `${corpus}expected/`;
const malformedDir = `${corpus}malformed/`;
const haveCorpus = existsSync(capturesDir) && existsSync(expectedDir);

interface Expected {
  file: { packets: number | null; frames_read_by_tshark: number };
}

function expected(name: string): Expected {
  return JSON.parse(readFileSync(`${expectedDir}${name}.json`, 'utf8')) as Expected;
}

function captureNames(): string[] {
  return haveCorpus ? readdirSync(capturesDir).sort() : [];
}

async function read(path: string): Promise<{ records: CopiedRecord[]; summary: Awaited<ReturnType<typeof readCapture>> }> {
  const { sink, records } = collector();
  const summary = await readCapture(path, sink);
  return { records, summary };
}

describe.skipIf(!haveCorpus)('shared corpus captures', () => {
  it('has the 78 captures with expectations', () => {
    expect(captureNames()).toHaveLength(78);
  });

  it.each(captureNames())('%s: record count equals the frames tshark read', async (name) => {
    const { records, summary } = await read(`${capturesDir}${name}`);
    const want = expected(name).file.frames_read_by_tshark;
    expect(summary.packets).toBe(records.length);
    expect(records.length).toBe(want);
    if (expected(name).file.packets === null) {
      // capinfos and tshark call this file damaged after its last good record; so does the reader.
      expect(summary.truncated).toBe(true);
      expect(summary.error).not.toBeNull();
    } else {
      expect(summary.packets).toBe(expected(name).file.packets);
      expect(summary.error).toBeNull();
      expect(summary.truncated).toBe(false);
    }
    expect(summary.format).not.toBeNull();
    records.forEach((r, i) => expect(r.frame).toBe(i + 1));
  });

  it('reads a big-endian nanosecond pcap', async () => {
    const { records, summary } = await read(`${capturesDir}pcpp__nanosecs_big_endian.pcap`);
    expect(summary.format).toBe('pcap');
    expect(summary.byteOrder).toBe('be');
    expect(summary.interfaces[0].ticksPerSecond).toBe(1e9);
    expect(records).toHaveLength(10);
    const raw = readFileSync(`${capturesDir}pcpp__nanosecs_big_endian.pcap`);
    // First record header right after the 24-byte file header.
    const sec = raw.readUInt32BE(24);
    const nsec = raw.readUInt32BE(28);
    expect(records[0].time).toBe(sec + nsec / 1e9);
    expect(nsec).toBeGreaterThan(999_999); // really nanoseconds, not microseconds
    expect(records[0].data.length).toBe(raw.readUInt32BE(32));
  });

  it('reads a pcapng with 11 interfaces of link types 1, 0 and 12', async () => {
    const { records, summary } = await read(`${capturesDir}pcpp__many_interfaces-1.pcapng`);
    expect(summary.format).toBe('pcapng');
    expect(summary.interfaces).toHaveLength(11);
    expect([...summary.linkTypes].sort((a, b) => a - b)).toEqual([0, 1, 12]);
    expect(records).toHaveLength(64);
    const used = new Set(records.map((r) => r.interfaceId));
    for (const id of used) expect(records.find((r) => r.interfaceId === id)?.linkType).toBe(summary.interfaces[id].linkType);
    for (const r of records) expect(r.linkType).toBe(summary.interfaces[r.interfaceId].linkType);
  });

  it('reads the pcapng example file', async () => {
    const { records, summary } = await read(`${capturesDir}pcpp__pcapng-example.pcapng`);
    expect(summary.format).toBe('pcapng');
    expect(records).toHaveLength(159);
    expect(summary.error).toBeNull();
    for (let i = 1; i < records.length; i++) expect(records[i].frame).toBe(records[i - 1].frame + 1);
    expect(summary.firstTime).toBeGreaterThan(1e9);
  });

  it('reads a gzip-compressed pcap transparently', async () => {
    const path = `${capturesDir}zeek__tls-fragmented-handshake.pcap.gz`;
    const { records, summary } = await read(path);
    expect(summary.gzip).toBe(true);
    expect(summary.format).toBe('pcap');
    expect(records).toHaveLength(416);
    const plain = decode(gunzipSync(readFileSync(path)));
    expect(fingerprint(records)).toEqual(fingerprint(plain.records));
  });

  it('keeps the 6 records before a damaged record header', async () => {
    const { records, summary } = await read(`${capturesDir}sv__bug-1450-04__tls_DER-incomplete-header.pcap`);
    expect(records).toHaveLength(6);
    expect(summary.packets).toBe(6);
    expect(summary.truncated).toBe(true);
    expect(summary.error).toMatch(/^damaged record header at byte \d+: caplen \d+ exceeds 262144$/);
  });

  it('gives the same records in any chunking', () => {
    for (const name of captureNames()) {
      let bytes = readFileSync(`${capturesDir}${name}`);
      if (name.endsWith('.gz')) bytes = gunzipSync(bytes);
      const whole = decode(bytes);
      const expected = fingerprint(whole.records);
      for (const size of [1, 7, 4096]) {
        if (size === 1 && bytes.length > 100_000) continue;
        const split = decodeInChunks(bytes, size);
        expect(fingerprint(split.records), `${name} in ${size}-byte chunks`).toEqual(expected);
        expect(split.summary).toEqual(whole.summary);
      }
    }
  });
});

interface ParserResult {
  rejected: boolean;
  headers: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }[];
  data: Buffer[];
}

function parseWithPcapParser(path: string): Promise<ParserResult> {
  return new Promise((resolve) => {
    const result: ParserResult = { rejected: false, headers: [], data: [] };
    const parser = pcapParser.parse(path);
    parser.on('packetHeader', (h) => result.headers.push({ ...h }));
    parser.on('packetData', (d) => result.data.push(Buffer.from(d)));
    parser.on('error', () => {
      result.rejected = true;
    });
    parser.on('end', () => resolve(result));
  });
}

function isClassicMicrosecondPcap(path: string): boolean {
  const head = readFileSync(path).subarray(0, 4).toString('hex');
  return head === 'd4c3b2a1' || head === 'a1b2c3d4';
}

describe.skipIf(!haveCorpus)('differential: pcap-parser on classic microsecond pcaps', () => {
  const names = captureNames().filter((n) => !n.endsWith('.gz') && isClassicMicrosecondPcap(`${capturesDir}${n}`));

  it('covers most of the corpus', () => {
    expect(names.length).toBeGreaterThan(40);
  });

  it.each(names)('%s', async (name) => {
    const path = `${capturesDir}${name}`;
    const theirs = await parseWithPcapParser(path);
    if (theirs.rejected) return;
    const { records } = await read(path);
    expect(records.length).toBe(theirs.data.length);
    records.forEach((r, i) => {
      const h = theirs.headers[i];
      expect(r.time).toBe(h.timestampSeconds + h.timestampMicroseconds / 1e6);
      expect(r.data.length).toBe(h.capturedLength);
      expect(r.originalLength).toBe(h.originalLength);
      expect(r.data.equals(theirs.data[i])).toBe(true);
    });
  });
});

describe.skipIf(!existsSync(malformedDir))('malformed corpus', () => {
  const names = existsSync(malformedDir) ? readdirSync(malformedDir).filter((n) => n !== 'MANIFEST.md').sort() : [];

  it('has the 398 files', () => {
    expect(names).toHaveLength(398);
  });

  it('never throws, always finishes, same result in any chunking, bounded buffering', async () => {
    const limits = { maxRecordBytes: 1024 * 1024 };
    for (const name of names) {
      const bytes = readFileSync(`${malformedDir}${name}`);
      const whole = decode(bytes, [], limits);
      expect(whole.summary.packets, name).toBe(whole.records.length);
      if (whole.summary.format === null) expect(whole.summary.error, name).not.toBeNull();
      if (whole.summary.truncated) expect(whole.summary.error, name).not.toBeNull();
      if (whole.summary.error !== null) expect(whole.summary.error, name).not.toContain('\n');
      const expected = fingerprint(whole.records);
      for (const size of [1, 13, 65536]) {
        if (size === 1 && bytes.length > 50_000) continue;
        const split = decodeInChunks(bytes, size, limits);
        expect(fingerprint(split.records), `${name} in ${size}-byte chunks`).toEqual(expected);
        expect(split.summary, `${name} in ${size}-byte chunks`).toEqual(whole.summary);
        expect(split.maxBuffered, name).toBeLessThanOrEqual(limits.maxRecordBytes + 24);
      }
      // Through the file reader as well (gzip detection, open, stream).
      const viaFile = await read(`${malformedDir}${name}`);
      if (!viaFile.summary.gzip) expect(viaFile.records.length, name).toBe(whole.records.length);
    }
  });
});
