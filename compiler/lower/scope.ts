// Helpers shared by the lowerings: declaration shapes and constants from the checker's model
// (`symbolDims`, `agreedDims`, `agreed`, `agreedNumber`), broadcasting (`fitShape`), and the name-based
// `GlobalScope`/`declDims`, kept only for the train block's settings (train.ts lowers them without
// the model).

import type { Decl, Expr, Program } from "../../language/ast.js";
import type { Span } from "../../language/diagnostics.js";
import type { Mat as CheckedMat } from "../../language/check/context.js";
import type { Model } from "../../language/check/model.js";
import type { Mat, Poly } from "../ir/poly.js";
import { Evaluator, LoweringAssertion, type Scope } from "./evaluate.js";
import { CompilerCodes, LowerError } from "./errors.js";
import { mat, type Val } from "./value.js";

/** Rows x cols of a declaration (`x[2]` is 2 x 1; no dims is a scalar), evaluated by the compiler.
 *  Only for scopes without the checker's model (train.ts); lowering uses `symbolDims`. */
export function declDims(ev: Evaluator, d: Decl, scope: Scope): [number, number] {
  if (d.dims === undefined || d.dims.length === 0) return [1, 1];
  const r = ev.evalNumber(d.dims[0], scope, "a dimension");
  const c = d.dims.length > 1 ? ev.evalNumber(d.dims[1], scope, "a dimension") : 1;
  for (const v of [r, c]) {
    if (!Number.isInteger(v) || v < 0) ev.shapeError(`a dimension must be a non-negative integer, got ${v}`, d.dims[0].span);
  }
  return [r, c];
}

/** Rows x cols of a declaration, as the checker computed them (its shape pass folded the dims). */
export function symbolDims(model: Model, d: Decl): [number, number] {
  const sym = model.declared(d);
  const s = sym && model.shapeOfSymbol(sym);
  if (s === undefined) throw new LoweringAssertion(`the checker gives no shape for \`${d.name.name}\``, d.name.span);
  return [s.rows, s.cols];
}

/** Broadcasts a scalar to rows x cols, or checks the shape (a mismatch is the checker's to report:
 *  `ev.shapeError` makes it an internal assertion for a checked spec). */
export function fitShape(ev: Evaluator, m: Mat, rows: number, cols: number, span: Span, what: string): Mat {
  if (m.rows === rows && m.cols === cols) return m;
  if (m.rows === 1 && m.cols === 1) return ev.alg.mat(rows, cols, new Array(rows * cols).fill(m.e[0]));
  // a row vector given for a column (or the reverse) of the same length
  if (m.rows * m.cols === rows * cols && (m.rows === 1 || m.cols === 1) && (rows === 1 || cols === 1)) return ev.alg.mat(rows, cols, m.e.slice());
  return ev.shapeError(`${what} has shape ${m.rows}x${m.cols}, expected ${rows}x${cols}`, span);
}

/** A value the checker folded (row-major numbers) as a lowering value. */
export function valOfMat(ev: Evaluator, m: CheckedMat): Val {
  return mat(ev.alg.mat(m.rows, m.cols, m.data.map((x) => ev.alg.num(x))));
}

/** Whether an expression calls `dlqr`: its value is computed by the compiler with the runtime's DARE
 *  solver (the one whose result the controller uses; its failure is the compile-only MPC4604), not
 *  taken from the checker's fold (a different iteration, so possibly different last bits). */
export function callsDlqr(e: Expr): boolean {
  let found = false;
  walkExpr(e, (x) => {
    if (x.kind === "Call" && x.callee.name === "dlqr") found = true;
  });
  return found;
}

const sameNumber = (a: number | undefined, b: number): boolean => a === b || (a !== undefined && Number.isNaN(a) && Number.isNaN(b));

/**
 * The checker's value of a constant (`folded`: the model's fold of `e`, or of the declaration `e`
 * initializes), given the compiler's evaluation of the same expression (`computed`), which lowering
 * still performs: its evaluator lowers the non-constant expressions too, and the order in which it
 * interns nodes names the emitted code's temporaries. The two must agree entry by entry (else a
 * LoweringAssertion: the checker and the compiler read the spec differently); the model's value is
 * returned. Without a fold (matrices over 250k elements, a learnable in a bound) or for `dlqr` (see
 * `callsDlqr`) the computed value is returned.
 */
export function agreed(ev: Evaluator, computed: Val, folded: CheckedMat | undefined, e: Expr, what: string): Val {
  if (folded === undefined || callsDlqr(e)) return computed;
  const alg = ev.alg;
  const valueAt = (p: Poly | undefined): number | undefined => (p !== undefined && alg.isConstant(p) ? alg.pool.constValue(p.c) : undefined);
  if (computed.kind === "eye") {
    // s*I (size from the context): compare without materializing it (that would intern nodes)
    const s = valueAt(computed.s);
    const ok = folded.rows === folded.cols && folded.data.every((x, i) => sameNumber(i % (folded.cols + 1) === 0 ? s : 0, x));
    if (!ok) throw new LoweringAssertion(`${what}: the checker folds a ${folded.rows}x${folded.cols} value that is not ${s}*I`, e.span);
    return computed;
  }
  const m = computed.m;
  if (m.rows !== folded.rows || m.cols !== folded.cols) throw new LoweringAssertion(`${what} is ${m.rows}x${m.cols} here but ${folded.rows}x${folded.cols} for the checker`, e.span);
  for (let i = 0; i < folded.data.length; i++) {
    const v = valueAt(m.e[i]);
    if (!sameNumber(v, folded.data[i])) throw new LoweringAssertion(`${what}: entry ${i} is ${v ?? "not constant"} here but ${folded.data[i]} for the checker`, e.span);
  }
  return valOfMat(ev, folded);
}

/** A scalar constant (a setting, a dimension, a stage range end) evaluated here and checked against
 *  the checker's fold, which must exist (the checker rejects what it cannot fold there). */
export function agreedNumber(ev: Evaluator, model: Model, e: Expr, scope: Scope, what: string): number {
  const folded = model.valueOf(e);
  if (folded === undefined || folded.rows * folded.cols !== 1) throw new LoweringAssertion(`${what} is not folded to a scalar by the checker`, e.span);
  const v = agreed(ev, mat(ev.alg.scalar(ev.alg.num(ev.evalNumber(e, scope, what)))), folded, e, what);
  return v.kind === "mat" ? folded.data[0] : NaN;
}

/** Rows x cols of a declaration: the checker's shape, with the dims evaluated here as a cross-check
 *  (in the order the pool has always interned them). */
export function agreedDims(ev: Evaluator, model: Model, d: Decl, scope: Scope): [number, number] {
  const [r, c] = symbolDims(model, d);
  const dims = d.dims ?? [];
  const given = dims.map((x) => agreedNumber(ev, model, x, scope, "a dimension"));
  const expected = dims.length === 0 ? [] : dims.length === 1 ? [r] : [r, c];
  if (given.length !== expected.length || given.some((g, i) => g !== expected[i])) throw new LoweringAssertion(`the dims of \`${d.name.name}\` are ${given.join("x")} here but ${r}x${c} for the checker`, d.name.span);
  return [r, c];
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
