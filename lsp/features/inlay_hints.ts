// Inlay hints: the inferred shape after every `let` name and after declarations whose shape is not
// written (`learnable V0 = 0` is a scalar, `const S = dlqr(...)` a matrix).

import { InlayHintKind, type InlayHint, type Range } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { Decl, LetDecl } from "../../language/ast.js";
import type { Analysis } from "../analysis.js";
import { shapeText } from "../describe.js";

export function inlayHints(doc: TextDocument, analysis: Analysis, range: Range): InlayHint[] {
  const from = doc.offsetAt(range.start);
  const to = doc.offsetAt(range.end);
  const out: InlayHint[] = [];
  const visit = (d: Decl | LetDecl): void => {
    if (d.name.span.end < from || d.name.span.start > to) return;
    if (d.kind === "Decl" && d.dims && d.dims.length > 0) return;
    const info = analysis.model.symbolAt(d.name.span.start);
    if (!info?.shape) return;
    out.push({ position: doc.positionAt(d.name.span.end), label: `: ${shapeText(info.shape)}`, kind: InlayHintKind.Type, paddingLeft: false });
  };
  for (const item of analysis.program.items) {
    if (item.kind === "Decl") visit(item);
    else if (item.kind === "Controller" || item.kind === "Plant") {
      for (const it of item.items) if (it.kind === "Decl" || it.kind === "Let") visit(it);
    }
  }
  return out;
}
