// Interval arithmetic, element-wise: the range an expression can take when every learnable
// parameter ranges over its declared box (`in [lb, ub]`; unbounded without one), the stage index
// over 0..N (on a statement's view, `withStageRange`, over the stages it applies at: stages.ts),
// runtime values and variables over their declared bounds. Used to prove lb <= ub for
// learnable bound offsets, the sign of slack penalties and of weights (diag(d) with d >= 0), and
// the domains of sqrt/log/division/powers (domain.ts). Soundness rules (docs/soundness.md):
// - every value the expression can take lies in its interval (an over-approximation); what cannot
//   be bounded is [-inf, inf], never a guess;
// - a `psd` learnable's box bounds its factor L (P = L*L'), a `factor`'s box bounds the lower
//   triangle of L (the upper triangle is exactly 0), a `diag`'s box bounds its diagonal;
// - results are memoised per node (a let's value is one node), so the cost is linear in the size of
//   the expression DAG (a chain of lets is not re-evaluated once per use).

import { INFTY } from "../../runtime/qp/settings.js";
import { children, type Expr } from "../ast.js";
import { Ctx, Sym, tooBig, type Mat } from "./context.js";
import { assembleArray, evalExpr, horizonOf, isListOfRows } from "./const_eval.js";
import { IdMap } from "./idmap.js";
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
export function mulI(al: number, ah: number, bl: number, bh: number): [number, number] {
  const c = [mul(al, bl), mul(al, bh), mul(ah, bl), mul(ah, bh)];
  if (c.some(Number.isNaN)) return [-Infinity, Infinity];
  return [Math.min(...c), Math.max(...c)];
}
/** Whether two operands are the same expression (the same text but for whitespace, in one statement:
 *  the same names resolve alike and the language has no side effects), so their product is a square. */
function sameOperands(ctx: Ctx, a: Expr, b: Expr): boolean {
  if (a.kind !== b.kind || a.span.end - a.span.start > 200) return false;
  const t = (x: Expr): string => ctx.text.slice(x.span.start, x.span.end).replace(/\s+/g, "");
  return t(a) === t(b);
}
/** The square of an interval (tighter than mulI(x, x): a square is never negative). */
export function sqI(l: number, h: number): [number, number] {
  const a = mul(l, l);
  const b = mul(h, h);
  return [l <= 0 && h >= 0 ? 0 : Math.min(a, b), Math.max(a, b)];
}
// lower ends: -inf + inf is -inf; upper ends: +inf
const addLo = (a: number, b: number): number => (Number.isNaN(a + b) ? -Infinity : a + b);
const addHi = (a: number, b: number): number => (Number.isNaN(a + b) ? Infinity : a + b);

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
    lo.push(Number.isNaN(l) ? -Infinity : l);
    hi.push(Number.isNaN(h) ? Infinity : h);
  }
  return imat(a.rows, a.cols, lo, hi);
}

/** Interval matrix product; `gram` marks A*A' (diagonal entries are sums of squares). */
function matmulI(a: IMat, b: IMat, gram = false): IMat | undefined {
  if (a.cols !== b.rows) return undefined;
  const lo: number[] = [];
  const hi: number[] = [];
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < b.cols; j++) {
      let l = 0;
      let h = 0;
      for (let p = 0; p < a.cols; p++) {
        const [al, ah] = [a.lo[i * a.cols + p], a.hi[i * a.cols + p]];
        const [pl, ph] = gram && i === j ? sqI(al, ah) : mulI(al, ah, b.lo[p * b.cols + j], b.hi[p * b.cols + j]);
        l = addLo(l, pl);
        h = addHi(h, ph);
      }
      lo.push(l);
      hi.push(h);
    }
  return imat(a.rows, b.cols, lo, hi);
}

const transposeI = (a: IMat): IMat => {
  const lo: number[] = [];
  const hi: number[] = [];
  for (let j = 0; j < a.cols; j++)
    for (let i = 0; i < a.rows; i++) {
      lo.push(a.lo[i * a.cols + j]);
      hi.push(a.hi[i * a.cols + j]);
    }
  return imat(a.cols, a.rows, lo, hi);
};

