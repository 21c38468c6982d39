// Conversions between the front end's spans (UTF-16 offsets) and LSP ranges.

import type { Range } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { Span } from "../language/diagnostics.js";

export function spanToRange(doc: TextDocument, span: Span): Range {
  return { start: doc.positionAt(span.start), end: doc.positionAt(span.end) };
}

/** The identifier-like word around an offset, with its offsets. */
export function wordAt(text: string, offset: number): { word: string; start: number; end: number } {
  let start = offset;
  let end = offset;
  while (start > 0 && /[A-Za-z0-9_]/.test(text[start - 1] ?? "")) start--;
  while (end < text.length && /[A-Za-z0-9_]/.test(text[end] ?? "")) end++;
  return { word: text.slice(start, end), start, end };
}

/** A valid name: the lexer's identifiers, letters of any script included. */
export { IDENTIFIER_NAME as IDENTIFIER } from "../language/lexer.js";
