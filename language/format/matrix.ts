// Matrix literals and their aligned rows (docs/language.md, "Formatting"). A matrix literal is an
// array of at least two rows, written either as nested rows `[[1, 0], [0, 1]]` or with `;`
// (`[1, 0; 0, 1]`). Printed one row per line, its columns are aligned: a column of number
// literals (optionally signed) on the decimal point, any other column on the left; the padding
// goes after the `,` (never between an entry and its comma) and none before the closing bracket.

import type * as A from "../ast.js";
import { formatExpr } from "./expr.js";

export interface MatrixRow {
  readonly cells: readonly A.Expr[];
  /** Source range of the row (for comments and for the source layout). */
  readonly start: number;
  readonly end: number;
}

export interface Matrix {
  readonly rows: readonly MatrixRow[];
  /** `[[..], [..]]` (rows are bracketed, separated by `,`) or `[..; ..]`. */
  readonly nested: boolean;
}

/** The rows of a matrix literal, or undefined if `e` is not one. */
export function matrixOf(e: A.ArrayLit): Matrix | undefined {
  if (e.rows.length >= 2) {
    if (e.rows.some((r) => r.length === 0)) return undefined;
    return { nested: false, rows: e.rows.map((r) => ({ cells: r, start: r[0].span.start, end: r[r.length - 1].span.end })) };
  }
  if (e.rows.length !== 1 || e.rows[0].length < 2) return undefined;
  const rows: MatrixRow[] = [];
  for (const el of e.rows[0]) {
    if (el.kind !== "Array" || el.rows.length !== 1) return undefined;
    rows.push({ cells: el.rows[0], start: el.span.start, end: el.span.end });
  }
  return { nested: true, rows };
}

/** Integer part and the rest (`.` fraction and/or exponent) of a number cell, or undefined for
 *  a cell that is not a (signed) decimal number literal. */
function numberParts(e: A.Expr): [string, string] | undefined {
  let sign = "";
  let x = e;
  if (x.kind === "Unary") {
    sign = x.op;
    x = x.operand;
  }
  if (x.kind !== "Number") return undefined;
  const t = x.text;
  if (/^0[xXbBoO]/.test(t)) return [sign + t, ""];
  const m = /[.eE]/.exec(t);
  const i = m ? m.index : t.length;
  return [sign + t.slice(0, i), t.slice(i)];
}

/** The rows printed with aligned columns: each string is the row without its separator. */
export function alignedRows(m: Matrix): string[] {
  const ncol = Math.max(...m.rows.map((r) => r.cells.length));
  const texts = m.rows.map((r) => r.cells.map(formatExpr));
  const parts = m.rows.map((r) => r.cells.map(numberParts));
  // per column: [integer width, rest width] when every entry is a number, else [width, 0]
  const widths: { decimal: boolean; left: number; right: number }[] = [];
  for (let j = 0; j < ncol; j++) {
    const col = parts.filter((p) => j < p.length).map((p) => p[j]);
    if (col.every((p) => p !== undefined)) {
      const ps = col as [string, string][];
      widths.push({ decimal: true, left: Math.max(...ps.map((p) => p[0].length)), right: Math.max(...ps.map((p) => p[1].length)) });
    } else {
      widths.push({ decimal: false, left: Math.max(...texts.filter((t) => j < t.length).map((t) => t[j].length)), right: 0 });
    }
  }
  return m.rows.map((r, i) => {
    let s = m.nested ? "[" : "";
    r.cells.forEach((_, j) => {
      const w = widths[j];
      const p = parts[i][j];
      const text = texts[i][j];
      let before = 0;
      let after = 0;
      if (w.decimal && p) {
        before = w.left - p[0].length;
        after = w.right - p[1].length;
      } else after = w.left - text.length;
      s += " ".repeat(before) + text;
      if (j < r.cells.length - 1) s += "," + " ".repeat(after + 1);
    });
    return m.nested ? s + "]" : s;
  });
}