/** Entry i of a bound value with `entries` components (a scalar applies to all); undefined: not usable. */
function boundEntry(m: Mat | undefined, i: number, entries: number, dflt: number): number {
  if (!m) return dflt;
  if (m.data.length === 1) return m.data[0];
  if (m.data.length === entries) return m.data[i];
  return dflt;
}

/**
 * The box of the parameter vector theta of a learnable, in the compiler's order: the diagonal of a
 * `diag`, the lower triangle of L (row by row) of a `factor` or `psd`, the entries otherwise.
 * A bound of another length than 1 or that number is not used (the entry is unbounded).
 */
export function paramBox(ctx: Ctx, sym: Sym): { lo: number[]; hi: number[] } | undefined {
  const shape = symShape(ctx, sym);
  if (!shape || tooBig(shape)) return undefined;
  const d = declOf(sym);
  const s = d?.structure;
  const n = shape.rows;
  const size = s === "diag" ? n : s === "psd" || s === "factor" ? (n * (n + 1)) / 2 : shape.rows * shape.cols;
  const lb = d?.bounds ? evalExpr(ctx, d.bounds.lower) : undefined;
  const ub = d?.bounds ? evalExpr(ctx, d.bounds.upper) : undefined;
  const lo: number[] = [];
  const hi: number[] = [];
  for (let i = 0; i < size; i++) {
    lo.push(boundEntry(lb, i, size, -Infinity));
    hi.push(boundEntry(ub, i, size, Infinity));
  }
  return { lo, hi };
}

/** Interval of the lower-triangular factor L of a `psd`/`factor` learnable (upper triangle exactly 0). */
function factorInterval(n: number, box: { lo: number[]; hi: number[] }): IMat {
  const lo = new Array<number>(n * n).fill(0);
  const hi = new Array<number>(n * n).fill(0);
  let t = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++, t++) {
      lo[i * n + j] = box.lo[t];
      hi[i * n + j] = box.hi[t];
    }
  return imat(n, n, lo, hi);
}

/**
 * The range of the value a symbol denotes (learnable, runtime, disturbance, state, input, stage
 * index): for a `psd` learnable P = L*L' with L in its box, for a `factor` L (lower triangular), for
 * a `diag` the diagonal matrix. Constants are folded by `intervalOf`; a const/param whose value
 * cannot be folded is unbounded (its declared bounds are not trusted).
 */
export function symInterval(ctx: Ctx, sym: Sym): IMat | undefined {
  return symRange(ctx, sym, true);
}

/** `symInterval` with a learnable's or runtime value's box as declared (not inside
 *  +-RUNTIME_LIMIT): what the declaration says (a box for Bayesian optimization, a study's values,
 *  the model's `declaredBox`), not the values the analysis reasons over. */
export function declaredInterval(ctx: Ctx, sym: Sym): IMat | undefined {
  return symRange(ctx, sym, false);
}

