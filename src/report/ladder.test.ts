import { describe, expect, it } from 'vitest';
import { outcome } from '../outcome/testing/outcome.js';
import { LABEL_MAX, ladderOf, ladderSvg, ladderText } from './ladder.js';
import type { ConnectionJson } from './model.js';
import { reportOf, withSni } from './testing/report.js';

function connection(o: Parameters<typeof outcome>[0]): ConnectionJson {
  return reportOf([outcome(o)]).connections[0];
}

describe('ladderOf', () => {
  it('lays out the handshake, the ClientHello without server_name and the RST, with frames and times since the SYN', () => {
    const l = ladderOf(connection({ client: '10.0.0.1', sni: 'absent', serverResetFrame: 6 }));
    expect(l.client).toEqual({ title: 'Client', address: '10.0.0.1:40000' });
    expect(l.server).toEqual({ title: 'Ingress', address: '10.0.0.100:443', note: null });
    expect(l.steps.map((s) => [s.kind, s.from, s.frames, s.ms, s.label, s.alarm])).toEqual([
      ['syn', 'client', '1', 0, 'SYN', false],
      ['syn-ack', 'server', '2', 1, 'SYN, ACK', false],
      ['ack', 'client', '3', 2, 'ACK', false],
      ['client-hello', 'client', '4', 3, 'Client Hello — no server_name', true],
      ['server-rst', 'server', '6', 5, 'RST', true],
    ]);
    expect(l.originFrame).toBe(1);
  });

  it('shows a served connection with its ServerHello and no alarm', () => {
    const l = ladderOf(connection({ client: '10.0.0.3', sni: 'present', serverHelloFrame: 6, clientResetFrame: 8 }));
    expect(l.steps.map((s) => `${s.kind}:${s.label}:${s.alarm}`)).toEqual([
      'syn:SYN:false',
      'syn-ack:SYN, ACK:false',
      'ack:ACK:false',
      'client-hello:Client Hello, server_name api.example.com:false',
      'server-hello:Server Hello, TLS 1.3:false',
      'client-rst:RST:false',
    ]);
  });

  it('leaves out the ACK when it carried the ClientHello, and cuts long host names', () => {
    const c = reportOf([withSni('a'.repeat(200) + '.example', { client: '10.0.0.4', stream: 0, reset: true })]).connections[0];
    c.handshakeAck = { frame: 4, time: c.clientHello?.time ?? 0 };
    const l = ladderOf(c);
    expect(l.steps.map((s) => s.kind)).toEqual(['syn', 'syn-ack', 'client-hello', 'server-rst']);
    const hello = l.steps[2];
    expect([...hello.label]).toHaveLength(LABEL_MAX);
    expect(hello.label.endsWith('…')).toBe(true);
  });

  it('says which address sent the RST when the connection was also seen after DNAT', () => {
    const c = connection({ client: '10.233.1.2', sni: 'absent', serverResetFrame: 6 });
    c.serverReset = { ...(c.serverReset ?? { frame: 6, time: 0, afterClientHelloMs: 2 }), capture: 0, from: { ip: '10.233.2.2', port: 8443 }, translated: { frame: 7, time: 0.007, from: c.server } };
    c.aliases = [{ capture: 0, stream: 1, client: c.client, server: { ip: '10.233.2.2', port: 8443 }, packets: 5, firstFrame: 2, clientHelloFrame: 5, serverReset: { frame: 6, time: 0.006 }, serverHelloFrame: null, category: 'non-sni-reset' }];
    const l = ladderOf(c);
    expect(l.server.note).toBe('also seen as 10.233.2.2:8443');
    expect(l.steps.at(-1)?.notes).toEqual(['sent by 10.233.2.2:8443 (after DNAT)', 'reaches the client as frame 7']);
  });
});

describe('ladder drawings', () => {
  const l = ladderOf(connection({ client: '2001:db8::1', server: '2001:db8::100', sni: 'absent', serverResetFrame: 6 }));

  it('draws one SVG arrow group per step, with its label, frame and time', () => {
    const svg = ladderSvg(l, 'test');
    expect(svg.match(/<g class="step /g)).toHaveLength(5);
    expect(svg.match(/<path class="head"/g)).toHaveLength(5);
    expect(svg).toContain('<g class="step step-client-hello alarm" data-frame="4">');
    expect(svg).toContain('>Client Hello — no server_name</text>');
    expect(svg).toContain('>3.000</text>');
    expect(svg).toContain('>[2001:db8::1]:40000</text>');
    const [, width] = svg.match(/viewBox="0 0 (\d+) \d+"/) ?? [];
    expect(Number(width)).toBeGreaterThan(500);
  });

  it('draws the same steps as text, arrows between two aligned lifelines', () => {
    const lines = ladderText(l);
    expect(lines[0]).toMatch(/^Frame {2}Time \(ms\) +Client \[2001:db8::1\]:40000 +Ingress \[2001:db8::100\]:443$/);
    const arrows = lines.filter((line) => /\|[-<].*[->]\|/.test(line));
    expect(arrows).toHaveLength(5);
    expect(arrows[0]).toMatch(/^ {4}1 {6}0\.000 {2}\|-+ SYN -+>\|$/);
    expect(arrows[1]).toMatch(/\|<-+ SYN, ACK -+\|$/);
    expect(arrows[3]).toMatch(/\|-+ Client Hello — no server_name -+>\| {2}<<$/);
    expect(arrows[4]).toMatch(/^ {4}6 {6}5\.000 {2}\|<-+ RST -+\| {2}<<$/);
    const bars = lines.filter((line) => line.includes('|')).map((line) => [line.indexOf('|'), line.lastIndexOf('|')].join(','));
    expect(new Set(bars).size).toBe(1);
  });
});
