// Folding ranges: blocks (controller, plant, train, nested settings), multi-line objectives and
// constraint sections, and runs of comments.

import { FoldingRangeKind, type FoldingRange } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { Analysis } from "../analysis.js";
import { walk } from "../walk.js";

const FOLDABLE = new Set(["Controller", "Plant", "Train", "Setting", "Objective", "SubjectTo", "Array"]);

export function foldingRanges(doc: TextDocument, analysis: Analysis): FoldingRange[] {
  const out: FoldingRange[] = [];
  const seen = new Set<number>();
  walk(analysis.program, (node) => {
    if (!node.kind || !FOLDABLE.has(node.kind)) return;
    const startLine = doc.positionAt(node.span.start).line;
    let endLine = doc.positionAt(node.span.end).line;
    // Keep a closing brace visible.
    if (analysis.text[node.span.end - 1] === "}") endLine -= 1;
    if (endLine > startLine && !seen.has(startLine)) {
      seen.add(startLine);
      out.push({ startLine, endLine });
    }
  });
  // Consecutive line comments, and block comments spanning lines.
  let runStart = -1;
  let runEnd = -1;
  const flush = (): void => {
    if (runStart >= 0 && runEnd > runStart) out.push({ startLine: runStart, endLine: runEnd, kind: FoldingRangeKind.Comment });
    runStart = -1;
  };
  for (const c of analysis.program.comments) {
    const a = doc.positionAt(c.span.start).line;
    const b = doc.positionAt(c.span.end).line;
    if (c.text.startsWith("/*")) {
      flush();
      if (b > a) out.push({ startLine: a, endLine: b, kind: FoldingRangeKind.Comment });
      continue;
    }
    const lineText = doc.getText({ start: { line: a, character: 0 }, end: doc.positionAt(c.span.start) });
    if (lineText.trim() !== "") {
      flush();
      continue;
    }
    if (runStart >= 0 && a === runEnd + 1) runEnd = a;
    else {
      flush();
      runStart = a;
      runEnd = a;
    }
  }
  flush();
  out.sort((x, y) => x.startLine - y.startLine);
  return out;
}