function symRange(ctx: Ctx, sym: Sym, admissible: boolean): IMat | undefined {
  const shape = symShape(ctx, sym);
  if (!shape || tooBig(shape)) return undefined;
  if (sym.kind === "stage-index") {
    const n = horizonOf(ctx, sym.scope);
    const r = stageRangeOf(ctx);
    // a view narrowed to the stages one statement is evaluated at (`withStageRange`), inside 0..N
    if (r && n !== undefined) return imat(1, 1, [Math.max(0, r[0])], [Math.min(n, r[1])]);
    return imat(1, 1, [0], [n ?? Infinity]);
  }
  const d = declOf(sym);
  if (!d || sym.kind === "const" || sym.kind === "param" || sym.kind === "let") return unbounded(shape.rows, shape.cols);
  if ((sym.kind === "state" || sym.kind === "input") && unitContexts.has(ctx)) {
    const n = shape.rows * shape.cols;
    return imat(shape.rows, shape.cols, new Array<number>(n).fill(-1), new Array<number>(n).fill(1));
  }
  if ((sym.kind === "state" || sym.kind === "input") && zeroContexts.has(ctx)) {
    const n = shape.rows * shape.cols;
    return imat(shape.rows, shape.cols, new Array<number>(n).fill(0), new Array<number>(n).fill(0));
  }
  if (sym.kind === "learnable") {
    const box = admissible ? clippedBox(paramBox(ctx, sym)) : paramBox(ctx, sym);
    if (!box) return unbounded(shape.rows, shape.cols);
    const n = shape.rows;
    switch (d.structure) {
      case "diag": {
        // Off-diagonal entries are exactly zero; the bounds apply to the diagonal.
        const lo = new Array<number>(n * n).fill(0);
        const hi = new Array<number>(n * n).fill(0);
        for (let i = 0; i < n; i++) {
          lo[i * n + i] = box.lo[i];
          hi[i * n + i] = box.hi[i];
        }
        return imat(n, n, lo, hi);
      }
      case "factor":
        return shape.rows === shape.cols ? factorInterval(n, box) : unbounded(shape.rows, shape.cols);
      case "psd": {
        if (shape.rows !== shape.cols) return unbounded(shape.rows, shape.cols);
        // P_ij = sum_k L_ik L_jk over the box of L (diagonal: sums of squares).
        const L = factorInterval(n, box);
        return matmulI(L, transposeI(L), true) ?? unbounded(n, n);
      }
      default:
        return imat(shape.rows, shape.cols, box.lo, box.hi);
    }
  }
  // a controller's runtime value or disturbance forecast: |v| < RUNTIME_LIMIT at run time, range or not
  const limit = admissible && sym.blockKind === "controller" && (sym.kind === "runtime" || sym.kind === "disturbance") ? RUNTIME_LIMIT : Infinity;
  if (!d.bounds) return limit === Infinity ? unbounded(shape.rows, shape.cols) : imat(shape.rows, shape.cols, new Array<number>(shape.rows * shape.cols).fill(-limit), new Array<number>(shape.rows * shape.cols).fill(limit));
  const lb = evalExpr(ctx, d.bounds.lower);
  const ub = evalExpr(ctx, d.bounds.upper);
  const entries = shape.rows * shape.cols;
  const lo: number[] = [];
  const hi: number[] = [];
  for (let i = 0; i < entries; i++) {
    lo.push(clamp(boundEntry(lb, i, entries, -Infinity), limit));
    hi.push(clamp(boundEntry(ub, i, entries, Infinity), limit));
  }
  return imat(shape.rows, shape.cols, lo, hi);
}

/**
 * The magnitude every learnable parameter and every runtime value (reference, disturbance
 * forecast) stays below at run time: the runtime refuses a larger one (runtime/mpc/bounds.ts,
 * INFTY = 1e20: `setTheta`, a learner's update and a parameter file outside it are refused like
 * an entry outside its box; a runtime value like a state of that size). So an unbounded box (`in
 * [0, inf]`, or none) ranges over [-1e20, 1e20] in the intervals: without it, a weight in [0, inf]
 * proved nothing, and at 1e308 the compiled P = 2 Q overflowed (act: non_convex, V = NaN).
 */
export const RUNTIME_LIMIT = INFTY;

/** A learnable's box inside +-RUNTIME_LIMIT (the value ranges of the intervals; paramBox stays the declared box). */
function clippedBox(box: { lo: number[]; hi: number[] } | undefined): { lo: number[]; hi: number[] } | undefined {
  if (!box) return undefined;
  return { lo: box.lo.map((v) => clamp(v, RUNTIME_LIMIT)), hi: box.hi.map((v) => clamp(v, RUNTIME_LIMIT)) };
}

/** v inside [-limit, limit] (a box wholly beyond the limit, which no value can meet, stays a
 *  non-empty interval at its edge: MPC4014 reports its initial value). */
const clamp = (v: number, limit: number): number => Math.min(limit, Math.max(-limit, v));

/** Views of a checker run in which every state and input ranges over [-1, 1] (`withUnitVariables`). */
const unitContexts = new WeakSet<Ctx>();
const unitViews = new WeakMap<Ctx, Ctx>();

