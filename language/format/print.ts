// Printing one item's text, possibly over several lines: matrix literals are printed one row per
// line when the source wrote them so (or when their line would be too long). The result is a list
// of segments, one per output line, each with the source range it stands for (so the layout can
// keep comments next to the rows they were written beside).

import type * as A from "../ast.js";
import type { LineIndex } from "../span.js";
import { binaryOpText, formatExpr, formatIndexArg, isCompound, leftNeedsParens, rightNeedsParens, unaryNeedsParens } from "./expr.js";
import { alignedRows, matrixOf, type Matrix } from "./matrix.js";

/** Lines longer than this (indentation included, trailing comments excluded) break the one-line
 *  matrix literals they contain one row per line. */
export const MAX_WIDTH = 100;

/** One output line of an item. Continuation lines (all but the first) start with their indentation
 *  relative to the item's first line. */
export interface Segment {
  text: string;
  /** Source range: first and last source offsets printed on this line. */
  start: number;
  end: number;
}

/** How a matrix literal is broken: `hug` keeps the first row after `[` and aligns the others
 *  under it; `block` puts `[` at the end of the line, the rows indented one level, `]` alone. */
export type MatrixStyle = "hug" | "block";

export interface Plan {
  /** Matrix literals printed one row per line. */
  readonly broken: Map<A.ArrayLit, { matrix: Matrix; style: MatrixStyle }>;
  /** Print every expression on one line (the fallback layout; set per top-level item). */
  flat: boolean;
}

export class Builder {
  readonly segs: Segment[];
  constructor(start: number) {
    this.segs = [{ text: "", start, end: start }];
  }
  private get last(): Segment {
    return this.segs[this.segs.length - 1];
  }
  /** Column on the current line (relative to the item's indentation). */
  get col(): number {
    return this.last.text.length;
  }
  /** Indentation of the current line (relative to the item's indentation). */
  get indent(): number {
    return /^ */.exec(this.last.text)![0].length;
  }
  add(s: string, sourceEnd?: number): void {
    this.last.text += s;
    if (sourceEnd !== undefined && sourceEnd > this.last.end) this.last.end = sourceEnd;
  }
  newline(indent: number, sourceStart: number): void {
    this.segs.push({ text: " ".repeat(indent), start: sourceStart, end: sourceStart });
  }
  finish(end: number): Segment[] {
    if (end > this.last.end) this.last.end = end;
    return this.segs;
  }
}

/** Whether `e` contains a matrix literal printed over several lines. */
function hasBreak(e: A.Expr, plan: Plan): boolean {
  if (plan.flat || plan.broken.size === 0) return false;
  let found = false;
  walkExpr(e, (x) => {
    if (x.kind === "Array" && plan.broken.has(x)) found = true;
    return !found;
  });
  return found;
}

/** Pre-order walk; `visit` returns false to skip the children. */
export function walkExpr(e: A.Expr, visit: (x: A.Expr) => boolean): void {
  if (!visit(e)) return;
  switch (e.kind) {
    case "Paren":
      return walkExpr(e.inner, visit);
    case "Array":
      for (const r of e.rows) for (const x of r) walkExpr(x, visit);
      return;
    case "Unary":
    case "Transpose":
      return walkExpr(e.operand, visit);
    case "Binary":
      walkExpr(e.left, visit);
      walkExpr(e.right, visit);
      return;
    case "Index":
      walkExpr(e.target, visit);
      for (const a of e.indices) {
        if (a.kind === "At") walkExpr(a.index, visit);
        else {
          if (a.start) walkExpr(a.start, visit);
          if (a.end) walkExpr(a.end, visit);
        }
      }
      return;
    case "Call":
      for (const a of e.args) walkExpr(a.value, visit);
      return;
    default:
      return;
  }
}

