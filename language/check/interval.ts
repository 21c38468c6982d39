// Interval arithmetic, element-wise: the range an expression can take when every learnable
// parameter ranges over its declared box (`in [lb, ub]`; unbounded without one), the stage index
// over 0..N, runtime values and variables over their declared bounds. Used to prove lb <= ub for
// learnable bound offsets, the sign of slack penalties and of weights (diag(d) with d >= 0).

import type { Expr } from "../ast.js";
import { Ctx, Sym, tooBig } from "./context.js";
import { evalExpr, horizonOf } from "./constEval.js";
import { declOf } from "./scope.js";
import { symShape } from "./shapes.js";

export interface IMat {
  readonly rows: number;
  readonly cols: number;
  readonly lo: readonly number[];
  readonly hi: readonly number[];
}

const imat = (rows: number, cols: number, lo: number[], hi: number[]): IMat => ({ rows, cols, lo, hi });
const unbounded = (rows: number, cols: number): IMat =>
  imat(rows, cols, new Array<number>(rows * cols).fill(-Infinity), new Array<number>(rows * cols).fill(Infinity));

// Products with the convention 0 * inf = 0 (a zero factor pins the product).
const mul = (a: number, b: number): number => (a === 0 || b === 0 ? 0 : a * b);
function mulI(al: number, ah: number, bl: number, bh: number): [number, number] {
  const c = [mul(al, bl), mul(al, bh), mul(ah, bl), mul(ah, bh)];
  return [Math.min(...c), Math.max(...c)];
}
const add = (a: number, b: number): number => (Number.isNaN(a + b) ? (a === -Infinity || b === -Infinity ? -Infinity : Infinity) : a + b);

function zip(a: IMat, b: IMat, f: (al: number, ah: number, bl: number, bh: number) => [number, number]): IMat | undefined {
  const sa = a.rows === 1 && a.cols === 1;
  const sb = b.rows === 1 && b.cols === 1;
  const rows = sa ? b.rows : a.rows;
  const cols = sa ? b.cols : a.cols;
  if (!sa && !sb && (a.rows !== b.rows || a.cols !== b.cols)) return undefined;
  const lo: number[] = [];
  const hi: number[] = [];
  for (let i = 0; i < rows * cols; i++) {
    const ia = sa ? 0 : i;
    const ib = sb ? 0 : i;
    const [l, h] = f(a.lo[ia], a.hi[ia], b.lo[ib], b.hi[ib]);
    lo.push(l);
    hi.push(h);
  }
  return imat(rows, cols, lo, hi);
}

function mapI(a: IMat, f: (l: number, h: number) => [number, number]): IMat {
  const lo: number[] = [];
  const hi: number[] = [];
  for (let i = 0; i < a.lo.length; i++) {
    const [l, h] = f(a.lo[i], a.hi[i]);
    lo.push(l);
    hi.push(h);
  }
  return imat(a.rows, a.cols, lo, hi);
}

/** The declared box of a symbol (learnable, runtime, state, input), unbounded without bounds. */
export function symInterval(ctx: Ctx, sym: Sym): IMat | undefined {
  const shape = symShape(ctx, sym);
  if (!shape || tooBig(shape)) return undefined;
  const d = declOf(sym);
  if (sym.kind === "stage-index") {
    const n = horizonOf(ctx, sym.scope);
    return imat(1, 1, [0], [n ?? Infinity]);
  }
  if (!d || !d.bounds) return unbounded(shape.rows, shape.cols);
  const lb = evalExpr(ctx, d.bounds.lower);
  const ub = evalExpr(ctx, d.bounds.upper);
  const entries = d.structure === "diag" ? shape.rows : shape.rows * shape.cols;
  const pick = (m: typeof lb, i: number, dflt: number): number => (!m ? dflt : m.data.length === 1 ? m.data[0] : m.data.length === entries ? m.data[i] : dflt);
  const lo: number[] = [];
  const hi: number[] = [];
  if (d.structure === "diag") {
    // Off-diagonal entries are exactly zero; the bounds apply to the diagonal.
    for (let i = 0; i < shape.rows; i++)
      for (let j = 0; j < shape.cols; j++) {
        lo.push(i === j ? pick(lb, i, -Infinity) : 0);
        hi.push(i === j ? pick(ub, i, Infinity) : 0);
      }
  } else {
    for (let i = 0; i < entries; i++) {
      lo.push(pick(lb, i, -Infinity));
      hi.push(pick(ub, i, Infinity));
    }
  }
  return imat(shape.rows, shape.cols, lo, hi);
}

