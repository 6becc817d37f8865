import { readdirSync, readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeJson } from './helpers/run.js';

/**
 * Conformance with tshark on the public corpus: for the first TCP ClientHello of each stream
 * tshark saw, sni-pcap must report a ClientHello on the same client address and port, in the
 * same frame, with the same SNI.
 */
const CORPUS = resolve(__dirname, '../../shared/corpus');

interface ExpectedHello {
  frame: number;
  transport: string;
  tcp_stream: number;
  src: string;
  src_port: number;
  sni: string | null;
}

/** Where sni-pcap knowingly differs from tshark, with the reason. Key: "capture#frame". */
const KNOWN: Record<string, string> = {};

function normalize(ip: string): string {
  if (!isIPv6(ip)) return ip;
  const u = new URL(`http://[${ip}]/`);
  return u.hostname.slice(1, -1);
}

const files = readdirSync(join(CORPUS, 'expected')).filter((f) => f.endsWith('.json')).sort();

describe('agreement with tshark on the corpus', () => {
  let agree = 0;
  let total = 0;
  for (const file of files) {
    const expected = JSON.parse(readFileSync(join(CORPUS, 'expected', file), 'utf8')) as { capture: string; client_hellos: ExpectedHello[] };
    const seen = new Set<number>();
    const want = expected.client_hellos.filter((ch) => {
      if (ch.transport !== 'tcp' || seen.has(ch.tcp_stream)) return false;
      seen.add(ch.tcp_stream);
      return true;
    });
    if (want.length === 0) continue;
    it(`${expected.capture}: ${want.length} ClientHello(s)`, async () => {
      const report = await analyzeJson([join(CORPUS, expected.capture)]);
      const name = expected.capture.replace(/^captures\//, '');
      for (const ch of want) {
        total++;
        const key = `${name}#${ch.frame}`;
        const got = report.connections.find(
          (c) => c.clientHello?.frame === ch.frame && normalize(c.client.ip) === normalize(ch.src) && c.client.port === ch.src_port,
        );
        if (KNOWN[key] !== undefined) continue;
        expect(got, `${key}: ClientHello not reported`).toBeDefined();
        expect(got?.clientHello?.sni ?? null, `${key}: SNI`).toBe(ch.sni ?? null);
        agree++;
      }
    });
  }
  it('lists every known disagreement with a reason', () => {
    for (const reason of Object.values(KNOWN)) expect(reason.length).toBeGreaterThan(20);
  });
});
