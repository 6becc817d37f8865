#!/usr/bin/env node
// A small TLS ingress for tests and sample captures. It behaves like an Envoy listener whose
// filter chains are chosen by the ClientHello's server_name (SNI), as in the Apigee hybrid
// ingress gateway:
//
//   - every connection is held until the whole ClientHello has arrived (bounded size, timeout);
//     the server_name is parsed here, without consuming the bytes;
//   - a server_name equal to one of the configured host names, or matching a `*.suffix`
//     pattern, selects a "filter chain": the peeked bytes are put back and the socket is
//     handed to a TLS server socket, which completes the handshake and answers one tiny
//     HTTP/1.1 request;
//   - anything else (no server_name, or a name no host matches) selects no filter chain: the
//     connection is closed with a TCP RST and no ServerHello is ever sent, and the access log
//     says `filter_chain_not_found` with response flag `NR`;
//   - in wildcard mode (like `hostnames: ["*"]` with `enableNonSniClient: true`) every TLS
//     client is served, with or without server_name.
//
// Plain Node 20 ESM, no dependencies, no build step.
//
// CLI:
//   node test/ingress/test-ingress.mjs [--listen HOST:PORT]... [--hosts a.example,*.b.example]
//        [--wildcard] [--cert FILE --key FILE] [--log] [--peek-timeout MS]
//
//   --listen        address to listen on; repeatable; IPv6 as [::1]:8443 (default 127.0.0.1:8443)
//   --hosts         comma-separated host names with filter chains (default api.example.com);
//                   `*.suffix` matches any name ending in `.suffix`; `*` matches any SNI
//   --wildcard      also serve clients without SNI and with unknown SNI
//   --cert/--key    PEM certificate and key; without them a self-signed certificate whose
//                   subjectAltName lists the host names is made with `openssl req`
//   --log           one JSON access-log line per connection on stdout (shaped like the
//                   ingress gateway's Envoy access log); other messages go to stderr
//   --peek-timeout  how long to wait for a complete ClientHello, in ms (default 10000)
//
// Module: `await startIngress(options)` resolves to `{ addresses, close() }`.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const DEFAULT_HOSTS = ['api.example.com'];
export const DEFAULT_LISTEN = ['127.0.0.1:8443'];
/** Largest ClientHello (all its records) that is waited for, like Envoy's tls_inspector limit. */
export const DEFAULT_MAX_HELLO_BYTES = 64 * 1024;
export const DEFAULT_PEEK_TIMEOUT_MS = 10_000;

const RECORD_HEADER = 5;
const HANDSHAKE_HEADER = 4;
const MAX_RECORD_BODY = 16384 + 2048; // TLSCiphertext bound; plaintext records are smaller still
const MAX_REQUEST_HEAD = 16 * 1024;
const IDLE_TIMEOUT_MS = 30_000;

class HelloError extends Error {}

/** Bounds-checked reader over one buffer. */
class Reader {
  constructor(buffer) {
    this.buffer = buffer;
    this.pos = 0;
  }

  get remaining() {
    return this.buffer.length - this.pos;
  }

