// Formatting (document and range) with the formatter of `mpcrl fmt` (language/format.ts). Results
// are sent as minimal line edits, so that the cursor and unchanged lines stay put. A document with
// syntax errors is left alone (the formatter refuses it).

import type { Range, TextEdit } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { formatRangeText, formatText } from "../frontend.js";
import { lineEdits } from "../line_diff.js";

function toTextEdits(doc: TextDocument, base: number, oldText: string, newText: string): TextEdit[] {
  return lineEdits(oldText, newText).map((e) => ({
    range: { start: doc.positionAt(base + e.start), end: doc.positionAt(base + e.end) },
    newText: e.newText,
  }));
}

export function formatDocument(doc: TextDocument): TextEdit[] {
  const text = doc.getText();
  const out = formatText(text);
  if (out === undefined || out === text) return [];
  return toTextEdits(doc, 0, text, out);
}

/** Formats the top-level items (blocks, constants) that the range touches. */
export function formatRangeEdits(doc: TextDocument, range: Range): TextEdit[] {
  const text = doc.getText();
  const edits = formatRangeText(text, doc.offsetAt(range.start), doc.offsetAt(range.end));
  return edits.flatMap((e) => toTextEdits(doc, e.start, text.slice(e.start, e.end), e.newText));
}
