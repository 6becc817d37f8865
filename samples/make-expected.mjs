#!/usr/bin/env node
// Reads every sample capture with tshark and writes what it finds to expected.json (for tests)
// and to the facts section of README.md (for people): per capture the format, link type,
// packet count, every ClientHello (frame, client, server, SNI), every TCP RST (frame, sender)
// and, per TCP connection, whether the ingress answered with a ServerHello or reset it.
// It also summarises ingress-logs.jsonl. It checks each sample against what make-samples.sh
// meant to produce and exits 1 when a capture does not match.
//
//   node samples/make-expected.mjs          (needs tshark; run from anywhere)

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER_PORT = 8443;
const INGRESS_ADDRESSES = ['127.0.0.10:8443', '[::1]:8443'];
const INGRESS_HOSTS = ['api.example.com', '*.apps.example.com'];
const LINK_TYPE_NAMES = { 1: 'EN10MB', 113: 'LINUX_SLL', 276: 'LINUX_SLL2' };

/** What make-samples.sh produces; `expect` is checked against the capture. */
const SAMPLES = [
  {
    file: 'non-sni-reset.pcap',
    capture: "tcpdump -i lo -w non-sni-reset.pcap 'tcp port 8443'",
    mode: 'strict',
    expect: { format: 'pcap', linkTypes: [1], connections: 6, served: 2, reset: 4, withoutSni: 4, families: ['IPv4'] },
  },
  {
    file: 'any-sll2.pcap',
    capture: "tcpdump -i any -y LINUX_SLL2 -w any-sll2.pcap 'tcp port 8443'",
    mode: 'strict',
    expect: { format: 'pcap', linkTypes: [276], connections: 4, served: 1, reset: 3, withoutSni: 3, families: ['IPv4', 'IPv6'] },
  },
  {
    file: 'mixed.pcapng',
    capture: "dumpcap -i lo -f 'tcp port 8443' -w mixed.pcapng",
    mode: 'strict',
    expect: { format: 'pcapng', linkTypes: [1], connections: 5, served: 2, reset: 3, withoutSni: 3, families: ['IPv4', 'IPv6'] },
  },
  {
    file: 'ipv6-non-sni-reset.pcap',
    capture: "tcpdump -i lo -w ipv6-non-sni-reset.pcap 'ip6 and tcp port 8443'",
    mode: 'strict',
    expect: { format: 'pcap', linkTypes: [1], connections: 4, served: 1, reset: 3, withoutSni: 3, families: ['IPv6'] },
  },
  {
    file: 'sni-ok.pcap',
    capture: "tcpdump -i lo -w sni-ok.pcap 'tcp port 8443'",
    mode: 'strict',
    expect: { format: 'pcap', linkTypes: [1], connections: 4, served: 4, reset: 0, withoutSni: 0, families: ['IPv4', 'IPv6'] },
  },
  {
    file: 'wildcard-ok.pcap',
    capture: "tcpdump -i lo -w wildcard-ok.pcap 'tcp port 8443'",
    mode: 'wildcard',
    expect: { format: 'pcap', linkTypes: [1], connections: 5, served: 5, reset: 0, withoutSni: 3, families: ['IPv4'] },
  },
  {
    file: 'unknown-sni-reset.pcap',
    capture: "tcpdump -i lo -w unknown-sni-reset.pcap 'tcp port 8443'",
    mode: 'strict',
    expect: { format: 'pcap', linkTypes: [1], connections: 3, served: 1, reset: 2, withoutSni: 0, families: ['IPv4'] },
  },
  {
    file: 'snaplen-cut.pcap',
    capture: "tcpdump -i lo -s 96 -w snaplen-cut.pcap 'tcp port 8443'",
    mode: 'strict',
    expect: {
      format: 'pcap', linkTypes: [1], connections: 3, served: 1, reset: 2, withoutSni: 0, sniUnknown: 3, families: ['IPv4'],
    },
  },
];
const LOGS = { file: 'ingress-logs.jsonl', capture: 'non-sni-reset.pcap' };