  bytes(n, what) {
    if (n > this.remaining) throw new HelloError(`${what} runs past its enclosing length`);
    const out = this.buffer.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u8(what) {
    return this.bytes(1, what)[0];
  }

  u16(what) {
    return this.bytes(2, what).readUInt16BE(0);
  }

  vector8(what) {
    return this.bytes(this.u8(`${what} length`), what);
  }

  vector16(what) {
    return this.bytes(this.u16(`${what} length`), what);
  }
}

/**
 * Looks at the first bytes a client sent and says whether they hold a complete TLS ClientHello
 * (possibly spread over several handshake records), and if so which server_name it carries.
 *
 * Returns one of
 *   { status: 'incomplete' }                         more bytes are needed
 *   { status: 'not-tls' }                            the first byte is not a TLS handshake record
 *   { status: 'malformed', reason }                  a TLS handshake, but not a valid ClientHello
 *   { status: 'complete', serverName, length, consumed }
 * where serverName is the lower-cased host_name, or null when the hello has no server_name.
 * `length` is the ClientHello body length, `consumed` the bytes of the records that carried it.
 */
export function peekClientHello(buffer, { maxBytes = DEFAULT_MAX_HELLO_BYTES } = {}) {
  if (buffer.length === 0) return { status: 'incomplete' };
  if (buffer[0] !== 0x16) return { status: 'not-tls' };
  const fragments = [];
  let handshakeBytes = 0;
  let offset = 0;
  for (;;) {
    if (buffer.length - offset < RECORD_HEADER) {
      return offset >= maxBytes ? tooLarge() : { status: 'incomplete' };
    }
    const contentType = buffer[offset];
    const major = buffer[offset + 1];
    const recordLength = buffer.readUInt16BE(offset + 3);
    if (contentType !== 0x16) {
      if (offset === 0) return { status: 'not-tls' };
      return { status: 'malformed', reason: `record of type ${contentType} before the ClientHello ended` };
    }
    if (major !== 3) {
      if (offset === 0) return { status: 'not-tls' };
      return { status: 'malformed', reason: `record version ${major}.${buffer[offset + 2]}` };
    }
    if (recordLength === 0 || recordLength > MAX_RECORD_BODY) {
      return { status: 'malformed', reason: `handshake record of ${recordLength} bytes` };
    }
    if (offset + RECORD_HEADER + recordLength > maxBytes) return tooLarge();
    if (buffer.length - offset - RECORD_HEADER < recordLength) return { status: 'incomplete' };
    fragments.push(buffer.subarray(offset + RECORD_HEADER, offset + RECORD_HEADER + recordLength));
    handshakeBytes += recordLength;
    offset += RECORD_HEADER + recordLength;
    if (handshakeBytes < HANDSHAKE_HEADER) continue;

    const handshake = fragments.length === 1 ? fragments[0] : Buffer.concat(fragments);
    if (handshake[0] !== 0x01) {
      return { status: 'malformed', reason: `first handshake message has type ${handshake[0]}` };
    }
    const bodyLength = handshake.readUIntBE(1, 3);
    if (bodyLength + HANDSHAKE_HEADER > maxBytes) return tooLarge();
    if (handshakeBytes < HANDSHAKE_HEADER + bodyLength) continue;
    try {
      const serverName = parseClientHelloBody(
        handshake.subarray(HANDSHAKE_HEADER, HANDSHAKE_HEADER + bodyLength),
      );
      return { status: 'complete', serverName, length: bodyLength, consumed: offset };
    } catch (err) {
      if (err instanceof HelloError) return { status: 'malformed', reason: err.message };
      throw err;
    }
  }

  function tooLarge() {
    return { status: 'malformed', reason: `ClientHello larger than ${maxBytes} bytes` };
  }
}

/** Parses a ClientHello body (after the 4-byte handshake header); returns the server_name or null. */
function parseClientHelloBody(body) {
  const r = new Reader(body);
  r.bytes(2, 'legacy_version');
  r.bytes(32, 'random');
  const sessionId = r.vector8('legacy_session_id');
  if (sessionId.length > 32) throw new HelloError(`legacy_session_id of ${sessionId.length} bytes`);
  const suites = r.vector16('cipher_suites');
  if (suites.length < 2 || suites.length % 2 !== 0) {
    throw new HelloError(`cipher_suites of ${suites.length} bytes`);
  }
  const compression = r.vector8('legacy_compression_methods');
  if (compression.length < 1) throw new HelloError('no compression method');
  if (r.remaining === 0) return null; // no extensions block at all
  const extensions = new Reader(r.vector16('extensions'));
  if (r.remaining !== 0) throw new HelloError(`${r.remaining} bytes after the extensions`);

  const seen = new Set();
  let serverName = null;
  while (extensions.remaining > 0) {
    const type = extensions.u16('extension type');
    const data = extensions.vector16(`extension ${type}`);
    if (seen.has(type)) throw new HelloError(`extension ${type} appears twice`);
    seen.add(type);
    if (type === 0) serverName = parseServerName(data);
  }
  return serverName;
}

/** Parses the server_name extension data (RFC 6066 section 3); returns the host_name. */
function parseServerName(data) {
  const r = new Reader(data);
  const list = new Reader(r.vector16('server_name_list'));
  if (r.remaining !== 0) throw new HelloError('bytes after server_name_list');
  if (list.remaining === 0) throw new HelloError('empty server_name_list');
  let hostName = null;
  while (list.remaining > 0) {
    const nameType = list.u8('name_type');
    const name = list.vector16('server name');
    if (nameType !== 0 || hostName !== null) continue; // only the first host_name counts
    if (name.length === 0) throw new HelloError('empty host_name');
    for (const byte of name) {
      if (byte <= 0x20 || byte >= 0x7f) throw new HelloError('host_name with a byte outside printable ASCII');
    }
    hostName = name.toString('latin1').toLowerCase();
  }
  if (hostName === null) throw new HelloError('server_name without a host_name');
  return hostName;
}

/** True when `serverName` is served by the host pattern list (exact, `*.suffix`, or `*`). */
export function matchesHost(serverName, hosts) {
  if (!serverName) return false;
  const name = serverName.toLowerCase();
  for (const raw of hosts) {
    const host = raw.toLowerCase();
    if (host === '*') return true;
    if (host.startsWith('*.')) {
      const suffix = host.slice(1); // ".example.com"
      if (name.length > suffix.length && name.endsWith(suffix)) return true;
    } else if (host === name) {
      return true;
    }
  }
  return false;
}

/** Parses "HOST:PORT", "[V6]:PORT" or "PORT" into { host, port }. */
export function parseListen(spec) {
  if (typeof spec === 'object' && spec !== null) {
    return { host: spec.host ?? '127.0.0.1', port: Number(spec.port ?? 0) };
  }
  const text = String(spec).trim();
  let host;
  let port;
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (bracketed) {
    [, host, port] = bracketed;
  } else if (/^\d+$/.test(text)) {
    host = '127.0.0.1';
    port = text;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon <= 0) throw new Error(`--listen wants HOST:PORT, got "${text}"`);
    host = text.slice(0, colon);
    port = text.slice(colon + 1);
    if (host.includes(':')) throw new Error(`write IPv6 listen addresses as [ADDR]:PORT, got "${text}"`);
  }
  const portNumber = Number(port);
  if (!Number.isInteger(portNumber) || portNumber < 0 || portNumber > 65535) {
    throw new Error(`bad port in "${text}"`);
  }
  return { host, port: portNumber };
}

