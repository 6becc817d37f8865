// Light checks that samples/expected.json and the sample files agree (no tshark needed).
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SAMPLES = fileURLToPath(new URL('../../samples/', import.meta.url));

interface Hello {
  frame: number;
  clientIp: string;
  clientPort: number;
  serverIp: string;
  serverPort: number;
  sni: string | null;
  sniStatus: 'present' | 'absent' | 'unknown';
}
interface Reset {
  frame: number;
  fromIp: string;
  fromPort: number;
  by: 'server' | 'client';
}
interface Connection {
  clientIp: string;
  clientPort: number;
  clientHelloFrame: number;
  serverHelloFrame: number | null;
  resets: { frame: number; by: 'server' | 'client' }[];
  outcome: 'served' | 'reset' | 'unknown';
}
interface SampleFacts {
  format: 'pcap' | 'pcapng';
  linkType: number;
  packets: number;
  clientHellos: Hello[];
  resets: Reset[];
  connections: Connection[];
}
interface Expected {
  samples: Record<string, SampleFacts>;
  logs: Record<string, { capture: string; jsonLines: number; nonJsonLines: number[] }>;
}

const expected = JSON.parse(fs.readFileSync(`${SAMPLES}expected.json`, 'utf8')) as Expected;

describe('sample captures', () => {
  it('lists every capture of the plan', () => {
    expect(Object.keys(expected.samples).sort()).toEqual(
      [
        'any-sll2.pcap',
        'ipv6-non-sni-reset.pcap',
        'mixed.pcapng',
        'non-sni-reset.pcap',
        'sni-ok.pcap',
        'snaplen-cut.pcap',
        'unknown-sni-reset.pcap',
        'wildcard-ok.pcap',
      ].sort(),
    );
  });

  for (const [file, facts] of Object.entries(expected.samples)) {
    it(`${file}: file header, size and facts agree`, () => {
      const bytes = fs.readFileSync(`${SAMPLES}${file}`);
      expect(bytes.length).toBeLessThan(100 * 1024);
      if (facts.format === 'pcap') {
        expect(bytes.readUInt32LE(0)).toBe(0xa1b2c3d4);
        expect(bytes.readUInt32LE(20) & 0xffff).toBe(facts.linkType);
      } else {
        expect(bytes.readUInt32LE(0)).toBe(0x0a0d0d0a);
      }
      for (const hello of facts.clientHellos) {
        expect(hello.frame).toBeLessThanOrEqual(facts.packets);
        expect(hello.sni === null).toBe(hello.sniStatus !== 'present');
      }
      for (const c of facts.connections) {
        const serverResets = c.resets.filter((r) => r.by === 'server');
        if (c.outcome === 'reset') {
          expect(c.serverHelloFrame).toBeNull();
          expect(serverResets.length).toBeGreaterThan(0);
          expect(serverResets[0].frame).toBeGreaterThan(c.clientHelloFrame);
        } else {
          expect(c.outcome).toBe('served');
          expect(serverResets).toEqual([]);
        }
      }
      for (const r of facts.resets) {
        expect(r.by === 'server').toBe(r.fromPort === 8443);
      }
    });
  }

  it('ingress-logs.jsonl holds one JSON line per connection of its capture', () => {
    const [[file, logFacts]] = Object.entries(expected.logs);
    const lines = fs.readFileSync(`${SAMPLES}${file}`, 'utf8').split('\n').filter(Boolean);
    const json = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(json.length).toBe(logFacts.jsonLines);
    expect(lines.length - json.length).toBe(logFacts.nonJsonLines.length);
    const capture = expected.samples[logFacts.capture];
    const resets = capture.connections
      .filter((c) => c.outcome === 'reset')
      .map((c) => `${c.clientIp}:${c.clientPort}`)
      .sort();
    const logged = json
      .filter((e) => e.status_details === 'filter_chain_not_found' && e.upstream_response_flags === 'NR')
      .map((e) => e.remote_address)
      .sort();
    expect(logged).toEqual(resets);
  });
});
