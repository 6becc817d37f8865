import type { Endpoint } from '../outcome/types.js';
import { escapeHtml, escapeText } from './escape.js';
import type { ConnectionJson } from './model.js';

/**
 * A ladder (sequence) diagram of one connection, like Wireshark's flow graph: the client and the
 * ingress as lifelines, one arrow per packet of note. The layout (which arrows, in what order,
 * their labels, frames and times) is worked out once here, from the report's connection alone,
 * and drawn as SVG for HTML and as text for Markdown.
 */

export type StepKind =
  | 'syn'
  | 'syn-ack'
  | 'ack'
  | 'client-hello'
  | 'hello-retry'
  | 'server-hello'
  | 'server-alert'
  | 'server-rst'
  | 'client-rst';

export interface LadderStep {
  kind: StepKind;
  /** Who sent it: the arrow goes from this lifeline to the other. */
  from: 'client' | 'server';
  /** "4", or "4-5" for a message reassembled from several frames. */
  frames: string;
  /** Milliseconds since the connection's first packet; null when seen in another capture file. */
  ms: number | null;
  /** The arrow's label (capture text unescaped, at most LABEL_MAX characters). */
  label: string;
  /** Lines under the arrow. */
  notes: string[];
  /** The runbook's symptom: a ClientHello without usable server_name, or the ingress's RST. */
  alarm: boolean;
}

export interface Ladder {
  client: { title: string; address: string };
  server: { title: string; address: string; note: string | null };
  steps: LadderStep[];
  /** Frame the times are relative to (the connection's first packet). */
  originFrame: number;
}

/** Longest arrow label; longer ones (a long host name) are cut with an ellipsis. */
export const LABEL_MAX = 52;

export function endpointText(e: Endpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

function cut(s: string, max = LABEL_MAX): string {
  const chars = [...s];
  return chars.length <= max ? s : chars.slice(0, max - 1).join('') + '…';
}

function helloLabel(ch: NonNullable<ConnectionJson['clientHello']>): { label: string; alarm: boolean } {
  const name = ch.format === 'sslv2' ? 'SSLv2 Client Hello' : 'Client Hello';
  switch (ch.sniStatus) {
    case 'present':
      return { label: cut(`${name}, server_name ${ch.sni ?? ''}`), alarm: false };
    case 'absent':
      return { label: `${name} — no server_name`, alarm: true };
    case 'empty':
      return { label: `${name} — empty server_name`, alarm: true };
    case 'malformed':
      return { label: `${name} — malformed server_name`, alarm: true };
    case 'unknown':
      return { label: `${name} — cut short, server_name unknown`, alarm: false };
  }
}

function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.ip === b.ip && a.port === b.port;
}

/** The ladder of one connection. */
export function ladderOf(c: ConnectionJson): Ladder {
  const ms = (time: number) => Math.round((time - c.firstTime) * 1e6) / 1000;
  const steps: (LadderStep & { order: number })[] = [];
  const add = (kind: StepKind, from: 'client' | 'server', frame: number, time: number, label: string, extra: Partial<LadderStep> = {}) => {
    steps.push({ kind, from, frames: String(frame), ms: ms(time), label, notes: [], alarm: false, order: frame, ...extra });
  };
  const ch = c.clientHello;
  if (c.syn !== null) add('syn', 'client', c.syn.frame, c.syn.time, 'SYN');
  if (c.synAck !== null) add('syn-ack', 'server', c.synAck.frame, c.synAck.time, 'SYN, ACK');
  if (c.handshakeAck !== null && (ch === null || c.handshakeAck.frame < ch.firstFrame)) add('ack', 'client', c.handshakeAck.frame, c.handshakeAck.time, 'ACK');
  if (ch !== null) {
    const { label, alarm } = helloLabel(ch);
    const frames = ch.firstFrame === ch.frame ? String(ch.frame) : `${ch.firstFrame}-${ch.frame}`;
    add('client-hello', 'client', ch.firstFrame, ch.time, label, { frames, alarm, notes: ch.complete ? [] : ['incomplete in the capture'] });
  }
  if (c.helloRetryRequest !== null) add('hello-retry', 'server', c.helloRetryRequest.frame, c.helloRetryRequest.time, 'Hello Retry Request');
  if (c.serverHello !== null) add('server-hello', 'server', c.serverHello.frame, c.serverHello.time, `Server Hello, ${c.serverHello.version}`);
  if (c.serverAlert !== null) add('server-alert', 'server', c.serverAlert.frame, c.serverAlert.time, cut(`Alert: ${c.serverAlert.name}`), { alarm: c.serverHello === null });
  const rst = c.serverReset;
  if (rst !== null) {
    const alarm = ch !== null && (c.serverHello === null || rst.frame < c.serverHello.frame) && rst.capture === c.capture;
    const notes: string[] = [];
    if (!sameEndpoint(rst.from, c.server)) notes.push(`sent by ${endpointText(rst.from)} (after DNAT)`);
    if (rst.translated) notes.push(`reaches the client as frame ${rst.translated.frame}`);
    if (rst.capture !== c.capture) {
      notes.push(`seen in capture file ${rst.capture + 1}`);
      steps.push({ kind: 'server-rst', from: 'server', frames: String(rst.frame), ms: null, label: 'RST', notes, alarm: true, order: Infinity });
    } else {
      add('server-rst', 'server', rst.frame, rst.time, 'RST', { alarm, notes });
    }
  }
  if (c.clientReset !== null) add('client-rst', 'client', c.clientReset.frame, c.clientReset.time, 'RST');
  steps.sort((a, b) => a.order - b.order);
  const translated = c.aliases.find((a) => !sameEndpoint(a.server, c.server));
  return {
    client: { title: 'Client', address: endpointText(c.client) },
    server: {
      title: 'Ingress',
      address: endpointText(c.server),
      note: translated === undefined ? null : `also seen as ${endpointText(translated.server)}`,
    },
    steps: steps.map(({ order: _order, ...step }) => step),
    originFrame: c.firstFrame,
  };
}