const FIELDS = [
  'frame.number', 'frame.cap_len', 'frame.len',
  'ip.src', 'ipv6.src', 'tcp.srcport', 'ip.dst', 'ipv6.dst', 'tcp.dstport',
  'tcp.stream', 'tcp.flags', 'tcp.len',
  'tls.handshake.type', 'tls.handshake.extensions_server_name', 'tcp.payload',
];

function tsharkRows(file) {
  const out = execFileSync(
    'tshark',
    ['-n', '-r', file, '-d', `tcp.port==${SERVER_PORT},tls`, '-T', 'fields', '-E', 'separator=/t',
      '-E', 'occurrence=a', '-E', 'aggregator=,', ...FIELDS.flatMap((f) => ['-e', f])],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 },
  );
  return out.split('\n').filter((l) => l.length > 0).map((line) => {
    const v = line.split('\t');
    const get = (name) => v[FIELDS.indexOf(name)] ?? '';
    const v6 = get('ipv6.src') !== '';
    return {
      frame: Number(get('frame.number')),
      capLen: Number(get('frame.cap_len')),
      len: Number(get('frame.len')),
      family: v6 ? 'IPv6' : 'IPv4',
      src: v6 ? get('ipv6.src') : get('ip.src'),
      dst: v6 ? get('ipv6.dst') : get('ip.dst'),
      srcPort: Number(get('tcp.srcport')),
      dstPort: Number(get('tcp.dstport')),
      stream: Number(get('tcp.stream')),
      flags: Number.parseInt(get('tcp.flags'), 16),
      tcpLen: Number(get('tcp.len')),
      handshakeTypes: get('tls.handshake.type').split(',').filter(Boolean).map(Number),
      serverNames: get('tls.handshake.extensions_server_name').split(',').filter(Boolean),
      payload: get('tcp.payload').replace(/:/g, ''),
    };
  });
}

/** Format and link types from the file's own header blocks. */
function fileHeader(file) {
  const buf = fs.readFileSync(file);
  const magic = buf.readUInt32BE(0);
  if ([0xa1b2c3d4, 0xa1b23c4d, 0xd4c3b2a1, 0x4d3cb2a1].includes(magic)) {
    const le = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
    const u32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
    return { format: 'pcap', linkTypes: [u32(20) & 0xffff], snapLength: u32(16) };
  }
  if (magic !== 0x0a0d0d0a) throw new Error(`${file}: not a capture file`);
  const le = buf.readUInt32LE(8) === 0x1a2b3c4d;
  const u32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const u16 = (o) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const linkTypes = [];
  let snapLength = null;
  for (let off = 0; off + 12 <= buf.length;) {
    const type = u32(off);
    const length = u32(off + 4);
    if (length < 12 || off + length > buf.length) break;
    if (type === 1) {
      const lt = u16(off + 8);
      if (!linkTypes.includes(lt)) linkTypes.push(lt);
      snapLength ??= u32(off + 12);
    }
    off += length;
  }
  return { format: 'pcapng', linkTypes, snapLength };
}

/** A truncated frame's handshake type, read from the captured prefix of the TCP payload. */
function prefixHandshakeType(row) {
  if (row.capLen >= row.len || row.payload.length < 12) return null;
  if (!row.payload.startsWith('1603')) return null;
  return Number.parseInt(row.payload.slice(10, 12), 16);
}

