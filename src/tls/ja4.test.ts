import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeClientHello } from './client-hello.js';
import { FingerprintCache, ja4, ja4Alpn, ja4Raw } from './ja4.js';
import { decodeSslv2ClientHello } from './sslv2.js';
import {
  alpnExtension,
  encodeClientHelloBody,
  serverNameExtension,
  signatureAlgorithmsExtension,
  supportedVersionsExtension,
  type ExtensionSpec,
} from './testing/encode.js';
import { readdirSync } from 'node:fs';
import { corpusPath, loadCapture } from './testing/corpus.js';
import { readAll } from './testing/reading.js';
import type { ClientHello } from './types.js';

// The worked example of the JA4 specification.
const SPEC_CIPHERS = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];
const SPEC_EXTENSIONS = [0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015];
const SPEC_SIGNATURE_ALGORITHMS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];

function specExtension(type: number): ExtensionSpec {
  switch (type) {
    case 0x0000:
      return serverNameExtension([{ name: Buffer.from('example.com') }]);
    case 0x0010:
      return alpnExtension([Buffer.from('h2'), Buffer.from('http/1.1')]);
    case 0x002b:
      return supportedVersionsExtension([0x0304, 0x0303]);
    case 0x000d:
      return signatureAlgorithmsExtension(SPEC_SIGNATURE_ALGORITHMS);
    default:
      return { type, data: Buffer.alloc(0) };
  }
}

function hello(ciphers: number[], extensions: ExtensionSpec[] | undefined, legacyVersion = 0x0303): ClientHello {
  const body = encodeClientHelloBody({ legacyVersion, cipherSuites: ciphers, extensions });
  return decodeClientHello(body, 0, body.length, true);
}

describe('ja4: the specification example', () => {
  const example = hello(SPEC_CIPHERS, SPEC_EXTENSIONS.map(specExtension));

  it('fingerprint and raw form', () => {
    expect(ja4(example, 'tcp')).toBe('t13d1516h2_8daaf6152771_e5627efa2ab1');
    expect(ja4Raw(example, 'tcp')).toBe(
      't13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_' +
        '0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601',
    );
    expect(ja4(example, 'quic').startsWith('q13d1516h2_')).toBe(true);
  });

  it('without signature algorithms the extension list is hashed alone', () => {
    const noAlgorithms = { ...example, signatureAlgorithms: [] };
    expect(ja4(noAlgorithms, 'tcp').endsWith('_6d807ffa2a79')).toBe(true);
  });

  it('GREASE is ignored everywhere', () => {
    const greased = hello(
      [0x0a0a, ...SPEC_CIPHERS, 0xfafa],
      [
        { type: 0x2a2a, data: Buffer.alloc(0) },
        ...SPEC_EXTENSIONS.map((t) => (t === 0x002b ? supportedVersionsExtension([0x3a3a, 0x0304, 0x0303]) : specExtension(t))),
        { type: 0xdada, data: Buffer.from([0]) },
      ],
    );
    expect(ja4(greased, 'tcp')).toBe('t13d1516h2_8daaf6152771_e5627efa2ab1');
  });
});