export function intervalOf(ctx: Ctx, e: Expr): IMat | undefined {
  if (tooBig(ctx.shapes.get(e.id))) return undefined;
  const v = evalExpr(ctx, e);
  if (v) return imat(v.rows, v.cols, [...v.data], [...v.data]);
  const shape = ctx.shapes.get(e.id);
  const fallback = (): IMat | undefined => (shape ? unbounded(shape.rows, shape.cols) : undefined);
  switch (e.kind) {
    case "Name": {
      const sym = ctx.resolution.get(e.id);
      if (!sym) return undefined;
      if (sym.kind === "let") {
        const d = sym.decl;
        return d && d.kind === "Let" ? intervalOf(ctx, d.value) : undefined;
      }
      return symInterval(ctx, sym) ?? fallback();
    }
    case "Paren":
      return intervalOf(ctx, e.inner);
    case "Unary": {
      const a = intervalOf(ctx, e.operand);
      return a && (e.op === "-" ? mapI(a, (l, h) => [-h, -l]) : a);
    }
    case "Transpose": {
      const a = intervalOf(ctx, e.operand);
      if (!a) return undefined;
      const lo: number[] = [];
      const hi: number[] = [];
      for (let j = 0; j < a.cols; j++)
        for (let i = 0; i < a.rows; i++) {
          lo.push(a.lo[i * a.cols + j]);
          hi.push(a.hi[i * a.cols + j]);
        }
      return imat(a.cols, a.rows, lo, hi);
    }
    case "Binary": {
      const a = intervalOf(ctx, e.left);
      const b = intervalOf(ctx, e.right);
      if (!a || !b) return fallback();
      switch (e.op) {
        case "+":
          return zip(a, b, (al, ah, bl, bh) => [add(al, bl), add(ah, bh)]) ?? fallback();
        case "-":
          return zip(a, b, (al, ah, bl, bh) => [add(al, -bh), add(ah, -bl)]) ?? fallback();
        case ".*":
          return zip(a, b, mulI) ?? fallback();
        case "*": {
          if ((a.rows === 1 && a.cols === 1) || (b.rows === 1 && b.cols === 1)) return zip(a, b, mulI) ?? fallback();
          if (a.cols !== b.rows) return fallback();
          const lo: number[] = [];
          const hi: number[] = [];
          for (let i = 0; i < a.rows; i++)
            for (let j = 0; j < b.cols; j++) {
              let l = 0;
              let h = 0;
              for (let p = 0; p < a.cols; p++) {
                const [pl, ph] = mulI(a.lo[i * a.cols + p], a.hi[i * a.cols + p], b.lo[p * b.cols + j], b.hi[p * b.cols + j]);
                l = add(l, pl);
                h = add(h, ph);
              }
              lo.push(l);
              hi.push(h);
            }
          return imat(a.rows, b.cols, lo, hi);
        }
        case "/":
        case "./": {
          const r = zip(a, b, (al, ah, bl, bh) => {
            if (bl <= 0 && bh >= 0) return [-Infinity, Infinity];
            return mulI(al, ah, 1 / bh, 1 / bl);
          });
          return r ?? fallback();
        }
        case "^": {
          // For a nonnegative base x^y is monotone in x and in y, so the corners bound it.
          const [al, ah, bl, bh] = [a.lo[0], a.hi[0], b.lo[0], b.hi[0]];
          if (al >= 0) {
            const c = [al ** bl, al ** bh, ah ** bl, ah ** bh].map((x) => (Number.isNaN(x) ? Infinity : x));
            return imat(1, 1, [Math.min(...c)], [Math.max(...c)]);
          }
          if (bl === 2 && bh === 2) {
            const m = Math.max(al * al, ah * ah);
            return imat(1, 1, [al <= 0 && ah >= 0 ? 0 : Math.min(al * al, ah * ah)], [m]);
          }
          return fallback();
        }
      }
      return fallback();
    }
    case "Index": {
      const t = intervalOf(ctx, e.target);
      if (!t || !shape) return fallback();
      // Constant indices only (the usual case for bound offsets): pick the elements.
      const pos: number[][] = [];
      const dims = e.indices.length === 1 ? [t.cols === 1 ? t.rows : t.cols] : [t.rows, t.cols];
      for (let i = 0; i < e.indices.length; i++) {
        const ix = e.indices[i];
        if (ix.kind === "At") {
          const v = evalExpr(ctx, ix.index);
          if (!v || v.data.length !== 1) return fallback();
          pos.push([v.data[0]]);
        } else {
          const a = ix.start ? evalExpr(ctx, ix.start)?.data[0] : 0;
          const b = ix.end ? evalExpr(ctx, ix.end)?.data[0] : dims[i];
          if (a === undefined || b === undefined) return fallback();
          pos.push(Array.from({ length: Math.max(0, b - a) }, (_, j) => a + j));
        }
      }
      const lo: number[] = [];
      const hi: number[] = [];
      if (pos.length === 1) {
        for (const p of pos[0]) {
          lo.push(t.lo[p]);
          hi.push(t.hi[p]);
        }
      } else for (const r of pos[0]) for (const c of pos[1]) {
        lo.push(t.lo[r * t.cols + c]);
        hi.push(t.hi[r * t.cols + c]);
      }
      if (lo.length !== shape.rows * shape.cols || lo.some((x) => x === undefined)) return fallback();
      return imat(shape.rows, shape.cols, lo, hi);
    }
    case "Array": {
      // Element-wise only for the common column-vector case; otherwise unbounded.
      if (e.rows.length === 1 && shape && shape.cols === 1 && e.rows[0].length === shape.rows) {
        const parts = e.rows[0].map((x) => intervalOf(ctx, x));
        if (parts.every((p) => p && p.rows === 1 && p.cols === 1))
          return imat(
            shape.rows,
            1,
            parts.map((p) => p!.lo[0]),
            parts.map((p) => p!.hi[0]),
          );
      }
      return fallback();
    }
    case "Call": {
      const args = e.args.map((a) => intervalOf(ctx, a.value));
      const [x, y] = args;
      switch (e.callee.name) {
        case "exp":
          return x && mapI(x, (l, h) => [Math.exp(l), Math.exp(h)]);
        case "sqrt":
          return x && mapI(x, (l, h) => [Math.sqrt(Math.max(0, l)), Math.sqrt(Math.max(0, h))]);
        case "abs":
          return x && mapI(x, (l, h) => (l >= 0 ? [l, h] : h <= 0 ? [-h, -l] : [0, Math.max(-l, h)]));
        case "sin":
        case "cos":
          return x && mapI(x, () => [-1, 1]);
        case "sumsq":
        case "norm1":
          return imat(1, 1, [0], [Infinity]);
        case "uniform":
          return x && y ? (zip(x, y, (al, _ah, _bl, bh) => [al, bh]) ?? fallback()) : fallback();
        case "max":
        case "min": {
          const f = e.callee.name === "max" ? Math.max : Math.min;
          if (x && y) return zip(x, y, (al, ah, bl, bh) => [f(al, bl), f(ah, bh)]) ?? fallback();
          return fallback();
        }
        case "diag": {
          if (!x || !shape) return fallback();
          if (x.cols === 1 || x.rows === 1) {
            const n = x.lo.length;
            const lo = new Array<number>(n * n).fill(0);
            const hi = new Array<number>(n * n).fill(0);
            for (let i = 0; i < n; i++) {
              lo[i * n + i] = x.lo[i];
              hi[i * n + i] = x.hi[i];
            }
            return imat(n, n, lo, hi);
          }
          return fallback();
        }
        case "sum": {
          if (!x) return fallback();
          return imat(1, 1, [x.lo.reduce(add, 0)], [x.hi.reduce(add, 0)]);
        }
      }
      return fallback();
    }
    default:
      return fallback();
  }
}

export type Sign = "nonneg" | "nonpos" | "zero" | "unknown";

/** Sign of every element of an expression over the learnables' boxes. */
export function signOf(ctx: Ctx, e: Expr): Sign {
  const iv = intervalOf(ctx, e);
  if (!iv) return "unknown";
  const lo = Math.min(...iv.lo);
  const hi = Math.max(...iv.hi);
  if (lo === 0 && hi === 0) return "zero";
  if (lo >= 0) return "nonneg";
  if (hi <= 0) return "nonpos";
  return "unknown";
}
