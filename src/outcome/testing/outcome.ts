import type { SniStatus } from '../../tls/types.js';
import type { ClientHelloFacts, ConnectionOutcome } from '../types.js';
import { parseAddress } from '../../ip/address.js';
import { categorize } from '../category.js';

/** What a connection keeps of a ClientHello with the given server_name, for tests. */
export function hello(status: SniStatus, name: string | null = status === 'present' ? 'api.example.com' : null): ClientHelloFacts {
  return {
    format: 'tls',
    recordVersion: 0x0301,
    legacyVersion: 0x0303,
    supportedVersions: [0x0304, 0x0303],
    random: '\u0000'.repeat(32),
    cipherSuiteCount: 1,
    extensionTypes: [],
    serverName: { status, name, hex: name === null ? null : Buffer.from(name).toString('hex') },
    alpn: [],
    encryptedClientHello: false,
    complete: status !== 'unknown',
    malformed: null,
    length: 100,
  };
}

export interface OutcomeSketch {
  client?: string;
  server?: string;
  sni?: SniStatus | null;
  serverHelloFrame?: number;
  serverResetFrame?: number;
  clientResetFrame?: number;
  stream?: number;
}

/** A connection outcome: ClientHello in frame 4, then what the sketch says. */
export function outcome(s: OutcomeSketch): ConnectionOutcome {
  const ref = (frame: number | undefined) => (frame === undefined ? null : { frame, time: frame / 1000 });
  const o: ConnectionOutcome = {
    stream: s.stream ?? 0,
    capture: 0,
    ipVersion: 4,
    client: { ip: s.client ?? '10.0.0.1', port: 40000 + (s.stream ?? 0) },
    clientAddressBytes: addressBytes(s.client ?? '10.0.0.1'),
    server: { ip: s.server ?? '10.0.0.100', port: 443 },
    sideEvidence: 'syn',
    tunnel: null,
    packets: 5,
    first: { frame: 1, time: 0.001 },
    last: { frame: 9, time: 0.009 },
    syn: { frame: 1, time: 0.001 },
    synAck: { frame: 2, time: 0.002 },
    handshakeAck: { frame: 3, time: 0.003 },
    clientIsn: 1000,
    clientHello: s.sni === null || s.sni === undefined ? null : { hello: hello(s.sni), at: { frame: 4, firstFrame: 4, time: 0.004 }, ja4: 't13d0100h1_x_y' },
    clientHelloCount: s.sni ? 1 : 0,
    helloRetryRequest: null,
    serverHello:
      s.serverHelloFrame === undefined
        ? null
        : { hello: { helloRetryRequest: false, legacyVersion: 0x0303, version: 0x0304, cipherSuite: 0x1301 }, at: { frame: s.serverHelloFrame, firstFrame: s.serverHelloFrame, time: s.serverHelloFrame / 1000 } },
    serverAlert: null,
    clientAlert: null,
    serverReset: ref(s.serverResetFrame),
    clientReset: ref(s.clientResetFrame),
    serverFin: null,
    clientFin: null,
    clientGap: null,
    closedBy: 'end-of-capture',
    category: 'no-tls',
  };
  o.category = categorize(o);
  return o;
}

/** An address's bytes, one character per byte (latin1), as a connection keeps them. */
function addressBytes(text: string): string {
  const parsed = parseAddress(text);
  if (parsed.kind === 'error') throw new Error(parsed.detail);
  return parsed.bytes.toString('latin1');
}
