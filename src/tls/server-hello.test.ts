import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HELLO_RETRY_REQUEST_RANDOM, decodeServerHello } from './server-hello.js';
import { encodeServerHelloBody, supportedVersionsExtension } from './testing/encode.js';
import { loadCapture } from './testing/corpus.js';
import { handshakeBody } from './testing/reading.js';

async function serverHellos(capture: string) {
  return (await loadCapture(capture)).serverHellos.map((m) => {
    const body = handshakeBody(Buffer.from(m.data, 'hex'), 2)!;
    return decodeServerHello(body, 0, body.length);
  });
}

describe('decodeServerHello', () => {
  it('the HelloRetryRequest random is SHA-256("HelloRetryRequest")', () => {
    expect(HELLO_RETRY_REQUEST_RANDOM.equals(createHash('sha256').update('HelloRetryRequest').digest())).toBe(true);
  });

  it('synthetic TLS 1.3 ServerHello and HelloRetryRequest', () => {
    const ext = { type: 43, data: Buffer.from([0x03, 0x04]) };
    const sh = encodeServerHelloBody({ cipherSuite: 0x1301, sessionId: Buffer.alloc(32), extensions: [ext] });
    expect(decodeServerHello(sh, 0, sh.length)).toEqual({ helloRetryRequest: false, legacyVersion: 0x0303, version: 0x0304, cipherSuite: 0x1301 });
    const hrr = encodeServerHelloBody({ cipherSuite: 0x1302, random: HELLO_RETRY_REQUEST_RANDOM, extensions: [ext] });
    expect(decodeServerHello(hrr, 0, hrr.length)?.helloRetryRequest).toBe(true);
  });

  it('TLS 1.2 without extensions, and a supported_versions of the wrong size is ignored', () => {
    const sh = encodeServerHelloBody({ legacyVersion: 0x0301, cipherSuite: 0x0005 });
    expect(decodeServerHello(sh, 0, sh.length)).toMatchObject({ version: 0x0301, cipherSuite: 0x0005 });
    const odd = encodeServerHelloBody({ cipherSuite: 0x1301, extensions: [supportedVersionsExtension([0x0304])] });
    expect(decodeServerHello(odd, 0, odd.length)?.version).toBe(0x0303);
  });

  it('too short for version, random and cipher suite: null', () => {
    const sh = encodeServerHelloBody({ cipherSuite: 0x1301, sessionId: Buffer.alloc(32) });
    expect(decodeServerHello(sh, 0, 2 + 32 + 1 + 32 + 2)).toBeNull();
    expect(decodeServerHello(Buffer.alloc(10), 0, 10)).toBeNull();
  });

  it('zeek hrr.pcap: HelloRetryRequest selecting TLS 1.3, then the ServerHello', async () => {
    // tshark 4.0 does not list the ServerHello: its segment (frame 11) arrived out of order.
    expect(await serverHellos('zeek__hrr.pcap')).toEqual([
      { helloRetryRequest: true, legacyVersion: 0x0303, version: 0x0304, cipherSuite: 0x1302 },
      { helloRetryRequest: false, legacyVersion: 0x0303, version: 0x0304, cipherSuite: 0x1302 },
    ]);
  });

  it('pgsql2.pcapng: HelloRetryRequest then ServerHello', async () => {
    const [hrr, sh] = await serverHellos('ndpi__pgsql2.pcapng');
    expect(hrr).toMatchObject({ helloRetryRequest: true, version: 0x0304 });
    expect(sh).toMatchObject({ helloRetryRequest: false, version: 0x0304 });
  });

  it('illustrated TLS 1.3 and 1.2 connections', async () => {
    expect(await serverHellos('illustrated-tls13__capture.pcap')).toEqual([
      { helloRetryRequest: false, legacyVersion: 0x0303, version: 0x0304, cipherSuite: 0x1302 },
    ]);
    expect(await serverHellos('illustrated-tls12__capture.pcap')).toEqual([
      { helloRetryRequest: false, legacyVersion: 0x0303, version: 0x0303, cipherSuite: 0xc013 },
    ]);
  });

  it('early TLS 1.3 draft layout (no session id, no compression)', () => {
    const body = Buffer.concat([
      Buffer.from([0x7f, 0x10]),
      Buffer.alloc(32, 1),
      Buffer.from([0x13, 0x01]),
      Buffer.from([0x00, 0x00]),
    ]);
    expect(decodeServerHello(body, 0, body.length)).toEqual({ helloRetryRequest: false, legacyVersion: 0x7f10, version: 0x7f10, cipherSuite: 0x1301 });
  });
});
