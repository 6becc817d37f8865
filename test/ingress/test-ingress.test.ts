import { spawn } from 'node:child_process';
import net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  type AccessLogEntry,
  type Ingress,
  makeSelfSignedCert,
  matchesHost,
  parseListen,
  peekClientHello,
  startIngress,
} from './test-ingress.mjs';

const HOSTS = ['api.example.com', '*.apps.example.com'];
const SCRIPT = fileURLToPath(new URL('./test-ingress.mjs', import.meta.url));

type HandshakeResult =
  | { ok: true; protocol: string | null; subject: string | string[] | undefined; body: string }
  | { ok: false; code: string | undefined; secureConnected: boolean };

/** Connects with node's TLS client (SNI only when `servername` is given) and sends one request. */
function tryHandshake(port: number, servername?: string): Promise<HandshakeResult> {
  return new Promise((resolve) => {
    let secureConnected = false;
    let body = '';
    const socket = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
    socket.setEncoding('utf8');
    socket.on('secureConnect', () => {
      secureConnected = true;
      socket.write('GET /check HTTP/1.1\r\nhost: test\r\nx-forwarded-for: 192.0.2.7\r\n\r\n');
    });
    socket.on('data', (chunk: string) => {
      body += chunk;
    });
    socket.on('end', () => {
      resolve({
        ok: true,
        protocol: socket.getProtocol(),
        subject: socket.getPeerCertificate().subject?.CN,
        body,
      });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      resolve({ ok: false, code: err.code, secureConnected });
    });
  });
}

/** The first flight node's TLS client sends (its ClientHello), without any network. */
function clientHello(servername?: string): Promise<Buffer> {
  return new Promise((resolve) => {
    const transport = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        callback();
        resolve(Buffer.from(chunk));
        setImmediate(() => client.destroy());
      },
    });
    const client = tls.connect({ socket: transport, servername, rejectUnauthorized: false });
    client.on('error', () => {});
  });
}

/** Re-frames a single-record ClientHello into handshake records of at most `size` bytes each. */
function reframe(hello: Buffer, size: number): Buffer {
  const body = hello.subarray(5);
  const records: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) {
    const part = body.subarray(i, i + size);
    const header = Buffer.from([0x16, hello[1], hello[2], 0, 0]);
    header.writeUInt16BE(part.length, 3);
    records.push(header, part);
  }
  return Buffer.concat(records);
}

interface RawResult {
  received: number;
  outcome: 'reset' | 'end' | 'other-error';
  code?: string;
}

