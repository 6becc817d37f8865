import { describe, expect, it } from 'vitest';
import { decodeClientHello } from './client-hello.js';
import {
  alpnExtension,
  encodeClientHelloBody,
  serverNameExtension,
  signatureAlgorithmsExtension,
  supportedVersionsExtension,
  type ClientHelloSpec,
  type ExtensionSpec,
} from './testing/encode.js';

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

function decode(spec: ClientHelloSpec) {
  const body = encodeClientHelloBody(spec);
  return decodeClientHello(body, 0, body.length, true);
}

function withExtensions(extensions: ExtensionSpec[] | undefined) {
  return decode({ cipherSuites: [0x1301, 0xc02f], extensions });
}

describe('decodeClientHello: fields', () => {
  it('decodes version, random, session id, ciphers and extensions', () => {
    const random = Buffer.alloc(32);
    for (let i = 0; i < 32; i++) random[i] = i;
    const body = encodeClientHelloBody({
      legacyVersion: 0x0303,
      random,
      sessionId: Buffer.alloc(32, 7),
      cipherSuites: [0x0a0a, 0x1301, 0x1302, 0xc02b],
      compressionMethods: [0],
      extensions: [
        serverNameExtension([{ name: ascii('example.com') }]),
        { type: 23, data: Buffer.alloc(0) },
        supportedVersionsExtension([0x2a2a, 0x0304, 0x0303]),
        signatureAlgorithmsExtension([0x0403, 0x0804, 0x0401]),
        alpnExtension([ascii('h2'), ascii('http/1.1')]),
        { type: 0xfe0d, data: Buffer.from([0, 1, 2]) },
      ],
    });
    const hello = decodeClientHello(body, 0, body.length, true, { recordVersion: 0x0301 });
    expect(hello).toMatchObject({
      format: 'tls',
      recordVersion: 0x0301,
      legacyVersion: 0x0303,
      cipherSuites: [0x0a0a, 0x1301, 0x1302, 0xc02b],
      hasExtensionBlock: true,
      serverName: { status: 'present', name: 'example.com', hex: ascii('example.com').toString('hex') },
      alpn: ['h2', 'http/1.1'],
      alpnHex: ['6832', '687474702f312e31'],
      supportedVersions: [0x2a2a, 0x0304, 0x0303],
      signatureAlgorithms: [0x0403, 0x0804, 0x0401],
      encryptedClientHello: true,
      complete: true,
      malformed: null,
      length: body.length,
    });
    expect(hello.extensionTypes).toEqual([0, 23, 43, 13, 16, 0xfe0d]);
    expect(hello.extensionLengths[1]).toBe(0);
    expect(hello.extensionLengths[5]).toBe(3);
    expect(hello.random.equals(random)).toBe(true);
    random[0] = 99;
    body[2] = 99;
    expect(hello.random[0]).toBe(0); // a copy
  });

  it('reads only inside [offset, end)', () => {
    const body = encodeClientHelloBody({ cipherSuites: [0x1301], extensions: [serverNameExtension([{ name: ascii('a.example') }])] });
    const framed = Buffer.concat([Buffer.alloc(7, 0xee), body, Buffer.alloc(9, 0xee)]);
    const inner = decodeClientHello(framed, 7, 7 + body.length, true);
    expect(inner).toEqual(decodeClientHello(body, 0, body.length, true));
  });
});