function formatMs(ms: number | null): string {
  return ms === null ? '—' : ms.toFixed(3);
}

// ---------------------------------------------------------------- SVG

/** Approximate text widths in px (13px sans-serif labels, 12px monospace addresses) for sizing boxes and arrows. */
const LABEL_PX = 7.2;
const MONO_PX = 7.3;
const NOTE_PX = 6.6;
const GUTTER = 118;
const HEAD_TOP = 8;
const HEAD_HEIGHT = 58;
const ROW_TOP = 104;
const ROW_HEIGHT = 42;
const NOTE_PAD = 14;

function chars(s: string | null): number {
  return s === null ? 0 : [...s].length;
}

/** The ladder as an inline SVG element (no external references). Everything from the capture is escaped. */
export function ladderSvg(ladder: Ladder, title: string): string {
  const box = (who: { title: string; address: string; note?: string | null }) =>
    Math.ceil(Math.max(150, chars(who.address) * MONO_PX, chars(who.note ?? null) * NOTE_PX, chars(who.title) * LABEL_PX) + 24);
  const clientBox = box(ladder.client);
  const serverBox = box(ladder.server);
  const clientX = GUTTER + clientBox / 2 + 10;
  const span = Math.ceil(
    Math.max(300, (clientBox + serverBox) / 2 + 24, ...ladder.steps.map((s) => Math.max(chars(s.label) * LABEL_PX, ...s.notes.map((n) => chars(n) * NOTE_PX)) + 48)),
  );
  const serverX = clientX + span;
  const width = Math.ceil(serverX + serverBox / 2 + 8);
  const rowsHeight = ladder.steps.reduce((h, s) => h + ROW_HEIGHT + s.notes.length * NOTE_PAD, 0);
  const height = ROW_TOP + rowsHeight + 24;
  const out: string[] = [];
  out.push(
    `<svg class="ladder" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}">`,
    `<title>${escapeHtml(title)}</title>`,
    `<text class="gutter-head" x="6" y="${HEAD_TOP + 34}">Frame</text>`,
    `<text class="gutter-head" x="${GUTTER - 6}" y="${HEAD_TOP + 34}" text-anchor="end">Time (ms)</text>`,
  );
  const lifeline = (x: number, boxWidth: number, who: { title: string; address: string; note?: string | null }, cls: string) => {
    out.push(
      `<g class="lifeline ${cls}">`,
      `<rect x="${x - boxWidth / 2}" y="${HEAD_TOP}" width="${boxWidth}" height="${HEAD_HEIGHT}" rx="6"/>`,
      `<text class="who" x="${x}" y="${HEAD_TOP + 19}" text-anchor="middle">${escapeHtml(who.title)}</text>`,
      `<text class="addr" x="${x}" y="${HEAD_TOP + 36}" text-anchor="middle">${escapeHtml(who.address)}</text>`,
    );
    if (who.note) out.push(`<text class="addr-note" x="${x}" y="${HEAD_TOP + 51}" text-anchor="middle">${escapeHtml(who.note)}</text>`);
    out.push(`<line class="life" x1="${x}" y1="${HEAD_TOP + HEAD_HEIGHT}" x2="${x}" y2="${height - 26}"/>`, `</g>`);
  };
  lifeline(clientX, clientBox, ladder.client, 'client');
  lifeline(serverX, serverBox, ladder.server, 'server');
  const mid = (clientX + serverX) / 2;
  let y = ROW_TOP;
  for (const step of ladder.steps) {
    const [x1, x2] = step.from === 'client' ? [clientX, serverX] : [serverX, clientX];
    const dir = x2 > x1 ? 1 : -1;
    const tip = x2 - dir;
    out.push(
      `<g class="step step-${step.kind}${step.alarm ? ' alarm' : ''}" data-frame="${escapeHtml(step.frames)}">`,
      `<text class="frame" x="6" y="${y + 4}">${escapeHtml(step.frames)}</text>`,
      `<text class="time" x="${GUTTER - 6}" y="${y + 4}" text-anchor="end">${formatMs(step.ms)}</text>`,
      `<line class="arrow" x1="${x1}" y1="${y}" x2="${tip - dir * 10}" y2="${y}"/>`,
      `<path class="head" d="M${tip} ${y} L${tip - dir * 12} ${y - 5} L${tip - dir * 12} ${y + 5} Z"/>`,
      `<text class="label" x="${mid}" y="${y - 7}" text-anchor="middle">${escapeHtml(step.label)}</text>`,
    );
    step.notes.forEach((note, i) => out.push(`<text class="note" x="${mid}" y="${y + 16 + i * NOTE_PAD}" text-anchor="middle">${escapeHtml(note)}</text>`));
    out.push('</g>');
    y += ROW_HEIGHT + step.notes.length * NOTE_PAD;
  }
  out.push(`<text class="caption" x="6" y="${height - 6}">Times in ms since frame ${ladder.originFrame}, the connection's first packet.</text>`, '</svg>');
  return out.join('\n');
}

