import { describe, expect, it } from 'vitest';
import { outcome } from '../outcome/testing/outcome.js';
import { renderHtml } from './html.js';
import { redactReport } from './redact.js';
import { HOSTILE_SNI, reportOf, withSni } from './testing/report.js';

const problem = reportOf([
  outcome({ client: '10.0.0.1', sni: 'absent', serverResetFrame: 6, stream: 0 }),
  outcome({ client: '10.0.0.1', sni: 'absent', serverResetFrame: 6, stream: 1 }),
  outcome({ client: '10.0.0.2', sni: 'absent', serverResetFrame: 6, stream: 2 }),
  outcome({ client: '10.0.0.3', sni: 'present', serverHelloFrame: 6, stream: 3 }),
]);

/** The markup of every tag, with the text between tags left out. */
function tags(html: string): string[] {
  return html.match(/<[^>]*>/g) ?? [];
}

describe('renderHtml', () => {
  const html = renderHtml(problem);

  it('is one page with no external resources at all', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<iframe|<object|<embed/i);
    expect(html).not.toMatch(/\b(src|href|xlink:href)\s*=/i);
    expect(html).not.toMatch(/url\(|@import/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    expect(html).toMatch(/<style>[\s\S]*@media print[\s\S]*<\/style>/);
  });

  it('puts the verdict first, then the capture facts, clients, findings, next steps and what to attach', () => {
    const order = ['class="verdict problem"', 'id="capture"', 'id="clients"', 'id="findings"', 'id="next-steps"', 'id="attach"'].map((s) => html.indexOf(s));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(html).toContain('2 clients send ClientHellos without server_name and the ingress resets them.');
    expect(html).toContain('capture.pcap');
    expect(html).toContain('EN10MB (1)');
    expect(html).toMatch(/<td><code>10\.0\.0\.1<\/code><\/td><td><span class="badge v-non-sni-reset">non-sni-reset<\/span><\/td><td class="n">2<\/td>/);
  });

  it('draws a ladder per finding: SYN, SYN/ACK, ACK, the ClientHello without server_name and the RST', () => {
    const svgs: string[] = html.match(/<svg class="ladder"[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(2); // one per client reset; the client served with SNI has no finding
    const steps = [...svgs[0].matchAll(/<g class="step step-([a-z-]+)( alarm)?" data-frame="([^"]+)">/g)].map((m) => `${m[1]}${m[2] ?? ''} ${m[3]}`);
    expect(steps).toEqual(['syn 1', 'syn-ack 2', 'ack 3', 'client-hello alarm 4', 'server-rst alarm 6']);
    expect(svgs[0]).toContain('>Client Hello — no server_name</text>');
    expect(svgs[0]).toContain('>RST</text>');
    expect(svgs[0]).toContain('>10.0.0.1:40000</text>');
    expect(svgs[0]).toContain('>10.0.0.100:443</text>');
    expect(svgs[0]).toContain('>3.000</text>'); // the ClientHello, 3 ms after the SYN
  });

  it('shows the ClientHello details beside it, with server_name marked as not sent', () => {
    expect(html).toContain('<dt>Versions offered</dt><dd>TLS 1.3, TLS 1.2</dd>');
    expect(html).toContain('<dt>Cipher suites</dt><dd>1</dd>');
    expect(html).toContain('<li class="missing"><s>server_name <span class="num">(0)</span></s> not sent</li>');
    expect(html).toContain('<dt>ALPN</dt><dd>none</dd>');
    expect(html).toContain('<code>t13d0100h1_x_y</code>');
  });

  it('lists the display filters, the next steps and what else to attach', () => {
    expect(html).toContain('<code>tls.handshake.type == 1 &#38;&#38; !tls.handshake.extensions_server_name &#38;&#38; ip.addr == 10.0.0.1</code>');
    expect(html).toContain('enableNonSniClient: true');
    expect(html).toContain('additionalGateways');
    expect(html).toContain('kubectl -n apigee get apigeeroutes');
    expect(html).toContain('kubectl -n apigee describe apigeeroute NAME');
    expect(html).toContain('overrides.yaml');
    expect(html).toContain('environment groups');
  });

  it('shows everything from the capture as text: markup, control characters and bidi overrides', () => {
    const hostile = reportOf([withSni(HOSTILE_SNI, { client: '10.0.0.9', stream: 0, reset: true })]);
    hostile.captures[0].file = '<b>bold</b>\u202e.pcap';
    const page = renderHtml(hostile);
    expect(page).not.toMatch(/<img|<script|<\/script|<b>/i);
    expect(page).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
    expect(page).toContain('&#60;img src=x onerror=alert(1)&#62;&#60;/script&#62;');
    expect(page).toContain('\\x1b[31mred\\x1b[0m\\u{202e}txt.exe');
    expect(page).toContain('&#60;b&#62;bold&#60;/b&#62;\\u{202e}.pcap');
    // The hostile URL is text, never markup.
    expect(tags(page).some((t) => /https?:/i.test(t))).toBe(false);
    expect(page).toContain('(https://evil.example/)');
  });

  it('says so when the report is redacted', () => {
    expect(html).not.toContain('class="redacted"');
    const page = renderHtml(redactReport(problem, { sni: true }));
    expect(page).toContain('class="redacted"');
    expect(page).toMatch(/client addresses are pseudonyms.*host names \(server_name\) too/);
    expect(page).not.toMatch(/10\.0\.0\.1(?!\d)/);
  });

  it('gives the verdict in green when nothing is wrong', () => {
    const ok = renderHtml(reportOf([outcome({ client: '10.0.0.3', sni: 'present', serverHelloFrame: 6 })]));
    expect(ok).toContain('class="verdict ok"');
    expect(ok).not.toContain('id="findings"');
    expect(ok).toContain('id="attach"');
  });
});