describe('decodeClientHello: server_name status', () => {
  it('absent: no extension block', () => {
    const hello = withExtensions(undefined);
    expect(hello.hasExtensionBlock).toBe(false);
    expect(hello.serverName).toEqual({ status: 'absent', name: null, hex: null });
    expect(hello.malformed).toBeNull();
  });

  it('absent: empty extension block', () => {
    const hello = withExtensions([]);
    expect(hello.hasExtensionBlock).toBe(true);
    expect(hello.extensionTypes).toEqual([]);
    expect(hello.extensionLengths).toEqual([]);
    expect(hello.serverName.status).toBe('absent');
  });

  it('absent: other extensions only', () => {
    expect(withExtensions([{ type: 10, data: Buffer.from([0, 2, 0, 29]) }]).serverName.status).toBe('absent');
  });

  it.each([
    ['zero-length extension data', Buffer.alloc(0)],
    ['empty list', Buffer.from([0, 0])],
    ['empty host_name', Buffer.from([0, 3, 0, 0, 0])],
  ])('empty: %s', (_label, data) => {
    const hello = withExtensions([{ type: 0, data }]);
    expect(hello.serverName).toEqual({ status: 'empty', name: null, hex: null });
    expect(hello.malformed).toBeNull();
  });

  it.each([
    ['one byte of data', Buffer.from([0])],
    ['list length larger than the extension', Buffer.from([0, 9, 0, 0, 1, 0x61])],
    ['list length smaller than the extension', Buffer.from([0, 4, 0, 0, 1, 0x61, 0x62])],
    ['entry overruns the list', Buffer.from([0, 4, 0, 0, 5, 0x61])],
    ['truncated entry header', Buffer.from([0, 2, 0, 0])],
    ['no host_name entry', Buffer.from([0, 4, 1, 0, 1, 0x61])],
  ])('malformed: %s', (_label, data) => {
    const hello = withExtensions([{ type: 0, data }]);
    expect(hello.serverName).toEqual({ status: 'malformed', name: null, hex: null });
    expect(hello.malformed).toMatch(/^server_name: /);
  });

  it('present: skips entries of other name types, first non-empty host_name wins', () => {
    const hello = withExtensions([
      serverNameExtension([
        { type: 7, name: ascii('other') },
        { name: Buffer.alloc(0) },
        { name: ascii('first.example') },
        { name: ascii('second.example') },
      ]),
    ]);
    expect(hello.serverName).toMatchObject({ status: 'present', name: 'first.example' });
  });

  it('present: UTF-8 names are decoded as UTF-8', () => {
    const name = Buffer.from('bücher.example', 'utf8');
    const hello = withExtensions([serverNameExtension([{ name }])]);
    expect(hello.serverName).toEqual({ status: 'present', name: 'bücher.example', hex: name.toString('hex') });
  });

  it('present: invalid UTF-8 is read as Latin-1, control characters kept', () => {
    const name = Buffer.from([0x00, 0x61, 0xff, 0xfe, 0x0a, 0xc3]);
    const hello = withExtensions([serverNameExtension([{ name }])]);
    expect(hello.serverName).toEqual({ status: 'present', name: '\u0000a\u00ff\u00fe\n\u00c3', hex: '0061fffe0ac3' });
  });

  it('a duplicate server_name is noted and the first one kept', () => {
    const hello = withExtensions([serverNameExtension([{ name: ascii('a.example') }]), serverNameExtension([{ name: ascii('b.example') }])]);
    expect(hello.serverName.name).toBe('a.example');
    expect(hello.malformed).toBe('duplicate extension 0');
  });
});

describe('decodeClientHello: what one hello can make it keep', () => {
  it('a host_name longer than 255 bytes: its first 255 are kept, and the hello says so', () => {
    const hello = withExtensions([serverNameExtension([{ name: Buffer.alloc(300, 0x61) }])]);
    expect(hello.serverName).toEqual({ status: 'present', name: 'a'.repeat(255), hex: '61'.repeat(255) });
    expect(hello.malformed).toBe('server_name: host_name of 300 bytes, the first 255 kept');
    const exact = withExtensions([serverNameExtension([{ name: Buffer.alloc(255, 0x61) }])]);
    expect(exact.serverName.name).toBe('a'.repeat(255));
    expect(exact.malformed).toBeNull();
  });

  it('more than 64 ALPN names: the first 64 are kept, and the hello says so', () => {
    const names = Array.from({ length: 100 }, (_, i) => ascii(`p${i}`));
    const hello = withExtensions([alpnExtension(names)]);
    expect(hello.alpn).toEqual(names.slice(0, 64).map((n) => n.toString('latin1')));
    expect(hello.alpnHex).toHaveLength(64);
    expect(hello.malformed).toBe('alpn: more than 64 protocol names, the first 64 kept');
    expect(withExtensions([alpnExtension(names.slice(0, 64))]).malformed).toBeNull();
  });
});

describe('decodeClientHello: duplicates are per hello', () => {
  it('an extension seen in one hello, also one cut or overrun inside its extensions, is no duplicate in the next', () => {
    const sni = serverNameExtension([{ name: ascii('a.example') }]);
    const body = encodeClientHelloBody({ cipherSuites: [0x1301], extensions: [sni, alpnExtension([ascii('h2')])] });
    for (const cut of [body.length, body.length - 3, body.length - 9]) {
      decodeClientHello(body, 0, cut, cut === body.length);
      // The same body with its last bytes' lengths overrunning: the extensions block claims more.
      const overrun = Buffer.from(body);
      overrun.writeUInt16BE(overrun.readUInt16BE(overrun.length - 6) + 40, overrun.length - 6);
      decodeClientHello(overrun, 0, overrun.length, true);
      const next = withExtensions([sni, alpnExtension([ascii('h2')])]);
      expect(next.malformed).toBeNull();
      expect(next.serverName.name).toBe('a.example');
    }
  });
});

