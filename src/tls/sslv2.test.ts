import { describe, expect, it } from 'vitest';
import { decodeSslv2ClientHello, sslv2HelloLength } from './sslv2.js';
import { sslv2ClientHello } from './testing/encode.js';
import { loadCapture } from './testing/corpus.js';

async function firstClientHello(capture: string): Promise<Buffer> {
  return Buffer.from((await loadCapture(capture)).clientHellos[0]!.data, 'hex');
}

describe('SSLv2-format ClientHello', () => {
  it('decodes a synthetic hello: TLS-mappable specs kept, challenge right-aligned', () => {
    const challenge = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) challenge[i] = i + 1;
    const record = sslv2ClientHello({ version: 0x0301, cipherSpecs: [0x010080, 0x000039, 0x0700c0, 0x00000a], challenge });
    expect(sslv2HelloLength(record, 0, record.length)).toBe(record.length);
    const hello = decodeSslv2ClientHello(record, 0, record.length);
    expect(hello).toMatchObject({
      format: 'sslv2',
      recordVersion: 0x0002,
      legacyVersion: 0x0301,
      cipherSuites: [0x0039, 0x000a],
      extensionTypes: [],
      extensionLengths: [],
      hasExtensionBlock: false,
      serverName: { status: 'absent', name: null, hex: null },
      complete: true,
      malformed: null,
      length: record.length - 2,
    });
    expect(hello.random.toString('hex')).toBe('00'.repeat(16) + challenge.toString('hex'));
  });

  it('zeek ssl-v2.pcap: SSL 2.0 only specs, no TLS suites', async () => {
    const data = await firstClientHello('zeek__ssl-v2.pcap');
    const hello = decodeSslv2ClientHello(data, 0, data.length);
    expect(hello).toMatchObject({ legacyVersion: 0x0002, cipherSuites: [], complete: true, malformed: null });
    expect(hello.serverName.status).toBe('absent');
  });

  it('arkime pppoe.pcap: SSLv3 offer in an SSLv2 record', async () => {
    const data = await firstClientHello('arkime__pppoe.pcap');
    const hello = decodeSslv2ClientHello(data, 0, data.length);
    expect(hello.legacyVersion).toBe(0x0300);
    expect(hello.cipherSuites).toHaveLength(11);
    expect(hello.cipherSuites).toContain(0x0004);
    expect(hello.malformed).toBeNull();
  });

  it('zeek ssl.v3.pcap: TLS 1.0 offer, with ciphers matching the later TLS hellos', async () => {
    const data = await firstClientHello('zeek__ssl.v3.pcap');
    const hello = decodeSslv2ClientHello(data, 0, data.length);
    expect(hello.legacyVersion).toBe(0x0301);
    expect(hello.cipherSuites).toContain(0x0039);
  });

  it('recognition is strict', () => {
    const record = sslv2ClientHello({ cipherSpecs: [0x000039] });
    expect(sslv2HelloLength(record, 0, 1)).toBe(0);
    expect(sslv2HelloLength(record, 0, 10)).toBe(0);
    const notHello = Buffer.from(record);
    notHello[2] = 4;
    expect(sslv2HelloLength(notHello, 0, notHello.length)).toBe(-1);
    const badLength = Buffer.from(record);
    badLength[1]! += 1;
    expect(sslv2HelloLength(badLength, 0, badLength.length)).toBe(-1);
    const badVersion = Buffer.from(record);
    badVersion[3] = 0x09;
    expect(sslv2HelloLength(badVersion, 0, badVersion.length)).toBe(-1);
    expect(sslv2HelloLength(Buffer.from('GET / HTTP/1.1\r\n'), 0, 16)).toBe(-1);
  });

  it('a cut record is reported incomplete', () => {
    const record = sslv2ClientHello({ cipherSpecs: [0x000039, 0x00002f] });
    const hello = decodeSslv2ClientHello(record, 0, 14);
    expect(hello.complete).toBe(false);
    expect(hello.cipherSuites).toEqual([0x0039]);
    expect(hello.malformed).toBe(`truncated after 12 of ${record.length - 2} bytes`);
    expect(decodeSslv2ClientHello(record, 0, 3).complete).toBe(false);
  });
});
