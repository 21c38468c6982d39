// Evaluates a spec expression (AST) to a Val at one stage: every entry becomes a polynomial of
// degree <= 2 in the decision variables with parameter-expression coefficients. Array literal
// rules follow language/ast.ts: `[a, b]` of scalars is a column, `[[1, 2], [3, 4]]` is a matrix of
// rows, otherwise MATLAB-style concatenation.

import type { ArrayLit, CallExpr, Expr, NameRef } from "../../language/ast.js";
import type { Span } from "../../language/diagnostics.js";
import { toRows } from "../../runtime/linalg/dense.js";
import { dare } from "../../runtime/linalg/dare.js";
import type { UnaryFn } from "../ir/expr.js";
import { PolyAlg, PolyError, type Mat, type Poly } from "../ir/poly.js";
import { CompilerCodes, LowerError } from "./errors.js";
import { mat, type Val } from "./value.js";

export interface Scope {
  /** Value of a name at this stage, or undefined if unknown (scopes without the checker's model). */
  lookup(name: string, span: Span): Val | undefined;
  /** Value of a name reference resolved by the checker's model (which declaration it refers to):
   *  when present, the evaluator uses it instead of `lookup`. */
  ref?(ref: NameRef): Val;
  /** prev(name): the previous stage's input (a runtime value at stage 0). */
  prev(name: string, span: Span, ref?: NameRef): Val;
  /** A random draw (plants only). */
  noise?(dist: "uniform" | "normal", args: readonly number[], span: Span): Poly;
}

const UNARY_FNS: Readonly<Record<string, UnaryFn>> = { sin: "sin", cos: "cos", tan: "tan", exp: "exp", sqrt: "sqrt", log: "log", abs: "abs", tanh: "tanh" };

/**
 * An inconsistency the checker should have ruled out (a shape mismatch, a value that is not a
 * compile-time constant where the checker folded one): a bug, reported as an internal error
 * (MPC4699 via `internalDiagnostic`), never as a user diagnostic.
 */
export class LoweringAssertion extends Error {
  constructor(
    message: string,
    readonly span?: Span,
  ) {
    super(`lowering assertion: ${message}`);
  }
}

export interface EvaluatorOptions {
  /** The spec was accepted by the checker (its model drives lowering): shape and constness errors
   *  are internal assertions, not MPC4602/MPC4603 diagnostics. */
  readonly checked?: boolean;
}

export class Evaluator {
  constructor(
    readonly alg: PolyAlg,
    readonly options: EvaluatorOptions = {},
  ) {}

  /** A shape error: MPC4602 for unchecked input, an internal assertion for a checked spec. */
  shapeError(message: string, span: Span): never {
    if (this.options.checked) throw new LoweringAssertion(message, span);
    throw new LowerError(message, span, CompilerCodes.shape);
  }

  /** A value that must be a compile-time constant and is not (MPC4603, or an assertion when checked). */
  notConstantError(message: string, span: Span): never {
    if (this.options.checked) throw new LoweringAssertion(message, span);
    throw new LowerError(message, span, CompilerCodes.notConstant);
  }

  /** Converts to a matrix; a uniform scaling needs its size from `n`. */
  toMat(v: Val, span: Span, n?: number): Mat {
    if (v.kind === "mat") return v.m;
    if (n === undefined) this.shapeError("the size of `I` cannot be inferred here; write eye(n)", span);
    return this.alg.identity(n, v.s);
  }

  eval(e: Expr, scope: Scope): Val {
    try {
      return this.evalInner(e, scope);
    } catch (err) {
      if (err instanceof PolyError) {
        // PolyAlg's dimension mismatches ("cannot multiply 2x1 by 3x1") are shape errors
        if (err.message.startsWith("cannot ")) this.shapeError(err.message, e.span);
        throw new LowerError(err.message, e.span, CompilerCodes.degree);
      }
      throw err;
    }
  }

  evalMat(e: Expr, scope: Scope, n?: number): Mat {
    return this.toMat(this.eval(e, scope), e.span, n);
  }

