// Formatting (document and range) with the formatter of `mpcrl fmt` (language/format). The result
// is sent as minimal line edits; range formatting keeps the edits that touch the selected lines.
// A document the formatter refuses (syntax errors) is left alone.

import type { Range, TextEdit } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { formatText as formatted } from "../frontend.js";
import { lineEdits, type OffsetEdit } from "../line-diff.js";

function toTextEdit(doc: TextDocument, e: OffsetEdit): TextEdit {
  return { range: { start: doc.positionAt(e.start), end: doc.positionAt(e.end) }, newText: e.newText };
}

export function formatDocument(doc: TextDocument): TextEdit[] {
  const text = doc.getText();
  const out = formatted(text);
  if (out === undefined || out === text) return [];
  return lineEdits(text, out).map((e) => toTextEdit(doc, e));
}

export function formatRangeEdits(doc: TextDocument, range: Range): TextEdit[] {
  const text = doc.getText();
  const out = formatted(text);
  if (out === undefined || out === text) return [];
  const first = range.start.line;
  const last = range.end.character === 0 && range.end.line > range.start.line ? range.end.line - 1 : range.end.line;
  return lineEdits(text, out)
    .filter((e) => (e.hunk.oldStart === e.hunk.oldEnd ? e.hunk.oldStart >= first && e.hunk.oldStart <= last + 1 : e.hunk.oldStart <= last && e.hunk.oldEnd - 1 >= first))
    .map((e) => toTextEdit(doc, e));
}
