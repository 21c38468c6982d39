// Expressions printed on one line, and the parenthesization rules shared with the multi-line
// printer (print.ts). The AST mirrors the source grammar (parentheses are ParenExpr nodes), so no
// parentheses are added except to keep a hand-built tree unambiguous.

import type * as A from "../ast.js";

const PREC: Record<A.BinaryOp, number> = { "+": 1, "-": 1, "*": 2, "/": 2, ".*": 2, "./": 2, "^": 4 };

/** Whether the operand of a unary minus/plus needs parentheses. */
export function unaryNeedsParens(e: A.UnaryExpr): boolean {
  return e.operand.kind === "Binary" && e.operand.op !== "^";
}

export function leftNeedsParens(e: A.BinaryExpr): boolean {
  const x = e.left;
  const p = PREC[e.op];
  return (x.kind === "Binary" && (PREC[x.op] < p || (e.op === "^" && x.op === "^"))) || (e.op === "^" && x.kind === "Unary");
}

export function rightNeedsParens(e: A.BinaryExpr): boolean {
  const x = e.right;
  return x.kind === "Binary" && (PREC[x.op] < PREC[e.op] || (PREC[x.op] === PREC[e.op] && e.op !== "^"));
}

/** `+` and `-` are printed with spaces around them, the other operators without. */
export function binaryOpText(op: A.BinaryOp): string {
  return op === "+" || op === "-" ? ` ${op} ` : op;
}

/** Operand of a postfix `'` or `[...]`. */
export function isCompound(x: A.Expr): boolean {
  return x.kind === "Binary" || x.kind === "Unary";
}

/** Print an expression on one line. */
export function formatExpr(e: A.Expr): string {
  switch (e.kind) {
    case "Number":
      return e.text;
    case "Name":
      return e.name;
    case "ErrorExpr":
      return "<error>";
    case "Paren":
      return `(${formatExpr(e.inner)})`;
    case "Array":
      return `[${e.rows.map((r) => r.map(formatExpr).join(", ")).join("; ")}]`;
    case "Unary": {
      const inner = formatExpr(e.operand);
      return `${e.op}${unaryNeedsParens(e) ? `(${inner})` : inner}`;
    }
    case "Binary":
      return `${paren(formatExpr(e.left), leftNeedsParens(e))}${binaryOpText(e.op)}${paren(formatExpr(e.right), rightNeedsParens(e))}`;
    case "Transpose":
      return `${paren(formatExpr(e.operand), isCompound(e.operand))}'`;
    case "Index":
      return `${paren(formatExpr(e.target), isCompound(e.target))}[${e.indices.map(formatIndexArg).join(", ")}]`;
    case "Call":
      return `${e.callee.name}(${e.args.map((a) => (a.name ? `${a.name.name} = ` : "") + formatExpr(a.value)).join(", ")})`;
  }
}

function paren(s: string, cond: boolean): string {
  return cond ? `(${s})` : s;
}

export function formatIndexArg(a: A.IndexArg): string {
  if (a.kind === "At") return formatExpr(a.index);
  return `${a.start ? formatExpr(a.start) : ""}:${a.end ? formatExpr(a.end) : ""}`;
}
