// Name resolution for lowering: top-level constants, then a block's declarations, evaluated lazily
// and cached; stage scopes add the stage index, states/inputs as decision variables, prev().

import type { Decl, Expr, Program } from "../../language/ast.js";
import type { Span } from "../../language/diagnostics.js";
import type { Mat } from "../ir/poly.js";
import { Evaluator, type Scope } from "./evaluate.js";
import { CompilerCodes, LowerError } from "./errors.js";
import { mat, type Val } from "./value.js";

/** Rows x cols of a declaration (`x[2]` is 2 x 1; no dims is a scalar). */
export function declDims(ev: Evaluator, d: Decl, scope: Scope): [number, number] {
  if (d.dims === undefined || d.dims.length === 0) return [1, 1];
  const r = ev.evalNumber(d.dims[0], scope, "a dimension");
  const c = d.dims.length > 1 ? ev.evalNumber(d.dims[1], scope, "a dimension") : 1;
  for (const v of [r, c]) {
    if (!Number.isInteger(v) || v < 0) throw new LowerError(`a dimension must be a non-negative integer, got ${v}`, d.dims[0].span, CompilerCodes.shape);
  }
  return [r, c];
}

/** Broadcasts a scalar to rows x cols, or checks the shape. */
export function fitShape(ev: Evaluator, m: Mat, rows: number, cols: number, span: Span, what: string): Mat {
  if (m.rows === rows && m.cols === cols) return m;
  if (m.rows === 1 && m.cols === 1) return ev.alg.mat(rows, cols, new Array(rows * cols).fill(m.e[0]));
  // a row vector given for a column (or the reverse) of the same length
  if (m.rows * m.cols === rows * cols && (m.rows === 1 || m.cols === 1) && (rows === 1 || cols === 1)) return ev.alg.mat(rows, cols, m.e.slice());
  throw new LowerError(`${what} has shape ${m.rows}x${m.cols}, expected ${rows}x${cols}`, span, CompilerCodes.shape);
}

/** Top-level constants (shared by all blocks). */
export class GlobalScope implements Scope {
  private readonly decls = new Map<string, Decl>();
  private readonly cache = new Map<string, Val>();
  private readonly busy = new Set<string>();

  constructor(
    readonly ev: Evaluator,
    program: Program,
  ) {
    for (const item of program.items) {
      if (item.kind === "Decl") this.decls.set(item.name.name, item);
    }
  }

  lookup(name: string, span: Span): Val | undefined {
    const d = this.decls.get(name);
    if (d === undefined) return undefined;
    return this.constDecl(d, this, span);
  }

  prev(name: string, span: Span): Val {
    throw new LowerError(`\`prev(${name})\` is only defined inside a controller`, span, CompilerCodes.unsupported);
  }

  /** Evaluates a constant-like declaration (const or fixed param) once, in `scope`. */
  constDecl(d: Decl, scope: Scope, span: Span): Val {
    const key = `${d.id}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    if (this.busy.has(key)) throw new LowerError(`\`${d.name.name}\` is defined in terms of itself`, span, CompilerCodes.missing);
    if (d.init === undefined) throw new LowerError(`\`${d.name.name}\` has no value`, d.name.span, CompilerCodes.missing);
    this.busy.add(key);
    try {
      const v = this.ev.eval(d.init, scope);
      let out: Val;
      if (d.dims === undefined || d.dims.length === 0) out = v; // shape inferred from the value
      else {
        const [r, c] = declDims(this.ev, d, scope);
        out = mat(fitShape(this.ev, this.ev.toMat(v, d.init.span, r), r, c, d.init.span, `the value of \`${d.name.name}\``));
      }
      if (out.kind === "mat" && !out.m.e.every((p) => this.ev.alg.isConstant(p))) {
        throw new LowerError(`the value of \`${d.name.name}\` must not depend on decision variables`, d.init.span, CompilerCodes.notConstant);
      }
      this.cache.set(key, out);
      return out;
    } finally {
      this.busy.delete(key);
    }
  }
}

/** Walks an expression's AST. */
export function walkExpr(e: Expr, f: (e: Expr) => void): void {
  f(e);
  switch (e.kind) {
    case "Array":
      for (const r of e.rows) for (const x of r) walkExpr(x, f);
      break;
    case "Unary":
    case "Transpose":
      walkExpr(e.operand, f);
      break;
    case "Paren":
      walkExpr(e.inner, f);
      break;
    case "Binary":
      walkExpr(e.left, f);
      walkExpr(e.right, f);
      break;
    case "Index":
      walkExpr(e.target, f);
      for (const a of e.indices) {
        if (a.kind === "At") walkExpr(a.index, f);
        else {
          if (a.start) walkExpr(a.start, f);
          if (a.end) walkExpr(a.end, f);
        }
      }
      break;
    case "Call":
      for (const a of e.args) walkExpr(a.value, f);
      break;
    default:
      break;
  }
}
