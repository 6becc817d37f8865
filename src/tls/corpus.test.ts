/**
 * Decoders and stream reader against tshark's answers for real captures of the shared corpus,
 * read at test time (see testing/corpus.ts).
 */
import { describe, expect, it } from 'vitest';
import { decodeClientHello } from './client-hello.js';
import { loadCapture } from './testing/corpus.js';
import { direction, feed, handshakeBody, readAll, recordingReader } from './testing/reading.js';
import type { ClientHello } from './types.js';

const hex = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

/** Captures whose ClientHellos are each decoded and compared with tshark's answer. */
const HELLO_CAPTURES = [
  'arkime__openssl-ssl3.pcap',
  'arkime__pppoe.pcap',
  'illustrated-tls13__capture.pcap',
  'ja4__browsers-x509.pcapng',
  'ja4__chrome-cloudflare-quic-with-secrets.pcapng',
  'ja4__https-connect.pcap',
  'ja4__ipv6.pcapng',
  'ja4__socks-https-example.pcap',
  'ja4__tls-sni.pcapng',
  'ja4__tls12.pcap',
  'ndpi__encrypted_sni.pcap',
  'ndpi__ossfuzz_seed_fake_traces_1.pcapng',
  'ndpi__tls-esni-fuzzed.pcap',
  'ndpi__tls_2_reasms.pcapng',
  'ndpi__tls_cipher_lens.pcap',
  'ndpi__tls_ech.pcapng',
  'pcpp__ssl-malformed1.pcap',
  'pcpp__tls_zero_size_ext.pcap',
  'zeek__chrome-1250-tls-x25519-kyber.pcap',
  'zeek__hrr.pcap',
  'zeek__ssl-v2.pcap',
  'zeek__ssl.v3.pcap',
  'zeek__tls13-ech.pcap',
];

/** Captures whose connections are run whole through the stream reader, segment by segment. */
const CONNECTION_CAPTURES = [
  'arkime__mysql-tls.pcap',
  'arkime__tls-split-client-hello.pcap',
  'ja4__https-connect.pcap',
  'ja4__socks-https-example.pcap',
  'ndpi__pgsql2.pcapng',
  'ndpi__smtp-starttls.pcap',
  'sv__tls-client-hello-frag-01__dump_mtu300.pcap',
  'zeek__hrr.pcap',
  'zeek__imap-starttls.pcap',
];

const helloCaptures = await Promise.all(HELLO_CAPTURES.map(loadCapture));
const helloCases = helloCaptures.flatMap(({ capture, clientHellos }) =>
  clientHellos.map((fixture) => ({ capture, frame: fixture.frame, fixture })),
);

describe('ClientHellos against tshark', () => {
  it('covers every ClientHello tshark lists', () => {
    expect(helloCases.length).toBeGreaterThan(90);
    // Every ClientHello tshark lists is found, in its frame and stream, and no other.
    for (const { capture, clientHellos, tsharkHellos } of helloCaptures) {
      const found = clientHellos.map((h) => `${capture} frame ${h.frame} stream ${h.stream}`);
      expect(found).toEqual(tsharkHellos.map((h) => `${capture} frame ${h.frame} stream ${h.stream}`));
    }
  });

  it.each(helloCases)('$capture frame $frame', ({ fixture }) => {
    const data = Buffer.from(fixture.data, 'hex');
    expect(fixture.expected).toBeDefined();
    const expected = fixture.expected!;
    const read = readAll(data);
    expect(read.clientHellos.length).toBeGreaterThanOrEqual(1);
    const hello: ClientHello = read.clientHellos[0]!.hello;

    if (!expected.sslv2Record) {
      const body = handshakeBody(data, 1)!;
      const direct = decodeClientHello(body, 0, body.length, true, { recordVersion: hello.recordVersion });
      expect(direct).toEqual(hello);
    }
    expect(hello.format).toBe(expected.sslv2Record ? 'sslv2' : 'tls');
    expect(hex(hello.recordVersion)).toBe(expected.recordVersion);
    expect(hex(hello.legacyVersion)).toBe(expected.handshakeVersion);
    expect(hello.complete).toBe(true);
    if (expected.sni !== null) {
      expect(hello.serverName.status).toBe('present');
      expect(hello.serverName.name).toBe(expected.sni);
    } else {
      expect(hello.serverName.status).not.toBe('present');
    }
    expect(hello.extensionTypes.includes(0)).toBe(expected.sniExtensionPresent);
    expect(hello.extensionTypes).toEqual(expected.extensionsReported ? expected.extensionTypes : []);
    expect(hello.supportedVersions.map(hex)).toEqual(expected.supportedVersions);
    expect(hello.encryptedClientHello).toBe(expected.echExtensionPresent);
  });
});

const loaded = new Map(helloCaptures.map((c) => [c.capture, c]));

function hellosOf(capture: string): ClientHello[] {
  return loaded.get(capture)!.clientHellos.map((f) => readAll(Buffer.from(f.data, 'hex')).clientHellos[0]!.hello);
}

