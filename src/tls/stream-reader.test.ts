import { describe, expect, it } from 'vitest';
import { decodeClientHello } from './client-hello.js';
import { createTlsStreamReader, HELD_COPY_COST } from './stream-reader.js';
import {
  clientHelloRecord,
  encodeClientHelloBody,
  encodeServerHelloBody,
  handshakeMessage,
  records,
  serverNameExtension,
  sslv2ClientHello,
  type ClientHelloSpec,
} from './testing/encode.js';
import { loadCapture } from './testing/corpus.js';
import { handshakeBody, recordingReader } from './testing/reading.js';
import type { ClientHello } from './types.js';

const realHello = Buffer.from((await loadCapture('ja4__tls12.pcap')).clientHellos[0]!.data, 'hex');
const realBody = handshakeBody(realHello, 1)!;
const expectedHello = decodeClientHello(realBody, 0, realBody.length, true, { recordVersion: 0x0301 });

/** Pushes `data` cut at `cuts`, piece i as frame i + 1; returns what was reported. */
function pushPieces(data: Buffer, cuts: number[], limits?: Parameters<typeof createTlsStreamReader>[1]) {
  const { reader, recorded } = recordingReader(limits);
  let from = 0;
  let frame = 1;
  for (const cut of [...cuts, data.length]) {
    reader.push(data.subarray(from, cut), frame, frame * 10);
    from = cut;
    frame++;
  }
  return { reader, recorded };
}

/** A cheap exact comparison key for a decoded hello. */
function summary(hello: ClientHello): string {
  return JSON.stringify({ ...hello, random: hello.random.toString('hex') });
}

function frameOf(cuts: number[], offset: number): number {
  return cuts.filter((c) => c <= offset).length + 1;
}

const smtpPreamble = Buffer.from(
  '220 mail.example ESMTP\r\n250-mail.example\r\n250-STARTTLS\r\n250 8BITMIME\r\n220 2.0.0 Ready to start TLS\r\n',
);

