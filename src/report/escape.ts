/**
 * Escaping for text that came from a capture. Control characters (C0, DEL, C1 — which include
 * ESC and so every ANSI sequence), bidirectional overrides and other invisible format characters
 * are shown as visible escapes, so a host name cannot move the cursor, ring the bell, recolour
 * the terminal or reorder what is printed around it.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

export function escapeText(s: string): string {
  return s.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    switch (code) {
      case 0x0a:
        return '\\n';
      case 0x0d:
        return '\\r';
      case 0x09:
        return '\\t';
      default:
        return code <= 0xff ? '\\x' + code.toString(16).padStart(2, '0') : '\\u{' + code.toString(16) + '}';
    }
  });
}

const MARKDOWN_INLINE = /[\\`*_[\]<>|~&]/g;
const MARKDOWN_BLOCK_START = /^(\s*)([#+\-=])/;
const MARKDOWN_LIST_NUMBER = /^(\s*\d+)([.)])/;

/** Escaped for Markdown text (also safe inside a table cell): no emphasis, links, HTML, code or block syntax. */
export function escapeMarkdown(s: string): string {
  return escapeText(s)
    .replace(MARKDOWN_INLINE, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : '\\' + c))
    .replace(MARKDOWN_BLOCK_START, '$1\\$2')
    .replace(MARKDOWN_LIST_NUMBER, '$1\\$2');
}

/** Escaped for HTML text and attribute values. */
export function escapeHtml(s: string): string {
  return escapeText(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