  /** A compile-time number (dimension, index, range bound, setting). */
  evalNumber(e: Expr, scope: Scope, what: string): number {
    const m = this.evalMat(e, scope);
    if (m.rows !== 1 || m.cols !== 1) this.shapeError(`${what} must be a scalar`, e.span);
    const p = m.e[0];
    const v = this.alg.isConstant(p) ? this.alg.pool.constValue(p.c) : undefined;
    if (v === undefined) this.notConstantError(`${what} must be a compile-time constant`, e.span);
    return v;
  }

  /** A matrix of compile-time numbers (row-major). */
  evalNumbers(e: Expr, scope: Scope, what: string, n?: number): { rows: number; cols: number; values: number[] } {
    const m = this.evalMat(e, scope, n);
    const values = m.e.map((p) => {
      const v = this.alg.isConstant(p) ? this.alg.pool.constValue(p.c) : undefined;
      if (v === undefined) throw new LowerError(`${what} must be a compile-time constant`, e.span, CompilerCodes.notConstant);
      return v;
    });
    return { rows: m.rows, cols: m.cols, values };
  }

  private evalInner(e: Expr, scope: Scope): Val {
    const alg = this.alg;
    switch (e.kind) {
      case "Number":
        return mat(alg.scalar(alg.num(e.value)));
      case "Paren":
        return this.eval(e.inner, scope);
      case "Name": {
        if (scope.ref) return scope.ref(e);
        if (e.name === "I") {
          const v = scope.lookup(e.name, e.span);
          return v ?? { kind: "eye", s: alg.num(1) };
        }
        const v = scope.lookup(e.name, e.span);
        if (v === undefined) throw new LowerError(`unknown name \`${e.name}\``, e.span, CompilerCodes.missing);
        return v;
      }
      case "Array":
        return mat(this.evalArray(e, scope));
      case "Unary": {
        const v = this.eval(e.operand, scope);
        if (e.op === "+") return v;
        return v.kind === "eye" ? { kind: "eye", s: alg.neg(v.s) } : mat(alg.map(v.m, (p) => alg.neg(p)));
      }
      case "Transpose": {
        const v = this.eval(e.operand, scope);
        return v.kind === "eye" ? v : mat(alg.transpose(v.m));
      }
      case "Binary":
        return this.evalBinary(e.op, this.eval(e.left, scope), this.eval(e.right, scope), e.span);
      case "Index":
        return mat(this.evalIndex(e.target, e.indices, scope, e.span));
      case "Call":
        return this.evalCall(e, scope);
      case "ErrorExpr":
        throw new LowerError("the expression has syntax errors", e.span, CompilerCodes.missing);
    }
  }

