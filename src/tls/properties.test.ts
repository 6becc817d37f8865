import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAlert, decodeAlertRecord } from './alert.js';
import { decodeClientHello } from './client-hello.js';
import { decodeAlpn, decodeServerName, decodeSignatureAlgorithms, decodeSupportedVersions } from './extensions.js';
import { ja4 } from './ja4.js';
import { handshakeRecordAt, readRecordHeader, startsWithTls } from './record.js';
import { decodeServerHello } from './server-hello.js';
import { decodeSslv2ClientHello, sslv2HelloLength } from './sslv2.js';
import {
  alpnExtension,
  clientHelloRecord,
  encodeClientHelloBody,
  serverNameExtension,
  signatureAlgorithmsExtension,
  supportedVersionsExtension,
  type ExtensionSpec,
} from './testing/encode.js';
import { recordingReader } from './testing/reading.js';

const bytes = (max = 600) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const window = (buf: Buffer) =>
  fc.tuple(fc.integer({ min: -2, max: buf.length + 2 }), fc.integer({ min: -2, max: buf.length + 2 }));

describe('decoders never throw on arbitrary bytes', () => {
  it('every decoder', () => {
    fc.assert(
      fc.property(
        bytes().chain((buf) => fc.tuple(fc.constant(buf), window(buf), fc.boolean(), fc.option(fc.nat({ max: 1 << 24 })))),
        ([buf, [offset, end], complete, declared]) => {
          const hello = decodeClientHello(buf, offset, end, complete, declared === null ? {} : { declaredLength: declared });
          ja4(hello, 'tcp');
          ja4(decodeSslv2ClientHello(buf, offset, end), 'quic');
          sslv2HelloLength(buf, offset, end);
          decodeServerHello(buf, offset, end);
          decodeAlert(buf, offset, end);
          decodeAlertRecord(buf, offset, end);
          readRecordHeader(buf, offset, end);
          startsWithTls(buf, Math.max(0, offset), end);
          handshakeRecordAt(buf, Math.max(0, offset), end);
          const lo = Math.max(0, Math.min(offset, buf.length));
          const hi = Math.max(lo, Math.min(end, buf.length));
          decodeServerName(buf, lo, hi);
          decodeAlpn(buf, lo, hi);
          decodeSupportedVersions(buf, lo, hi);
          decodeSignatureAlgorithms(buf, lo, hi);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('a complete-hello decode of arbitrary bytes keeps its invariants', () => {
    fc.assert(
      fc.property(bytes(), (buf) => {
        const hello = decodeClientHello(buf, 0, buf.length, true);
        expect(hello.length).toBe(buf.length);
        expect(hello.serverName.status).not.toBe('unknown');
        if (hello.serverName.status === 'present') expect(hello.serverName.hex).not.toBeNull();
        else expect(hello.serverName.name).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });
});

type Op = { kind: 'push'; data: Buffer } | { kind: 'gap' } | { kind: 'end' } | { kind: 'stop' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: bytes(300).map((data): Op => ({ kind: 'push', data })) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'gap' }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'end' }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'stop' }) },
);

/** A valid hello record, then mutated: exercises the reader past its content checks. */
const tlsLike = fc
  .tuple(
    fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 20 }),
    fc.uint8Array({ minLength: 1, maxLength: 40 }),
    fc.array(fc.tuple(fc.nat({ max: 2000 }), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    bytes(200),
  )
  .map(([ciphers, name, mutations, trailer]) => {
    const record = clientHelloRecord({ cipherSuites: ciphers, extensions: [serverNameExtension([{ name: Buffer.from(name) }])] });
    for (const [at, value] of mutations) if (at < record.length) record[at] = value;
    return Buffer.concat([record, trailer]);
  });

describe('the stream reader never throws', () => {
  it('on arbitrary operations', () => {
    fc.assert(
      fc.property(fc.option(tlsLike), fc.array(op, { maxLength: 12 }), (start, ops) => {
        const { reader, recorded } = recordingReader({ maxHandshakeBytes: 1000, maxPrefixScanBytes: 500 });
        if (start !== null) reader.push(start, 0, 0);
        let frame = 1;
        let eventsWhenDone = -1;
        for (const o of ops) {
          if (reader.done && eventsWhenDone < 0) eventsWhenDone = recorded.events.length;
          if (o.kind === 'push') reader.push(o.data, frame++, frame);
          else if (o.kind === 'gap') reader.gap('lost');
          else if (o.kind === 'end') reader.end(frame, frame);
          else reader.stop();
        }
        if (eventsWhenDone >= 0) expect(recorded.events.length).toBe(eventsWhenDone);
        if (reader.state === 'not-tls') expect(reader.done).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });
});

describe('readers that share a limit on what they hold', () => {
  it('never hold more than it together, and give back all of it once done', () => {
    const step = fc.tuple(fc.nat({ max: 3 }), op);
    fc.assert(
      fc.property(fc.array(tlsLike, { minLength: 4, maxLength: 4 }), fc.nat({ max: 3000 }), fc.array(step, { maxLength: 30 }), (starts, max, steps) => {
        const held = { bytes: 0, givenUp: 0 };
        const readers = starts.map((start) => {
          const { reader } = recordingReader({ held, maxHeldBytes: max, maxHandshakeBytes: 1000 });
          // Half of each hello now, so that the readers hold records across pushes.
          reader.push(start.subarray(0, start.length >> 1), 0, 0);
          return reader;
        });
        let frame = 1;
        for (const [which, o] of steps) {
          const reader = readers[which]!;
          if (o.kind === 'push') reader.push(o.data, frame++, frame);
          else if (o.kind === 'gap') reader.gap('lost');
          else if (o.kind === 'end') reader.end(frame, frame);
          else reader.stop();
          expect(held.bytes).toBeGreaterThanOrEqual(0);
          expect(held.bytes).toBeLessThanOrEqual(max);
        }
        for (const reader of readers) reader.end(frame, frame);
        expect(held.bytes).toBe(0);
      }),
      { numRuns: 1500 },
    );
  });
});

const nameBytes = fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a));
const expectedText = (b: Buffer): string => (isUtf8(b) ? b.toString('utf8') : b.toString('latin1'));
const reserved = new Set([0, 13, 16, 43, 0xfe0d]);

const helloSpec = fc.record({
  legacyVersion: fc.integer({ min: 0, max: 0xffff }),
  random: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((a) => Buffer.from(a)),
  sessionId: fc.uint8Array({ maxLength: 32 }).map((a) => Buffer.from(a)),
  cipherSuites: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 200 }),
  others: fc.array(
    fc.record({
      type: fc.integer({ min: 0, max: 0xffff }).filter((t) => !reserved.has(t)),
      data: fc.uint8Array({ maxLength: 60 }).map((a) => Buffer.from(a)),
    }),
    { maxLength: 8 },
  ),
  sni: fc.option(nameBytes),
  alpn: fc.option(fc.array(fc.uint8Array({ minLength: 1, maxLength: 255 }).map((a) => Buffer.from(a)), { minLength: 1, maxLength: 5 })),
  versions: fc.option(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 20 })),
  algorithms: fc.option(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 40 })),
});