/**
 * The same checker run with every state and input entry in [-1, 1] instead of its declared bounds
 * (its own interval memo): the interval of an expression affine in them then bounds the sum of the
 * magnitudes of its coefficients (|c0| + sum |ci| for c0 + sum ci*vi), which is what a linear
 * controller evaluates when it expands a power of them into QP coefficients (domain.ts, MPC4025).
 */
export function withUnitVariables(ctx: Ctx): Ctx {
  return variableView(ctx, unitContexts, unitViews);
}

/** The view of `ctx` marked in `marks` (one per run and kind, cached in `views`): its own interval memo. */
function variableView(ctx: Ctx, marks: WeakSet<Ctx>, views: WeakMap<Ctx, Ctx>): Ctx {
  let v = views.get(ctx);
  if (!v) {
    v = Object.create(ctx) as Ctx;
    marks.add(v);
    views.set(ctx, v);
  }
  return v;
}

/** Views of a checker run in which every state and input is 0 (`withZeroVariables`). */
const zeroContexts = new WeakSet<Ctx>();
const zeroViews = new WeakMap<Ctx, Ctx>();

/**
 * The same checker run with every state and input entry exactly 0 (its own interval memo). Beside
 * `withUnitVariables` it tells an affine expression that involves no state or input (`0*x`, a zero
 * row of `A*x`): with finite intervals, interval arithmetic widens c + sum ci*vi by sum |ci| when
 * the variables go from 0 to [-1, 1] (sums add widths; a product with a nonzero factor widens), so
 * equal intervals on both views mean every coefficient is 0 (consistency.ts, MPC4016).
 */
export function withZeroVariables(ctx: Ctx): Ctx {
  return variableView(ctx, zeroContexts, zeroViews);
}

/** Views of a checker run in which the stage index ranges over a sub-range of 0..N (`withStageRange`). */
const stageRanges = new WeakMap<Ctx, readonly [number, number]>();
const stageViews = new WeakMap<Ctx, Map<string, Ctx>>();

/** The stage range of a view, or of the view it was made from (a unit-variables or pinned view of
 *  a statement's view keeps its stages); undefined: the stage index over 0..N. */
function stageRangeOf(ctx: Ctx): readonly [number, number] | undefined {
  for (let c: Ctx | null = ctx; c !== null && c !== Ctx.prototype; c = Object.getPrototypeOf(c) as Ctx | null) {
    const r = stageRanges.get(c);
    if (r) return r;
  }
  return undefined;
}

/**
 * The same checker run with every stage index in [lo, hi] (clipped to 0..N) instead of 0..N (its own
 * interval memo): the stages one statement is evaluated at (stages.ts `stageView`: a stage cost at
 * 0..N-1, a constraint over its `for k in a..b`), so that what is judged per stage (a sign, a domain,
 * an index `w[k]`) is judged where it applies.
 */
export function withStageRange(ctx: Ctx, lo: number, hi: number): Ctx {
  let views = stageViews.get(ctx);
  if (!views) stageViews.set(ctx, (views = new Map()));
  const key = `${lo}:${hi}`;
  let v = views.get(key);
  if (!v) {
    v = Object.create(ctx) as Ctx;
    stageRanges.set(v, [lo, hi]);
    views.set(key, v);
  }
  return v;
}

/** Views of a checker run in which one plain learnable or runtime value is pinned (`withPinned`). */
const pins = new WeakMap<Ctx, { readonly sym: Sym; readonly values: readonly number[] }>();
/** One view per run, symbol and value, so that their interval memos are shared between judgements. */
const pinViews = new WeakMap<Ctx, Map<Sym, Map<string, Ctx>>>();

/**
 * The same checker run with the learnable or runtime value `sym` fixed at `values` (row-major, one
 * per entry), an admissible value inside its box (its own interval memo): a verdict "always outside"
 * on this view holds for that admissible value, whatever the states, inputs and other values
 * (domain.ts).
 */
export function withPinned(ctx: Ctx, sym: Sym, values: readonly number[]): Ctx {
  let views = pinViews.get(ctx);
  if (!views) pinViews.set(ctx, (views = new Map()));
  let bySym = views.get(sym);
  if (!bySym) views.set(sym, (bySym = new Map()));
  const key = values.join(",");
  let v = bySym.get(key);
  if (!v) {
    v = Object.create(ctx) as Ctx;
    pins.set(v, { sym, values });
    bySym.set(key, v);
  }
  return v;
}