describe('decodeClientHello: inconsistent lengths', () => {
  const base = encodeClientHelloBody({ cipherSuites: [0x1301, 0x1302], extensions: [serverNameExtension([{ name: ascii('x.example') }])] });
  const cipherLengthAt = 2 + 32 + 1;

  it('cipher suites length overrunning the message: malformed, SNI not decodable', () => {
    const body = Buffer.from(base);
    body.writeUInt16BE(0x1000, cipherLengthAt);
    const hello = decodeClientHello(body, 0, body.length, true);
    expect(hello.malformed).toMatch(/^cipher suites length 4096 overruns the message/);
    expect(hello.serverName.status).toBe('malformed');
    expect(hello.hasExtensionBlock).toBe(false);
  });

  it('extensions length overrunning the message', () => {
    const body = Buffer.from(base);
    const at = cipherLengthAt + 2 + 4 + 2;
    body.writeUInt16BE(body.readUInt16BE(at) + 1, at);
    const hello = decodeClientHello(body, 0, body.length, true);
    expect(hello.malformed).toMatch(/^extensions length \d+ overruns the message/);
    expect(hello.serverName.status).toBe('malformed');
  });

  it('an extension overrunning the block is not listed', () => {
    const hello = withExtensions([{ type: 10, data: Buffer.from([0, 2, 0, 29]) }]);
    const body = encodeClientHelloBody({ cipherSuites: [0x1301, 0xc02f], extensions: [{ type: 10, data: Buffer.from([0, 2, 0, 29]) }] });
    body.writeUInt16BE(200, body.length - 4 - 2); // the extension's length
    const broken = decodeClientHello(body, 0, body.length, true);
    expect(hello.extensionTypes).toHaveLength(1);
    expect(broken.extensionTypes).toEqual([]);
    expect(broken.malformed).toBe('extension 10 length 200 overruns the extensions block');
  });

  it('bytes after the extensions, odd cipher length, long session id and no compression are noted', () => {
    const trailing = Buffer.concat([base, Buffer.from([1, 2, 3])]);
    expect(decodeClientHello(trailing, 0, trailing.length, true).malformed).toBe('3 bytes after the extensions');
    expect(decodeClientHello(trailing, 0, trailing.length, true).serverName.status).toBe('present');
    expect(decode({ cipherSuites: [], extensions: [] }).malformed).toBe('no cipher suites');
    expect(decode({ cipherSuites: [1], compressionMethods: [], extensions: [] }).malformed).toBe('no compression methods');
    expect(decode({ cipherSuites: [1], sessionId: Buffer.alloc(40), extensions: [] }).malformed).toBe('session id length 40 exceeds 32');
  });

  it('an empty window is malformed, not a crash', () => {
    const hello = decodeClientHello(Buffer.alloc(0), 0, 0, true);
    expect(hello.serverName.status).toBe('malformed');
    expect(hello.malformed).toBe('legacy_version: message too short');
  });
});

describe('decodeClientHello: prefixes (complete=false)', () => {
  const body = encodeClientHelloBody({
    cipherSuites: [0x1301, 0x1302, 0x1303],
    extensions: [
      { type: 23, data: Buffer.alloc(0) },
      serverNameExtension([{ name: ascii('cut.example') }]),
      alpnExtension([ascii('h2')]),
      { type: 21, data: Buffer.alloc(100) },
    ],
  });
  const sniStart = 2 + 32 + 1 + 2 + 6 + 2 + 2 + 4;
  const sniEnd = sniStart + 4 + 2 + 3 + 'cut.example'.length;

  it('SNI inside the prefix is reported', () => {
    for (const cut of [sniEnd, sniEnd + 3, body.length - 1]) {
      const hello = decodeClientHello(body, 0, cut, false, { declaredLength: body.length });
      expect(hello.serverName).toMatchObject({ status: 'present', name: 'cut.example' });
      expect(hello.complete).toBe(false);
      expect(hello.length).toBe(body.length);
      expect(hello.malformed).toBe(`truncated after ${cut} of ${body.length} bytes`);
    }
  });

  it('SNI not reached, or cut inside it: unknown', () => {
    for (let cut = 0; cut < sniEnd; cut++) {
      const hello = decodeClientHello(body, 0, cut, false, { declaredLength: body.length, cutBy: 'a lost segment' });
      expect(hello.serverName.status).toBe('unknown');
      expect(hello.malformed).toBe(`truncated by a lost segment after ${cut} of ${body.length} bytes`);
    }
  });

  it('decodes as far as the bytes go', () => {
    const hello = decodeClientHello(body, 0, 2 + 32 + 1 + 2 + 3, false, { declaredLength: body.length });
    expect(hello.cipherSuites).toEqual([0x1301]);
    const later = decodeClientHello(body, 0, sniStart + 2, false);
    expect(later.extensionTypes).toEqual([23]);
    expect(later.extensionLengths).toEqual([0]);
    expect(later.length).toBe(sniStart + 2);
    expect(later.malformed).toBe(`truncated after ${sniStart + 2} bytes`);
  });

  it('a length that overruns the declared message is still malformed', () => {
    const broken = Buffer.from(body);
    broken.writeUInt16BE(0x2000, 2 + 32 + 1);
    const hello = decodeClientHello(broken, 0, 60, false, { declaredLength: body.length });
    expect(hello.serverName.status).toBe('malformed');
    expect(hello.malformed).toMatch(/^cipher suites length 8192 overruns/);
  });

  it('a prefix that holds the whole extension block knows there is no SNI', () => {
    const noSni = encodeClientHelloBody({ cipherSuites: [0x1301], extensions: [{ type: 23, data: Buffer.alloc(0) }] });
    const hello = decodeClientHello(noSni, 0, noSni.length, false, { declaredLength: noSni.length + 50 });
    expect(hello.serverName.status).toBe('absent');
  });
});

