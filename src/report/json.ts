import type { ConnectionJson, Report } from './model.js';

/** Connections turned into text together: enough for large pieces of text, few for little memory. */
const BATCH = 256;

/**
 * The JSON report in pieces that join to `JSON.stringify(report, null, 2) + '\n'`, with the
 * connection list (most of a large capture's report) given as `connections` and turned into
 * text a batch at a time. When `connections` makes each item on demand, neither the whole text
 * nor every connection's JSON object exists at once; `report.connections` is not read.
 *
 * The pieces are JSON.stringify's own output, sliced, never joined with `+`: text built by
 * joining is copied once more when written, which for a large report cost more than making it.
 */
export function* reportJsonPieces(report: Report, connections: Iterable<ConnectionJson>): Generator<string> {
  const text = JSON.stringify({ ...report, connections: [] }, null, 2);
  // The empty list at the top level of the indented text. A string value cannot hold this: its
  // line breaks are escaped.
  const placeholder = '\n  "connections": []';
  const at = text.indexOf(placeholder);
  if (at < 0) throw new Error('report without a connections list');
  yield text.slice(0, at);
  yield '\n  "connections": [';
  let batch: ConnectionJson[] = [];
  let empty = true;
  function* batchText(): Generator<string> {
    // In `{ "connections": [...] }` the items are indented as in the report: the batch's text is
    // that object's text less its first and last lines.
    const wrapped = JSON.stringify({ connections: batch }, null, 2);
    if (!empty) yield ',';
    yield wrapped.slice('{\n  "connections": ['.length, wrapped.length - '\n  ]\n}'.length);
    empty = false;
    batch = [];
  }
  for (const connection of connections) {
    batch.push(connection);
    if (batch.length === BATCH) yield* batchText();
  }
  if (batch.length > 0) yield* batchText();
  yield empty ? ']' : '\n  ]';
  yield text.slice(at + placeholder.length);
  yield '\n';
}