describe('edge cases in the corpus', () => {
  it('SSLv2 hellos: format sslv2, SNI absent', () => {
    for (const capture of ['zeek__ssl-v2.pcap', 'arkime__pppoe.pcap']) {
      const [hello] = hellosOf(capture);
      expect(hello).toMatchObject({ format: 'sslv2', recordVersion: 0x0002, serverName: { status: 'absent' } });
    }
  });

  it('ossfuzz seed: a zero-length server_name is empty; an empty extension block has no SNI', () => {
    const [first, second] = hellosOf('ndpi__ossfuzz_seed_fake_traces_1.pcapng');
    expect(first!.serverName.status).toBe('empty');
    expect(first!.extensionTypes).toEqual([0]);
    expect(first!.extensionLengths).toEqual([0]);
    expect(second).toMatchObject({ hasExtensionBlock: true, extensionTypes: [], serverName: { status: 'absent' } });
  });

  it('pcpp ssl-malformed1: server_name present but undecodable', () => {
    const [hello] = hellosOf('pcpp__ssl-malformed1.pcap');
    expect(hello!.serverName.status).toBe('malformed');
    expect(hello!.malformed).toMatch(/^server_name: /);
  });

  it('pcpp tls_zero_size_ext: zero-length extensions are listed with length 0', () => {
    const [hello] = hellosOf('pcpp__tls_zero_size_ext.pcap');
    expect(hello!.extensionLengths.filter((length) => length === 0).length).toBeGreaterThan(0);
    expect(hello!.malformed).toBeNull();
  });

  it('ECH: outer SNI is the public name, flag set', () => {
    for (const capture of ['ndpi__tls_ech.pcapng', 'zeek__tls13-ech.pcap']) {
      for (const hello of hellosOf(capture)) {
        expect(hello.encryptedClientHello).toBe(true);
        expect(hello.serverName.status).toBe('present');
      }
    }
  });

  it('fuzzed ESNI and draft ESNI hellos: no server_name extension', () => {
    for (const capture of ['ndpi__tls-esni-fuzzed.pcap', 'ndpi__encrypted_sni.pcap']) {
      for (const hello of hellosOf(capture)) {
        expect(hello.serverName.status).toBe('absent');
        expect(hello.extensionTypes.includes(0xffce)).toBe(true);
      }
    }
  });

  it('inconsistent cipher-suite lengths', () => {
    const hellos = hellosOf('ndpi__tls_cipher_lens.pcap');
    expect(hellos.map((h) => h.serverName.status)).toEqual(['present', 'malformed', 'malformed', 'absent', 'malformed']);
    expect(hellos.map((h) => h.malformed)).toEqual([
      null,
      'cipher suites length 134 overruns the message (133 bytes left)',
      'odd cipher suites length 133',
      'no compression methods',
      'no cipher suites',
    ]);
  });
});

describe('stream reader on whole connections against tshark', () => {
  it.each(CONNECTION_CAPTURES)('%s', async (capture) => {
    const fixture = await loadCapture(capture);
    expect(fixture.tsharkHellos.length).toBeGreaterThan(0);
    const found: Array<{ frame: number; firstFrame: number; stream: number; srcPort: number; sni: string | null }> = [];
    const directions = new Map<string, [number, number]>();
    for (const s of fixture.segments) directions.set(`${s.stream}/${s.srcPort}`, [s.stream, s.srcPort]);
    for (const [stream, srcPort] of directions.values()) {
      const { reader, recorded } = recordingReader();
      feed(reader, direction(fixture.segments, stream, srcPort));
      reader.end(0, 0);
      expect(reader.state).toBe('tls');
      for (const { hello, at } of recorded.clientHellos) {
        expect(hello.complete).toBe(true);
        found.push({ frame: at.frame, firstFrame: at.firstFrame, stream, srcPort, sni: hello.serverName.name });
      }
    }
    const expected = fixture.tsharkHellos.map((h) => ({
      frame: h.frame,
      firstFrame: h.segmentFrames[0]!,
      stream: h.stream,
      srcPort: h.srcPort,
      sni: h.sni,
    }));
    const order = (a: { frame: number }, b: { frame: number }): number => a.frame - b.frame;
    expect(found.sort(order)).toEqual(expected.sort(order));
  });

  it('server sides: HelloRetryRequest then ServerHello after a ChangeCipherSpec', async () => {
    for (const capture of ['zeek__hrr.pcap', 'ndpi__pgsql2.pcapng']) {
      const fixture = await loadCapture(capture);
      const clientPort = fixture.tsharkHellos[0]!.srcPort;
      const serverPort = fixture.segments.find((s) => s.stream === 0 && s.srcPort !== clientPort)!.srcPort;
      const { reader, recorded } = recordingReader();
      feed(reader, direction(fixture.segments, 0, serverPort));
      expect(recorded.serverHellos.map((s) => s.hello.helloRetryRequest)).toEqual([true, false]);
      expect(reader.done).toBe(true); // application data followed
    }
  });
});