describe('ja4: parts', () => {
  it('ALPN: first and last characters, hex when not alphanumeric', () => {
    const cases: Array<[number[] | null, string]> = [
      [null, '00'],
      [[], '00'],
      [[0x68, 0x32], 'h2'],
      [[...Buffer.from('http/1.1')], 'h1'],
      [[0x68], 'hh'],
      [[0xab], 'ab'],
      [[0xab, 0xcd], 'ad'],
      [[0x30, 0xab], '3b'],
      [[0x30, 0x31, 0xab, 0xcd], '3d'],
      [[0x30, 0xab, 0xcd, 0x31], '01'],
      [[0x2f, 0x61], '21'],
    ];
    for (const [bytes, code] of cases) expect(ja4Alpn(bytes === null ? null : Buffer.from(bytes))).toBe(code);
  });

  it('ALPN from a decoded hello uses the raw bytes (invalid UTF-8 included)', () => {
    const h = hello([0x1301], [alpnExtension([Buffer.from([0xc3, 0x28, 0x41]), Buffer.from('h2')])]);
    expect(h.alpn[0]).toBe('\u00c3(A');
    expect(ja4(h, 'tcp').slice(8, 10)).toBe('c1');
    expect(ja4(hello([0x1301], [alpnExtension([])]), 'tcp').slice(8, 10)).toBe('00');
  });

  it('version: supported_versions, else the hello version', () => {
    const v = (h: ClientHello): string => ja4(h, 'tcp').slice(1, 3);
    expect(v(hello([1], undefined, 0x0303))).toBe('12');
    expect(v(hello([1], undefined, 0x0301))).toBe('10');
    expect(v(hello([1], undefined, 0x0300))).toBe('s3');
    expect(v(hello([1], undefined, 0x0305))).toBe('00');
    expect(v(hello([1], [supportedVersionsExtension([0x0303, 0x0302])], 0x0303))).toBe('12');
    expect(v(hello([1], [supportedVersionsExtension([0x1a1a])], 0x0302))).toBe('11');
    expect(v(hello([1], [supportedVersionsExtension([0x7f1c, 0x0304])], 0x0303))).toBe('00');
  });

  it("'d' when a server_name extension exists, even an empty one", () => {
    expect(ja4(hello([1], [serverNameExtension([{ name: Buffer.from('a') }])]), 'tcp')[3]).toBe('d');
    expect(ja4(hello([1], [{ type: 0, data: Buffer.alloc(0) }]), 'tcp')[3]).toBe('d');
    expect(ja4(hello([1], [{ type: 5, data: Buffer.alloc(0) }]), 'tcp')[3]).toBe('i');
  });

  it('counts are capped at 99; empty lists hash to zeros', () => {
    const many = Array.from({ length: 150 }, (_, i) => 0x0100 + i);
    const h = hello(many, many.map((type) => ({ type, data: Buffer.alloc(0) })));
    expect(ja4(h, 'tcp').slice(4, 8)).toBe('9999');
    expect(ja4(hello([], undefined), 'tcp')).toBe('t12i000000_000000000000_000000000000');
    const onlySniAndAlpn = hello([0x1301], [serverNameExtension([{ name: Buffer.from('x') }]), alpnExtension([Buffer.from('h2')])]);
    expect(ja4(onlySniAndAlpn, 'tcp')).toMatch(/^t12d0102h2_[0-9a-f]{12}_000000000000$/);
  });

  it('SSLv2-format hellos', async () => {
    const v2 = Buffer.from((await loadCapture('zeek__ssl-v2.pcap')).clientHellos[0]!.data, 'hex');
    expect(ja4(decodeSslv2ClientHello(v2, 0, v2.length), 'tcp')).toBe('ts2i000000_000000000000_000000000000');
    const v3 = Buffer.from((await loadCapture('zeek__ssl.v3.pcap')).clientHellos[0]!.data, 'hex');
    expect(ja4(decodeSslv2ClientHello(v3, 0, v3.length), 'tcp')).toMatch(/^t10i200000_[0-9a-f]{12}_000000000000$/);
  });
});

// The snapshots number TCP streams as default tshark does, where the SOCKS dissector numbers
// them differently; the corpus loader numbers connections by first appearance (as tshark does
// with heuristic dissectors first). Streams are numbered in order of appearance either way, so
// entries are paired by rank, and their ports must agree.
const snapshots = readdirSync(corpusPath('upstream-expected/ja4/'))
  .filter((f) => f.startsWith('ja4__insta@') && f.endsWith('.snap'))
  .map((f) => `ja4__${f.slice('ja4__insta@'.length, -'.snap'.length)}`)
  .sort();
