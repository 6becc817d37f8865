import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CORPUS_DIR, hasFile, readCapture, type TestRecord } from '../ip/testing/pcap.js';
import { decodeLink, isSupportedLinkType, supportedLinkTypes } from './index.js';
import type { LinkResult } from './types.js';

function checkResult(r: LinkResult, offset: number, end: number): void {
  if (r.kind === 'network') {
    expect(r.offset).toBeGreaterThanOrEqual(offset);
    expect(r.offset).toBeLessThanOrEqual(end);
    expect(Number.isInteger(r.etherType)).toBe(true);
    expect(r.etherType).toBeGreaterThanOrEqual(0);
    expect(r.etherType).toBeLessThanOrEqual(0xffff);
    expect(r.vlanTags).toBeGreaterThanOrEqual(0);
    if (r.end !== undefined) {
      expect(r.end).toBeGreaterThanOrEqual(r.offset);
      expect(r.end).toBeLessThanOrEqual(end);
    }
  } else {
    expect(['truncated', 'malformed', 'unsupported']).toContain(r.kind);
    expect(typeof r.detail).toBe('string');
  }
}

describe('decodeLink', () => {
  it('reports unknown link types as unsupported with the number', () => {
    const b = Buffer.alloc(64);
    expect(decodeLink(147, b, 0, b.length)).toEqual({ kind: 'unsupported', detail: 'link type 147' });
    expect(isSupportedLinkType(147)).toBe(false);
  });

  it('knows the documented link types', () => {
    expect(supportedLinkTypes()).toEqual([0, 1, 9, 10, 12, 14, 50, 51, 101, 104, 108, 113, 149, 192, 226, 228, 229, 239, 258, 276]);
  });

  it('decodes PPPoE without Ethernet (LINKTYPE_PPP_ETHER)', () => {
    const b = Buffer.from('110000010016002145', 'hex');
    expect(decodeLink(51, b, 0, b.length)).toEqual({ kind: 'network', etherType: 0x0800, offset: 8, vlanTags: 0 });
  });

  it('never throws and keeps offsets inside [offset, end] for arbitrary bytes', () => {
    const linkTypes = fc.constantFrom(...supportedLinkTypes(), 147, 65535);
    fc.assert(
      fc.property(linkTypes, fc.uint8Array({ maxLength: 96 }), fc.nat(8), fc.nat(8), (lt, bytes, pre, post) => {
        const buf = Buffer.alloc(pre + bytes.length + post, 0xa5);
        buf.set(bytes, pre);
        const end = pre + bytes.length;
        checkResult(decodeLink(lt, buf, pre, end), pre, end);
      }),
      { numRuns: 5000 },
    );
  });

  it('never throws on frames made of headers it knows', () => {
    // Bytes drawn from the values the decoders branch on, so deep paths get exercised.
    const interesting = fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x0f, 0x11, 0x1e, 0x21, 0x45, 0x57, 0x60, 0x81, 0x86, 0x88, 0x8f, 0x91, 0xa8, 0xaa, 0xdd, 0xff, 0x08, 0x64, 0x47, 0x40);
    fc.assert(
      fc.property(fc.constantFrom(...supportedLinkTypes()), fc.array(interesting, { maxLength: 80 }), (lt, bytes) => {
        const buf = Buffer.from(bytes);
        checkResult(decodeLink(lt, buf, 0, buf.length), 0, buf.length);
      }),
      { numRuns: 5000 },
    );
  });
});

function corpusRecords(): { name: string; records: TestRecord[] }[] {
  const out: { name: string; records: TestRecord[] }[] = [];
  for (const dir of ['captures', 'malformed']) {
    const path = CORPUS_DIR + dir;
    if (!hasFile(path)) continue;
    for (const name of readdirSync(path)) {
      if (!/\.(pcap|pcapng|cap|ntar)$/.test(name)) continue;
      let records: TestRecord[];
      try {
        records = readCapture(`${path}/${name}`);
      } catch {
        continue; // damaged container: the capture reader's problem, not this one's
      }
      out.push({ name: `${dir}/${name}`, records });
    }
  }
  return out;
}

describe('decodeLink over the whole corpus', () => {
  it.skipIf(!hasFile(CORPUS_DIR))('never throws and keeps offsets in the frame', () => {
    let frames = 0;
    for (const { records } of corpusRecords()) {
      for (const r of records) {
        frames++;
        checkResult(decodeLink(r.linkType, r.data, 0, r.data.length), 0, r.data.length);
      }
    }
    expect(frames).toBeGreaterThan(5000);
  });
});
