// samples/node-dnat.pcap (made by samples/make-dnat-sample.sh): `tcpdump -i any` on a "node" that
// translates the service address 10.233.0.100:443 to the ingress pod 10.233.2.2:8443, so every
// connection is in the capture twice. Facts read with tshark when the sample was made:
//   ClientHellos: 7 (10.233.1.2:40682 → 10.233.0.100:443) and 8 (→ 10.233.2.2:8443), no SNI;
//                 19 and 20 (10.233.1.3:35470), SNI api.example.com; 49 and 50 (10.233.1.4:35829), no SNI
//   RSTs: 11 from 10.233.2.2:8443 and 12 from 10.233.0.100:443 to 10.233.1.2; 41 and 42 from the
//         client 10.233.1.3 (after the response); 53 from 10.233.2.2:8443 and 54 from 10.233.0.100:443 to 10.233.1.4
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConnectionJson } from '../src/report/model.js';
import { analyze, analyzeJson } from './helpers/run.js';

const SAMPLE = join(resolve(__dirname, '..'), 'samples', 'node-dnat.pcap');
const SERVICE = { ip: '10.233.0.100', port: 443 };
const POD = { ip: '10.233.2.2', port: 8443 };

function byClient(connections: ConnectionJson[]): Record<string, ConnectionJson> {
  return Object.fromEntries(connections.map((c) => [c.client.ip, c]));
}

describe('node-dnat.pcap: one connection captured before and after DNAT', () => {
  it('reads the capture: Linux cooked v2, 54 packets, 6 TCP connections', async () => {
    const r = await analyzeJson([SAMPLE]);
    expect(r.captures[0]).toMatchObject({ format: 'pcap', linkTypes: [{ type: 276, name: 'LINUX_SLL2' }], packets: 54, tcpPackets: 54, connections: 6 });
  });

  it('counts each connection once with --ingress naming the service address, and says the pod address reset it', async () => {
    const r = await analyzeJson([SAMPLE], [SERVICE.ip]);
    expect(r.summary).toMatchObject({ connections: 3, clientHellos: 3, withoutSni: 2, nonSniReset: 2, clients: 3, linkedCopies: 3, problemFound: true });
    expect(r.summary.verdict).toBe('2 clients send ClientHellos without server_name and the ingress resets them.');
    expect(r.clients.map((c) => [c.ip, c.verdict, c.connections])).toEqual([
      ['10.233.1.2', 'non-sni-reset', 1],
      ['10.233.1.4', 'non-sni-reset', 1],
      ['10.233.1.3', 'sni-ok', 1],
    ]);
    const c = byClient(r.connections);
    expect(c['10.233.1.2']).toMatchObject({
      client: { ip: '10.233.1.2', port: 40682 },
      server: SERVICE,
      syn: { frame: 1 },
      synAck: { frame: 4 },
      handshakeAck: { frame: 5 },
      clientHello: { frame: 7, sniStatus: 'absent' },
      serverReset: { frame: 11, capture: 0, from: POD, translated: { frame: 12, from: SERVICE } },
      category: 'non-sni-reset',
    });
    expect(c['10.233.1.2'].aliases).toEqual([
      expect.objectContaining({ client: { ip: '10.233.1.2', port: 40682 }, server: POD, clientHelloFrame: 8, serverReset: expect.objectContaining({ frame: 11 }), category: 'non-sni-reset' }),
    ]);
    expect(c['10.233.1.4']).toMatchObject({ clientHello: { frame: 49 }, serverReset: { frame: 53, from: POD, translated: { frame: 54 } } });
    expect(c['10.233.1.3']).toMatchObject({ clientHello: { frame: 19, sni: 'api.example.com' }, serverReset: null, clientReset: { frame: 41 }, category: 'sni-ok' });
    expect(c['10.233.1.3'].aliases.map((a) => [a.server, a.clientHelloFrame])).toEqual([[POD, 20]]);
  });

  it('keeps the pod copy when --ingress names the pod address', async () => {
    const r = await analyzeJson([SAMPLE], [POD.ip]);
    expect(r.summary.connections).toBe(3);
    const c = byClient(r.connections)['10.233.1.2'];
    expect(c).toMatchObject({ server: POD, clientHello: { frame: 8 }, serverReset: { frame: 11, from: POD, translated: null } });
    expect(c.aliases.map((a) => a.server)).toEqual([SERVICE]);
  });

  it('detects both addresses as the ingress and still counts each connection once', async () => {
    const r = await analyzeJson([SAMPLE]);
    expect(r.ingress).toEqual({ addresses: [SERVICE.ip, POD.ip], source: 'detected' });
    expect(r.summary).toMatchObject({ connections: 3, linkedCopies: 3, nonSniReset: 2 });
  });

  it('says in the findings and the ladder which address reset the connection', async () => {
    const table = await analyze({ captures: [SAMPLE], ingress: [SERVICE.ip], format: 'table' });
    expect(table.code).toBe(1);
    expect(table.stdout).toContain('3 connections were captured twice (before and after address translation on the node) and counted once');
    expect(table.stdout).toContain(
      'frame 11: RST from ingress 10.233.2.2:8443 (10.233.0.100:443 after DNAT) 15.3 ms later, no ServerHello; the client got it from 10.233.0.100:443 in frame 12',
    );
    expect(table.stdout).toContain('frame 8: the same Client Hello (same random) as 10.233.1.2:40682 → 10.233.2.2:8443');
    const md = await analyze({ captures: [SAMPLE], ingress: [SERVICE.ip], format: 'markdown' });
    expect(md.stdout).toMatch(/ {3}11 +27\.881 {2}\|<-+ RST -+\| {2}<<\n +\| {3}\(sent by 10\.233\.2\.2:8443 \(after DNAT\)\) +\|\n +\| {3}\(reaches the client as frame 12\) +\|/);
    const html = await analyze({ captures: [SAMPLE], ingress: [SERVICE.ip], format: 'html' });
    expect(html.stdout).toContain('>sent by 10.233.2.2:8443 (after DNAT)</text>');
    expect(html.stdout).toContain('>also seen as 10.233.2.2:8443</text>');
  });
});
