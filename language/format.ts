// The canonical formatter (docs/language.md, "Formatting"). It prints the AST (so the layout is
// canonical), keeps the layout of matrix literals written one row per line, and re-attaches every
// comment by position. The work is split under format/:
//  - expr.ts: expressions on one line, parenthesization rules;
//  - matrix.ts: matrix literals and their aligned rows;
//  - print.ts: one item over one or several lines (which matrices break, and how);
//  - items.ts: items -> output lines;
//  - layout.ts: output lines + comments -> text (blank lines, aligned trailing comments);
//  - same.ts: AST equality modulo positions (the safety net below).
// A file with syntax errors is returned unchanged, with its diagnostics. If the multi-line layout
// ever read back as a different AST, the one-line layout (always safe) is returned instead.

import type { Diagnostic } from "./diagnostics.js";
import { Printer } from "./format/items.js";
import { layout } from "./format/layout.js";
import { sameTree } from "./format/same.js";
import { parse } from "./parser/index.js";
import { LineIndex } from "./span.js";

export { formatExpr } from "./format/expr.js";

function detectEol(text: string): string {
  const m = /\r\n|\n|\r/.exec(text);
  return m ? m[0] : "\n";
}

/** Format a whole file. Unchanged text (and the diagnostics) if it has syntax errors. */
export function format(text: string): { text: string; diagnostics: Diagnostic[] } {
  const { program, diagnostics } = parse(text);
  if (diagnostics.some((d) => d.severity === "error")) return { text, diagnostics };
  const li = new LineIndex(text);
  const eol = detectEol(text);
  let broken = 0;
  const render = (flat: boolean): string => {
    const plan = { broken: new Map(), flat };
    const printer = new Printer(li, plan);
    printer.program(program);
    broken = plan.broken.size;
    return layout(text, printer.out, program.comments, eol);
  };
  const out = render(false);
  if (broken === 0) return { text: out, diagnostics }; // every expression on one line: nothing to verify
  const back = parse(out);
  const same =
    !back.diagnostics.some((d) => d.severity === "error") &&
    sameTree(back.program, program) &&
    back.program.comments.length === program.comments.length &&
    back.program.comments.every((c, i) => c.text === program.comments[i].text);
  return { text: same ? out : render(true), diagnostics };
}

export interface RangeEdit {
  /** Offsets in the original text: replace [start, end) with newText. */
  start: number;
  end: number;
  newText: string;
}

/** Format only the top-level items overlapping [start, end): at most one edit replacing them. */
export function formatRange(text: string, start: number, end: number): { edits: RangeEdit[]; diagnostics: Diagnostic[] } {
  const formatted = format(text);
  if (formatted.diagnostics.some((d) => d.severity === "error")) return { edits: [], diagnostics: formatted.diagnostics };
  const before = parse(text).program.items;
  const after = parse(formatted.text).program.items;
  if (before.length !== after.length) return { edits: [], diagnostics: formatted.diagnostics };
  let first = -1;
  let last = -1;
  before.forEach((it, i) => {
    const overlaps = it.span.start < Math.max(end, start + 1) && it.span.end > start;
    if (overlaps) {
      if (first < 0) first = i;
      last = i;
    }
  });
  if (first < 0) return { edits: [], diagnostics: formatted.diagnostics };
  const oStart = before[first].span.start;
  const oEnd = before[last].span.end;
  const newText = formatted.text.slice(after[first].span.start, after[last].span.end);
  if (text.slice(oStart, oEnd) === newText) return { edits: [], diagnostics: formatted.diagnostics };
  return { edits: [{ start: oStart, end: oEnd, newText }], diagnostics: formatted.diagnostics };
}