function formatAddress(address, port) {
  if (!address) return null;
  const plain = address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
  return net.isIPv6(plain) ? `[${plain}]:${port}` : `${plain}:${port}`;
}

/** Makes a throw-away self-signed EC certificate whose subjectAltName lists `names`. */
export function makeSelfSignedCert(names) {
  const dnsNames = [...new Set(names.filter((n) => n && n !== '*'))];
  if (dnsNames.length === 0) dnsNames.push('ingress.test');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'test-ingress-'));
  try {
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyFile, '-out', certFile, '-days', '30',
        '-subj', `/CN=${dnsNames[0].replace(/[/=]/g, '_')}`,
        '-addext', `subjectAltName=${dnsNames.map((n) => `DNS:${n}`).join(',')}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts the ingress. Options:
 *   listen       array of "HOST:PORT" / "[V6]:PORT" / { host, port } (default 127.0.0.1:8443; port 0 = any)
 *   hosts        host names with filter chains (default ['api.example.com'])
 *   wildcard     serve every TLS client, with or without SNI (default false)
 *   cert, key    PEM (string or Buffer); default: a fresh self-signed certificate for `hosts`
 *   log          true to write JSON access-log lines to stdout, or a writable stream
 *   onLog        function called with each access-log entry (an object)
 *   peekTimeoutMs, maxHelloBytes
 * Resolves to { addresses: [{ address, family, port }], close(): Promise<void> }.
 */
export async function startIngress(options = {}) {
  const hosts = (options.hosts ?? DEFAULT_HOSTS).map((h) => String(h).trim()).filter(Boolean);
  const wildcard = Boolean(options.wildcard);
  const peekTimeoutMs = options.peekTimeoutMs ?? DEFAULT_PEEK_TIMEOUT_MS;
  const maxHelloBytes = options.maxHelloBytes ?? DEFAULT_MAX_HELLO_BYTES;
  const listen = (options.listen?.length ? options.listen : DEFAULT_LISTEN).map(parseListen);
  const logStream = options.log === true ? process.stdout : options.log || null;
  const onLog = typeof options.onLog === 'function' ? options.onLog : null;

  let credentials;
  if (options.cert && options.key) {
    credentials = { cert: options.cert, key: options.key };
  } else if (options.cert || options.key) {
    throw new Error('give both cert and key, or neither');
  } else {
    credentials = makeSelfSignedCert(hosts.map((h) => (h.startsWith('*.') || h === '*' ? h : h.toLowerCase())));
  }
  const secureContext = tls.createSecureContext(credentials);

  const sockets = new Set();
  const servers = [];
  let closing = false;

  function writeLog(entry) {
    if (onLog) onLog(entry);
    if (logStream) logStream.write(`${JSON.stringify(entry)}\n`);
  }

  function handle(socket) {
    if (closing) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {}); // a client reset is an ordinary end here
    const started = new Date();
    const remote = formatAddress(socket.remoteAddress, socket.remotePort);
    const local = formatAddress(socket.localAddress, socket.localPort);
    const entry = (fields) => ({
      start_time: started.toISOString(),
      remote_address: remote,
      local_address: local,
      sni_host: null,
      status_details: null,
      upstream_response_flags: '-',
      status: 0,
      request: null,
      bytes_received: 0,
      bytes_sent: 0,
      x_forwarded_for: null,
      duration: Date.now() - started.getTime(),
      ...fields,
    });

    let peeked = Buffer.alloc(0);
    let decided = false;
    const timer = setTimeout(() => decide({ status: 'timeout' }), peekTimeoutMs);
    const onData = (chunk) => {
      peeked = peeked.length === 0 ? chunk : Buffer.concat([peeked, chunk]);
      const result = peekClientHello(peeked, { maxBytes: maxHelloBytes });
      if (result.status !== 'incomplete') decide(result);
    };
    const onEnd = () => decide({ status: 'eof' });
    const onClose = () => decide({ status: 'closed' });
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onClose);

    function decide(result) {
      if (decided) return;
      decided = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onClose);
      socket.pause();
      const sni = result.status === 'complete' ? result.serverName : null;

      if (result.status === 'eof' || result.status === 'closed' || result.status === 'timeout') {
        // The client went away (or never finished its hello): nothing to route.
        const details = result.status === 'timeout' ? 'listener_filter_timeout' : 'downstream_remote_disconnect';
        writeLog(entry({ status_details: details }));
        socket.destroy();
        return;
      }

      const routed = wildcard || matchesHost(sni, hosts);
      if (!routed) {
        writeLog(entry({ sni_host: sni, status_details: 'filter_chain_not_found', upstream_response_flags: 'NR' }));
        if (!socket.destroyed) socket.resetAndDestroy(); // SO_LINGER 0: RST, no FIN, no ServerHello
        return;
      }

      socket.unshift(peeked);
      serve(socket, sni, entry);
    }
  }

  function serve(socket, sni, entry) {
    const tlsSocket = new tls.TLSSocket(socket, { isServer: true, secureContext });
    let handshakeDone = false;
    let failure = null;
    let head = Buffer.alloc(0);
    let answered = false;
    const result = { status: 0, request: null, x_forwarded_for: null, bytes_received: 0, bytes_sent: 0 };

    tlsSocket.setTimeout(IDLE_TIMEOUT_MS, () => tlsSocket.destroy());
    tlsSocket.on('secure', () => {
      handshakeDone = true;
    });
    tlsSocket.on('error', (err) => {
      failure ??= handshakeDone ? 'downstream_remote_disconnect' : `tls_handshake_failed(${err.code ?? 'error'})`;
    });
    tlsSocket.on('data', (chunk) => {
      if (answered) {
        result.bytes_received += chunk.length;
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_REQUEST_HEAD) respond(431, null, []);
        return;
      }
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      result.bytes_received = head.length - end - 4;
      respond(/^[A-Z]+ \S+ HTTP\/\d\.\d$/.test(lines[0]) ? 200 : 400, lines[0], lines.slice(1));
    });
    tlsSocket.on('close', () => {
      const details = answered ? 'direct_response' : failure ?? 'downstream_remote_disconnect';
      writeLog(entry({ sni_host: sni, status_details: details, ...result }));
    });

    function respond(status, requestLine, headerLines) {
      answered = true;
      result.status = status;
      result.request = requestLine;
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === 'x-forwarded-for') {
          result.x_forwarded_for = line.slice(colon + 1).trim();
        }
      }
      const reason = { 200: 'OK', 400: 'Bad Request', 431: 'Request Header Fields Too Large' }[status];
      const body = status === 200 ? `ok sni=${sni ?? '-'}\n` : `${reason}\n`;
      const isHead = requestLine?.startsWith('HEAD ');
      result.bytes_sent = isHead ? 0 : Buffer.byteLength(body);
      tlsSocket.end(
        `HTTP/1.1 ${status} ${reason}\r\n` +
          'content-type: text/plain\r\n' +
          `content-length: ${Buffer.byteLength(body)}\r\n` +
          'connection: close\r\n' +
          '\r\n' +
          (isHead ? '' : body),
      );
    }
  }

  try {
    for (const { host, port } of listen) {
      const server = net.createServer({ pauseOnConnect: false }, handle);
      servers.push(server);
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port, ipv6Only: net.isIPv6(host) }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    }
  } catch (err) {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(() => resolve()))));
    throw err;
  }

  const addresses = servers.map((s) => {
    const a = s.address();
    return { address: a.address, family: a.family, port: a.port };
  });

  async function close() {
    if (closing) return;
    closing = true;
    const done = servers.map((s) => new Promise((resolve) => s.close(() => resolve())));
    for (const socket of sockets) socket.destroy();
    await Promise.all(done);
  }

  return { addresses, close, hosts, wildcard };
}

function usage() {
  return [
    'usage: test-ingress.mjs [--listen HOST:PORT]... [--hosts a.example,*.b.example] [--wildcard]',
    '                        [--cert FILE --key FILE] [--log] [--peek-timeout MS]',
  ].join('\n');
}

export async function main(argv = process.argv.slice(2)) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        listen: { type: 'string', multiple: true },
        hosts: { type: 'string', multiple: true },
        wildcard: { type: 'boolean', default: false },
        cert: { type: 'string' },
        key: { type: 'string' },
        log: { type: 'boolean', default: false },
        'peek-timeout': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`${err.message}\n${usage()}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const hosts = values.hosts ? values.hosts.flatMap((h) => h.split(',')).map((h) => h.trim()).filter(Boolean) : DEFAULT_HOSTS;
  let ingress;
  try {
    ingress = await startIngress({
      listen: values.listen,
      hosts,
      wildcard: values.wildcard,
      cert: values.cert ? fs.readFileSync(values.cert) : undefined,
      key: values.key ? fs.readFileSync(values.key) : undefined,
      log: values.log,
      peekTimeoutMs: values['peek-timeout'] ? Number(values['peek-timeout']) : undefined,
    });
  } catch (err) {
    process.stderr.write(`test-ingress: ${err.message}\n`);
    return 1;
  }
  const where = ingress.addresses.map((a) => formatAddress(a.address, a.port)).join(', ');
  const mode = values.wildcard ? 'wildcard (any SNI, and clients without SNI)' : 'strict';
  process.stderr.write(`test-ingress listening on ${where}; ${mode}; hosts: ${hosts.join(',')}\n`);

  await new Promise((resolve) => {
    const stop = (signal) => {
      process.stderr.write(`test-ingress: ${signal}, closing\n`);
      ingress.close().then(resolve, resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

function isMain() {
  if (!process.argv[1]) return false;
  try {
    return fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  main().then((code) => {
    process.exitCode = code;
  });
}
