import { describe, expect, it } from 'vitest';
import { outcome } from '../outcome/testing/outcome.js';
import { renderMarkdown } from './markdown.js';
import { redactReport } from './redact.js';
import { HOSTILE_SNI, reportOf, withSni } from './testing/report.js';

/** The Markdown's lines outside fenced code blocks. */
function prose(md: string): string[] {
  const out: string[] = [];
  let fence: string | null = null;
  for (const line of md.split('\n')) {
    const m = line.match(/^(`{3,})/);
    if (fence === null && m) fence = m[1];
    else if (fence !== null && line === fence) fence = null;
    else if (fence === null) out.push(line);
  }
  return out;
}

describe('renderMarkdown', () => {
  const report = reportOf([
    outcome({ client: '10.0.0.1', sni: 'absent', serverResetFrame: 6, stream: 0 }),
    outcome({ client: '10.0.0.3', sni: 'present', serverHelloFrame: 6, stream: 1 }),
  ]);
  const md = renderMarkdown(report);

  it('carries the HTML report content: verdict, capture, clients, findings with a text ladder, next steps, attachments', () => {
    expect(md).toContain('**Problem found: 1 client sends ClientHellos without server\\_name and the ingress resets them.**');
    expect(md).toContain('## Capture');
    expect(md).toContain('| `10.0.0.1` | non-sni-reset | 1 | 0 | 1 | 1 | 0 |');
    expect(md).toMatch(/```text\nFrame {2}Time \(ms\) +Client 10\.0\.0\.1:40000 +Ingress 10\.0\.0\.100:443\n/);
    expect(md).toMatch(/\n {4}4 {6}3\.000 {2}\|-+ Client Hello — no server_name -+>\| {2}<<\n/);
    expect(md).toContain('- server_name: **not sent**');
    expect(md).toContain('- Extensions (0 sent, in order): ~~server_name (0)~~ **not sent**');
    expect(md).toContain('- JA4: `t13d0100h1_x_y`');
    expect(md).toContain('- `tls.handshake.type == 1 && !tls.handshake.extensions_server_name && ip.addr == 10.0.0.1`');
    expect(md).toContain('## Next steps');
    expect(md).toContain('## What else to attach to the case');
    expect(md).toContain('- The output of: kubectl -n apigee get apigeeroutes');
  });

  it('keeps a hostile host name inert: escaped in prose and code spans, and unable to end the code block of the ladder', () => {
    const hostile = renderMarkdown(reportOf([withSni('````' + HOSTILE_SNI, { client: '10.0.0.9', stream: 0, reset: true })]));
    // Code spans show their text as it is; their backticks were replaced, so none can end early.
    const text = prose(hostile).join('\n').replace(/`[^`\n]*`/g, '');
    expect(text).not.toMatch(/<img|<script|<\/script/i);
    expect(text).not.toMatch(/(?<!\\)\]\(https:/); // an escaped bracket makes no link
    expect(hostile).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
    // The fence around the ladder is longer than any backtick run inside it.
    const fence = hostile.match(/^(`{3,})text$/m)?.[1] ?? '';
    expect(fence.length).toBe(5);
    const block = hostile.slice(hostile.indexOf(fence + 'text'), hostile.indexOf('\n' + fence + '\n') + fence.length + 2);
    expect(block).toContain('Client Hello, server_name');
    expect(block.split('\n').slice(1, -2).every((l) => !l.startsWith(fence))).toBe(true);
  });

  it('says that it is redacted', () => {
    const r = renderMarkdown(redactReport(report, { sni: true }));
    expect(r).toMatch(/^> \*\*Redacted:\*\* client addresses are pseudonyms/m);
    expect(r).not.toMatch(/10\.0\.0\.1(?!\d)/);
  });
});
