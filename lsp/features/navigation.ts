// Go to definition, find references, document highlights, rename (with prepareRename).

import {
  DocumentHighlightKind,
  ResponseError,
  type DocumentHighlight,
  type Location,
  type Range,
  type WorkspaceEdit,
} from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { SymbolInfo } from "../../language/semantic.js";
import type { Analysis } from "../analysis.js";
import { isBuiltinName } from "../builtins.js";
import { reservedWords } from "../keywords.js";
import { symbolAt } from "../lookup.js";
import { IDENTIFIER, spanToRange, wordAt } from "../positions.js";

export function definition(doc: TextDocument, analysis: Analysis, offset: number): Location | null {
  const hit = symbolAt(analysis, offset);
  if (!hit?.symbol.nameSpan) return null;
  return { uri: doc.uri, range: spanToRange(doc, hit.symbol.nameSpan) };
}

function referenceSpans(analysis: Analysis, symbol: SymbolInfo) {
  const spans = [...analysis.model.references(symbol)];
  if (symbol.nameSpan && !spans.some((s) => s.start === symbol.nameSpan?.start)) spans.unshift(symbol.nameSpan);
  return spans;
}

export function references(doc: TextDocument, analysis: Analysis, offset: number, includeDeclaration: boolean): Location[] {
  const hit = symbolAt(analysis, offset);
  if (!hit || hit.symbol.kind === "builtin") return [];
  return referenceSpans(analysis, hit.symbol)
    .filter((s) => includeDeclaration || s.start !== hit.symbol.nameSpan?.start)
    .map((s) => ({ uri: doc.uri, range: spanToRange(doc, s) }));
}

export function highlights(doc: TextDocument, analysis: Analysis, offset: number): DocumentHighlight[] {
  const hit = symbolAt(analysis, offset);
  if (!hit || hit.symbol.kind === "builtin") return [];
  return referenceSpans(analysis, hit.symbol).map((s) => ({
    range: spanToRange(doc, s),
    kind: s.start === hit.symbol.nameSpan?.start ? DocumentHighlightKind.Write : DocumentHighlightKind.Read,
  }));
}

/** Why a symbol cannot be renamed, or undefined if it can. */
function renameRefusal(analysis: Analysis, offset: number): string | SymbolInfo {
  const word = wordAt(analysis.text, offset).word;
  if (reservedWords.has(word)) return `\`${word}\` is a keyword and cannot be renamed`;
  const hit = symbolAt(analysis, offset);
  if ((!hit || hit.symbol.kind === "builtin") && isBuiltinName(word)) return `\`${word}\` is a built-in and cannot be renamed`;
  if (!hit) return word ? `\`${word}\` is not a name declared in this file` : "no name at the cursor";
  if (hit.symbol.kind === "builtin" || !hit.symbol.decl) return `\`${hit.symbol.name}\` is a built-in and cannot be renamed`;
  if (hit.symbol.kind === "stage-index") return "the stage index cannot be renamed here";
  return hit.symbol;
}

export function prepareRename(doc: TextDocument, analysis: Analysis, offset: number): { range: Range; placeholder: string } {
  const r = renameRefusal(analysis, offset);
  if (typeof r === "string") throw new ResponseError(0, r);
  const hit = symbolAt(analysis, offset);
  if (!hit) throw new ResponseError(0, "no name at the cursor");
  return { range: spanToRange(doc, hit.span), placeholder: r.name };
}

export function rename(doc: TextDocument, analysis: Analysis, offset: number, newName: string): WorkspaceEdit {
  const r = renameRefusal(analysis, offset);
  if (typeof r === "string") throw new ResponseError(0, r);
  const symbol = r;
  if (typeof newName !== "string" || !IDENTIFIER.test(newName)) throw new ResponseError(0, `\`${newName}\` is not a valid name`);
  if (reservedWords.has(newName)) throw new ResponseError(0, `\`${newName}\` is a keyword`);
  if (isBuiltinName(newName)) throw new ResponseError(0, `\`${newName}\` is a built-in`);
  if (newName !== symbol.name) {
    // Collisions: a name in the same scope, at top level, or (for a top-level symbol) in any block.
    const scopes = new Set<string | undefined>([symbol.scope, undefined]);
    if (symbol.scope === undefined) {
      for (const s of analysis.model.symbolsIn(undefined)) if (s.kind === "controller" || s.kind === "plant") scopes.add(s.name);
    }
    for (const scope of scopes) {
      const clash = analysis.model.symbolsIn(scope).find((s) => s.name === newName);
      if (clash) throw new ResponseError(0, `\`${newName}\` is already declared${scope ? ` in \`${scope}\`` : " at top level"}`);
    }
  }
  const edits = referenceSpans(analysis, symbol).map((s) => ({ range: spanToRange(doc, s), newText: newName }));
  return { changes: { [doc.uri]: edits } };
}