/** Memo tables per checker run; `null` marks "no interval" or "in progress" (a cycle). */
const memos = new WeakMap<Ctx, IdMap<IMat | null>>();

/** Number of interval computations (not memo hits): a test asserts that it is linear. */
export const intervalStats = { computed: 0 };

/** [l, h] lies strictly inside one branch (-pi/2, pi/2) + j*pi of `tan` (with a margin for round-off). */
export function tanBranch(l: number, h: number): boolean {
  if (!Number.isFinite(l) || !Number.isFinite(h) || h - l >= Math.PI) return false;
  const j = Math.round(l / Math.PI);
  const c = j * Math.PI;
  const lo = c - Math.PI / 2;
  const hi = c + Math.PI / 2;
  const eps = 1e-9 * Math.max(1, Math.abs(c));
  return l > lo + eps && h < hi - eps;
}

/** A side table's capacity: node ids are 1..program.id (context.ts). */
function idCapacity(ctx: Ctx): number {
  const id = ctx.program.id;
  return Number.isInteger(id) && id >= 0 && id < 1e7 ? id + 1 : 0;
}

/** Per checker run: whether an expression mentions a state or an input (through lets as well). */
const mentions = new WeakMap<Ctx, IdMap<boolean>>();

function mentionsVariables(ctx: Ctx, e: Expr): boolean {
  let memo = mentions.get(ctx);
  if (!memo) mentions.set(ctx, (memo = new IdMap(idCapacity(ctx))));
  const m = memo.get(e.id);
  if (m !== undefined) return m;
  memo.set(e.id, false); // a cycle (reported elsewhere)
  let r = false;
  if (e.kind === "Name") {
    const sym = ctx.resolution.get(e.id);
    if (sym?.kind === "state" || sym?.kind === "input") r = true;
    else if (sym?.kind === "let" && sym.decl && sym.decl.kind === "Let") r = mentionsVariables(ctx, sym.decl.value);
  } else for (const c of children(e)) if (mentionsVariables(ctx, c)) r = true;
  memo.set(e.id, r);
  return r;
}

export function intervalOf(ctx: Ctx, e: Expr): IMat | undefined {
  // a unit- or zero-variables view differs from its run only where states or inputs enter: the rest is the run's
  if (unitContexts.has(ctx) || zeroContexts.has(ctx)) {
    const base = Object.getPrototypeOf(ctx) as Ctx;
    if (!mentionsVariables(base, e)) return intervalOf(base, e);
  }
  let memo = memos.get(ctx);
  // sized to the node ids, but a stage range's view (a few index expressions) grows as it is used
  if (!memo) memos.set(ctx, (memo = new IdMap(stageRanges.has(ctx) || pins.has(ctx) ? 0 : idCapacity(ctx))));
  const m = memo.get(e.id);
  if (m !== undefined) return m ?? undefined;
  memo.set(e.id, null); // a cycle (reported elsewhere) has no interval
  intervalStats.computed++;
  const v = compute(ctx, e);
  memo.set(e.id, v ?? null);
  return v;
}

function hull(a: IMat): [number, number] {
  let l = Infinity;
  let h = -Infinity;
  for (let i = 0; i < a.lo.length; i++) {
    l = Math.min(l, a.lo[i]);
    h = Math.max(h, a.hi[i]);
  }
  return [Number.isNaN(l) ? -Infinity : l, Number.isNaN(h) ? Infinity : h];
}

