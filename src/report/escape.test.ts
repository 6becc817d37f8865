import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml, escapeMarkdown, escapeText } from './escape.js';

const HOSTILE = 'evil\x1b[31mred\x1b[0m\x07bell\r\nline\x00nul\u202egnp.exe\u2066x';

describe('escapeText', () => {
  it('shows control characters, ANSI escapes and bidi overrides as visible escapes', () => {
    expect(escapeText(HOSTILE)).toBe('evil\\x1b[31mred\\x1b[0m\\x07bell\\r\\nline\\x00nul\\u{202e}gnp.exe\\u{2066}x');
  });

  it('leaves ordinary host names and non-ASCII letters alone', () => {
    expect(escapeText('api.example.com')).toBe('api.example.com');
    expect(escapeText('bücher.example')).toBe('bücher.example');
  });

  it('never lets a control or bidi character through', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(escapeText(s)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      }),
    );
  });
});

describe('escapeMarkdown', () => {
  it('neutralises Markdown and HTML syntax', () => {
    expect(escapeMarkdown('<img src=x onerror=alert(1)>|*a*|[l](u)`c`')).toBe('&lt;img src=x onerror=alert(1)&gt;\\|\\*a\\*\\|\\[l\\](u)\\`c\\`');
    expect(escapeMarkdown('# not a heading')).toBe('\\# not a heading');
    expect(escapeMarkdown('1. not a list')).toBe('1\\. not a list');
    expect(escapeMarkdown('frame 4: TLS 1.3, api.example.com')).toBe('frame 4: TLS 1.3, api.example.com');
  });
});

describe('escapeHtml', () => {
  it('escapes markup and quotes', () => {
    expect(escapeHtml(`<script>"'&`)).toBe('&#60;script&#62;&#34;&#39;&#38;');
  });
});