function endpoint(ip, port) {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function analyse(sample) {
  const file = path.join(HERE, sample.file);
  const header = fileHeader(file);
  const rows = tsharkRows(file);
  const streams = new Map();
  const clientHellos = [];
  const resets = [];

  const streamOf = (row) => {
    let s = streams.get(row.stream);
    if (!s) {
      // The side that sent the first SYN is the client; without one, the side not on the server port.
      const client = (row.flags & 0x12) === 0x02 || row.dstPort === SERVER_PORT
        ? { ip: row.src, port: row.srcPort }
        : { ip: row.dst, port: row.dstPort };
      const server = client.ip === row.src && client.port === row.srcPort
        ? { ip: row.dst, port: row.dstPort }
        : { ip: row.src, port: row.srcPort };
      s = {
        stream: row.stream, family: row.family, client, server,
        synFrame: null, clientHelloFrame: null, sni: null, sniStatus: null, truncatedHello: false,
        serverHelloFrame: null, resets: [], firstFrame: row.frame, lastFrame: row.frame, packets: 0,
      };
      streams.set(row.stream, s);
    }
    return s;
  };

  for (const row of rows) {
    const s = streamOf(row);
    s.packets += 1;
    s.lastFrame = row.frame;
    const fromClient = row.src === s.client.ip && row.srcPort === s.client.port;
    if ((row.flags & 0x12) === 0x02 && s.synFrame === null) s.synFrame = row.frame;

    const prefixType = row.handshakeTypes.length === 0 ? prefixHandshakeType(row) : null;
    const isClientHello = row.handshakeTypes.includes(1) || prefixType === 1;
    const isServerHello = row.handshakeTypes.includes(2) || prefixType === 2;
    if (isClientHello && fromClient) {
      const truncated = prefixType === 1;
      const sni = truncated ? null : row.serverNames[0] ?? null;
      const sniStatus = truncated ? 'unknown' : sni === null ? 'absent' : 'present';
      clientHellos.push({
        frame: row.frame, clientIp: row.src, clientPort: row.srcPort, serverIp: row.dst, serverPort: row.dstPort,
        sni, sniStatus, truncated,
      });
      if (s.clientHelloFrame === null) {
        Object.assign(s, { clientHelloFrame: row.frame, sni, sniStatus, truncatedHello: truncated });
      }
    }
    if (isServerHello && !fromClient && s.serverHelloFrame === null) s.serverHelloFrame = row.frame;
    if (row.flags & 0x04) {
      const by = fromClient ? 'client' : 'server';
      resets.push({ frame: row.frame, fromIp: row.src, fromPort: row.srcPort, toIp: row.dst, toPort: row.dstPort, by });
      s.resets.push({ frame: row.frame, by });
    }
  }

  const connections = [...streams.values()].map((s) => {
    const serverReset = s.resets.find((r) => r.by === 'server');
    let outcome = 'unknown';
    if (s.serverHelloFrame !== null) outcome = 'served';
    else if (serverReset && s.clientHelloFrame !== null && serverReset.frame > s.clientHelloFrame) outcome = 'reset';
    return {
      stream: s.stream,
      family: s.family,
      clientIp: s.client.ip,
      clientPort: s.client.port,
      serverIp: s.server.ip,
      serverPort: s.server.port,
      synFrame: s.synFrame,
      clientHelloFrame: s.clientHelloFrame,
      sni: s.sni,
      sniStatus: s.sniStatus,
      serverHelloFrame: s.serverHelloFrame,
      resets: s.resets,
      outcome,
      frames: [s.firstFrame, s.lastFrame],
      packets: s.packets,
    };
  });

  const unique = (xs) => [...new Set(xs)];
  const summary = {
    connections: connections.length,
    clientHellos: clientHellos.length,
    withoutSni: clientHellos.filter((h) => h.sniStatus === 'absent').length,
    sniUnknown: clientHellos.filter((h) => h.sniStatus === 'unknown').length,
    served: connections.filter((c) => c.outcome === 'served').length,
    reset: connections.filter((c) => c.outcome === 'reset').length,
    serverResets: resets.filter((r) => r.by === 'server').length,
    clientResets: resets.filter((r) => r.by === 'client').length,
    families: unique(connections.map((c) => c.family)).sort(),
    nonSniClients: unique(clientHellos.filter((h) => h.sniStatus === 'absent').map((h) => h.clientIp)),
    resetClients: unique(connections.filter((c) => c.outcome === 'reset').map((c) => endpoint(c.clientIp, c.clientPort))),
    serverNames: unique(clientHellos.map((h) => h.sni).filter((n) => n !== null)),
  };

  return {
    format: header.format,
    linkType: header.linkTypes[0],
    linkTypeName: LINK_TYPE_NAMES[header.linkTypes[0]] ?? String(header.linkTypes[0]),
    linkTypes: header.linkTypes,
    snapLength: header.snapLength,
    packets: rows.length,
    snappedPackets: rows.filter((r) => r.capLen < r.len).length,
    bytes: fs.statSync(file).size,
    capture: sample.capture,
    ingress: { mode: sample.mode, addresses: INGRESS_ADDRESSES, hosts: INGRESS_HOSTS },
    clientHellos,
    resets,
    connections,
    summary,
  };
}

function check(sample, facts) {
  const problems = [];
  const e = sample.expect;
  if (facts.format !== e.format) problems.push(`format ${facts.format}, wanted ${e.format}`);
  if (JSON.stringify(facts.linkTypes) !== JSON.stringify(e.linkTypes)) problems.push(`link types ${facts.linkTypes}`);
  for (const key of ['connections', 'served', 'reset', 'withoutSni']) {
    if (facts.summary[key] !== e[key]) problems.push(`${key} ${facts.summary[key]}, wanted ${e[key]}`);
  }
  if ((e.sniUnknown ?? 0) !== facts.summary.sniUnknown) problems.push(`sniUnknown ${facts.summary.sniUnknown}`);
  if (JSON.stringify(facts.summary.families) !== JSON.stringify(e.families)) problems.push(`families ${facts.summary.families}`);
  if (facts.summary.clientHellos !== facts.summary.connections) problems.push('not one ClientHello per connection');
  if (facts.connections.some((c) => c.outcome === 'unknown')) problems.push('a connection neither served nor reset');
  if (facts.bytes >= 100 * 1024) problems.push(`${facts.bytes} bytes, too large`);
  return problems;
}

function analyseLogs(captureFacts) {
  const text = fs.readFileSync(path.join(HERE, LOGS.file), 'utf8');
  const lines = text.split('\n').filter((l) => l.length > 0);
  const entries = [];
  const nonJson = [];
  lines.forEach((line, i) => {
    try {
      const value = JSON.parse(line);
      if (value && typeof value === 'object') entries.push({ line: i + 1, ...value });
      else nonJson.push(i + 1);
    } catch {
      nonJson.push(i + 1);
    }
  });
  const resets = entries.filter((e) => e.status_details === 'filter_chain_not_found');
  const facts = {
    capture: LOGS.capture,
    lines: lines.length,
    jsonLines: entries.length,
    nonJsonLines: nonJson,
    filterChainNotFound: resets.length,
    served: entries.filter((e) => e.status === 200).length,
    entries: entries.map((e) => ({
      line: e.line,
      remote_address: e.remote_address,
      sni_host: e.sni_host,
      status_details: e.status_details,
      upstream_response_flags: e.upstream_response_flags,
      status: e.status,
    })),
  };
  // Every access-log line must be one connection of the capture, with the same verdict.
  const problems = [];
  const byClient = new Map(captureFacts.connections.map((c) => [endpoint(c.clientIp, c.clientPort), c]));
  for (const e of entries) {
    const c = byClient.get(e.remote_address);
    if (!c) problems.push(`log line ${e.line}: ${e.remote_address} not in ${LOGS.capture}`);
    else if ((c.outcome === 'reset') !== (e.status_details === 'filter_chain_not_found')) {
      problems.push(`log line ${e.line}: ${e.status_details} but the capture says ${c.outcome}`);
    } else if (c.sni !== e.sni_host) problems.push(`log line ${e.line}: sni ${e.sni_host} vs ${c.sni}`);
  }
  if (entries.length !== captureFacts.connections.length) problems.push('not one log line per connection');
  return { facts, problems };
}

function factsMarkdown(all, logs) {
  const out = [];
  const sniText = (h) => (h.sniStatus === 'present' ? `\`${h.sni}\`` : h.sniStatus === 'absent' ? 'none' : 'unknown (cut)');
  for (const [file, f] of Object.entries(all)) {
    out.push(`### ${file}`, '');
    out.push(
      `${f.format}, link type ${f.linkType} (${f.linkTypeName}), ${f.packets} packets` +
        `${f.snappedPackets ? ` (${f.snappedPackets} cut by snaplen ${f.snapLength})` : ''}, ${f.bytes} bytes; ` +
        `${f.summary.connections} connections: ${f.summary.served} served, ${f.summary.reset} reset by the ingress; ` +
        `ClientHellos without SNI: ${f.summary.withoutSni}` +
        `${f.summary.sniUnknown ? `, SNI unknown (cut): ${f.summary.sniUnknown}` : ''}.`,
      '',
    );
    out.push('| stream | client | server | ClientHello frame | SNI | ServerHello frame | RST frames (sender) | outcome |');
    out.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const c of f.connections) {
      const hello = f.clientHellos.find((h) => h.frame === c.clientHelloFrame);
      out.push(
        `| ${c.stream} | ${endpoint(c.clientIp, c.clientPort)} | ${endpoint(c.serverIp, c.serverPort)} | ` +
          `${c.clientHelloFrame ?? '-'} | ${hello ? sniText(hello) : '-'} | ${c.serverHelloFrame ?? '-'} | ` +
          `${c.resets.map((r) => `${r.frame} (${r.by})`).join(', ') || '-'} | ${c.outcome} |`,
      );
    }
    out.push('');
  }
  out.push(`### ${LOGS.file}`, '');
  out.push(
    `${logs.lines} lines: ${logs.jsonLines} JSON access-log lines (one per connection of ${logs.capture}), ` +
      `non-JSON lines at ${logs.nonJsonLines.join(', ')}; ${logs.filterChainNotFound} \`filter_chain_not_found\` ` +
      `(flag \`NR\`), ${logs.served} answered with status 200.`,
    '',
  );
  out.push('| line | remote_address | sni_host | status_details | flags | status |');
  out.push('| --- | --- | --- | --- | --- | --- |');
  for (const e of logs.entries) {
    out.push(
      `| ${e.line} | ${e.remote_address} | ${e.sni_host ?? 'null'} | ${e.status_details} | ${e.upstream_response_flags} | ${e.status} |`,
    );
  }
  out.push('');
  return out.join('\n');
}

