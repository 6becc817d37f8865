import type { ClientJson, ConnectionJson, Report } from './model.js';

/**
 * Characters of list items' text joined into one piece. V8 puts a string of 128 KiB or more (a
 * character takes two bytes in a string holding any beyond Latin-1) in its large-object space,
 * and making one there cost over 20 times as much as the same text in smaller strings: a piece
 * of about 48 Ki characters stays below that bound, and is still large for a write.
 */
const PIECE = 48 * 1024;
/** Between two items' lines: each line is indented as an item of the report's list. */
const SEPARATOR = ',\n    ';

/** The report's lists written one item per line, in the order they come in the report. */
export interface ReportLists {
  clients: Iterable<ClientJson>;
  connections: Iterable<ConnectionJson>;
}

const LIST_NAMES = ['clients', 'connections'] as const;

/**
 * The JSON report in pieces: the report as `JSON.stringify(report, null, 2) + '\n'` writes it,
 * except that each item of the top-level `clients` and `connections` lists is on one line of its
 * own, in compact JSON (`JSON.stringify(item)`), indented as an item of its list:
 *
 *     "connections": [
 *       {"capture":0,"stream":0,...},
 *       {"capture":0,"stream":1,...}
 *     ],
 *
 * (`"connections": []` when there is none). The text parses to the same value as the indented
 * one; it is much smaller and quicker to make, and line tools (grep, jq -c, head) see one client
 * or connection a line. JSON.stringify escapes every line break a string can hold but U+2028 and
 * U+2029, which JSON allows unescaped and which are no line break to those tools.
 *
 * The lists (most of a large capture's report) are given as `lists` and turned into text a piece
 * at a time; `report.clients` and `report.connections` are not read. When the lists make each item
 * on demand, neither the whole text nor every item's JSON object exists at once.
 *
 * A piece of items is their lines joined in one go (Array.prototype.join), never with `+`: text
 * built by `+` is copied once more when written.
 */
export function* reportJsonPieces(report: Report, lists: ReportLists): Generator<string> {
  const text = JSON.stringify({ ...report, clients: [], connections: [] }, null, 2);
  let done = 0;
  for (const name of LIST_NAMES) {
    // The empty list at the top level of the indented text. A string value cannot hold this: its
    // line breaks are escaped.
    const placeholder = emptyList(name);
    const at = text.indexOf(placeholder, done);
    if (at < 0) throw new Error(`report without a ${name} list`);
    yield text.slice(done, at);
    yield* listPieces(name, lists[name]);
    done = at + placeholder.length;
  }
  yield text.slice(done);
  yield '\n';
}

/** One list, from the line break before its name to its closing bracket. */
function* listPieces(name: string, items: Iterable<object>): Generator<string> {
  let empty = true;
  // The lines of the piece being made. After the first piece they start with '', so that the
  // join puts a separator before the piece's first item too.
  let lines: string[] = [];
  let size = 0;
  for (const item of items) {
    if (empty) {
      yield `\n  "${name}": [\n    `;
      empty = false;
    }
    const line = JSON.stringify(item);
    lines.push(line);
    size += line.length + SEPARATOR.length;
    if (size >= PIECE) {
      yield lines.join(SEPARATOR);
      lines = [''];
      size = 0;
    }
  }
  if (size > 0) yield lines.join(SEPARATOR);
  yield empty ? emptyList(name) : '\n  ]';
}

/** An empty list at the top level of the indented report, from the line break before its name. */
function emptyList(name: string): string {
  return `\n  "${name}": []`;
}
