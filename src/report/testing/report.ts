import { hello, outcome } from '../../outcome/testing/outcome.js';
import type { ConnectionOutcome } from '../../outcome/types.js';
import { judge } from '../../verdict/verdicts.js';
import { buildReport, type CaptureFacts, type Report } from '../model.js';

/** Capture facts of one small pcap file, for tests. */
export function captureFacts(file = 'capture.pcap', connections = 0): CaptureFacts {
  return {
    file,
    summary: {
      format: 'pcap',
      byteOrder: 'le',
      gzip: false,
      interfaces: [],
      linkTypes: [1],
      packets: 20,
      snappedPackets: 0,
      firstTime: 1_700_000_000,
      lastTime: 1_700_000_001.5,
      drops: null,
      truncated: false,
      error: null,
      warnings: [],
    },
    tcpPackets: 20,
    skipped: {},
    unsupportedLinkTypes: new Map(),
    tunnels: new Map(),
    connections,
    connectionsEvicted: 0,
    handshakesGivenUp: 0,
  };
}

/** The report of the given outcomes, scoped to `ingress` (detected when empty). */
export function reportOf(outcomes: ConnectionOutcome[], ingress: string[] = []): Report {
  const isIngress = ingress.length > 0 ? (ip: string) => ingress.includes(ip) : null;
  return buildReport('0.0.0-test', [captureFacts('capture.pcap', outcomes.length)], judge(outcomes, isIngress, ingress));
}

/** A connection whose ClientHello carries `name` as server_name (status present), reset by the server when `reset`. */
export function withSni(name: string, s: { client: string; stream: number; reset: boolean }): ConnectionOutcome {
  const o = outcome({ client: s.client, sni: 'present', stream: s.stream, serverResetFrame: s.reset ? 6 : undefined, serverHelloFrame: s.reset ? undefined : 6 });
  if (o.clientHello !== null) o.clientHello = { ...o.clientHello, hello: hello('present', name) };
  return o;
}

/** Control characters, bidi override, markup and a script end tag: what a hostile client might put in server_name. */
export const HOSTILE_SNI = '<img src=x onerror=alert(1)></script><script>alert(2)</script>\x1b[31mred\x1b[0m\u202Etxt.exe`|*_[x](https://evil.example/)';