function compute(ctx: Ctx, e: Expr): IMat | undefined {
  if (tooBig(ctx.shapes.get(e.id))) return undefined;
  const v = evalExpr(ctx, e);
  if (v) return imat(v.rows, v.cols, [...v.data].map((x) => (Number.isNaN(x) ? -Infinity : x)), [...v.data].map((x) => (Number.isNaN(x) ? Infinity : x)));
  const shape = ctx.shapes.get(e.id);
  const fallback = (): IMat | undefined => (shape ? unbounded(shape.rows, shape.cols) : undefined);
  switch (e.kind) {
    case "Name": {
      const sym = ctx.resolution.get(e.id);
      if (!sym) return undefined;
      if (sym.kind === "let") {
        const d = sym.decl;
        return (d && d.kind === "Let" ? intervalOf(ctx, d.value) : undefined) ?? fallback();
      }
      const pin = pins.get(ctx);
      if (pin && pin.sym === sym && shape && pin.values.length === shape.rows * shape.cols) return imat(shape.rows, shape.cols, [...pin.values], [...pin.values]);
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
      return a && transposeI(a);
    }
    case "Binary": {
      const a = intervalOf(ctx, e.left);
      const b = intervalOf(ctx, e.right);
      if (!a || !b) return fallback();
      switch (e.op) {
        case "+":
          return zip(a, b, (al, ah, bl, bh) => [addLo(al, bl), addHi(ah, bh)]) ?? fallback();
        case "-":
          return zip(a, b, (al, ah, bl, bh) => [addLo(al, -bh), addHi(ah, -bl)]) ?? fallback();
        case ".*":
          return zip(a, b, sameOperands(ctx, e.left, e.right) ? (l, h) => sqI(l, h) : mulI) ?? fallback();
        case "*": {
          // a product of an expression with itself (`a*a`) is a square: never negative
          if (a.rows === 1 && a.cols === 1 && b.rows === 1 && b.cols === 1 && sameOperands(ctx, e.left, e.right)) return zip(a, b, (l, h) => sqI(l, h)) ?? fallback();
          if ((a.rows === 1 && a.cols === 1) || (b.rows === 1 && b.cols === 1)) return zip(a, b, mulI) ?? fallback();
          return matmulI(a, b) ?? fallback();
        }
        case "/":
        case "./": {
          const r = zip(a, b, (al, ah, bl, bh) => {
            if (bl <= 0 && bh >= 0) return [-Infinity, Infinity];
            return mulI(al, ah, 1 / bh, 1 / bl);
          });
          return r ?? fallback();
        }
        case "^":
          return powI(ctx, e.right, a, b) ?? fallback();
      }
      return fallback();
    }
    case "Index":
      return indexI(ctx, e, shape) ?? fallback();
    case "Array": {
      // Assemble the lower and the upper ends as two constant arrays (same layout rule as values).
      const loParts: Mat[][] = [];
      const hiParts: Mat[][] = [];
      for (const row of e.rows) {
        const lr: Mat[] = [];
        const hr: Mat[] = [];
        for (const x of row) {
          const p = intervalOf(ctx, x);
          if (!p) return fallback();
          lr.push({ rows: p.rows, cols: p.cols, data: p.lo });
          hr.push({ rows: p.rows, cols: p.cols, data: p.hi });
        }
        loParts.push(lr);
        hiParts.push(hr);
      }
      if (loParts.length === 0) return fallback();
      const listOfRows = isListOfRows(ctx, e.rows);
      const lo = assembleArray(loParts, listOfRows);
      const hi = assembleArray(hiParts, listOfRows);
      if (!lo || !hi || (shape && (lo.rows !== shape.rows || lo.cols !== shape.cols))) return fallback();
      return imat(lo.rows, lo.cols, [...lo.data], [...hi.data]);
    }
    case "Call":
      return callI(ctx, e, shape) ?? fallback();
    default:
      return fallback();
  }
}

/** True when an expression takes integer values only (numbers, the stage index, N, sums/products of those). */
export function isIntegerValued(ctx: Ctx, e: Expr): boolean {
  const v = evalExpr(ctx, e);
  if (v) return v.data.every(Number.isInteger);
  switch (e.kind) {
    case "Name":
      return ctx.resolution.get(e.id)?.kind === "stage-index";
    case "Paren":
      return isIntegerValued(ctx, e.inner);
    case "Unary":
      return isIntegerValued(ctx, e.operand);
    case "Binary":
      return (e.op === "+" || e.op === "-" || e.op === "*" || e.op === ".*") && isIntegerValued(ctx, e.left) && isIntegerValued(ctx, e.right);
    default:
      return false;
  }
}