// ---------------------------------------------------------------- text

/** The ladder as plain text (monospace), for a Markdown code block. Capture text goes through escapeText. */
export function ladderText(ladder: Ladder): string[] {
  const labels = ladder.steps.map((s) => escapeText(s.label));
  const clientHead = escapeText(`${ladder.client.title} ${ladder.client.address}`);
  const serverHead = escapeText(`${ladder.server.title} ${ladder.server.address}`);
  const notes = ladder.steps.map((s) => s.notes.map((n) => `   (${escapeText(n)})`));
  const inner = Math.max(36, ...labels.map((l) => [...l].length + 8), ...notes.flat().map((n) => [...n].length + 1), [...clientHead].length + 2);
  const gutter = 18;
  const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - [...s].length));
  const lines: string[] = [];
  lines.push(pad('Frame  Time (ms)', gutter) + pad(clientHead, inner + 1) + serverHead);
  if (ladder.server.note !== null) lines.push(' '.repeat(gutter + inner + 1) + escapeText(ladder.server.note));
  lines.push(' '.repeat(gutter) + '|' + ' '.repeat(inner) + '|');
  ladder.steps.forEach((step, i) => {
    const label = ` ${labels[i]} `;
    const dashes = inner - [...label].length - 1;
    const left = Math.floor(dashes / 2);
    const right = dashes - left;
    const arrow = step.from === 'client' ? '-'.repeat(left) + label + '-'.repeat(right) + '>' : '<' + '-'.repeat(left) + label + '-'.repeat(right);
    const head = `${step.frames.padStart(5)}  ${formatMs(step.ms).padStart(9)}`;
    const mark = step.alarm ? '  <<' : '';
    lines.push(pad(head, gutter) + '|' + arrow + '|' + mark);
    for (const note of notes[i]) lines.push(' '.repeat(gutter) + '|' + pad(note, inner) + '|');
  });
  lines.push(' '.repeat(gutter) + '|' + ' '.repeat(inner) + '|');
  lines.push(`Times in ms since frame ${ladder.originFrame}, the connection's first packet; << marks the symptom.`);
  return lines;
}