describe('encoder round trip', () => {
  it('decodeClientHello returns what was encoded', () => {
    fc.assert(
      fc.property(helloSpec, (spec) => {
        const extensions: ExtensionSpec[] = [...spec.others];
        if (spec.sni !== null) extensions.push(serverNameExtension([{ name: spec.sni }]));
        if (spec.alpn !== null) extensions.push(alpnExtension(spec.alpn));
        if (spec.versions !== null) extensions.push(supportedVersionsExtension(spec.versions));
        if (spec.algorithms !== null) extensions.push(signatureAlgorithmsExtension(spec.algorithms));
        const seen = new Set<number>();
        const unique = extensions.filter((e) => !seen.has(e.type) && seen.add(e.type));
        const body = encodeClientHelloBody({ ...spec, extensions: unique });
        fc.pre(body.length < 0x10000);
        const hello = decodeClientHello(body, 0, body.length, true);

        expect(hello.malformed).toBeNull();
        expect(hello.legacyVersion).toBe(spec.legacyVersion);
        expect(hello.random.equals(spec.random)).toBe(true);
        expect(hello.cipherSuites).toEqual(spec.cipherSuites);
        expect(hello.extensionTypes).toEqual(unique.map((e) => e.type));
        expect(hello.extensionLengths).toEqual(unique.map((e) => e.data.length));
        if (spec.sni === null) expect(hello.serverName).toEqual({ status: 'absent', name: null, hex: null });
        else expect(hello.serverName).toEqual({ status: 'present', name: expectedText(spec.sni), hex: spec.sni.toString('hex') });
        expect(hello.alpn).toEqual((spec.alpn ?? []).map(expectedText));
        expect(hello.alpnHex).toEqual((spec.alpn ?? []).map((a) => a.toString('hex')));
        expect(hello.supportedVersions).toEqual(spec.versions ?? []);
        expect(hello.signatureAlgorithms).toEqual(spec.algorithms ?? []);
      }),
      { numRuns: 500 },
    );
  });

  it('the stream reader gives the same hello for any split of the record', () => {
    fc.assert(
      fc.property(
        fc.record({ ciphers: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 50 }), sni: nameBytes }),
        fc.array(fc.nat(), { maxLength: 6 }),
        ({ ciphers, sni }, rawCuts) => {
          const spec = { cipherSuites: ciphers, extensions: [serverNameExtension([{ name: sni }])] };
          const record = clientHelloRecord(spec);
          const body = encodeClientHelloBody(spec);
          const cuts = [...new Set(rawCuts.map((c) => c % record.length))].sort((a, b) => a - b);
          const { reader, recorded } = recordingReader();
          let from = 0;
          cuts.forEach((cut, i) => {
            reader.push(record.subarray(from, cut), i + 1, 0);
            from = cut;
          });
          reader.push(record.subarray(from), cuts.length + 1, 0);
          expect(recorded.clientHellos.map((c) => c.hello)).toEqual([
            decodeClientHello(body, 0, body.length, true, { recordVersion: 0x0301 }),
          ]);
        },
      ),
      { numRuns: 500 },
    );
  });
});