function main() {
  const tsharkVersion = execFileSync('tshark', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    .split('\n')[0];
  const all = {};
  let failed = false;
  for (const sample of SAMPLES) {
    const facts = analyse(sample);
    all[sample.file] = facts;
    const problems = check(sample, facts);
    const s = facts.summary;
    console.log(
      `${sample.file}: ${facts.packets} packets, ${s.connections} connections, ${s.served} served, ${s.reset} reset, ` +
        `${s.withoutSni} without SNI${problems.length ? ` -- PROBLEMS: ${problems.join('; ')}` : ''}`,
    );
    if (problems.length) failed = true;
  }
  const logs = analyseLogs(all[LOGS.capture]);
  console.log(
    `${LOGS.file}: ${logs.facts.lines} lines, ${logs.facts.jsonLines} JSON${logs.problems.length ? ` -- PROBLEMS: ${logs.problems.join('; ')}` : ''}`,
  );
  if (logs.problems.length) failed = true;

  const expected = {
    note: 'Regenerated from the captures by make-expected.mjs; frame numbers are Wireshark frame numbers (1-based).',
    tshark: tsharkVersion,
    samples: all,
    logs: { [LOGS.file]: logs.facts },
  };
  fs.writeFileSync(path.join(HERE, 'expected.json'), `${JSON.stringify(expected, null, 2)}\n`);

  const readmePath = path.join(HERE, 'README.md');
  const begin = '<!-- facts:begin -->';
  const end = '<!-- facts:end -->';
  const readme = fs.readFileSync(readmePath, 'utf8');
  const from = readme.indexOf(begin);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error('README.md lacks the facts markers');
  const facts = factsMarkdown(all, logs.facts);
  fs.writeFileSync(readmePath, `${readme.slice(0, from + begin.length)}\n\n${facts}\n${readme.slice(to)}`);
  if (failed) process.exitCode = 1;
}

main();