/** x^y for scalars. Nonnegative base: monotone in each argument, the corners bound it. */
function powI(ctx: Ctx, exponent: Expr, a: IMat, b: IMat): IMat | undefined {
  if (a.lo.length !== 1 || b.lo.length !== 1) return undefined;
  const [al, ah, bl, bh] = [a.lo[0], a.hi[0], b.lo[0], b.hi[0]];
  if (al >= 0) {
    // x^y = exp(y log x): y*log(x) is bilinear, so its extremes over the box are at the corners.
    const c = [al ** bl, al ** bh, ah ** bl, ah ** bh];
    if (c.some(Number.isNaN)) return undefined;
    return imat(1, 1, [Math.min(...c)], [Math.max(...c)]);
  }
  // A negative base is defined for integer exponents only; a constant one gives the exact rule.
  if (bl === bh && Number.isInteger(bl) && isIntegerValued(ctx, exponent)) {
    const n = bl;
    if (n === 0) return imat(1, 1, [1], [1]);
    if (n < 0 && ah >= 0) return undefined; // 0 in the base: division by zero (domain.ts)
    if (n % 2 === 0) {
      const [l, h] = sqI(al, ah);
      const c = [l ** (n / 2), h ** (n / 2)];
      return imat(1, 1, [Math.min(...c)], [Math.max(...c)]);
    }
    const c = [al ** n, ah ** n]; // odd powers are monotone on each sign
    return n > 0 ? imat(1, 1, [Math.min(...c)], [Math.max(...c)]) : undefined;
  }
  return undefined; // e.g. (-1)^k: the sign alternates with k
}

function indexI(ctx: Ctx, e: Extract<Expr, { kind: "Index" }>, shape: { rows: number; cols: number } | undefined): IMat | undefined {
  const t = intervalOf(ctx, e.target);
  if (!t || !shape) return undefined;
  const pos: number[][] = [];
  const dims = e.indices.length === 1 ? [t.cols === 1 ? t.rows : t.cols] : [t.rows, t.cols];
  let constant = true;
  for (let i = 0; i < e.indices.length && constant; i++) {
    const ix = e.indices[i];
    if (ix.kind === "At") {
      const v = evalExpr(ctx, ix.index);
      if (!v || v.data.length !== 1) constant = false;
      else pos.push([v.data[0]]);
    } else {
      const a = ix.start ? evalExpr(ctx, ix.start)?.data[0] : 0;
      const b = ix.end ? evalExpr(ctx, ix.end)?.data[0] : dims[i];
      if (a === undefined || b === undefined) constant = false;
      else pos.push(Array.from({ length: Math.max(0, b - a) }, (_, j) => a + j));
    }
  }
  if (!constant) {
    // An index known only per stage (`w[k]`): every entry it may pick, i.e. the hull of the target.
    const [l, h] = hull(t);
    const n = shape.rows * shape.cols;
    return imat(shape.rows, shape.cols, new Array<number>(n).fill(l), new Array<number>(n).fill(h));
  }
  const lo: number[] = [];
  const hi: number[] = [];
  if (pos.length === 1) {
    for (const p of pos[0]) {
      lo.push(t.lo[p]);
      hi.push(t.hi[p]);
    }
  } else
    for (const r of pos[0])
      for (const c of pos[1]) {
        lo.push(t.lo[r * t.cols + c]);
        hi.push(t.hi[r * t.cols + c]);
      }
  if (lo.length !== shape.rows * shape.cols || lo.some((x) => x === undefined) || hi.some((x) => x === undefined)) return undefined;
  return imat(shape.rows, shape.cols, lo, hi);
}

