import { describe, expect, it } from 'vitest';
import { sll, sll2 } from '../ip/testing/encode.js';
import { corpusFile, hasFile, readCapture } from '../ip/testing/pcap.js';
import { decodeSll, decodeSll2 } from './sll.js';

const IP = Buffer.from('4500', 'hex');

describe('decodeSll (LINKTYPE_LINUX_SLL)', () => {
  it('reads the protocol field as an EtherType after the 16-byte header', () => {
    const buf = sll({ protocol: 0x86dd }, IP);
    expect(decodeSll(buf, 0, buf.length)).toEqual({ kind: 'network', etherType: 0x86dd, offset: 16, vlanTags: 0 });
  });

  it('rejects Linux pseudo-protocols, netlink and 802.11', () => {
    let buf = sll({ protocol: 0x0004 }, IP);
    expect(decodeSll(buf, 0, buf.length).kind).toBe('unsupported');
    buf = sll({ hatype: 824, protocol: 0x0800 }, IP);
    expect(decodeSll(buf, 0, buf.length)).toEqual({ kind: 'unsupported', detail: 'netlink frame' });
    buf = sll({ hatype: 803, protocol: 0x0800 }, IP);
    expect(decodeSll(buf, 0, buf.length).kind).toBe('unsupported');
  });

  it('reports a short header', () => {
    const buf = sll({ protocol: 0x0800 }, IP).subarray(0, 15);
    expect(decodeSll(buf, 0, buf.length).kind).toBe('truncated');
  });
});

describe('decodeSll2 (LINKTYPE_LINUX_SLL2)', () => {
  it('reads the protocol field first and skips the 20-byte header', () => {
    const buf = sll2({ protocol: 0x0800, interfaceIndex: 3 }, IP);
    expect(decodeSll2(buf, 0, buf.length)).toEqual({ kind: 'network', etherType: 0x0800, offset: 20, vlanTags: 0 });
  });

  it('reports a short header and non-EtherType protocols', () => {
    const buf = sll2({ protocol: 0x0800 }, IP);
    expect(decodeSll2(buf, 0, 19).kind).toBe('truncated');
    const llc = sll2({ protocol: 0x0004 }, IP);
    expect(decodeSll2(llc, 0, llc.length).kind).toBe('unsupported');
  });
});

// Expected values from tshark 4.0 (frame.protocols) on the corpus files.
const CASES = [
  { file: 'captures/ndpi__KakaoTalk_chat.pcap', linkType: 113, frames: 347, etherType: 0x0800, offset: 16 },
  { file: 'malformed/zeek__linuxsll-arp.pcap', linkType: 113, frames: 12, etherType: 0x0806, offset: 16 },
  { file: 'captures/zeek__openjdk-25.0.2-zeek.org.pcap', linkType: 276, frames: 6, etherType: 0x0800, offset: 20 },
  { file: 'malformed/suricata__decode-sll2-01.pcap', linkType: 276, frames: 5, etherType: 0x0800, offset: 20 },
];

describe.each(CASES)('Linux cooked capture $file', ({ file, linkType, frames, etherType, offset }) => {
  const path = corpusFile(file);
  it.skipIf(!hasFile(path))(`gives EtherType 0x${etherType.toString(16)} at ${offset} in all ${frames} frames`, () => {
    const records = readCapture(path);
    expect(records).toHaveLength(frames);
    const decode = linkType === 113 ? decodeSll : decodeSll2;
    for (const r of records) {
      expect(r.linkType).toBe(linkType);
      expect(decode(r.data, 0, r.data.length)).toEqual({ kind: 'network', etherType, offset, vlanTags: 0 });
    }
  });
});

describe('SLL2 frame carrying LLC', () => {
  const path = corpusFile('malformed/pcapplusplus__Sll2PacketLLC.pcap');
  it.skipIf(!hasFile(path))('is not IP', () => {
    const [r] = readCapture(path);
    expect(decodeSll2(r.data, 0, r.data.length).kind).toBe('unsupported');
  });
});
