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
// of an item ever read back as a different AST, that item is printed on one line (always safe).

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
  const render = (flatItems: ReadonlySet<number> | "all"): string => {
    const plan = { broken: new Map(), flat: false };
    const printer = new Printer(li, plan);
    printer.program(program, flatItems);
    broken = plan.broken.size;
    return layout(text, printer.out, program.comments, eol);
  };
  const flatItems = new Set<number>();
  let out = render(flatItems);
  // Verify (when a matrix was printed over several lines) that the output reads back as the same
  // AST and comments; the top-level items that do not are printed on one line, and if that is
  // not enough the whole file is.
  for (let attempt = 0; broken > 0 && attempt < 2; attempt++) {
    const back = parse(out);
    if (back.program.items.length !== program.items.length) break;
    const clean = !back.diagnostics.some((d) => d.severity === "error");
    const sameComments = back.program.comments.length === program.comments.length && back.program.comments.every((c, i) => c.text === program.comments[i].text);
    const bad = program.items.map((_, i) => i).filter((i) => !sameTree(back.program.items[i], program.items[i]));
    if (bad.length === 0 && clean && sameComments) return { text: out, diagnostics };
    if (bad.length === 0) break;
    for (const i of bad) flatItems.add(i);
    out = render(flatItems);
  }
  return { text: broken > 0 ? render("all") : out, diagnostics };
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
