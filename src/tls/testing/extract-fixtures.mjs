// Regenerates the JSON fixtures in ../testdata from the shared capture corpus with tshark.
// Usage (from the repository root): node src/tls/testing/extract-fixtures.mjs <corpus-dir>
// where <corpus-dir> holds captures/, expected/ (tshark's answers) and upstream-expected/ja4/.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const corpus = process.argv[2];
if (!corpus) throw new Error('usage: extract-fixtures.mjs <corpus-dir>');
const dir = join(corpus, 'captures');
const out = new URL('../testdata/', import.meta.url);
const PREFS = ['-n', '-o', 'tcp.try_heuristic_first:TRUE', '-o', 'tcp.check_checksum:FALSE'];

function tshark(file, filter, fields) {
  const args = ['-r', join(dir, file), ...PREFS, '-Y', filter, '-T', 'fields', '-E', 'separator=/t'];
  for (const f of fields) args.push('-e', f);
  const text = execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
  return text.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

// Handshake messages of one type: the TCP payload tshark decoded them from (reassembled when it had to).
function messages(file, type) {
  const rows = tshark(file, `tls.handshake.type==${type} && tcp`, [
    'frame.number', 'tcp.stream', 'tls.handshake.extensions_server_name', 'tcp.reassembled.data', 'tcp.payload',
  ]);
  return rows.map(([frame, stream, sni, reassembled, payload]) => ({
    frame: Number(frame),
    stream: Number(stream),
    sni: sni ? sni : null,
    data: reassembled ? reassembled : payload,
  }));
}

// Every TCP segment with payload, in capture order.
function segments(file) {
  const rows = tshark(file, 'tcp.len > 0', ['frame.number', 'tcp.stream', 'tcp.srcport', 'tcp.dstport', 'tcp.seq', 'tcp.payload']);
  return rows.map(([frame, stream, srcPort, dstPort, seq, payload]) => ({
    frame: Number(frame), stream: Number(stream), srcPort: Number(srcPort), dstPort: Number(dstPort), seq: Number(seq), payload,
  }));
}

const HELLOS = [
  'ja4__browsers-x509.pcapng', 'ja4__chrome-cloudflare-quic-with-secrets.pcapng', 'ja4__https-connect.pcap', 'ja4__ipv6.pcapng',
  'ja4__socks-https-example.pcap', 'ja4__tls-sni.pcapng', 'ja4__tls12.pcap',
  'zeek__ssl-v2.pcap', 'arkime__pppoe.pcap', 'ndpi__ossfuzz_seed_fake_traces_1.pcapng', 'pcpp__ssl-malformed1.pcap',
  'pcpp__tls_zero_size_ext.pcap', 'ndpi__tls_ech.pcapng', 'zeek__tls13-ech.pcap', 'zeek__hrr.pcap', 'ndpi__tls-esni-fuzzed.pcap',
  'ndpi__tls_cipher_lens.pcap', 'ndpi__encrypted_sni.pcap', 'arkime__openssl-ssl3.pcap', 'zeek__ssl.v3.pcap',
  'zeek__chrome-1250-tls-x25519-kyber.pcap', 'ndpi__tls_2_reasms.pcapng', 'illustrated-tls13__capture.pcap',
];
const SERVER_HELLOS = ['zeek__hrr.pcap', 'ndpi__pgsql2.pcapng', 'illustrated-tls13__capture.pcap', 'illustrated-tls12__capture.pcap'];
const SEGMENTS = [
  'zeek__imap-starttls.pcap', 'ndpi__smtp-starttls.pcap', 'arkime__mysql-tls.pcap', 'ndpi__pgsql2.pcapng', 'ja4__https-connect.pcap',
  'ja4__socks-https-example.pcap', 'zeek__hrr.pcap', 'ndpi__tls_missing_ch_frag.pcap', 'sv__tls-client-hello-frag-01__dump_mtu300.pcap',
  'arkime__tls-split-client-hello.pcap', 'pcpp__sll2.pcap', 'pcpp__nanosecs_big_endian.pcap',
];

// tshark's answer for each ClientHello, from expected/<capture>.json, matched by frame.
function expectedHellos(file) {
  const path = join(corpus, 'expected', `${file}.json`);
  const answer = JSON.parse(readFileSync(path, 'utf8'));
  return answer.client_hellos.filter((h) => h.transport === 'tcp');
}

// FoxIO's snapshot (upstream-expected/ja4/ja4__insta@<name>.snap): stream, transport, SNI and JA4 per entry.
function upstreamJa4(file) {
  const path = join(corpus, 'upstream-expected', 'ja4', `ja4__insta@${file.replace(/^ja4__/, '')}.snap`);
  if (!existsSync(path)) return undefined;
  const entries = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    let m = /^- stream: (\d+)$/.exec(line);
    if (m) {
      entries.push({ stream: Number(m[1]) });
      continue;
    }
    const current = entries[entries.length - 1];
    m = /^  (transport|tls_server_name|ja4): (.*)$/.exec(line);
    if (current && m) current[m[1] === 'tls_server_name' ? 'sni' : m[1]] = m[2];
  }
  return entries.filter((e) => e.ja4 !== undefined);
}

const names = new Set([...HELLOS, ...SERVER_HELLOS, ...SEGMENTS]);
for (const file of names) {
  const fixture = { capture: file };
  if (HELLOS.includes(file)) {
    const expected = expectedHellos(file);
    fixture.clientHellos = messages(file, 1).map((hello, index) => {
      const answer = expected.filter((h) => h.frame === hello.frame)[0] ?? expected[index];
      return {
        ...hello,
        expected: {
          sni: answer.sni,
          sslv2Record: answer.sslv2_record,
          recordVersion: answer.record_version,
          handshakeVersion: answer.handshake_version,
          supportedVersions: answer.supported_versions,
          extensionsReported: answer.extensions_reported,
          extensionTypes: answer.extension_types,
          sniExtensionPresent: answer.sni_extension_present,
          echExtensionPresent: answer.ech_extension_present,
        },
      };
    });
    const ja4 = upstreamJa4(file);
    if (ja4) fixture.upstreamJa4 = ja4;
  }
  if (SERVER_HELLOS.includes(file)) fixture.serverHellos = messages(file, 2);
  if (SEGMENTS.includes(file)) {
    fixture.segments = segments(file);
    fixture.tsharkHellos = expectedHellos(file).map((h) => ({
      frame: h.frame,
      segmentFrames: h.segment_frames,
      stream: h.tcp_stream,
      srcPort: h.src_port,
      sni: h.sni,
    }));
  }
  writeFileSync(new URL(`${file}.json`, out), JSON.stringify(fixture, null, 1) + '\n');
}