describe('splitting', () => {
  it('the same ClientHello whatever the split into two pushes', () => {
    for (let cut = 1; cut < realHello.length; cut++) {
      const { reader, recorded } = pushPieces(realHello, [cut]);
      expect(recorded.clientHellos).toHaveLength(1);
      const { hello, at } = recorded.clientHellos[0]!;
      expect(hello).toEqual(expectedHello);
      expect(at).toEqual({ frame: 2, firstFrame: 1, time: 20 });
      expect(reader.state).toBe('tls');
    }
  });

  it('the same ClientHello whatever the split into three pushes (after a STARTTLS preamble)', () => {
    const data = Buffer.concat([smtpPreamble, realHello]);
    const start = smtpPreamble.length;
    const want = summary(expectedHello);
    const wrong: string[] = [];
    for (let a = 1; a < data.length; a += 2) {
      for (let b = a + 1; b < data.length; b += 5) {
        const cuts = [a, b];
        const { recorded } = pushPieces(data, cuts);
        const got = recorded.clientHellos.map(({ hello, at }) => ({ hello: summary(hello), at }));
        const ok =
          got.length === 1 &&
          got[0]!.hello === want &&
          got[0]!.at.firstFrame === frameOf(cuts, start) &&
          got[0]!.at.frame === frameOf(cuts, data.length - 1);
        if (!ok) wrong.push(`${a},${b}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('one byte per push', () => {
    for (const data of [realHello, Buffer.concat([smtpPreamble, realHello])]) {
      const cuts = Array.from({ length: data.length - 1 }, (_, i) => i + 1);
      const { recorded } = pushPieces(data, cuts);
      expect(recorded.clientHellos.map((c) => c.hello)).toEqual([expectedHello]);
      expect(recorded.clientHellos[0]!.at).toMatchObject({ frame: data.length, firstFrame: data.length - realHello.length + 1 });
    }
  });

  it('a hello fragmented over records, records split over pushes', () => {
    const body = encodeClientHelloBody({ cipherSuites: [0x1301], extensions: [serverNameExtension([{ name: Buffer.from('frag.example') }])] });
    const data = records(22, handshakeMessage(1, body), 0x0301, 17);
    const expected = decodeClientHello(body, 0, body.length, true, { recordVersion: 0x0301 });
    for (let cut = 1; cut < data.length; cut++) {
      const { recorded } = pushPieces(data, [cut]);
      expect(recorded.clientHellos.map((c) => c.hello)).toEqual([expected]);
      expect(recorded.clientHellos[0]!.at).toEqual({ frame: 2, firstFrame: 1, time: 20 });
    }
  });

  it('several messages in one record; positions use the record that completes each', () => {
    const sh = handshakeMessage(2, encodeServerHelloBody({ cipherSuite: 0xc02f }));
    const certificate = handshakeMessage(11, Buffer.alloc(3000, 0x30));
    const done = handshakeMessage(14, Buffer.alloc(0));
    const data = Buffer.concat([
      records(22, Buffer.concat([sh, certificate.subarray(0, 100)]), 0x0303),
      records(22, Buffer.concat([certificate.subarray(100), done]), 0x0303),
      records(21, Buffer.from([1, 0]), 0x0303),
    ]);
    const { reader, recorded } = pushPieces(data, [10, 200, 3000]);
    expect(recorded.events.map((e) => e.kind)).toEqual(['serverHello', 'alert']);
    expect(recorded.serverHellos[0]!.at).toMatchObject({ frame: 2, firstFrame: 1 });
    expect(recorded.alerts[0]).toEqual({ alert: { level: 1, description: 0 }, at: { frame: 4, firstFrame: 4, time: 40 } });
    expect(reader.done).toBe(false);
  });

  it('does not keep references to pushed buffers', () => {
    const { reader, recorded } = recordingReader();
    const scratch = Buffer.alloc(realHello.length);
    realHello.copy(scratch, 0, 0, 100);
    reader.push(scratch.subarray(0, 100), 1, 1);
    scratch.fill(0xee);
    realHello.copy(scratch, 0, 100);
    reader.push(scratch.subarray(0, realHello.length - 100), 2, 2);
    expect(recorded.clientHellos.map((c) => c.hello)).toEqual([expectedHello]);
  });
});

describe('finding TLS', () => {
  it.each([
    ['SMTP STARTTLS', smtpPreamble],
    ['HTTP CONNECT', Buffer.from('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')],
    ['SOCKS5', Buffer.from('050100050100030b6578616d706c652e636f6d01bb', 'hex')],
    ['MySQL SSL request', Buffer.from('200000010fa20e00ffffff002100000000000000000000000000000000000000000000', 'hex')],
    ['PostgreSQL SSLRequest', Buffer.from('0000000804d2162f', 'hex')],
  ])('after a %s preamble', (_label, preamble) => {
    const { reader, recorded } = pushPieces(Buffer.concat([preamble, realHello]), [preamble.length]);
    expect(reader.state).toBe('tls');
    expect(recorded.clientHellos.map((c) => c.hello)).toEqual([expectedHello]);
    expect(recorded.clientHellos[0]!.at.firstFrame).toBe(2);
  });

  it('a ServerHello after a preamble', () => {
    const sh = records(22, handshakeMessage(2, encodeServerHelloBody({ cipherSuite: 0x1301, sessionId: Buffer.alloc(32, 1) })), 0x0303);
    const { reader, recorded } = pushPieces(Buffer.concat([Buffer.from('S'), sh]), []);
    expect(reader.state).toBe('tls');
    expect(recorded.serverHellos).toHaveLength(1);
  });

  it('a stream that starts mid-connection with application data: TLS, done', () => {
    const { reader, recorded } = pushPieces(records(23, Buffer.alloc(40, 9), 0x0303), []);
    expect(reader.state).toBe('tls');
    expect(reader.done).toBe(true);
    expect(recorded.events).toEqual([]);
  });

  it('HTTP is not TLS: decided after the scan limit', () => {
    const request = Buffer.from('GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: test\r\n\r\n');
    const { reader, recorded } = recordingReader();
    let frame = 1;
    while (!reader.done) reader.push(request, frame++, 0);
    expect(reader.state).toBe('not-tls');
    expect(frame - 1).toBe(Math.ceil((16 * 1024) / request.length));
    expect(recorded.events).toEqual([]);
  });

  it('a short plaintext stream is not TLS at its end', () => {
    const { reader } = recordingReader();
    reader.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'), 1, 0);
    expect(reader.state).toBe('unknown');
    reader.end(2, 0);
    expect(reader.state).toBe('not-tls');
    expect(reader.done).toBe(true);
  });

  it('a hello past the scan limit is not looked for', () => {
    const { reader, recorded } = pushPieces(Buffer.concat([Buffer.alloc(300, 0x41), realHello]), [], { maxPrefixScanBytes: 256 });
    expect(reader.state).toBe('not-tls');
    expect(recorded.events).toEqual([]);
  });

  it('strict: look-alike bytes in plaintext do not start TLS', () => {
    const decoys = [
      Buffer.from('160301', 'hex'), // record header start, then text
      Buffer.from('1603010030010000200303', 'hex'), // handshake length does not cover the record (0x20 + 4 < 0x30)
      Buffer.from('1603010100020000fc0909', 'hex'), // bad hello version
      Buffer.from('16030100fc030000f80303', 'hex'), // handshake type 3
    ];
    for (const decoy of decoys) {
      const { reader } = pushPieces(Buffer.concat([Buffer.from('x'), decoy, Buffer.alloc(200, 0x20)]), []);
      reader.end(9, 0);
      expect(reader.state).toBe('not-tls');
    }
  });

  it('pseudo-random binary data is not TLS', () => {
    let x = 0x12345678;
    const data = Buffer.alloc(64 * 1024);
    for (let i = 0; i < data.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      data[i] = x & 0xff;
    }
    data[0] = 0x42;
    const { reader } = pushPieces(data, []);
    expect(reader.state).toBe('not-tls');
  });

  it('an SSLv2-format hello, then TLS records', () => {
    const v2 = sslv2ClientHello({ cipherSpecs: [0x000039, 0x010080], challenge: Buffer.alloc(32, 5) });
    const data = Buffer.concat([v2, records(21, Buffer.from([2, 40]), 0x0301)]);
    for (let cut = 1; cut < data.length; cut++) {
      const { reader, recorded } = pushPieces(data, [cut]);
      expect(reader.state).toBe('sslv2');
      expect(recorded.events.map((e) => e.kind)).toEqual(['clientHello', 'alert']);
      expect(recorded.clientHellos[0]!.hello).toMatchObject({ format: 'sslv2', cipherSuites: [0x0039], complete: true });
      expect(recorded.clientHellos[0]!.at).toMatchObject({ firstFrame: 1, frame: cut >= v2.length ? 1 : 2 });
    }
  });
});

describe('limits', () => {
  it('a 16 MB handshake length: ClientHello reported from the first record, then done', () => {
    const body = encodeClientHelloBody({
      cipherSuites: [0x1301],
      extensions: [serverNameExtension([{ name: Buffer.from('huge.example') }]), { type: 21, data: Buffer.alloc(60000) }],
    });
    const header = Buffer.from([1, 0xff, 0xff, 0xff]);
    const data = records(22, Buffer.concat([header, body]), 0x0301);
    const { reader, recorded } = recordingReader();
    reader.push(data.subarray(0, 10_000), 1, 0);
    expect(recorded.clientHellos).toHaveLength(0);
    reader.push(data.subarray(10_000, 20_000), 2, 0);
    expect(reader.done).toBe(true);
    const [{ hello, at }] = recorded.clientHellos as [(typeof recorded.clientHellos)[0]];
    expect(hello).toMatchObject({
      complete: false,
      length: 0xffffff,
      malformed: 'handshake length 16777215 exceeds limit',
      serverName: { status: 'present', name: 'huge.example' },
    });
    expect(at).toMatchObject({ frame: 2, firstFrame: 1 });
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1000; i++) reader.push(data.subarray(20_000, 60_000), 3 + i, 0);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(8 * 1024 * 1024);
    expect(recorded.clientHellos).toHaveLength(1);
  });

  it('maxHandshakeBytes applies to the declared length', () => {
    const { reader, recorded } = pushPieces(realHello, [], { maxHandshakeBytes: 100 });
    expect(reader.done).toBe(true);
    expect(recorded.clientHellos[0]!.hello).toMatchObject({
      complete: false,
      malformed: `handshake length ${realBody.length} exceeds limit`,
      serverName: { status: 'present', name: 'contile.services.mozilla.com' },
    });
  });

  it('large messages other than hellos are skipped, not buffered', () => {
    const sh = handshakeMessage(2, encodeServerHelloBody({ cipherSuite: 0xc02f }));
    const certificate = handshakeMessage(11, Buffer.alloc(1_000_000, 0x30));
    const data = Buffer.concat([records(22, Buffer.concat([sh, certificate]), 0x0303), records(21, Buffer.from([2, 42]), 0x0303)]);
    const { reader, recorded } = pushPieces(data, [5000, 600_000], { maxHandshakeBytes: 1000 });
    expect(recorded.events.map((e) => e.kind)).toEqual(['serverHello', 'alert']);
    expect(reader.done).toBe(false);
  });
});

describe('the limit readers share on what they hold', () => {
  const spec: ClientHelloSpec = {
    cipherSuites: [0x1301, 0x1302],
    extensions: [serverNameExtension([{ name: Buffer.from('held.example') }]), { type: 21, data: Buffer.alloc(3000) }],
  };
  const data = clientHelloRecord(spec);
  const bodyLength = data.length - 9;

  it('a record that straddles pushes is counted while it is held, and given back once whole', () => {
    const held = { bytes: 0, givenUp: 0 };
    const { reader, recorded } = recordingReader({ held });
    reader.push(data.subarray(0, 1000), 1, 0);
    expect(held.bytes).toBe(data.length + HELD_COPY_COST);
    reader.push(data.subarray(1000), 2, 0);
    expect(held.bytes).toBe(0);
    expect(recorded.clientHellos[0]!.hello).toMatchObject({ complete: true, serverName: { name: 'held.example' } });
  });

  it('the reader whose record would pass the limit reports what arrived, cut short, and reads no more', () => {
    const held = { bytes: 0, givenUp: 0 };
    const max = data.length + HELD_COPY_COST + 100;
    const first = recordingReader({ held, maxHeldBytes: max });
    first.reader.push(data.subarray(0, 1000), 1, 0);
    const second = recordingReader({ held, maxHeldBytes: max });
    second.reader.push(data.subarray(0, 1000), 7, 0.7);
    expect(second.reader.done).toBe(true);
    expect(held).toEqual({ bytes: data.length + HELD_COPY_COST, givenUp: 1 });
    expect(second.recorded.clientHellos).toHaveLength(1);
    const { hello, at } = second.recorded.clientHellos[0]!;
    expect(hello).toMatchObject({
      complete: false,
      length: bodyLength,
      malformed: `truncated by the limit on bytes held for handshakes after ${1000 - 9} of ${bodyLength} bytes`,
      serverName: { status: 'present', name: 'held.example' },
    });
    expect(at).toEqual({ frame: 7, firstFrame: 7, time: 0.7 });
    second.reader.push(data.subarray(1000), 8, 0);
    expect(second.recorded.events).toHaveLength(1);
    // The first reader is not disturbed, and gives back what it held.
    first.reader.push(data.subarray(1000), 2, 0);
    expect(first.recorded.clientHellos[0]!.hello.complete).toBe(true);
    expect(held.bytes).toBe(0);
  });

  it('a record header split between pushes: the record is given up from its copied header', () => {
    const held = { bytes: 0, givenUp: 0 };
    const { reader, recorded } = recordingReader({ held, maxHeldBytes: 100 });
    reader.push(data.subarray(0, 3), 1, 0);
    reader.push(data.subarray(3, 1000), 2, 0);
    expect(held).toEqual({ bytes: 0, givenUp: 1 });
    expect(recorded.clientHellos[0]!.hello).toMatchObject({ complete: false, serverName: { status: 'present', name: 'held.example' } });
  });

  it('a hello over several records: its copies count, each with its cost, and passing the limit reports them', () => {
    const fragmented = records(22, handshakeMessage(1, encodeClientHelloBody(spec)), 0x0301, 500);
    const held = { bytes: 0, givenUp: 0 };
    const { reader, recorded } = recordingReader({ held, maxHeldBytes: 2000 });
    reader.push(fragmented.subarray(0, 505 * 2), 1, 0);
    expect(held.bytes).toBe(1000 - 4 + 2 * HELD_COPY_COST);
    expect(recorded.clientHellos).toHaveLength(0);
    reader.push(fragmented.subarray(505 * 2, 505 * 3), 2, 0);
    expect(reader.done).toBe(true);
    expect(held).toEqual({ bytes: 0, givenUp: 1 });
    expect(recorded.clientHellos[0]!.hello).toMatchObject({
      complete: false,
      malformed: `truncated by the limit on bytes held for handshakes after ${1500 - 4} of ${bodyLength} bytes`,
      serverName: { status: 'present', name: 'held.example' },
    });
  });

  it('a hello in one-byte records: each copy counts its cost, so their number is bounded too', () => {
    const message = handshakeMessage(1, encodeClientHelloBody(spec));
    // The first record holds the start of the hello; then one byte per record.
    const data = Buffer.concat([records(22, message.subarray(0, 60), 0x0301), records(22, message.subarray(60), 0x0301, 1)]);
    const held = { bytes: 0, givenUp: 0 };
    const { reader, recorded } = recordingReader({ held, maxHeldBytes: 100 * HELD_COPY_COST });
    reader.push(data, 1, 0);
    expect(reader.done).toBe(true);
    expect(held).toEqual({ bytes: 0, givenUp: 1 });
    // The first part, then one byte per copy until the copies' cost passed the limit.
    expect(recorded.clientHellos[0]!.hello.malformed).toMatch(/^truncated by the limit on bytes held for handshakes after (\d+) of/);
    const got = Number(/after (\d+) of/.exec(recorded.clientHellos[0]!.hello.malformed ?? '')![1]);
    expect(got).toBeGreaterThan(56 + 90);
    expect(got).toBeLessThan(56 + 100);
  });

  it('a reader that stops or ends gives back what it held', () => {
    for (const finish of ['stop', 'end', 'gap'] as const) {
      const held = { bytes: 0, givenUp: 0 };
      const { reader } = recordingReader({ held });
      reader.push(data.subarray(0, 1000), 1, 0);
      expect(held.bytes).toBeGreaterThan(0);
      if (finish === 'stop') reader.stop();
      else if (finish === 'end') reader.end(2, 0);
      else reader.gap('lost');
      expect(held.bytes).toBe(0);
    }
  });
});

describe('gaps and the end of the stream', () => {
  const spec: ClientHelloSpec = {
    cipherSuites: [0x1301, 0x1302],
    extensions: [
      { type: 23, data: Buffer.alloc(0) },
      serverNameExtension([{ name: Buffer.from('partial.example') }]),
      { type: 21, data: Buffer.alloc(600) },
    ],
  };
  const data = clientHelloRecord(spec);
  const bodyLength = data.length - 9;
  const sniEnd = 9 + 2 + 32 + 1 + 2 + 4 + 2 + 2 + 4 + 4 + 5 + 'partial.example'.length;

  it('gap after the SNI: reported from the prefix with the SNI', () => {
    const { reader, recorded } = recordingReader();
    reader.push(data.subarray(0, 100), 5, 0.5);
    reader.push(data.subarray(100, 300), 6, 0.6);
    reader.gap('lost');
    expect(reader.done).toBe(true);
    expect(recorded.clientHellos).toHaveLength(1);
    const { hello, at } = recorded.clientHellos[0]!;
    expect(hello).toMatchObject({
      complete: false,
      length: bodyLength,
      malformed: `truncated by a lost segment after ${300 - 9} of ${bodyLength} bytes`,
      serverName: { status: 'present', name: 'partial.example' },
    });
    expect(at).toEqual({ frame: 6, firstFrame: 5, time: 0.6 });
    reader.push(data.subarray(300), 7, 0);
    expect(recorded.events).toHaveLength(1);
  });

  it('cut before the SNI is complete: unknown', () => {
    for (const cut of [10, 40, sniEnd - 1]) {
      for (const finish of ['gap', 'snaplen', 'end'] as const) {
        const { reader, recorded } = recordingReader();
        reader.push(data.subarray(0, cut), 1, 0);
        if (finish === 'end') reader.end(2, 0);
        else reader.gap(finish === 'gap' ? 'lost' : 'snaplen');
        expect(recorded.clientHellos).toHaveLength(1);
        const { hello } = recorded.clientHellos[0]!;
        expect(hello.serverName.status).toBe('unknown');
        expect(hello.complete).toBe(false);
        const by = { gap: 'a lost segment', snaplen: 'the snap length', end: 'the end of the stream' }[finish];
        expect(hello.malformed).toBe(`truncated by ${by} after ${cut - 9} of ${bodyLength} bytes`);
      }
    }
  });

  it('cut exactly after the SNI: known', () => {
    const { reader, recorded } = recordingReader();
    reader.push(data.subarray(0, sniEnd), 1, 0);
    reader.end(2, 0);
    expect(recorded.clientHellos[0]!.hello.serverName).toMatchObject({ status: 'present', name: 'partial.example' });
  });

  it('a hello over two records, the second one cut', () => {
    const fragmented = records(22, handshakeMessage(1, encodeClientHelloBody(spec)), 0x0301, 50);
    const { reader, recorded } = recordingReader();
    reader.push(fragmented.subarray(0, 200), 1, 0);
    reader.end(2, 0);
    expect(recorded.clientHellos[0]!.hello).toMatchObject({ complete: false, serverName: { status: 'present' } });
  });

  it('nothing partial: a gap or the end just finishes', () => {
    for (const finish of ['gap', 'end'] as const) {
      const { reader, recorded } = pushPieces(realHello, []);
      if (finish === 'gap') reader.gap('lost');
      else reader.end(3, 0);
      expect(reader.done).toBe(true);
      expect(recorded.clientHellos).toHaveLength(1);
    }
  });

  it('only a record header or handshake type: nothing to report', () => {
    for (const cut of [3, 5, 7]) {
      const { reader, recorded } = recordingReader();
      reader.push(data.subarray(0, cut), 1, 0);
      reader.end(2, 0);
      expect(recorded.events).toEqual([]);
    }
  });

  it('a gap while still looking for TLS keeps looking', () => {
    const { reader, recorded } = recordingReader();
    reader.push(Buffer.from('220 ready\r\n'), 1, 0);
    reader.gap('lost');
    expect(reader.done).toBe(false);
    reader.push(realHello, 2, 0);
    expect(recorded.clientHellos).toHaveLength(1);
  });

  it('ndpi tls_missing_ch_frag: the captured first segment holds the SNI', async () => {
    const fixture = await loadCapture('ndpi__tls_missing_ch_frag.pcap');
    const first = fixture.segments.find((s) => s.frame === 2)!;
    const { reader, recorded } = recordingReader();
    reader.push(Buffer.from(first.payload, 'hex'), 2, 0);
    reader.gap('lost');
    expect(recorded.clientHellos[0]!.hello).toMatchObject({
      complete: false,
      serverName: { status: 'present', name: 'r1---sn-5f5nxgvh5o-hjul.googlevideo.com' },
    });
    expect(recorded.clientHellos[0]!.at).toMatchObject({ frame: 2, firstFrame: 2 });
  });
});

describe('after the hellos', () => {
  const sh = records(22, handshakeMessage(2, encodeServerHelloBody({ cipherSuite: 0xc02f })), 0x0303);

  it('ChangeCipherSpec then a second ClientHello (HelloRetryRequest flow) is still read', () => {
    const second = clientHelloRecord({ cipherSuites: [0x1301], extensions: [serverNameExtension([{ name: Buffer.from('b.example') }])] }, 0x0303);
    const data = Buffer.concat([realHello, records(20, Buffer.from([1]), 0x0303), second, records(23, Buffer.alloc(30), 0x0303)]);
    const { reader, recorded } = pushPieces(data, []);
    expect(recorded.clientHellos.map((c) => c.hello.serverName.name)).toEqual(['contile.services.mozilla.com', 'b.example']);
    expect(reader.done).toBe(true);
  });

  it('TLS 1.2: an encrypted Finished after ChangeCipherSpec ends the reading', () => {
    const finished = records(22, Buffer.from('0000000000000000a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829', 'hex'), 0x0303);
    const data = Buffer.concat([sh, records(20, Buffer.from([1]), 0x0303), finished, records(21, Buffer.alloc(26, 0x77), 0x0303)]);
    const { reader, recorded } = pushPieces(data, []);
    expect(recorded.events.map((e) => e.kind)).toEqual(['serverHello']);
    expect(reader.done).toBe(true);
  });

  it('plaintext alerts are reported, encrypted ones are not', async () => {
    const { recorded } = pushPieces(Buffer.concat([sh, records(21, Buffer.from([2, 40]), 0x0303)]), []);
    expect(recorded.alerts.map((a) => a.alert)).toEqual([{ level: 2, description: 40 }]);
    const sll2 = Buffer.from((await loadCapture('pcpp__sll2.pcap')).segments[0]!.payload, 'hex');
    const encrypted = pushPieces(sll2, []);
    expect(encrypted.reader.state).toBe('tls');
    expect(encrypted.recorded.events).toEqual([]);
  });

  it('application data ends the reading; later pushes are ignored', () => {
    const { reader, recorded } = pushPieces(Buffer.concat([sh, records(23, Buffer.alloc(100), 0x0303), sh]), []);
    expect(reader.done).toBe(true);
    expect(recorded.serverHellos).toHaveLength(1);
    reader.push(sh, 9, 0);
    expect(recorded.serverHellos).toHaveLength(1);
  });

  it('a broken record header ends the reading', () => {
    const { reader } = pushPieces(Buffer.concat([sh, Buffer.from('garbage!')]), []);
    expect(reader.done).toBe(true);
    expect(reader.state).toBe('tls');
  });
});

describe('stop', () => {
  it('stops immediately and drops buffers', () => {
    const { reader, recorded } = recordingReader();
    reader.push(realHello.subarray(0, 100), 1, 0);
    reader.stop();
    expect(reader.done).toBe(true);
    reader.push(realHello.subarray(100), 2, 0);
    reader.end(3, 0);
    expect(recorded.events).toEqual([]);
  });

  it('can be called from an event handler', () => {
    const seen: string[] = [];
    const reader = createTlsStreamReader({
      clientHello(hello) {
        seen.push(hello.serverName.name ?? '');
        reader.stop();
      },
      serverHello() {},
      alert() {},
    });
    reader.push(Buffer.concat([realHello, realHello]), 1, 0);
    expect(seen).toHaveLength(1);
    expect(reader.done).toBe(true);
  });
});

describe('limits of the scan', () => {
  it('a stream that starts with TLS is recognised even with no prefix scan at all', () => {
    const { reader, recorded } = pushPieces(realHello, [2], { maxPrefixScanBytes: 0 });
    expect(reader.state).toBe('tls');
    expect(recorded.clientHellos).toHaveLength(1);
    const other = pushPieces(Buffer.concat([Buffer.from('x'), realHello]), [], { maxPrefixScanBytes: 0 });
    expect(other.reader.state).toBe('not-tls');
  });
});
