import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodePcap, encodePcapHeader, encodePcapngBlock, encodeSectionHeader } from '../src/capture/testing/encode.js';
import { addr, ethernet, ipv4Fragment, ipv6, type Ipv6ExtensionHeader } from '../src/ip/testing/encode.js';
import type { Report } from '../src/report/model.js';
import { encodeTcp } from '../src/tcp/testing/encode.js';
import { DEFAULT_MAX_HELD_BYTES, HELD_COPY_COST } from '../src/tls/stream-reader.js';
import { clientHelloRecord, handshakeMessage, records, serverNameExtension } from '../src/tls/testing/encode.js';
import { ACK, CaptureFile, handshakeFrames, PSH, SYN, tcpFrame } from './helpers/capture-file.js';
import { analyze } from './helpers/run.js';
import { runCli, type SpawnResult } from './helpers/spawn.js';

/**
 * Each resource bound of the README's Limits section, on a capture made to push against it. The
 * big ones run the built command line in its own process and check its peak RSS; timeouts only
 * detect hangs.
 */
const DIR = mkdtempSync(join(tmpdir(), 'sni-pcap-limits-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

/** Peak RSS allowed to one run on a capture made to push against a bound (the flood has its own). */
const RSS_BUDGET_MIB = 300;

function hello(sni: string | null, random = 1): Buffer {
  return clientHelloRecord({
    random: Buffer.alloc(32, random),
    cipherSuites: [0x1301, 0x1302],
    extensions: sni === null ? [] : [serverNameExtension([{ name: Buffer.from(sni) }])],
  });
}

function writeHandshakes(file: CaptureFile, start: number, specs: { client: string; port: number; sni: string | null; reset: boolean }[]): number {
  let t = start;
  for (const s of specs) {
    for (const f of handshakeFrames({ client: s.client, clientPort: s.port, server: '192.0.2.10', hello: hello(s.sni), reset: s.reset })) {
      file.record(f, t);
      t += 0.001;
    }
  }
  return t;
}

async function analyzeSpawned(path: string, args: string[] = [], timeoutMs = 120_000): Promise<SpawnResult & { report: Report }> {
  const r = await runCli(['analyze', path, '--format', 'json', '--no-progress', ...args], { timeoutMs });
  expect(r.timedOut, 'hang').toBe(false);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect([0, 1], r.stderr).toContain(r.code);
  return { ...r, report: JSON.parse(r.stdout) as Report };
}

describe('a flood of distinct 4-tuples', () => {
  const FLOOD = 2_000_000;

  it(`${FLOOD.toLocaleString('en-US')} SYNs from distinct ports: the table is capped, evictions counted, outcomes folded, finished verdicts kept`, async () => {
    const path = join(DIR, 'flood.pcap');
    const file = new CaptureFile(path);
    // Verdicts that must survive the flood: a client without SNI reset, one with SNI served.
    let t = writeHandshakes(file, 1_700_000_000, [
      { client: '10.9.0.1', port: 40001, sni: null, reset: true },
      { client: '10.9.0.2', port: 40002, sni: 'api.example.com', reset: false },
    ]);
    // One SYN record, patched per packet: client address 10.0.x.y, source port, sequence number (all 4-tuples distinct).
    const template = tcpFrame({ src: '10.0.0.1', dst: '192.0.2.10', srcPort: 1, dstPort: 443, flags: SYN, seq: 0 });
    const header = encodePcapHeader().length;
    const rec = encodePcap([{ seconds: 0, fraction: 0, data: template }]).subarray(header);
    for (let i = 0; i < FLOOD; i++) {
      const r = Buffer.from(rec);
      t += 0.00001;
      r.writeUInt32LE(Math.floor(t), 0);
      r.writeUInt32LE(Math.floor((t % 1) * 1e6), 4);
      const ip = 16 + 14;
      const client = Math.floor(i / 64000);
      r[ip + 14] = client >> 8;
      r[ip + 15] = client & 0xff;
      r.writeUInt16BE(1024 + (i % 64000), ip + 20);
      r.writeUInt32BE(i >>> 0, ip + 24);
      file.raw(r);
    }
    // And one more client without SNI, reset, after the flood.
    writeHandshakes(file, t + 1, [{ client: '10.9.0.3', port: 40003, sni: null, reset: true }]);
    file.close();

    const r = await analyzeSpawned(path, ['--ingress', '192.0.2.10'], 900_000);
    expect(r.code).toBe(1);
    const c = r.report.captures[0];
    expect(c.packets).toBe(FLOOD + 14);
    expect(c.connections).toBe(FLOOD + 3);
    expect(c.connectionsEvicted).toBeGreaterThan(FLOOD - 65_536 - 10);
    expect(c.warnings.some((w) => /connections were evicted from the connection table/.test(w))).toBe(true);
    expect(c.warnings.some((w) => /connections are counted in the client verdicts but not listed/.test(w))).toBe(true);
    const s = r.report.summary;
    expect(s.connections).toBe(FLOOD + 3);
    // 500 plain connections are listed by default, besides the 3 with a ClientHello.
    expect(s.foldedConnections).toBeGreaterThan(FLOOD - 500 - 10);
    expect(r.report.connections.length).toBeLessThanOrEqual(503);
    const byIp = new Map(r.report.clients.map((x) => [x.ip, x]));
    expect(byIp.get('10.9.0.1')?.verdict).toBe('non-sni-reset');
    expect(byIp.get('10.9.0.2')?.verdict).toBe('sni-ok');
    expect(byIp.get('10.9.0.3')?.verdict).toBe('non-sni-reset');
    expect(s.nonSniResetClients).toBe(2);
    expect(r.report.clients.reduce((n, x) => n + x.connections, 0)).toBe(FLOOD + 3);
    expect(r.peakRssMiB).not.toBeNull();
    // The live set is bounded (65,536 connections, 500 + 2,000 outcomes, the folded counters), and
    // the worker's heap limits keep V8 from letting garbage pile up far past it (214 MiB measured).
    expect(r.peakRssMiB ?? Infinity).toBeLessThan(400);
  }, 1_200_000);
});

describe('TLS handshake length', () => {
  it('a ClientHello claiming 16 MB: the buffer is capped at 256 KiB and the hello reported as malformed', async () => {
    const path = join(DIR, 'huge-handshake.pcap');
    const file = new CaptureFile(path);
    const body = Buffer.from(hello('big.example.com')).subarray(9); // the ClientHello body after the record and handshake headers
    const message = handshakeMessage(1, body);
    message.writeUIntBE(0xffffff, 1, 3);
    const first = records(22, message);
    const frames = handshakeFrames({ client: '10.1.0.1', clientPort: 40000, server: '192.0.2.10', hello: first, reset: false });
    let t = 1_700_000_000;
    for (const f of frames) file.record(f, (t += 0.001));
    // 4 MB more of "the same message", in order.
    let seq = 1001 + first.length;
    const chunk = records(22, Buffer.alloc(16000, 0x41)).subarray(0, 1400);
    for (let i = 0; i < 3000; i++) {
      file.record(tcpFrame({ src: '10.1.0.1', dst: '192.0.2.10', srcPort: 40000, dstPort: 443, flags: ACK, seq, ack: 5001, payload: chunk }), (t += 0.0001));
      seq += chunk.length;
    }
    file.close();
    const r = await analyzeSpawned(path);
    const ch = r.report.connections[0].clientHello;
    expect(ch?.malformed).toMatch(/handshake length 16777215 exceeds limit/);
    expect(ch?.complete).toBe(false);
    expect(r.peakRssMiB ?? Infinity).toBeLessThan(RSS_BUDGET_MIB);
  }, 300_000);
});

describe('TLS records held across segments', () => {
  it('3,000 connections each leaving a 16 KiB ClientHello record unfinished: the readers hold at most 16 MiB together, the rest report what arrived', async () => {
    const path = join(DIR, 'held-records.pcap');
    const file = new CaptureFile(path);
    const CONNECTIONS = 3000;
    // A ClientHello record of 16,389 bytes (server_name first, then padding), of which 15,000 are sent.
    const record = clientHelloRecord({
      random: Buffer.alloc(32, 9),
      cipherSuites: [0x1301],
      extensions: [serverNameExtension([{ name: Buffer.from('held.example') }]), { type: 21, data: Buffer.alloc(16384 - 4 - 2 - 32 - 1 - 4 - 2 - 2 - 21 - 4, 0) }],
    });
    expect(record.length).toBe(16389);
    let t = 1_700_000_000;
    for (let i = 0; i < CONNECTIONS; i++) {
      const client = `10.4.${i >> 8}.${i & 0xff}`;
      for (const f of handshakeFrames({ client, clientPort: 20000 + i, server: '192.0.2.10', hello: record.subarray(0, 15000), reset: false })) file.record(f, (t += 0.0001));
    }
    t = writeHandshakes(file, t + 1, [{ client: '10.9.0.4', port: 40004, sni: null, reset: true }]);
    file.close();

    const r = await analyzeSpawned(path, ['--ingress', '192.0.2.10']);
    expect(r.code).toBe(1);
    const c = r.report.captures[0];
    // 1,007 records of 16,389 bytes (each counting HELD_COPY_COST more) fit in 16 MiB; the later ones are given up.
    const givenUp = CONNECTIONS - Math.floor(DEFAULT_MAX_HELD_BYTES / (record.length + HELD_COPY_COST));
    expect(givenUp).toBe(1993);
    expect(c.handshakesGivenUp).toBe(givenUp);
    expect(c.warnings).toContain(
      `${givenUp} handshakes were given up: the bytes held for handshakes that span segments reached their limit (what arrived of a ClientHello is reported, cut short)`,
    );
    // Given up or cut by the end of the capture, every hello still shows its server_name.
    const byIp = new Map(r.report.clients.map((x) => [x.ip, x]));
    expect(byIp.get('10.4.0.0')?.verdict).toBe('sni-ok');
    expect(byIp.get('10.4.11.183')?.verdict).toBe('sni-ok');
    expect(r.report.summary.nonSniResetClients).toBe(1);
    const cut = r.report.connections.filter((x) => x.clientHello?.malformed?.startsWith('truncated by the limit on bytes held for handshakes'));
    expect(cut.length).toBeGreaterThan(0);
    expect(cut.every((x) => x.clientHello?.sni === 'held.example')).toBe(true);
    expect(r.peakRssMiB ?? Infinity).toBeLessThan(RSS_BUDGET_MIB);
  }, 300_000);
});

describe('TCP reassembly', () => {
  it('endless out-of-order segments on one flow: at most 256 KiB and 512 segments wait, the rest is given up', async () => {
    const path = join(DIR, 'out-of-order.pcap');
    const file = new CaptureFile(path);
    let t = 1_700_000_000;
    for (const f of handshakeFrames({ client: '10.2.0.1', clientPort: 40000, server: '192.0.2.10', hello: Buffer.alloc(0), reset: false }).slice(0, 3)) file.record(f, (t += 0.001));
    // 200,000 segments of 100 bytes, each 100 bytes after a hole that never fills.
    const payload = Buffer.alloc(100, 0x16);
    for (let i = 0; i < 200_000; i++) {
      file.record(tcpFrame({ src: '10.2.0.1', dst: '192.0.2.10', srcPort: 40000, dstPort: 443, flags: PSH | ACK, seq: 1001 + 100 + 200 * i, ack: 5001, payload }), (t += 0.00001));
    }
    file.close();
    const r = await analyzeSpawned(path, ['--ingress', '192.0.2.10']);
    expect(r.report.captures[0].tcpPackets).toBe(200_003);
    expect(r.report.connections).toHaveLength(1);
    expect(r.report.connections[0].packets).toBe(200_003);
    expect(r.peakRssMiB ?? Infinity).toBeLessThan(RSS_BUDGET_MIB);
  }, 300_000);
});

describe('IP', () => {
  it('overlapping and teardrop fragments: at most 1,024 datagrams wait, the first copy of a byte wins', async () => {
    const path = join(DIR, 'fragments.pcap');
    const file = new CaptureFile(path);
    let t = 1_700_000_000;
    const src = addr('10.3.0.1');
    const dst = addr('192.0.2.10');
    const tcp = encodeTcp({ srcPort: 40000, dstPort: 443, flags: SYN, seq: 7 }, Buffer.alloc(40, 0x61));
    for (let id = 0; id < 100_000; id++) {
      const who = { src, dst, id: id & 0xffff, protocol: 6 };
      // Teardrop: the second fragment starts inside the first and ends before it does.
      file.record(ethernet({ etherType: 0x0800 }, ipv4Fragment(who, tcp.subarray(0, 48), 0, true)), (t += 0.0001));
      file.record(ethernet({ etherType: 0x0800 }, ipv4Fragment(who, Buffer.alloc(8, 0xee), 24, true)), (t += 0.0001));
      // Every tenth datagram is completed (by a last fragment that overlaps the first one too).
      if (id % 10 === 0) file.record(ethernet({ etherType: 0x0800 }, ipv4Fragment(who, tcp.subarray(40), 40, false)), (t += 0.0001));
    }
    file.close();
    const r = await analyzeSpawned(path, ['--ingress', '192.0.2.10']);
    const c = r.report.captures[0];
    expect(c.packets).toBe(210_000);
    expect(c.tcpPackets).toBeGreaterThan(0);
    // Every completed datagram is the SYN as sent: the clashing bytes never replaced it.
    expect(r.report.connections.length).toBe(1);
    expect(r.peakRssMiB ?? Infinity).toBeLessThan(RSS_BUDGET_MIB);
  }, 300_000);

  it('long IPv6 extension header chains: up to 16 headers are walked, longer chains are skipped as malformed', async () => {
    const frames: Buffer[] = [];
    for (const n of [1, 15, 16, 17, 100, 1000, 8000]) {
      const exts: Ipv6ExtensionHeader[] = [{ type: 0 }, ...Array.from({ length: n - 1 }, () => ({ type: 60 }))];
      const tcp = encodeTcp({ srcPort: 40000 + n, dstPort: 443, flags: SYN, seq: 1 });
      frames.push(ethernet({ etherType: 0x86dd }, ipv6({ src: addr('2001:db8::1'), dst: addr('2001:db8::10'), nextHeader: 6, extensions: exts }, tcp)));
    }
    const path = join(DIR, 'ipv6-chains.pcap');
    writeFileSync(path, encodePcap(frames.map((data, i) => ({ seconds: 1_700_000_000 + i, fraction: 0, data })), { snapLength: 262144 }));
    const r = await analyze({ captures: [path], ingress: ['2001:db8::10'] });
    const report = JSON.parse(r.stdout) as Report;
    expect(report.captures[0].tcpPackets).toBe(3);
    expect(report.captures[0].skipped.malformed).toBe(4);
    expect(report.connections.map((c) => c.client.port).sort()).toEqual([40001, 40015, 40016]);
  });
});

describe('capture file structure', () => {
  it('a record claiming a 4 GB caplen: nothing is allocated for it, the records before it are kept', async () => {
    const good = handshakeFrames({ client: '10.4.0.1', clientPort: 40000, server: '192.0.2.10', hello: hello(null), reset: true });
    const records = good.map((data, i) => ({ seconds: 1_700_000_000, fraction: i, data }));
    const damaged = Buffer.concat([encodePcap(records), encodePcap([{ seconds: 1_700_000_001, fraction: 0, data: Buffer.alloc(64), capturedLength: 0xffffffff }]).subarray(24), Buffer.alloc(4096, 0xab)]);
    const path = join(DIR, 'caplen-4g.pcap');
    writeFileSync(path, damaged);
    const r = await runCli(['analyze', path, '--format', 'json'], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^sni-pcap: .*caplen 4294967295 exceeds 262144; reporting what was read before it$/);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.captures[0]).toMatchObject({ packets: 5, truncated: true });
    expect(report.summary.nonSniReset).toBe(1);
    expect(r.peakRssMiB ?? Infinity).toBeLessThan(RSS_BUDGET_MIB);
  });

  it('pcapng blocks whose lengths lie, zero-length and unaligned blocks: no loop, the next section is found again', async () => {
    const le = true;
    const frames = handshakeFrames({ client: '10.5.0.1', clientPort: 40000, server: '192.0.2.10', hello: hello(null), reset: true });
    const epb = (i: number) => encodePcapngBlock({ kind: 'epb', interfaceId: 0, timestamp: BigInt(1_700_000_000 + i) * 1_000_000n, data: frames[i] }, le);
    const section = () => [encodeSectionHeader({ byteOrder: 'le' }), encodePcapngBlock({ kind: 'idb', linkType: 1, snapLength: 65535 }, le)];
    const zero = Buffer.alloc(8);
    zero.writeUInt32LE(6, 0); // an EPB whose length is 0
    const unaligned = epb(1);
    unaligned.writeUInt32LE(unaligned.length - 3, 4); // length not a multiple of 4, trailer disagrees
    const lying = epb(2);
    lying.writeUInt32LE(0x7ffffff0, 4); // claims 2 GB
    const parts = [
      ...section(),
      epb(0),
      zero,
      unaligned,
      lying,
      Buffer.alloc(200_000, 0), // a long run of zero words: 50,000 "blocks" of length 0
      ...section(),
      epb(1),
      epb(2),
      epb(3),
      epb(4),
    ];
    const path = join(DIR, 'lying-blocks.pcapng');
    writeFileSync(path, Buffer.concat(parts));
    const r = await runCli(['analyze', path, '--format', 'json'], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    const report = JSON.parse(r.stdout) as Report;
    const c = report.captures[0];
    expect(c.packets).toBe(5);
    expect(c.truncated).toBe(true);
    expect(c.warnings.some((w) => /resynchronised at the section header block/.test(w))).toBe(true);
    // The connection is rebuilt from the packets before and after the damage.
    expect(report.summary.nonSniReset).toBe(1);
  });

  it('timestamps that go backwards: the verdicts stand and nothing waits forever', async () => {
    const path = join(DIR, 'backwards.pcap');
    const file = new CaptureFile(path);
    let t = 1_700_000_000;
    for (let i = 0; i < 5000; i++) {
      const frames = handshakeFrames({ client: `10.6.${i >> 8}.${i & 0xff}`, clientPort: 40000, server: '192.0.2.10', hello: hello(i % 2 === 0 ? null : 'api.example.com', 1 + (i % 200)), reset: i % 2 === 0 });
      // Each connection an hour before the previous one, its packets going back in time too.
      t -= 3600;
      frames.forEach((f, k) => file.record(f, t - k * 0.01));
    }
    file.close();
    const r = await analyzeSpawned(path, ['--ingress', '192.0.2.10']);
    const s = r.report.summary;
    expect(s.connections).toBe(5000);
    expect(s.nonSniReset).toBe(2500);
    expect(s.nonSniResetClients).toBe(2500);
    expect(r.report.captures[0].lastTime ?? 0).toBeLessThan(r.report.captures[0].firstTime ?? 0);
    for (const c of r.report.connections) if (c.serverReset !== null) expect(Number.isFinite(c.serverReset.afterClientHelloMs)).toBe(true);
    expect(r.peakRssMiB ?? Infinity).toBeLessThan(RSS_BUDGET_MIB);
  }, 300_000);
});
