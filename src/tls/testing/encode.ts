/** Test-only encoders for TLS hello messages and records. */

export interface ExtensionSpec {
  type: number;
  data: Buffer;
}

export interface ClientHelloSpec {
  legacyVersion?: number;
  random?: Buffer;
  sessionId?: Buffer;
  cipherSuites: number[];
  compressionMethods?: number[];
  /** undefined: no extension block at all; []: an empty block. */
  extensions?: ExtensionSpec[];
}

function u16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value & 0xffff);
  return b;
}

function u24(value: number): Buffer {
  return Buffer.from([(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff]);
}

function vector16(body: Buffer): Buffer {
  return Buffer.concat([u16(body.length), body]);
}

function vector8(body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([body.length]), body]);
}

function u16List(values: number[]): Buffer {
  return Buffer.concat(values.map(u16));
}

export function encodeExtensions(extensions: ExtensionSpec[]): Buffer {
  return vector16(Buffer.concat(extensions.map((e) => Buffer.concat([u16(e.type), vector16(e.data)]))));
}

/** A ClientHello body (without the handshake header). */
export function encodeClientHelloBody(spec: ClientHelloSpec): Buffer {
  const parts = [
    u16(spec.legacyVersion ?? 0x0303),
    spec.random ?? Buffer.alloc(32, 0x11),
    vector8(spec.sessionId ?? Buffer.alloc(0)),
    vector16(u16List(spec.cipherSuites)),
    vector8(Buffer.from(spec.compressionMethods ?? [0])),
  ];
  if (spec.extensions !== undefined) parts.push(encodeExtensions(spec.extensions));
  return Buffer.concat(parts);
}

export interface ServerNameEntry {
  type?: number;
  name: Buffer;
}

export function serverNameExtension(entries: ServerNameEntry[]): ExtensionSpec {
  const list = Buffer.concat(entries.map((e) => Buffer.concat([Buffer.from([e.type ?? 0]), vector16(e.name)])));
  return { type: 0, data: vector16(list) };
}

export function alpnExtension(protocols: Buffer[]): ExtensionSpec {
  return { type: 16, data: vector16(Buffer.concat(protocols.map(vector8))) };
}

export function supportedVersionsExtension(versions: number[]): ExtensionSpec {
  return { type: 43, data: vector8(u16List(versions)) };
}

export function signatureAlgorithmsExtension(algorithms: number[]): ExtensionSpec {
  return { type: 13, data: vector16(u16List(algorithms)) };
}

export interface ServerHelloSpec {
  legacyVersion?: number;
  random?: Buffer;
  sessionId?: Buffer;
  cipherSuite: number;
  extensions?: ExtensionSpec[];
}

export function encodeServerHelloBody(spec: ServerHelloSpec): Buffer {
  const parts = [
    u16(spec.legacyVersion ?? 0x0303),
    spec.random ?? Buffer.alloc(32, 0x22),
    vector8(spec.sessionId ?? Buffer.alloc(0)),
    u16(spec.cipherSuite),
    Buffer.from([0]),
  ];
  if (spec.extensions !== undefined) parts.push(encodeExtensions(spec.extensions));
  return Buffer.concat(parts);
}

/** A handshake message: type, 24-bit length, body. */
export function handshakeMessage(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), u24(body.length), body]);
}

/** TLS records of one content type carrying `payload`, at most `fragment` bytes each. */
export function records(type: number, payload: Buffer, version = 0x0301, fragment = 16384): Buffer {
  const out: Buffer[] = [];
  let p = 0;
  do {
    const chunk = payload.subarray(p, p + fragment);
    out.push(Buffer.from([type]), u16(version), u16(chunk.length), chunk);
    p += fragment;
  } while (p < payload.length);
  return Buffer.concat(out);
}

/** A ClientHello in a single handshake record. */
export function clientHelloRecord(spec: ClientHelloSpec, version = 0x0301): Buffer {
  return records(22, handshakeMessage(1, encodeClientHelloBody(spec)), version);
}

export interface Sslv2HelloSpec {
  version?: number;
  /** 24-bit cipher specs. */
  cipherSpecs: number[];
  sessionId?: Buffer;
  challenge?: Buffer;
}

export function sslv2ClientHello(spec: Sslv2HelloSpec): Buffer {
  const specs = Buffer.concat(spec.cipherSpecs.map((s) => u24(s)));
  const sessionId = spec.sessionId ?? Buffer.alloc(0);
  const challenge = spec.challenge ?? Buffer.alloc(16, 0x33);
  const body = Buffer.concat([
    Buffer.from([1]),
    u16(spec.version ?? 0x0301),
    u16(specs.length),
    u16(sessionId.length),
    u16(challenge.length),
    specs,
    sessionId,
    challenge,
  ]);
  return Buffer.concat([u16(0x8000 | body.length), body]);
}
