import type { ConnectionJson, Report } from './model.js';

/**
 * Characters of connection text joined into one piece. V8 puts a string of 128 KiB or more (a
 * character takes two bytes in a string holding any beyond Latin-1) in its large-object space,
 * and making one there cost over 20 times as much as the same text in smaller strings: a piece
 * of about 48 Ki characters stays below that bound, and is still large for a write.
 */
const PIECE = 48 * 1024;
/** Between two connections' lines: each line is indented as an item of the report's list. */
const SEPARATOR = ',\n    ';

/**
 * The JSON report in pieces: the report as `JSON.stringify(report, null, 2) + '\n'` writes it,
 * except that each item of the top-level `connections` list is on one line of its own, in compact
 * JSON (`JSON.stringify(connection)`), indented as an item of that list:
 *
 *     "connections": [
 *       {"capture":0,"stream":0,...},
 *       {"capture":0,"stream":1,...}
 *     ],
 *
 * (`"connections": []` when there is none). The text parses to the same value as the indented
 * one; it is much smaller and quicker to make, and line tools (grep, jq -c, head) see one
 * connection a line. JSON.stringify escapes every line break a string can hold but U+2028 and
 * U+2029, which JSON allows unescaped and which are no line break to those tools.
 *
 * The connection list (most of a large capture's report) is given as `connections` and turned
 * into text a piece at a time. When `connections` makes each item on demand, neither the whole
 * text nor every connection's JSON object exists at once; `report.connections` is not read.
 *
 * A piece of connections is its lines joined in one go (Array.prototype.join), never with `+`:
 * text built by `+` is copied once more when written.
 */
export function* reportJsonPieces(report: Report, connections: Iterable<ConnectionJson>): Generator<string> {
  const text = JSON.stringify({ ...report, connections: [] }, null, 2);
  // The empty list at the top level of the indented text. A string value cannot hold this: its
  // line breaks are escaped.
  const placeholder = '\n  "connections": []';
  const at = text.indexOf(placeholder);
  if (at < 0) throw new Error('report without a connections list');
  yield text.slice(0, at);
  let empty = true;
  // The lines of the piece being made. After the first piece they start with '', so that the
  // join puts a separator before the piece's first connection too.
  let lines: string[] = [];
  let size = 0;
  for (const connection of connections) {
    if (empty) {
      yield '\n  "connections": [\n    ';
      empty = false;
    }
    const line = JSON.stringify(connection);
    lines.push(line);
    size += line.length + SEPARATOR.length;
    if (size >= PIECE) {
      yield lines.join(SEPARATOR);
      lines = [''];
      size = 0;
    }
  }
  if (size > 0) yield lines.join(SEPARATOR);
  yield empty ? placeholder : '\n  ]';
  yield text.slice(at + placeholder.length);
  yield '\n';
}