describe('decodeClientHello: lists shared by their bytes', () => {
  const spec = (cipherSuites: number[], versions: number[], protocols: string[]): ClientHelloSpec => ({
    cipherSuites,
    extensions: [
      supportedVersionsExtension(versions),
      signatureAlgorithmsExtension([0x0403, 0x0804]),
      alpnExtension(protocols.map(ascii)),
    ],
  });

  it('gives hellos with the same bytes the same frozen lists', () => {
    const a = decode(spec([0x1301, 0x1302], [0x0304, 0x0303], ['h2', 'http/1.1']));
    const b = decode(spec([0x1301, 0x1302], [0x0304, 0x0303], ['h2', 'http/1.1']));
    for (const key of ['cipherSuites', 'supportedVersions', 'signatureAlgorithms', 'alpn', 'alpnHex'] as const) {
      expect(b[key], key).toBe(a[key]);
      expect(Object.isFrozen(a[key]), key).toBe(true);
    }
  });

  it('never gives a list of other bytes, whatever was decoded before', () => {
    const a = decode(spec([0x1301, 0x1302], [0x0304, 0x0303], ['h2', 'http/1.1']));
    // The same values in another order, one value more or fewer: each a list of its own.
    const b = decode(spec([0x1302, 0x1301], [0x0303, 0x0304], ['http/1.1', 'h2']));
    const c = decode(spec([0x1301, 0x1302, 0x1303], [0x0304], ['h2']));
    expect(b.cipherSuites).toEqual([0x1302, 0x1301]);
    expect(b.supportedVersions).toEqual([0x0303, 0x0304]);
    expect(b.alpn).toEqual(['http/1.1', 'h2']);
    expect(c.cipherSuites).toEqual([0x1301, 0x1302, 0x1303]);
    expect(c.supportedVersions).toEqual([0x0304]);
    expect(c.alpn).toEqual(['h2']);
    expect(a.cipherSuites).toEqual([0x1301, 0x1302]);
    expect(a.alpnHex).toEqual(['6832', '687474702f312e31']);
  });

  it('keeps no list longer than 256 bytes (a hostile capture could fill memory with them)', () => {
    const long = Array.from({ length: 200 }, (_, i) => 0x1000 + i);
    const a = decode({ cipherSuites: long });
    const b = decode({ cipherSuites: long });
    expect(a.cipherSuites).toEqual(long);
    expect(b.cipherSuites).toEqual(long);
    expect(b.cipherSuites).not.toBe(a.cipherSuites);
  });

  it('keeps a list cut short out of the shared ones', () => {
    const body = encodeClientHelloBody({ cipherSuites: [0x1301, 0x1302, 0x1303] });
    // Cut inside the cipher suites: legacy_version, random, session id length, list length, one suite and a half.
    const cut = decodeClientHello(body, 0, 2 + 32 + 1 + 2 + 3, false, { declaredLength: body.length });
    expect(cut.cipherSuites).toEqual([0x1301]);
    expect(Object.isFrozen(cut.cipherSuites)).toBe(false);
    expect(decode({ cipherSuites: [0x1301] }).cipherSuites).toEqual([0x1301]);
  });
});