/** Sends `bytes` over plain TCP (in pieces of `piece` bytes, paced) and reports how the server answered. */
function sendRaw(port: number, bytes: Buffer, piece = bytes.length): Promise<RawResult> {
  return new Promise((resolve) => {
    let received = 0;
    const socket = net.connect({ host: '127.0.0.1', port }, async () => {
      for (let i = 0; i < bytes.length; i += piece) {
        socket.write(bytes.subarray(i, i + piece));
        if (piece < bytes.length) await new Promise((r) => setTimeout(r, 2));
      }
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.on('end', () => {
      resolve({ received, outcome: 'end' });
      socket.destroy();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      resolve({ received, outcome: err.code === 'ECONNRESET' ? 'reset' : 'other-error', code: err.code });
    });
  });
}

/** Waits until `predicate` holds for the collected log (entries are written when a connection ends). */
async function waitForLog(log: AccessLogEntry[], predicate: (e: AccessLogEntry) => boolean): Promise<AccessLogEntry> {
  for (let i = 0; i < 200; i++) {
    const hit = log.find(predicate);
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no such access-log entry');
}

let credentials: { cert: Buffer; key: Buffer };

beforeAll(() => {
  credentials = makeSelfSignedCert(HOSTS);
});

describe('peekClientHello', () => {
  it('finds the server_name, or its absence, in a ClientHello', async () => {
    const withSni = await clientHello('API.Example.com');
    const without = await clientHello();
    expect(peekClientHello(withSni)).toMatchObject({ status: 'complete', serverName: 'api.example.com' });
    expect(peekClientHello(without)).toMatchObject({ status: 'complete', serverName: null });
    expect(peekClientHello(withSni)).toMatchObject({ consumed: withSni.length, length: withSni.length - 9 });
  });

  it('asks for more bytes on every proper prefix', async () => {
    const hello = await clientHello('api.example.com');
    for (let n = 0; n < hello.length; n++) {
      expect(peekClientHello(hello.subarray(0, n)).status).toBe('incomplete');
    }
  });

  it('reassembles a ClientHello spread over several handshake records', async () => {
    const hello = await clientHello('shop.apps.example.com');
    for (const size of [1, 3, 50, 200]) {
      const framed = reframe(hello, size);
      expect(peekClientHello(framed)).toMatchObject({ status: 'complete', serverName: 'shop.apps.example.com' });
      expect(peekClientHello(framed.subarray(0, framed.length - 1)).status).toBe('incomplete');
    }
  });

  it('tells plain text and broken hellos apart', async () => {
    expect(peekClientHello(Buffer.from('GET / HTTP/1.1\r\n\r\n')).status).toBe('not-tls');
    const hello = Buffer.from(await clientHello('api.example.com'));
    // A handshake record that carries a ServerHello type instead of a ClientHello.
    const wrongType = Buffer.from(hello);
    wrongType[5] = 2;
    expect(peekClientHello(wrongType).status).toBe('malformed');
    // The session-id length claims more bytes than the message has.
    const badSession = Buffer.from(hello);
    badSession[5 + 4 + 34] = 0xff;
    expect(peekClientHello(badSession).status).toBe('malformed');
    // A record limit below the hello's size.
    expect(peekClientHello(hello, { maxBytes: 100 })).toMatchObject({ status: 'malformed' });
    // An alert record after the first handshake fragment.
    const framed = reframe(hello, 100);
    framed[105] = 0x15;
    expect(peekClientHello(framed).status).toBe('malformed');
  });
});

describe('host matching and listen addresses', () => {
  it('matches exact names and *.suffix patterns, case-insensitively', () => {
    expect(matchesHost('api.example.com', HOSTS)).toBe(true);
    expect(matchesHost('API.EXAMPLE.COM', HOSTS)).toBe(true);
    expect(matchesHost('shop.apps.example.com', HOSTS)).toBe(true);
    expect(matchesHost('a.b.apps.example.com', HOSTS)).toBe(true);
    expect(matchesHost('apps.example.com', HOSTS)).toBe(false);
    expect(matchesHost('unknown.example', HOSTS)).toBe(false);
    expect(matchesHost(null, HOSTS)).toBe(false);
    expect(matchesHost('anything.example', ['*'])).toBe(true);
    expect(matchesHost(null, ['*'])).toBe(false);
  });

  it('parses IPv4, bracketed IPv6 and bare ports', () => {
    expect(parseListen('127.0.0.10:8443')).toEqual({ host: '127.0.0.10', port: 8443 });
    expect(parseListen('[::1]:8443')).toEqual({ host: '::1', port: 8443 });
    expect(parseListen('0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(() => parseListen('::1:8443')).toThrow();
    expect(() => parseListen('host:99999')).toThrow();
  });
});

describe('strict ingress (SNI filter chains only)', () => {
  let ingress: Ingress;
  let port: number;
  const log: AccessLogEntry[] = [];

  beforeAll(async () => {
    ingress = await startIngress({
      listen: ['127.0.0.1:0'],
      hosts: HOSTS,
      ...credentials,
      onLog: (e) => log.push(e),
    });
    port = ingress.addresses[0].port;
  });
  afterAll(async () => {
    await ingress?.close();
  });

  it('completes the handshake and answers for a known SNI', async () => {
    const result = await tryHandshake(port, 'api.example.com');
    expect(result).toMatchObject({ ok: true, subject: 'api.example.com' });
    if (!result.ok) return;
    expect(result.body).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(result.body).toMatch(/ok sni=api\.example\.com\n$/);
    const entry = await waitForLog(log, (e) => e.sni_host === 'api.example.com');
    expect(entry).toMatchObject({
      status: 200,
      status_details: 'direct_response',
      upstream_response_flags: '-',
      request: 'GET /check HTTP/1.1',
      x_forwarded_for: '192.0.2.7',
    });
    expect(entry.remote_address).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('serves a name matched by a *.suffix host', async () => {
    const result = await tryHandshake(port, 'shop.apps.example.com');
    expect(result).toMatchObject({ ok: true });
  });

  it('resets a client without SNI: ECONNRESET, no ServerHello', async () => {
    const result = await tryHandshake(port);
    expect(result).toEqual({ ok: false, code: 'ECONNRESET', secureConnected: false });

    const raw = await sendRaw(port, await clientHello());
    expect(raw).toEqual({ received: 0, outcome: 'reset', code: 'ECONNRESET' });

    const entry = await waitForLog(log, (e) => e.status_details === 'filter_chain_not_found');
    expect(entry).toMatchObject({
      sni_host: null,
      upstream_response_flags: 'NR',
      status: 0,
      request: null,
      bytes_sent: 0,
    });
  });

  it('resets a client whose SNI no host matches', async () => {
    const result = await tryHandshake(port, 'unknown.example');
    expect(result).toEqual({ ok: false, code: 'ECONNRESET', secureConnected: false });
    const entry = await waitForLog(log, (e) => e.sni_host === 'unknown.example');
    expect(entry).toMatchObject({ status_details: 'filter_chain_not_found', upstream_response_flags: 'NR' });
  });

  it('waits for a ClientHello that arrives in small pieces and several records', async () => {
    const noSni = reframe(await clientHello(), 40);
    expect(await sendRaw(port, noSni, 7)).toEqual({ received: 0, outcome: 'reset', code: 'ECONNRESET' });

    // The same pacing with a known name must not be reset: the server answers with its hello.
    const known = reframe(await clientHello('api.example.com'), 40);
    const answer = await new Promise<number>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, async () => {
        for (let i = 0; i < known.length; i += 7) {
          socket.write(known.subarray(i, i + 7));
          await new Promise((r) => setTimeout(r, 2));
        }
      });
      socket.once('data', (chunk: Buffer) => {
        resolve(chunk[0]);
        socket.destroy();
      });
      socket.on('error', () => resolve(-1));
    });
    expect(answer).toBe(0x16); // a handshake record: the ServerHello
  });

  it('resets plain-text clients too', async () => {
    const raw = await sendRaw(port, Buffer.from('GET / HTTP/1.1\r\nhost: x\r\n\r\n'));
    expect(raw).toEqual({ received: 0, outcome: 'reset', code: 'ECONNRESET' });
  });
});

describe('wildcard ingress (any host, clients without SNI allowed)', () => {
  let ingress: Ingress;
  let port: number;
  const log: AccessLogEntry[] = [];

  beforeAll(async () => {
    ingress = await startIngress({
      listen: ['127.0.0.1:0'],
      hosts: HOSTS,
      wildcard: true,
      ...credentials,
      onLog: (e) => log.push(e),
    });
    port = ingress.addresses[0].port;
  });
  afterAll(async () => {
    await ingress?.close();
  });

  it('completes the handshake for a client without SNI', async () => {
    const result = await tryHandshake(port);
    expect(result).toMatchObject({ ok: true, body: expect.stringMatching(/ok sni=-\n$/) });
    const entry = await waitForLog(log, (e) => e.sni_host === null);
    expect(entry).toMatchObject({ status: 200, upstream_response_flags: '-', status_details: 'direct_response' });
  });

  it('completes the handshake for known and unknown SNI', async () => {
    expect(await tryHandshake(port, 'api.example.com')).toMatchObject({ ok: true });
    expect(await tryHandshake(port, 'unknown.example')).toMatchObject({ ok: true });
  });
});

describe('ingress lifecycle', () => {
  it('listens on IPv4 and IPv6 at once and reports the addresses', async () => {
    const ingress = await startIngress({ listen: ['127.0.0.1:0', '[::1]:0'], ...credentials });
    try {
      expect(ingress.addresses.map((a) => a.family)).toEqual(['IPv4', 'IPv6']);
      const v6 = await new Promise<string | undefined>((resolve) => {
        const s = tls.connect({ host: '::1', port: ingress.addresses[1].port, rejectUnauthorized: false });
        s.on('secureConnect', () => resolve('secure'));
        s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code));
      });
      expect(v6).toBe('ECONNRESET');
    } finally {
      await ingress.close();
    }
  });

  it('closes a connection whose ClientHello never comes, after the peek timeout', async () => {
    const log: AccessLogEntry[] = [];
    const ingress = await startIngress({
      listen: ['127.0.0.1:0'],
      ...credentials,
      peekTimeoutMs: 150,
      onLog: (e) => log.push(e),
    });
    try {
      const raw = await sendRaw(ingress.addresses[0].port, Buffer.from([0x16, 0x03, 0x01]));
      expect(raw).toEqual({ received: 0, outcome: 'end' });
      expect(await waitForLog(log, () => true)).toMatchObject({ status_details: 'listener_filter_timeout' });
    } finally {
      await ingress.close();
    }
  });

  it('runs as a CLI, prints JSON access logs and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [SCRIPT, '--listen', '127.0.0.1:0', '--hosts', 'api.example.com', '--log'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const listening = new Promise<number>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(stderr);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', () => reject(new Error(`exited early: ${stderr}`)));
    });
    const port = await listening;
    expect(await tryHandshake(port)).toMatchObject({ ok: false, code: 'ECONNRESET' });
    expect(await tryHandshake(port, 'api.example.com')).toMatchObject({ ok: true });
    for (let i = 0; i < 100 && stdout.split('\n').length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as AccessLogEntry);
    expect(lines.map((l) => [l.sni_host, l.status_details, l.upstream_response_flags])).toEqual([
      [null, 'filter_chain_not_found', 'NR'],
      ['api.example.com', 'direct_response', '-'],
    ]);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(
        expect.arrayContaining([
          'start_time',
          'remote_address',
          'sni_host',
          'status_details',
          'upstream_response_flags',
          'status',
          'request',
          'bytes_received',
          'bytes_sent',
          'x_forwarded_for',
        ]),
      );
    }
  });
});