  private evalBinary(op: string, a: Val, b: Val, span: Span): Val {
    const alg = this.alg;
    const pool = alg.pool;
    const isScalar = (v: Val): boolean => v.kind === "mat" && v.m.rows === 1 && v.m.cols === 1;
    // Uniform scalings combine with scalars and with each other; with a matrix they take its size.
    if (a.kind === "eye" || b.kind === "eye") {
      if (op === "*" || op === ".*") {
        if (a.kind === "eye" && b.kind === "eye") return { kind: "eye", s: alg.mul(a.s, b.s) };
        if (a.kind === "eye" && isScalar(b) && b.kind === "mat") return { kind: "eye", s: alg.mul(a.s, b.m.e[0]) };
        if (b.kind === "eye" && isScalar(a) && a.kind === "mat") return { kind: "eye", s: alg.mul(a.m.e[0], b.s) };
        if (a.kind === "eye" && b.kind === "mat") return mat(alg.map(b.m, (p) => alg.mul(a.s, p)));
        if (b.kind === "eye" && a.kind === "mat") return mat(alg.map(a.m, (p) => alg.mul(p, b.s)));
      }
      if (op === "/" && a.kind === "eye" && isScalar(b) && b.kind === "mat") {
        return { kind: "eye", s: this.divPoly(a.s, b.m.e[0], span) };
      }
      if (op === "+" || op === "-") {
        const sign = op === "+" ? 1 : -1;
        if (a.kind === "eye" && b.kind === "eye") return { kind: "eye", s: alg.add(a.s, b.s, sign) };
        const n = a.kind === "mat" ? a.m.rows : b.kind === "mat" ? b.m.rows : 0;
        const am = this.toMat(a, span, n);
        const bm = this.toMat(b, span, n);
        return mat(alg.zip(am, bm, (x, y) => alg.add(x, y, sign), op === "+" ? "add" : "subtract"));
      }
      this.shapeError(`operator \`${op}\` is not defined for \`I\` here`, span);
    }
    const am = a.m;
    const bm = b.m;
    switch (op) {
      case "+":
        return mat(alg.zip(am, bm, (x, y) => alg.add(x, y), "add"));
      case "-":
        return mat(alg.zip(am, bm, (x, y) => alg.add(x, y, -1), "subtract"));
      case "*":
        if ((am.rows === 1 && am.cols === 1) || (bm.rows === 1 && bm.cols === 1)) return mat(alg.zip(am, bm, (x, y) => alg.mul(x, y), "multiply"));
        return mat(alg.matmul(am, bm));
      case ".*":
        return mat(alg.zip(am, bm, (x, y) => alg.mul(x, y), "multiply element-wise"));
      case "/":
        if (!(bm.rows === 1 && bm.cols === 1)) this.shapeError("`/` divides by a scalar; use `./` element-wise", span);
        return mat(alg.map(am, (x) => this.divPoly(x, bm.e[0], span)));
      case "./":
        return mat(alg.zip(am, bm, (x, y) => this.divPoly(x, y, span), "divide element-wise"));
      case "^": {
        if (!(am.rows === 1 && am.cols === 1 && bm.rows === 1 && bm.cols === 1)) this.shapeError("`^` is a scalar power", span);
        const base = am.e[0];
        const ex = bm.e[0];
        if (!alg.isConstant(ex)) throw new LowerError("an exponent must not depend on the decision variables", span, CompilerCodes.degree);
        if (alg.isConstant(base)) return mat(alg.scalar(alg.constant(pool.pow(base.c, ex.c))));
        const k = pool.constValue(ex.c);
        if (k === 1) return mat(alg.scalar(base));
        if (k === 2) return mat(alg.scalar(alg.mul(base, base)));
        throw new LowerError("a power of a decision variable must have exponent 1 or 2 in a QP", span, CompilerCodes.degree);
      }
    }
    throw new LowerError(`unknown operator \`${op}\``, span, CompilerCodes.unsupported);
  }

  private divPoly(x: Poly, y: Poly, span: Span): Poly {
    const alg = this.alg;
    const pool = alg.pool;
    if (!alg.isConstant(y)) throw new LowerError("division by an expression of the decision variables is not allowed in a QP", span, CompilerCodes.degree);
    const d = y.c;
    const lin = new Map<number, number>();
    for (const [k, v] of x.lin) lin.set(k, pool.div(v, d));
    const quad = new Map<number, number>();
    for (const [k, v] of x.quad) quad.set(k, pool.div(v, d));
    return { c: pool.div(x.c, d), lin, quad };
  }

  private evalArray(e: ArrayLit, scope: Scope): Mat {
    const alg = this.alg;
    if (e.rows.length === 0) return alg.zeros(0, 1);
    // A single row whose elements are all single-row array literals: a matrix of those rows.
    if (e.rows.length === 1 && e.rows[0].length > 0 && e.rows[0].every((x) => x.kind === "Array" && x.rows.length === 1)) {
      const rows = e.rows[0].map((x) => {
        const inner = x as ArrayLit;
        return inner.rows[0].map((y) => this.evalMat(y, scope));
      });
      if (rows.every((r) => r.every((m) => m.rows === 1 && m.cols === 1))) {
        const cols = rows[0].length;
        if (!rows.every((r) => r.length === cols)) this.shapeError("rows of a matrix literal must have the same length", e.span);
        return alg.mat(rows.length, cols, rows.flatMap((r) => r.map((m) => m.e[0])));
      }
    }
    const rowVals = e.rows.map((row) => row.map((x) => this.evalMat(x, scope)));
    // A single row of scalars is a column vector.
    if (rowVals.length === 1 && rowVals[0].every((m) => m.rows === 1 && m.cols === 1)) {
      return alg.mat(rowVals[0].length, 1, rowVals[0].map((m) => m.e[0]));
    }
    // MATLAB concatenation: horizontally within a row, then rows vertically.
    const blocks = rowVals.map((row) => {
      const h = row[0].rows;
      if (!row.every((m) => m.rows === h)) this.shapeError("elements of a row must have the same number of rows", e.span);
      const w = row.reduce((s, m) => s + m.cols, 0);
      const out: Poly[] = [];
      for (let i = 0; i < h; i++) for (const m of row) for (let j = 0; j < m.cols; j++) out.push(m.e[i * m.cols + j]);
      return alg.mat(h, w, out);
    });
    const w = blocks[0].cols;
    if (!blocks.every((b) => b.cols === w)) this.shapeError("rows of a concatenation must have the same number of columns", e.span);
    return alg.mat(
      blocks.reduce((s, b) => s + b.rows, 0),
      w,
      blocks.flatMap((b) => b.e),
    );
  }