function callI(ctx: Ctx, e: Extract<Expr, { kind: "Call" }>, shape: { rows: number; cols: number } | undefined): IMat | undefined {
  const args = e.args.map((a) => intervalOf(ctx, a.value));
  const [x, y] = args;
  switch (e.callee.name) {
    case "exp":
      return x && mapI(x, (l, h) => [Math.exp(l), Math.exp(h)]);
    case "log":
      // Outside the domain (l <= 0) the value is -inf or NaN: domain.ts reports it.
      return x && mapI(x, (l, h) => [l > 0 ? Math.log(l) : -Infinity, h > 0 ? Math.log(h) : -Infinity]);
    case "sqrt":
      return x && mapI(x, (l, h) => [Math.sqrt(Math.max(0, l)), h >= 0 ? Math.sqrt(h) : 0]);
    case "abs":
      return x && mapI(x, (l, h) => (l >= 0 ? [l, h] : h <= 0 ? [-h, -l] : [0, Math.max(-l, h)]));
    case "sin":
    case "cos":
      return x && mapI(x, () => [-1, 1]);
    case "tanh":
      return x && mapI(x, (l, h) => [Math.tanh(l), Math.tanh(h)]);
    case "tan":
      // monotone on each branch (-pi/2, pi/2) + j*pi; an interval that may reach a pole is unbounded
      return x && mapI(x, (l, h) => (tanBranch(l, h) ? [Math.tan(l), Math.tan(h)] : [-Infinity, Infinity]));
    case "sumsq": {
      if (!x) return undefined;
      let l = 0;
      let h = 0;
      for (let i = 0; i < x.lo.length; i++) {
        const [a, b] = sqI(x.lo[i], x.hi[i]);
        l = addLo(l, a);
        h = addHi(h, b);
      }
      return imat(1, 1, [l], [h]);
    }
    case "quad": {
      // quad(v, W) = v'*W*v (a bound on the value; its sign is the convexity analysis's)
      if (!x || !y || x.cols !== 1) return undefined;
      const vw = matmulI(transposeI(x), y);
      return vw && matmulI(vw, x);
    }
    case "norm1": {
      if (!x) return undefined;
      let l = 0;
      let h = 0;
      for (let i = 0; i < x.lo.length; i++) {
        const [a, b] = [x.lo[i], x.hi[i]];
        l = addLo(l, a >= 0 ? a : b <= 0 ? -b : 0);
        h = addHi(h, Math.max(Math.abs(a), Math.abs(b)));
      }
      return imat(1, 1, [l], [h]);
    }
    case "uniform":
      return x && y ? zip(x, y, (al, _ah, _bl, bh) => [al, bh]) : undefined;
    case "max":
    case "min": {
      const f = e.callee.name === "max" ? Math.max : Math.min;
      if (x && y) return zip(x, y, (al, ah, bl, bh) => [f(al, bl), f(ah, bh)]);
      if (x && e.args.length === 1) return imat(1, 1, [x.lo.reduce((a, b) => f(a, b))], [x.hi.reduce((a, b) => f(a, b))]);
      return undefined;
    }
    case "diag": {
      if (!x || !shape) return undefined;
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
      if (x.rows === x.cols) {
        const n = x.rows;
        return imat(
          n,
          1,
          Array.from({ length: n }, (_, i) => x.lo[i * n + i]),
          Array.from({ length: n }, (_, i) => x.hi[i * n + i]),
        );
      }
      return undefined;
    }
    case "sum": {
      if (!x) return undefined;
      return imat(1, 1, [x.lo.reduce(addLo, 0)], [x.hi.reduce(addHi, 0)]);
    }
  }
  return undefined;
}

export type Sign = "nonneg" | "nonpos" | "zero" | "unknown";

/** Sign of every element of an expression over the learnables' boxes ("unknown" unless proven). */
export function signOf(ctx: Ctx, e: Expr): Sign {
  const iv = intervalOf(ctx, e);
  if (!iv || iv.lo.length === 0) return "unknown";
  const [lo, hi] = hull(iv);
  if (lo === 0 && hi === 0) return "zero";
  if (lo >= 0) return "nonneg";
  if (hi <= 0) return "nonpos";
  return "unknown";
}

/** `[lo, hi]` of the hull of an interval, for messages. */
export function hullOf(ctx: Ctx, e: Expr): [number, number] | undefined {
  const iv = intervalOf(ctx, e);
  return iv && iv.lo.length > 0 ? hull(iv) : undefined;
}