/** Print `e` into `b`. */
export function printExpr(b: Builder, e: A.Expr, plan: Plan): void {
  if (!hasBreak(e, plan)) {
    b.add(formatExpr(e), e.span.end);
    return;
  }
  switch (e.kind) {
    case "Paren":
      b.add("(");
      printExpr(b, e.inner, plan);
      b.add(")", e.span.end);
      return;
    case "Array": {
      const broken = plan.broken.get(e);
      if (broken) printMatrix(b, e, broken.matrix, broken.style);
      else {
        b.add("[");
        e.rows.forEach((r, i) => {
          if (i > 0) b.add("; ");
          r.forEach((x, j) => {
            if (j > 0) b.add(", ");
            printExpr(b, x, plan);
          });
        });
        b.add("]", e.span.end);
      }
      return;
    }
    case "Unary":
      b.add(e.op);
      printParen(b, e.operand, unaryNeedsParens(e), plan);
      return;
    case "Binary":
      printParen(b, e.left, leftNeedsParens(e), plan);
      b.add(binaryOpText(e.op));
      printParen(b, e.right, rightNeedsParens(e), plan);
      return;
    case "Transpose":
      printParen(b, e.operand, isCompound(e.operand), plan);
      b.add("'", e.span.end);
      return;
    case "Index":
      printParen(b, e.target, isCompound(e.target), plan);
      b.add(`[${e.indices.map(formatIndexArg).join(", ")}]`, e.span.end);
      return;
    case "Call":
      b.add(`${e.callee.name}(`);
      e.args.forEach((a, i) => {
        if (i > 0) b.add(", ");
        if (a.name) b.add(`${a.name.name} = `);
        printExpr(b, a.value, plan);
      });
      b.add(")", e.span.end);
      return;
    default:
      b.add(formatExpr(e), e.span.end);
  }
}

function printParen(b: Builder, e: A.Expr, parens: boolean, plan: Plan): void {
  if (parens) b.add("(");
  printExpr(b, e, plan);
  if (parens) b.add(")", e.span.end);
}

function printMatrix(b: Builder, e: A.ArrayLit, m: Matrix, style: MatrixStyle): void {
  const rows = alignedRows(m);
  const sep = m.nested ? "," : ";";
  if (style === "hug") {
    b.add("[");
    const col = b.col;
    rows.forEach((r, i) => {
      if (i > 0) {
        b.add(sep);
        b.newline(col, m.rows[i].start);
      }
      b.add(r, m.rows[i].end);
    });
    b.add("]", e.span.end);
    return;
  }
  const indent = b.indent;
  b.add("[", e.span.start + 1);
  rows.forEach((r, i) => {
    b.newline(indent + 2, m.rows[i].start);
    b.add(i < rows.length - 1 ? r + sep : r, m.rows[i].end);
  });
  b.newline(indent, e.span.end - 1);
  b.add("]", e.span.end);
}

/** The matrix literals of `e` (outermost first, never inside another matrix literal). */
export function matricesOf(e: A.Expr): { node: A.ArrayLit; matrix: Matrix }[] {
  const out: { node: A.ArrayLit; matrix: Matrix }[] = [];
  walkExpr(e, (x) => {
    if (x.kind !== "Array") return true;
    const m = matrixOf(x);
    if (!m) return true;
    out.push({ node: x, matrix: m });
    return false;
  });
  return out;
}

/** Plan the matrices of an item's expressions from the source layout: a matrix whose rows start
 *  on different lines is printed one row per line, in the style of its first row. In a constraint
 *  (`hugOnly`) always in the hug style: a `]` alone on its line would end the constraint there. */
export function planFromSource(exprs: readonly A.Expr[], li: LineIndex, plan: Plan, hugOnly: boolean): void {
  if (plan.flat) return;
  for (const e of exprs) {
    for (const { node, matrix } of matricesOf(e)) {
      const first = li.lineIndexOf(matrix.rows[0].start);
      if (!matrix.rows.some((r) => li.lineIndexOf(r.start) !== first)) continue;
      const hug = hugOnly || first === li.lineIndexOf(node.span.start);
      plan.broken.set(node, { matrix, style: hug ? "hug" : "block" });
    }
  }
}

/** Print an item with `print`; while one of its lines is longer than the width, break its next
 *  one-line matrix literal one row per line (hug style) and print it again. */
export function printFitting(exprs: readonly A.Expr[], depthIndent: number, plan: Plan, print: () => Segment[]): Segment[] {
  let segs = print();
  if (plan.flat) return segs;
  const candidates = exprs.flatMap(matricesOf).filter(({ node }) => !plan.broken.has(node));
  for (const c of candidates) {
    if (!segs.some((s) => depthIndent + s.text.trimEnd().length > MAX_WIDTH)) break;
    plan.broken.set(c.node, { matrix: c.matrix, style: "hug" });
    segs = print();
  }
  return segs;
}