  private evalIndex(target: Expr, indices: readonly import("../../language/ast.js").IndexArg[], scope: Scope, span: Span): Mat {
    const m = this.evalMat(target, scope);
    const range = (arg: (typeof indices)[number], size: number): number[] => {
      if (arg.kind === "At") {
        const i = this.evalNumber(arg.index, scope, "an index");
        // an index that depends on the stage (`w[k + 1]`, `w[j]` in `for j in ..`) is checked here
        // only: the checker proves constant indices in range (MPC3005), not per-stage ones, so this
        // stays a user diagnostic (MPC4602)
        if (!Number.isInteger(i) || i < 0 || i >= size) throw new LowerError(`index ${i} is out of range 0..${size - 1}`, arg.span, CompilerCodes.shape);
        return [i];
      }
      const a = arg.start === undefined ? 0 : this.evalNumber(arg.start, scope, "a slice start");
      const b = arg.end === undefined ? size : this.evalNumber(arg.end, scope, "a slice end");
      if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b > size || a > b) this.shapeError(`slice ${a}:${b} is out of range 0..${size}`, arg.span);
      const out: number[] = [];
      for (let i = a; i < b; i++) out.push(i);
      return out;
    };
    if (indices.length === 1) {
      // linear indexing of a vector (row or column)
      const isRow = m.rows === 1 && m.cols !== 1;
      const idx = range(indices[0], m.rows * m.cols);
      const e = idx.map((i) => m.e[i]);
      return isRow ? this.alg.mat(1, e.length, e) : this.alg.mat(e.length, 1, e);
    }
    if (indices.length === 2) {
      const ri = range(indices[0], m.rows);
      const ci = range(indices[1], m.cols);
      const e: Poly[] = [];
      for (const i of ri) for (const j of ci) e.push(m.e[i * m.cols + j]);
      return this.alg.mat(ri.length, ci.length, e);
    }
    this.shapeError("an index has one or two positions", span);
  }

  private evalCall(e: CallExpr, scope: Scope): Val {
    const alg = this.alg;
    const pool = alg.pool;
    const name = e.callee.name;
    const args = e.args.map((a) => a.value);
    const need = (n: number): void => {
      if (args.length !== n) this.shapeError(`\`${name}\` takes ${n} argument${n === 1 ? "" : "s"}`, e.span);
    };
    const scalarOf = (p: Poly): Mat => alg.scalar(p);
    switch (name) {
      case "sum": {
        need(1);
        const m = this.evalMat(args[0], scope);
        return mat(scalarOf(m.e.reduce((s, p) => alg.add(s, p), alg.num(0))));
      }
      case "sumsq": {
        need(1);
        const m = this.evalMat(args[0], scope);
        return mat(scalarOf(m.e.reduce((s, p) => alg.add(s, alg.mul(p, p)), alg.num(0))));
      }
      case "quad": {
        need(2);
        const x = this.evalMat(args[0], scope);
        const S = this.evalMat(args[1], scope, x.rows);
        return mat(alg.matmul(alg.matmul(alg.transpose(x), S), x));
      }
      case "prev": {
        need(1);
        const a = args[0];
        if (a.kind !== "Name") throw new LowerError("`prev` takes the name of an input", a.span, CompilerCodes.unsupported);
        return scope.prev(a.name, a.span, a);
      }
      case "max":
      case "min": {
        need(2);
        const a = this.evalMat(args[0], scope);
        const b = this.evalMat(args[1], scope);
        return mat(
          alg.zip(a, b, (x, y) => alg.constant(pool.binary(name, alg.constantNode(x, `an argument of \`${name}\` in a controller`), alg.constantNode(y, `an argument of \`${name}\` in a controller`))), name),
        );
      }
      case "norm1": {
        need(1);
        const m = this.evalMat(args[0], scope);
        return mat(scalarOf(m.e.reduce((s, p) => alg.add(s, alg.constant(pool.unary("abs", alg.constantNode(p, "the argument of `norm1` in a controller")))), alg.num(0))));
      }
      case "diag": {
        need(1);
        const m = this.evalMat(args[0], scope);
        if (m.cols === 1 || m.rows === 1) {
          const n = m.rows * m.cols;
          const out: Poly[] = new Array<Poly>(n * n).fill(alg.num(0));
          for (let i = 0; i < n; i++) out[i * n + i] = m.e[i];
          return mat(alg.mat(n, n, out));
        }
        const n = Math.min(m.rows, m.cols);
        const out: Poly[] = [];
        for (let i = 0; i < n; i++) out.push(m.e[i * m.cols + i]);
        return mat(alg.mat(n, 1, out));
      }
      case "zeros":
      case "ones": {
        if (args.length < 1 || args.length > 2) this.shapeError(`\`${name}\` takes 1 or 2 sizes`, e.span);
        const r = this.evalNumber(args[0], scope, "a size");
        const c = args.length === 2 ? this.evalNumber(args[1], scope, "a size") : 1;
        return mat(alg.mat(r, c, new Array<Poly>(r * c).fill(alg.num(name === "ones" ? 1 : 0))));
      }
      case "eye":
      case "I": {
        if (args.length === 0) return { kind: "eye", s: alg.num(1) };
        need(1);
        return mat(alg.identity(this.evalNumber(args[0], scope, "a size")));
      }
      case "dlqr":
        return mat(this.evalDlqr(e, scope));
      case "uniform":
      case "normal": {
        need(2);
        if (scope.noise === undefined) throw new LowerError(`\`${name}\` (random noise) is only allowed in a plant`, e.span, CompilerCodes.unsupported);
        const a = this.evalNumber(args[0], scope, `an argument of \`${name}\``);
        const b = this.evalNumber(args[1], scope, `an argument of \`${name}\``);
        return mat(scalarOf(scope.noise(name, [a, b], e.span)));
      }
      case "der":
        throw new LowerError("`der` is only allowed on the left of a dynamics equation", e.span, CompilerCodes.unsupported);
      default: {
        const fn = UNARY_FNS[name];
        if (fn === undefined) throw new LowerError(`unknown function \`${name}\``, e.callee.span, CompilerCodes.missing);
        need(1);
        const m = this.evalMat(args[0], scope);
        return mat(alg.map(m, (p) => alg.constant(pool.unary(fn, alg.constantNode(p, `the argument of \`${name}\` in a controller`)))));
      }
    }
  }

  /** dlqr(A, B, Q, R): the stabilizing solution S of the DARE (so that quad(x, S) is the LQR cost-to-go). */
  private evalDlqr(e: CallExpr, scope: Scope): Mat {
    const args = e.args.map((a) => a.value);
    if (args.length !== 4) this.shapeError("`dlqr` takes 4 arguments: A, B, Q, R", e.span);
    const A = this.evalNumbers(args[0], scope, "`dlqr`'s A");
    const n = A.rows;
    const B = this.evalNumbers(args[1], scope, "`dlqr`'s B");
    const Q = this.evalNumbers(args[2], scope, "`dlqr`'s Q", n);
    const R = this.evalNumbers(args[3], scope, "`dlqr`'s R", B.cols);
    const toD = (x: { rows: number; cols: number; values: number[] }) => ({ rows: x.rows, cols: x.cols, data: Float64Array.from(x.values) });
    const r = dare(toD(A), toD(B), toD(Q), toD(R));
    if (!r.ok) throw new LowerError(`dlqr: ${r.reason}`, e.span, CompilerCodes.noStabilizing, "check that (A, B) is stabilizable and Q, R are positive (semi)definite");
    const rows = toRows(r.X);
    return this.alg.mat(n, n, rows.flat().map((v) => this.alg.num(v)));
  }
}