const cases = (await Promise.all(snapshots.map(loadCapture))).flatMap((f) => {
  const upstream = f.upstreamJa4!.filter((u) => u.transport === 'tcp').sort((a, b) => a.stream - b.stream);
  const firstPerStream = [...new Map([...f.clientHellos].reverse().map((h) => [h.stream, h])).values()].sort(
    (a, b) => a.stream - b.stream,
  );
  expect(firstPerStream).toHaveLength(upstream.length);
  return upstream.map((u, rank) => ({ capture: f.capture, stream: u.stream, upstream: u, first: firstPerStream[rank]! }));
});

describe("ja4: FoxIO's expected values for the ja4 captures", () => {
  it('all TCP entries of the snapshots have a ClientHello', () => {
    expect(snapshots).toHaveLength(8);
    expect(cases.length).toBe(69);
  });

  it.each(cases)('$capture stream $stream', ({ upstream, first }) => {
    expect({ srcPort: first.srcPort, dstPort: first.dstPort }).toEqual({ srcPort: upstream.srcPort, dstPort: upstream.dstPort });
    // FoxIO's tool fingerprints the first ClientHello of each stream.
    const { clientHellos } = readAll(Buffer.from(first.data, 'hex'));
    const h = clientHellos[0]!.hello;
    expect(h.serverName.name ?? undefined).toBe(upstream.sni);
    expect(ja4(h, 'tcp')).toBe(upstream.ja4);
  });
});

describe('ja4: fingerprints remembered by their inputs', () => {
  /** JA4 from JA4_r: the two lists hashed (SHA-256, 12 hex digits; zeros for an empty list). */
  function fromRaw(raw: string): string {
    const [a, ciphers, ...rest] = raw.split('_');
    const extensions = rest.join('_');
    const h = (s: string) => (s === '' || s.startsWith('_') ? '000000000000' : createHash('sha256').update(s).digest('hex').slice(0, 12));
    return `${a}_${h(ciphers)}_${h(extensions)}`;
  }

  it('never answers with another hello\'s fingerprint: GREASE, shuffled extensions, ALPN and versions varied', () => {
    // Small pools: many hellos repeat one another's inputs, in another order or with one field changed.
    const cipher = fc.constantFrom(0x1301, 0x1302, 0xc02f, 0x0a0a, 0x002f);
    const extension = fc.oneof(
      fc.constant(serverNameExtension([{ name: Buffer.from('a.example') }])),
      fc.constantFrom('h2', 'http/1.1', 'h3', 'x').map((p) => alpnExtension([Buffer.from(p)])),
      fc.constantFrom([0x0304, 0x0303], [0x0303], [0x3a3a, 0x0304]).map((v) => supportedVersionsExtension([...v])),
      fc.constantFrom([0x0403, 0x0804], [0x0804, 0x0403], [0x0a0a]).map((v) => signatureAlgorithmsExtension([...v])),
      fc.constantFrom(0x0017, 0xff01, 0x1a1a, 0x0023).map((type) => ({ type, data: Buffer.alloc(0) })),
    );
    const hello = fc.record({
      legacyVersion: fc.constantFrom(0x0303, 0x0301),
      cipherSuites: fc.array(cipher, { maxLength: 6 }),
      extensions: fc.uniqueArray(extension, { maxLength: 6, selector: (e) => e.type }),
    });
    fc.assert(
      fc.property(fc.array(hello, { minLength: 1, maxLength: 40 }), (specs) => {
        // Caches where every input, or every input of one length, has the same hash, and a tiny one.
        const caches = [new FingerprintCache(4096, () => 7), new FingerprintCache(4096, (_, n) => n), new FingerprintCache(2)];
        for (const spec of specs) {
          const body = encodeClientHelloBody(spec);
          const decoded = decodeClientHello(body, 0, body.length, true);
          const expected = fromRaw(ja4Raw(decoded, 'tcp'));
          expect(ja4(decoded, 'tcp')).toBe(expected);
          for (const cache of caches) expect(ja4(decoded, 'tcp', cache)).toBe(expected);
        }
      }),
      { numRuns: 300 },
    );
  });
});
