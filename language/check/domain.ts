// Domains of the partial functions in a controller's QP data (MPC4021, MPC4022): `sqrt` and `log`
// of a possibly negative argument, division by a possibly zero divisor, `x^y` with a negative base
// and a non-integer exponent or a zero base and a negative exponent. They would put NaN or Inf in
// the QP for some admissible value of the learnables, stages or runtime values. Decided by interval
// arithmetic (interval.ts), entry by entry for an element-wise operand: outside the domain for every
// value (of any one entry) -> MPC4021; not provably inside -> MPC4022. Also overflow (MPC4025):
// `exp` or a power that is infinite in double precision for finite arguments inside the declared
// bounds, and an infinite constant inside an expression of a constraint (`x[0] - inf <= 0`). A
// constraint's constant side infinite on the wrong side (`x <= -inf`) is MPC4026. Each
// statement is judged over the stages it is evaluated at (stages.ts). Plants are only simulated and
// are not checked here. Each node is visited once.

import type { Expr } from "../ast.js";
import type { Diagnostic, Span } from "../diagnostics.js";
import { Ctx, tooBig, type Mat } from "./context.js";
import { assembleArray, evalExpr, isListOfRows } from "./const_eval.js";
import type { Affinity } from "./affinity.js";
import { fmt } from "./affinity.js";
import { children } from "../ast.js";
import { declaredInterval, hullOf, intervalOf, isIntegerValued, RUNTIME_LIMIT, symInterval, tanBranch, withPinned, withStageRange, withUnitVariables, withZeroVariables, type IMat } from "./interval.js";
import type { Constraint, ControllerBlock, Dynamics, IndexExpr } from "../ast.js";
import type { Sym } from "./context.js";
import { nonlinearSolver } from "./nlp.js";
import { stageView, stagesOf } from "./stages.js";
import { IdSet } from "./idmap.js";
import { joinSpans } from "../span.js";

type Range = [number, number];
/** `entry`: which entry of a vector or matrix operand is judged (undefined for a scalar one);
 *  `onVars`: whether that entry depends on states or inputs (undefined: decided by the caller). */
type Verdict = { always: boolean; why: string; arg: Expr; range: Range; entry?: string; onVars?: boolean } | undefined;
type Judged = { always: boolean; range: Range; entry?: string; onVars?: boolean };
/** Whether entry i (row-major) of an operand depends on states or inputs. */
type EntryVars = (arg: Expr) => (i: number) => boolean;
const noVars: EntryVars = () => () => false;

const show = (r: Range): string => `[${fmt(r[0])}, ${fmt(r[1])}]`;
/** The judged operand as a label names it: "entry [i] of `arg`" (or "`arg`" for a scalar one). */
const operandOf = (ctx: Ctx, v: { entry?: string; arg: Expr }): string => `${v.entry ? `entry ${v.entry} of ` : ""}\`${ctx.src(v.arg.span)}\``;
/** "is v" for a point, else "ranges over [l, h]". */
const rangeText = (r: Range): string => (r[0] === r[1] ? `is ${fmt(r[0])}` : `ranges over ${show(r)}`);

/**
 * Judges every entry of an element-wise operand on its own interval (the hull of all entries would
 * mix an entry that is always outside the domain with one that is inside, and only say "maybe"),
 * and reports the worst: the first entry that is outside for every admissible value, else the first
 * that may be outside and does not depend on states or inputs (an error), else the first that may
 * be outside (a warning in a nonlinear controller when it depends on them). Each entry carries its
 * own dependence (`vars`): in `log([x[0]; r])` a failing `r` is the runtime value's verdict.
 */
function judge(ctx: Ctx, arg: Expr, test: (l: number, h: number, i: number) => "always" | "maybe" | undefined, vars: (i: number) => boolean): Judged | undefined {
  const iv = intervalOf(ctx, arg);
  if (!iv || iv.lo.length === 0) return undefined;
  const many = iv.lo.length > 1;
  const vector = iv.rows === 1 || iv.cols === 1;
  const name = (i: number): string | undefined => (!many ? undefined : vector ? `[${i}]` : `[${Math.floor(i / iv.cols)}, ${i % iv.cols}]`);
  let maybe: Judged | undefined;
  for (let i = 0; i < iv.lo.length; i++) {
    const l = Number.isNaN(iv.lo[i]) ? -Infinity : iv.lo[i];
    const h = Number.isNaN(iv.hi[i]) ? Infinity : iv.hi[i];
    const t = test(l, h, i);
    if (t === "always") return { always: true, range: [l, h], entry: name(i), onVars: vars(i) };
    if (t === "maybe" && (!maybe || (maybe.onVars && !vars(i)))) maybe = { always: false, range: [l, h], entry: name(i), onVars: vars(i) };
  }
  return maybe;
}

/**
 * Which entries of `e` depend on states or inputs (1) and which do not (0), row-major: told apart
 * through array literals, element-wise operations, transposes and lets; any other expression that
 * depends on them marks every entry (the whole-operand answer, as before). Memoised per node, with
 * a depth cap (deeper: every entry), so it stays linear and never overflows the stack.
 */
function varMask(ctx: Ctx, aff: Affinity, e: Expr, memo: Map<number, Mat | null>, depth = 0): Mat | undefined {
  const s = ctx.shapes.get(e.id);
  if (!s || tooBig(s)) return undefined;
  const all = (x: number): Mat => ({ rows: s.rows, cols: s.cols, data: new Array<number>(s.rows * s.cols).fill(x) });
  if (aff.of(e).deg === 0) return all(0);
  if (depth > 64) return all(1);
  const m = memo.get(e.id);
  if (m !== undefined) return m ?? all(1);
  memo.set(e.id, null);
  const sub = (x: Expr): Mat | undefined => varMask(ctx, aff, x, memo, depth + 1);
  let r: Mat | undefined;
  switch (e.kind) {
    case "Paren":
      r = sub(e.inner);
      break;
    case "Unary":
      r = sub(e.operand);
      break;
    case "Transpose": {
      const a = sub(e.operand);
      if (a) r = { rows: a.cols, cols: a.rows, data: Array.from({ length: a.data.length }, (_, i) => a.data[(i % a.rows) * a.cols + Math.floor(i / a.rows)]) };
      break;
    }
    case "Name": {
      const sym = ctx.resolution.get(e.id);
      const d = sym?.kind === "let" ? sym.decl : undefined;
      if (d && d.kind === "Let") r = sub(d.value);
      break;
    }
    case "Array": {
      const parts: Mat[][] = [];
      let ok = e.rows.length > 0;
      for (const row of e.rows) {
        const p: Mat[] = [];
        for (const x of row) {
          const px = ok ? sub(x) : undefined;
          if (!px) ok = false;
          else p.push(px);
        }
        parts.push(p);
      }
      if (ok) r = assembleArray(parts, isListOfRows(ctx, e.rows));
      break;
    }
    case "Binary": {
      if (e.op !== "+" && e.op !== "-" && e.op !== ".*" && e.op !== "./" && e.op !== "*" && e.op !== "/") break;
      const a = sub(e.left);
      const b = sub(e.right);
      if (!a || !b) break;
      const sa = a.data.length === 1;
      const sb = b.data.length === 1;
      // `*` and `/` are element-wise only with a scalar side
      if ((e.op === "*" || e.op === "/") && !sa && !sb) break;
      if (!sa && !sb && (a.rows !== b.rows || a.cols !== b.cols)) break;
      const n = Math.max(a.data.length, b.data.length);
      r = { rows: sa ? b.rows : a.rows, cols: sa ? b.cols : a.cols, data: Array.from({ length: n }, (_, i) => (a.data[sa ? 0 : i] || b.data[sb ? 0 : i] ? 1 : 0)) };
      break;
    }
  }
  if (r && (r.rows !== s.rows || r.cols !== s.cols)) r = undefined;
  memo.set(e.id, r ?? null);
  return r ?? all(1);
}

const withWhy = (j: Judged | undefined, why: string, arg: Expr): Verdict => j && { ...j, why, arg };

function verdict(ctx: Ctx, e: Expr, vars: EntryVars): Verdict {
  if (e.kind === "Call" && e.callee.name === "tan" && e.args[0]) {
    const arg = e.args[0].value;
    const j = judge(ctx, arg, (l, h) => (tanBranch(l, h) ? undefined : l === h && Number.isFinite(l) && Math.abs(Math.cos(l)) < 1e-12 ? "always" : "maybe"), vars(arg));
    return withWhy(j, "`tan` is not defined at pi/2 + j*pi", arg);
  }
  if (e.kind === "Call" && (e.callee.name === "sqrt" || e.callee.name === "log") && e.args[0]) {
    const arg = e.args[0].value;
    const sqrt = e.callee.name === "sqrt";
    const j = judge(ctx, arg, (l, h) => ((sqrt ? h < 0 : h <= 0) ? "always" : (sqrt ? l < 0 : l <= 0) ? "maybe" : undefined), vars(arg));
    return withWhy(j, sqrt ? "`sqrt` needs an argument >= 0" : "`log` needs an argument > 0", arg);
  }
  if (e.kind === "Binary" && (e.op === "/" || e.op === "./")) {
    const j = judge(ctx, e.right, (l, h) => (l === 0 && h === 0 ? "always" : l <= 0 && h >= 0 ? "maybe" : undefined), vars(e.right));
    return withWhy(j, j?.always ? "division by zero" : "the divisor may be zero", e.right);
  }
  if (e.kind === "Binary" && e.op === "^") {
    // `^` takes scalars (MPC3014), so the operands have one entry each
    const a = hullOf(ctx, e.left);
    const b = hullOf(ctx, e.right);
    if (!a || !b) return undefined;
    const negExp = b[0] < 0;
    if (isIntegerValued(ctx, e.right)) {
      // integer exponents: any base, except 0 with a negative exponent (1/0)
      if (negExp && a[0] <= 0 && a[1] >= 0)
        return { always: a[0] === 0 && a[1] === 0 && b[1] < 0, why: "a negative power of a base that may be zero", arg: e.left, range: a };
      return undefined;
    }
    if (a[1] < 0) return { always: true, why: "a negative base with a non-integer exponent", arg: e.left, range: a };
    if (a[0] < 0) return { always: false, why: "a base that may be negative, with an exponent that may be non-integer", arg: e.left, range: a };
    if (negExp && a[0] <= 0) return { always: false, why: "a negative power of a base that may be zero", arg: e.left, range: a };
    return undefined;
  }
  return undefined;
}

/** The largest argument whose `exp` is a finite double: log(Number.MAX_VALUE) = 709.7827..., shown
 *  rounded down (709.78) so that "below" it is true. */
const EXP_MAX = Math.floor(Math.log(Number.MAX_VALUE) * 100) / 100;

/** An overflow found (MPC4025): the same shape as a domain verdict. */
type Overflow = Verdict;

/**
 * MPC4025: an element-wise function whose value is infinite for finite arguments inside the declared
 * bounds, because it exceeds the largest double (about 1.8e308): `exp(a)` with a above 709.78, `x^n`
 * with a large base or exponent (or a tiny base under a negative exponent). Judged per entry from the
 * arguments' intervals, which are finite (an unbounded argument proves nothing either way). Powers
 * that are undefined (a zero base, a negative one) are the domain's (MPC4021/MPC4022), not this.
 */
function overflow(ctx: Ctx, e: Expr, vars: EntryVars): Overflow {
  if (e.kind === "Call" && e.callee.name === "exp" && e.args[0]) {
    const arg = e.args[0].value;
    const j = judge(ctx, arg, (l, h) => (!Number.isFinite(l) || !Number.isFinite(h) || Math.exp(h) < Infinity ? undefined : Math.exp(l) === Infinity ? "always" : "maybe"), vars(arg));
    return j && { ...j, arg, why: `\`exp\` is infinite above about ${EXP_MAX}` };
  }
  if (e.kind === "Binary" && e.op === "^") {
    const a = hullOf(ctx, e.left);
    const b = hullOf(ctx, e.right);
    if (!a || !b || ![...a, ...b].every(Number.isFinite)) return undefined;
    // |x|^y = exp(y log|x|) with y log|x| bilinear: its extremes over the box are at the corners (a
    // zero base under a negative exponent is a domain question, not an overflow: left out)
    const big = Math.max(Math.abs(a[0]), Math.abs(a[1]));
    const small = a[0] <= 0 && a[1] >= 0 ? 0 : Math.min(Math.abs(a[0]), Math.abs(a[1]));
    const corners = [big ** b[0], big ** b[1], small ** b[0], small ** b[1]].filter((_, i) => i < 2 || small > 0);
    if (!corners.some((x) => x === Infinity)) return undefined;
    const always = small > 0 && corners.every((x) => x === Infinity);
    const largest = "the largest double (about 1.8e308)";
    if (a[0] === a[1]) return { always, arg: e.right, range: b, why: `${fmt(a[0])} to this power exceeds ${largest}` };
    const exponent = b[0] === b[1] ? `the power ${fmt(b[0])}` : `\`${ctx.src(e.right.span)}\` in ${show(b)}`;
    return { always, arg: e.left, range: a, why: `with ${exponent} the value exceeds ${largest}` };
  }
  return undefined;
}

const ARITH: Readonly<Record<string, string>> = { "+": "sum", "-": "difference", "*": "product", ".*": "product", "/": "quotient", "./": "quotient" };
const SUMS = new Set(["sum", "sumsq", "norm1"]);
const finiteI = (m: IMat | undefined): boolean => m !== undefined && m.lo.every(Number.isFinite) && m.hi.every(Number.isFinite);

/**
 * MPC4025 for arithmetic (red-team hole: only `exp` and `^` were judged): a sum, difference,
 * product or quotient (or `sum`/`sumsq`/`norm1`) of operands that are finite over the admissible
 * values whose own interval reaches +-inf: the value overflows double precision for some admissible
 * value (`1e200*1e200`, `a*1e300` with `a` in [0, 1e300], `1/1e-320`), and an infinite entry in the
 * QP data makes the solve fail (status `invalid_input`). A literal that overflows (`1e400`) is
 * infinite for every value. Judged on the operands' own intervals (an operand that is already
 * unbounded proves nothing either way, as for `exp`). Division by a divisor that may be 0 is the
 * domain's (MPC4021/MPC4022), reported before this.
 */
function arithmeticOverflow(ctx: Ctx, e: Expr, limit = Infinity, judged: (x: Expr) => boolean = () => true): Overflow {
  if (e.kind === "Number") {
    if (Number.isFinite(e.value) || e.text === "inf") return undefined;
    return { always: true, arg: e, range: [e.value, e.value], why: "the literal exceeds the largest double (about 1.8e308)" };
  }
  let operands: Expr[];
  let what: string;
  if (e.kind === "Binary" && ARITH[e.op]) {
    operands = [e.left, e.right];
    what = ARITH[e.op];
  } else if (e.kind === "Call" && SUMS.has(e.callee.name) && e.args.length === 1) {
    operands = [e.args[0].value];
    what = `\`${e.callee.name}\``;
  } else if (e.kind === "Call" && e.callee.name === "quad" && e.args.length === 2) {
    // (red-team hole: `quad(x - r, W)` was not judged, while `sumsq(x - r)` and `(x - r)'*(x - r)` were)
    operands = [e.args[0].value, e.args[1].value];
    what = "`quad`";
  } else return undefined;
  // (an operand beyond the limit that is judged itself was reported there: a constant one is not)
  for (const x of operands) {
    const m = magnitude(intervalOf(ctx, x));
    if (m === Infinity || (m > limit && judged(x))) return undefined;
  }
  const r = intervalOf(ctx, e);
  if (!r) return undefined;
  const mr = magnitude(r);
  if (mr < Infinity && mr <= limit) return undefined;
  let always = false;
  for (let i = 0; i < r.lo.length; i++) if (r.lo[i] === Infinity || r.hi[i] === -Infinity || r.lo[i] > limit || r.hi[i] < -limit) always = true;
  const h = hullOf(ctx, e) ?? [-Infinity, Infinity];
  const why = finiteI(r)
    ? `its QP coefficients exceed ${fmt(limit)}: the compiler doubles a quadratic coefficient and adds the terms on one variable, and the sums must stay below the largest double (about 1.8e308)`
    : `its operands are finite, but their ${what} exceeds the largest double (about 1.8e308)`;
  return { always, arg: e, range: h, why };
}

/** The largest |bound| of an interval (Infinity when an entry is unbounded, or no interval). No allocation. */
function magnitude(m: IMat | undefined): number {
  if (m === undefined) return Infinity;
  let a = 0;
  for (let i = 0; i < m.lo.length; i++) {
    const l = Math.abs(m.lo[i]);
    const h = Math.abs(m.hi[i]);
    if (!(l < Infinity) || !(h < Infinity)) return Infinity; // (NaN too)
    if (l > a) a = l;
    if (h > a) a = h;
  }
  return a;
}

/**
 * The largest QP coefficient a term of a linear MPC may have (judged with each state and input in
 * [-1, 1]): the compiler stores 2 c for a quadratic coefficient c (0.5 z'Pz) and sums the terms of
 * one entry (an `initial` and a `stage` term on u_0, two stage terms): below 1e300 each, fewer than
 * 8e7 terms per entry stay finite (red team: `a*x'*x` with `a` in [0, 1e308] gave P = 2a = inf).
 */
const COEFFICIENT_LIMIT = 1e300;

/** An infinite constant (`inf`, or a folded value) in QP data other than a bound: a weight, a
 *  dynamics coefficient, a penalty. Bounds may be infinite (no bound); these may not. */
function infiniteData(ctx: Ctx, aff: Affinity, e: Expr, covered: IdSet): Overflow {
  if (aff.of(e).deg !== 0) return undefined;
  if (e.kind === "Number") return Number.isFinite(e.value) ? undefined : { always: true, arg: e, range: [e.value, e.value], why: "an infinite number here makes the QP data non-finite" };
  // red-team hole: a named constant (`const big = inf`, an entry `w[1]` of a const with an infinite
  // entry) was not judged. The value used must be finite: a Name that is indexed, or inside a
  // constant whose value is finite (`exp(-big)`), is not judged itself (`covered`).
  if ((e.kind !== "Name" && e.kind !== "Index") || covered.has(e.id)) return undefined;
  const v = evalExpr(ctx, e);
  // (a NaN constant is undefined, reported where it is defined: MPC4021)
  const bad = v?.data.find((x) => x === Infinity || x === -Infinity);
  if (bad === undefined) return undefined;
  return { always: true, arg: e, range: [bad, bad], why: `${v!.data.length > 1 ? "an entry of it is" : "its value is"} ${fmt(bad)}: an infinite number here makes the QP data non-finite` };
}

/**
 * An index the compiler evaluates per stage (`w[k]`, not a constant): it must depend on the stage
 * index and constants only (a learnable or runtime index is not QP data the template can hold), and
 * be an integer inside the target at every stage the statement is evaluated at (the compiler would
 * fail on `w[k]` with `w` shorter than the horizon, or on `w[k/2]`). MPC3006 / MPC3005.
 */
function checkStageIndex(ctx: Ctx, aff: Affinity, e: IndexExpr, stages: [number, number] | undefined): void {
  const t = ctx.shapes.get(e.target.id);
  if (!t) return;
  const dims = e.indices.length === 1 ? [t.cols === 1 ? t.rows : t.cols] : [t.rows, t.cols];
  e.indices.forEach((ix, pos) => {
    if (ix.kind !== "At" || evalExpr(ctx, ix.index)) return;
    const x = ix.index;
    const c = aff.of(x);
    if (c.deg > 0) return; // an index on states or inputs: MPC4001 / MPC4004
    if (ctx.diagnostics.some((d) => d.severity === "error" && d.span.start <= x.span.start && d.span.end >= x.span.end)) return;
    if (c.learnable || c.runtime) {
      ctx.report({
        severity: "error",
        code: "MPC3006",
        message: `the index \`${ctx.src(x.span)}\` depends on ${c.learnable ? "a learnable parameter" : "a runtime value"}: an index must be a constant or depend only on the stage index`,
        span: x.span,
        label: c.learnable ? "depends on a learnable parameter" : "depends on a runtime value",
        related: [{ span: e.target.span, label: "the indexed value" }],
        notes: ["the QP data are built per stage from the indexed entries: which entry is used must be known when the controller is compiled"],
        help: "index with constants or the stage index `k`; to select a value at run time, pass it as a runtime value (`runtime w_now = 0 in [lo, hi]`)",
      });
      return;
    }
    const view = stages ? withStageRange(ctx, stages[0], stages[1]) : ctx;
    const iv = hullOf(view, x);
    if (!iv) return;
    const extent = dims[pos];
    const where = stages ? `at stages ${stages[0]}..${stages[1]}` : "over the stages";
    if (!isIntegerValued(ctx, x)) {
      ctx.report({
        severity: "error",
        code: "MPC3006",
        message: `the index \`${ctx.src(x.span)}\` cannot be proven to be an integer at every stage`,
        span: x.span,
        label: `ranges over [${fmt(iv[0])}, ${fmt(iv[1])}] ${where}`,
        help: "index with integer expressions of the stage index (`k`, `k + 1`, `N - k`), not divisions or non-integer constants",
      });
      return;
    }
    if (iv[0] >= 0 && iv[1] <= extent - 1) return;
    ctx.report({
      severity: "error",
      code: "MPC3005",
      message: `the index \`${ctx.src(x.span)}\` may be out of range: it ranges over [${fmt(iv[0])}, ${fmt(iv[1])}] ${where}`,
      span: x.span,
      label: `valid indices are 0..${extent - 1}`,
      related: [{ span: e.target.span, label: `this has length ${extent}` }],
      help: `give \`${ctx.src(e.target.span)}\` an entry for every stage the statement applies at, or restrict the stages (\`for k in a..b\`) so that the index stays in 0..${extent - 1}`,
    });
  });
}

/** The first node of `e` (through lets) whose constant value has an infinite entry; a
 *  constant node with finite entries is not entered (`exp(-inf)` is 0), one with a NaN entry is
 *  (`0*inf`: the `inf` inside is named). */
function infiniteConstantIn(ctx: Ctx, e: Expr, seen: Set<number>, depth = 0): Expr | undefined {
  if (depth > 200 || seen.has(e.id)) return undefined;
  seen.add(e.id);
  const v = evalExpr(ctx, e);
  if (v && v.data.some((x) => x === Infinity || x === -Infinity)) return e;
  if (v && !v.data.some((x) => Number.isNaN(x))) return undefined;
  if (e.kind === "Name") {
    const sym = ctx.resolution.get(e.id);
    return sym?.kind === "let" && sym.decl?.kind === "Let" ? infiniteConstantIn(ctx, sym.decl.value, seen, depth + 1) : undefined;
  }
  for (const c of children(e)) {
    const r = infiniteConstantIn(ctx, c, seen, depth + 1);
    if (r) return r;
  }
  return undefined;
}

/**
 * An infinite constant inside an expression of a constraint side that is not a constant: an operand
 * of an operation or a function (`x[0] - inf`, `2*w[k]` with an infinite entry of w), found through
 * parentheses, signs, transposes, array entries, the target of an index and lets. A value that is a
 * whole side (at a stage, or in an entry: `w[k]`, `[x[0]; inf]`) is not one: there an infinite
 * bound is no bound (or, on the wrong side, MPC4026).
 */
function infiniteInArithmetic(ctx: Ctx, e: Expr, seen: Set<number>, depth = 0): Expr | undefined {
  if (depth > 200 || seen.has(e.id)) return undefined;
  seen.add(e.id);
  const next = (x: Expr): Expr | undefined => infiniteInArithmetic(ctx, x, seen, depth + 1);
  switch (e.kind) {
    case "Paren":
      return next(e.inner);
    case "Unary":
    case "Transpose":
      return next(e.operand);
    case "Index":
      return next(e.target);
    case "Array":
      for (const x of e.rows.flat()) {
        const r = next(x);
        if (r) return r;
      }
      return undefined;
    case "Name": {
      const sym = ctx.resolution.get(e.id);
      return sym?.kind === "let" && sym.decl?.kind === "Let" ? next(sym.decl.value) : undefined;
    }
    case "Binary":
    case "Call":
      for (const c of children(e)) {
        const r = infiniteConstantIn(ctx, c, new Set(), depth + 1);
        if (r) return r;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** The literal `inf` or `-inf` (through parentheses), with its sign. */
function infLiteral(ctx: Ctx, e: Expr): 1 | -1 | undefined {
  if (e.kind === "Paren") return infLiteral(ctx, e.inner);
  if (e.kind === "Unary") {
    const s = infLiteral(ctx, e.operand);
    return s === undefined ? undefined : e.op === "-" ? (-s as 1 | -1) : s;
  }
  const sym = e.kind === "Name" ? ctx.resolution.get(e.id) : undefined;
  return (e.kind === "Number" && e.text === "inf") || (sym?.kind === "builtin" && sym.name === "inf") ? 1 : undefined;
}

/**
 * The constraint rows of a controller's `subject to` with an infinite value:
 * - MPC4026, linear and nonlinear alike: a constant side infinite on the wrong side of a decision
 *   expression, judged per entry (`x <= -inf`, `inf <= x[0]`, `x == inf`, `x <= [1; -inf]`). An
 *   infinite bound is no bound only as an upper `inf` or a lower `-inf`; bounded by -inf from above
 *   (+inf from below) the constraint holds for no value: every QP would be infeasible (the linear
 *   lowering refuses it: compiler/lower/controller.ts, lowerConstraintAt; a nonlinear MPC's row
 *   would be non-finite). Two constant sides are the ordering's (MPC4007).
 * - MPC4025, linear and nonlinear alike: an infinite constant inside an expression of a side
 *   (`x[0] - inf <= 0`, `x[0] + inf <= 1`, `2*w[k]`; `infiniteInArithmetic`). An infinite bound is
 *   no bound only as a whole side; the linear lowering folded one inside an expression into the
 *   bound (silently no bound, or one that never holds) and a nonlinear MPC's row became non-finite.
 * A whole side infinite at some stages only (`x[0] <= w[k]` with w[k] = inf) is one semantics for
 * both kinds, decided per stage by the lowerings (compiler/lower/controller.ts, lowerConstraintAt;
 * compiler/lower/nlp.ts, constraintPieces): on the "no bound" side no bound at that stage (the
 * linear MPC has no row there, the nonlinear one the row's absent marker), on the wrong side MPC4026.
 * (A nonlinear MPC was MPC4025 here, since its row count then differed between stages.)
 */
function checkInfiniteRows(ctx: Ctx, aff: Affinity, block: ControllerBlock, errorsBefore: readonly Diagnostic[], nl: boolean): void {
  for (const it of block.items) {
    if (it.kind !== "SubjectTo") continue;
    for (const c of it.constraints) {
      if (errorsBefore.some((d) => d.span.start >= c.span.start && d.span.end <= c.span.end)) continue;
      for (let j = 0; j < c.ops.length; j++) {
        const [a, b] = [c.operands[j], c.operands[j + 1]];
        if (!a || !b) continue;
        const op = c.ops[j];
        const reportedBefore = ctx.diagnostics.length;
        const sides: [Expr, "lhs" | "rhs" | "eq", Expr][] = op === "==" ? [[a, "eq", b], [b, "eq", a]] : op === "<=" ? [[a, "lhs", b], [b, "rhs", a]] : [[b, "lhs", a], [a, "rhs", b]];
        for (const [s, role, other] of sides) {
          const v = evalExpr(ctx, s);
          if (v) {
            // (a NaN constant is undefined, reported where it is defined: MPC4021)
            const wrong = (x: number): boolean => (x === Infinity && role !== "rhs") || (x === -Infinity && role !== "lhs");
            // (two constant sides are the ordering's: MPC4007, consistency.ts)
            if (evalExpr(ctx, other)) continue;
            const i = v.data.findIndex(wrong);
            if (i >= 0) {
              reportWrongSide(ctx, c, s, role, v, i);
              continue;
            }
            // a finite bound of magnitude >= 1e20 is infinite in the QP (its format's INFTY): on the
            // wrong side (`x[0] >= 1e25`) every solve was refused (invalid_input); on the other
            // side (`x[0] <= 1e25`) it is no bound, as the runtime refuses states that large anyway
            const big = v.data.findIndex((x) => Number.isFinite(x) && ((x >= RUNTIME_LIMIT && role !== "rhs") || (x <= -RUNTIME_LIMIT && role !== "lhs")));
            if (big >= 0) reportWrongSide(ctx, c, s, role, v, big);
            continue;
          }
          // a bound that depends on learnables, runtime values or the stage (not on states or
          // inputs) and may reach magnitude 1e20 on the wrong side (`x[0] >= 1e10*b`): the QP reads
          // it as infinite there, and the solve is refused (as a constant one, MPC4026)
          if (aff.of(s).deg === 0 && aff.of(other).deg > 0 && maybeHugeBound(ctx, block, c, s, role)) continue;
          // an infinite constant inside an expression of a side, linear and nonlinear alike
          const inner = infiniteInArithmetic(ctx, s, new Set());
          if (inner) {
            const many = (evalExpr(ctx, inner)?.data.length ?? 1) > 1;
            ctx.report({
              severity: "error",
              code: "MPC4025",
              message: `\`${ctx.src(inner.span)}\` ${many ? "has an infinite entry" : "is infinite"} inside an expression of a constraint`,
              span: inner.span,
              label: "an infinite value inside the expression",
              related: [{ span: c.span, label: "in this constraint" }],
              notes: [
                nl
                  ? "an infinite bound is no bound only as a whole side (`e <= inf`, `-inf <= e`); a nonlinear MPC evaluates each row `lhs - rhs`, and an infinite value inside it makes the row non-finite (every solve fails, status `invalid_input`)"
                  : "an infinite bound is no bound only as a whole side (`e <= inf`, `-inf <= e`); inside an expression it is folded into the row's bound, so the constraint silently becomes no bound (`x[0] - inf <= 0`) or one that can never hold (`x[0] + inf <= 1`)",
              ],
              help: "use a finite value, or write an infinite bound as a whole side (`e <= inf` is no upper bound)",
            });
            continue;
          }
        }
        // a linear MPC moves a constant part inside an expression of the variables into the row's
        // bound (`x[0] - 2*b >= 0`): judged like a whole side, when no rule above reported the pair
        if (!nl && ctx.diagnostics.length === reportedBefore && (aff.of(a).deg > 0 || aff.of(b).deg > 0)) offsetBound(ctx, block, c, a, b, op);
      }
    }
  }
}

/**
 * MPC4026 for a side `s` free of states and inputs but not constant: whether, over the admissible
 * values at the constraint's stages, an entry may reach magnitude 1e20 (finite) on the wrong side
 * (reported). An infinite hull is another rule's (a per-stage `inf`: the lowerings, MPC4026).
 */
function maybeHugeBound(ctx: Ctx, block: ControllerBlock, c: Constraint, s: Expr, role: "lhs" | "rhs" | "eq"): boolean {
  const scope = ctx.blocks.find((b) => b.node === block);
  const stages = scope ? stagesOf(ctx, { block: scope, role: "constraint", stmt: c }) : undefined;
  const view = stages ? withStageRange(ctx, stages[0], stages[1]) : ctx;
  const iv = intervalOf(view, s);
  if (!iv) return false;
  for (let i = 0; i < iv.lo.length; i++) {
    const [lo, hi] = [iv.lo[i], iv.hi[i]];
    // (strictly beyond: an unbounded learnable alone ranges up to the limit, which it never reaches)
    const up = role !== "rhs" && hi > RUNTIME_LIMIT && hi < Infinity;
    const down = role !== "lhs" && lo < -RUNTIME_LIMIT && lo > -Infinity;
    if (!up && !down) continue;
    reportHugeBound(ctx, c, s.span, "this bound", "it", up ? hi : lo, `${iv.lo.length > 1 ? `entry ${i} ` : ""}ranges over [${fmt(lo)}, ${fmt(hi)}] for the admissible learnables, stages and runtime values: ${up ? "a lower" : "an upper"} bound of magnitude 1e20 or more is ${up ? "+inf" : "-inf"} in the QP`, "bound the learnables or runtime values the bound uses so that it stays below 1e20 in magnitude, or rescale the variable");
    return true;
  }
  return false;
}

/** MPC4026 for a bound of constraint `c` (`subject`, its value `what`) that may reach `x`, of
 *  magnitude 1e20 or more on the wrong side, over the admissible values. */
function reportHugeBound(ctx: Ctx, c: Constraint, span: Span, subject: string, what: string, x: number, label: string, help: string): void {
  ctx.report({
    severity: "error",
    code: "MPC4026",
    message: `${subject} may be infinite on the wrong side: \`${relationText(ctx, c)}\` cannot hold where ${what} reaches ${fmt(x)}`,
    span,
    label,
    related: [{ span: c.span, label: "in this constraint" }],
    notes: ["the QP format reads a bound of magnitude 1e20 or more as infinite: bounded by +inf from below (or -inf from above) the constraint holds for no value, and the solve is refused (status invalid_input)"],
    help,
  });
}

/** The relation of constraint `c` as written (its operands and operators, without its modifiers). */
function relationText(ctx: Ctx, c: Constraint): string {
  const last = c.operands[c.operands.length - 1];
  return c.operands.length > 0 && last ? ctx.src({ ...c.span, start: c.operands[0].span.start, end: last.span.end }) : ctx.src(c.span);
}

/** MPC4026: the constant side `s` of constraint `c` has entry `i` infinite on the wrong side. */
function reportWrongSide(ctx: Ctx, c: Constraint, s: Expr, role: "lhs" | "rhs" | "eq", v: Mat, i: number): void {
  const x = v.data[i];
  const many = v.data.length > 1;
  const entry = !many ? "" : v.rows === 1 || v.cols === 1 ? `entry [${i}] is ${fmt(x)}: ` : `entry [${Math.floor(i / v.cols)}, ${i % v.cols}] is ${fmt(x)}: `;
  const huge = Number.isFinite(x);
  const what = huge
    ? `${role === "eq" ? "an equality with" : role === "lhs" ? "a lower bound of" : "an upper bound of"} ${fmt(x)}, which the QP reads as ${x > 0 ? "+inf" : "-inf"} (its magnitude is 1e20 or more)`
    : role === "eq"
      ? "an equality with an infinite value"
      : role === "lhs"
        ? "a lower bound of +inf"
        : "an upper bound of -inf";
  // the literal `-inf` as an upper bound (or `inf` as a lower one): its sign flipped means no bound
  const lit = role === "eq" ? undefined : infLiteral(ctx, s);
  const flipped = lit === undefined ? undefined : lit > 0 ? "-inf" : "inf";
  const last = c.operands[c.operands.length - 1];
  const relation = c.operands.length > 0 && last ? ctx.src({ ...c.span, start: c.operands[0].span.start, end: last.span.end }) : ctx.src(c.span);
  ctx.report({
    severity: "error",
    code: "MPC4026",
    message: `this bound is infinite on the wrong side: \`${relation}\` can never hold`,
    span: s.span,
    label: `${entry}${what}`,
    related: [{ span: c.span, label: "in this constraint" }],
    notes: [
      "`inf` as an upper bound (`e <= inf`) or `-inf` as a lower one (`-inf <= e`) is no bound; bounded by -inf from above, by +inf from below or equal to an infinite value, the constraint holds for no finite value, and every QP would be infeasible",
      ...(huge ? ["the QP format reads a bound of magnitude 1e20 or more as infinite, and the runtime refuses states, inputs and parameters that large"] : []),
    ],
    help: huge
      ? "use a bound of magnitude below 1e20 (rescale the variable: other units), or remove the constraint"
      : role === "eq"
        ? "use a finite value; an infinite bound means no bound only in an inequality: `inf` as an upper bound, `-inf` as a lower one"
        : "an infinite bound means no bound: write `inf` as an upper bound and `-inf` as a lower one, or use a finite bound",
    edits: flipped ? [{ span: s.span, newText: flipped, title: `write \`${flipped}\` (no ${role === "lhs" ? "lower" : "upper"} bound)` }] : undefined,
  });
}

/** The plain learnables and runtime values an expression reads (through lets), at most `max`. */
function paramsIn(ctx: Ctx, e: Expr, out: Set<Sym>, seen: Set<number>, max = 8): Set<Sym> {
  if (out.size >= max || seen.has(e.id)) return out;
  seen.add(e.id);
  if (e.kind === "Name") {
    const sym = ctx.resolution.get(e.id);
    if (sym?.kind === "let" && sym.decl?.kind === "Let") paramsIn(ctx, sym.decl.value, out, seen, max);
    else if (sym && (sym.kind === "runtime" || (sym.kind === "learnable" && !sym.structure))) out.add(sym);
    return out;
  }
  for (const c of children(e)) paramsIn(ctx, c, out, seen, max);
  return out;
}

/**
 * A corner of the box of one learnable or runtime value (every entry at its lower, or every entry at
 * its upper end) at which `e` (a partial function whose operand depends on states or inputs and may
 * leave the domain) is outside its domain for every state and input: judged on an interval view
 * with that value pinned. `value` is its text for the message.
 */
function pinnedFailure(ctx: Ctx, e: Expr, judgeOn: (view: Ctx) => Verdict): (NonNullable<Verdict> & { sym: Sym; value: string }) | undefined {
  for (const sym of paramsIn(ctx, e, new Set(), new Set())) {
    // (the declared box: an unbounded side has no corner to pin)
    const box = declaredInterval(ctx, sym);
    if (!box || box.lo.length > 64) continue;
    for (const values of [box.lo, box.hi]) {
      if (!values.every(Number.isFinite)) continue;
      const v = judgeOn(withPinned(ctx, sym, values));
      if (v?.always) return { ...v, sym, value: values.length === 1 ? fmt(values[0]) : `[${values.map(fmt).join(", ")}]` };
    }
  }
  return undefined;
}

/** Reports the domain errors of the controllers' expressions (roots free of earlier errors). */
export function checkDomains(ctx: Ctx, aff: Affinity, errorsBefore: readonly Diagnostic[]): void {
  const seen = new IdSet();
  const covered = new IdSet();
  const masks = new Map<number, Mat | null>();
  const vars: EntryVars = (arg) => {
    if (aff.of(arg).deg === 0) return noVars(arg);
    let m: Mat | undefined | null = null;
    return (i) => {
      if (m === null) m = varMask(ctx, aff, arg, masks);
      return m ? m.data[i] !== 0 : true;
    };
  };
  for (const root of ctx.roots) {
    if (root.block.kind !== "controller" && root.block.kind !== "top") continue;
    if (root.role === "train" || root.role === "setting" || root.role === "range" || root.role === "dim") continue;
    if (errorsBefore.some((d) => d.span.start >= root.expr.span.start && d.span.end <= root.expr.span.end)) continue;
    // A nonlinear MPC (solver sqp|rti) evaluates partial functions of states and inputs too: over
    // their declared boxes, always outside is an error, maybe outside a warning (the solver's
    // iterates are bounded only by the declared bounds, which it may leave before converging).
    const nl = root.block.kind === "controller" && nonlinearSolver(root.block.node as ControllerBlock) !== undefined;
    // the stages the root is evaluated at, for its per-stage indices (found lazily: most roots have none)
    let stages: [number, number] | undefined | null = null;
    // and the view judged on: the stage index over those stages (red-team: `x <= 1/k for k in
    // 1..N` was rejected with k over 0..N); the run itself when they are all of 0..N
    const dctx = stageView(ctx, root);
    // weights, dynamics coefficients and penalties must be finite; bounds (and their sides) may be inf
    const dataRole = root.role === "dynamics" || root.role === "penalty" || root.role === "cost-initial" || root.role === "cost-stage" || root.role === "cost-terminal";
    const stack: Expr[] = [root.expr];
    while (stack.length > 0) {
      const e = stack.pop()!;
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      for (const c of children(e)) stack.push(c);
      // what infiniteData does not judge: the target of an index, the inside of a finite constant
      if (dataRole && (covered.has(e.id) || e.kind === "Index" || (aff.of(e).deg === 0 && evalExpr(ctx, e)?.data.every(Number.isFinite))))
        for (const c of children(e)) if (covered.has(e.id) || e.kind !== "Index" || c === e.target) covered.add(c.id);
      if (root.block.kind === "controller" && e.kind === "Index") {
        if (stages === null) stages = stagesOf(ctx, root);
        checkStageIndex(ctx, aff, e, stages);
      }
      let v = verdict(dctx, e, vars);
      if (!v && root.block.kind === "controller") {
        const deg = aff.of(e).deg;
        // deg 0: over the admissible values; in a linear MPC, an expression of states and inputs
        // becomes QP coefficients (with each variable in [-1, 1] its interval bounds them)
        const a = deg === 0 ? (arithmeticOverflow(dctx, e) ?? (dataRole ? infiniteData(ctx, aff, e, covered) : undefined)) : deg <= 2 ? arithmeticOverflow(withUnitVariables(dctx), e, COEFFICIENT_LIMIT, (x) => aff.of(x).deg > 0) : undefined;
        if (a) {
          if ((e.kind === "Number" && e.text === "inf") || e.kind === "Name" || e.kind === "Index")
            ctx.report({
              severity: "error",
              code: "MPC4025",
              message: `\`${ctx.src(e.span)}\` is not a finite number: ${root.role === "dynamics" ? "the dynamics" : root.role === "penalty" ? "a slack penalty" : "the cost"} must have finite QP data`,
              span: e.span,
              label: a.why,
              notes: ["only a bound may be infinite (no bound); an infinite weight, coefficient or penalty makes the QP data non-finite, and every solve fails (status `invalid_input`)"],
              help: root.role === "penalty" ? "use a large finite penalty (e.g. `penalty linear 1e4`), or make the constraint hard (remove `soft` and the penalty)" : "write a finite number",
            });
          else if (deg === 0) reportOverflow(ctx, e, a, "error");
          else reportCoefficientOverflow(ctx, e, a);
          continue;
        }
        // a slack penalty is a QP coefficient like a weight (red team 2: `penalty quadratic 1e308`
        // is finite, but the compiler stores 2*1e308 = inf in P and every solve answered non_convex;
        // `penalty linear 1e308` broke the solvers down): below the limit of the other coefficients
        if (root.role === "penalty" && e === root.expr && deg === 0 && penaltyOverflow(ctx, dctx, e)) continue;
        // continuous dynamics are discretized into QP coefficients by the compiler (red team 2:
        // `timestep 1e300` with `using euler` gave an infinite A for a = 1e10 inside its box)
        if (!nl && root.role === "dynamics" && e === root.expr && root.stmt?.kind === "Dynamics") {
          discretizationOverflow(ctx, dctx, root.stmt, root.block.node as ControllerBlock);
          // and their constant part is an equality row's bound, infinite in the QP from 1e20 on
          dynamicsOffset(ctx, dctx, root.stmt, root.block.node as ControllerBlock);
        }
      }
      // a linear MPC expands a power of states and inputs (`(a*x[0] + b)^2`) into QP coefficients
      // (products of a, b): those are evaluated, and must stay finite for every admissible value
      if (!nl && e.kind === "Binary" && e.op === "^" && aff.of(e.left).deg !== 0 && aff.of(e.right).deg === 0) {
        const unit = withUnitVariables(dctx);
        const o = overflow(unit, e, noVars);
        if (o) reportCoefficientOverflow(ctx, e, o);
      }
      // a nonlinear MPC differentiates sqrt of states and inputs: at 0 its derivative is infinite
      // (judged on the entries that depend on them: a constant entry 0 has no derivative to take)
      if (!v && nl && e.kind === "Call" && e.callee.name === "sqrt" && e.args[0] && aff.of(e.args[0].value).deg !== 0) {
        const arg = e.args[0].value;
        const isVar = vars(arg);
        v = withWhy(judge(dctx, arg, (l, _h, i) => (l <= 0 && isVar(i) ? "maybe" : undefined), isVar), "`sqrt` of a state or input is differentiable only for an argument > 0", arg);
      }
      // learning differentiates a nonlinear MPC in its learnables too: `sqrt` of an argument that
      // depends on them and may be 0 has an infinite gradient there (the solve itself is fine: the
      // controller answers ok: false at such a point, never a NaN; so a warning)
      if (!v && nl && e.kind === "Call" && e.callee.name === "sqrt" && e.args[0] && aff.of(e.args[0].value).deg === 0 && aff.of(e.args[0].value).learnable) {
        const arg = e.args[0].value;
        const j = judge(dctx, arg, (l) => (l <= 0 ? "maybe" : undefined), noVars(arg));
        if (j) {
          ctx.report({
            severity: "warning",
            code: "MPC4022",
            message: `the gradient of \`${ctx.src(e.span)}\` in the learnables cannot be proven finite: \`sqrt\` is differentiable only for an argument > 0`,
            span: e.span,
            label: `${operandOf(ctx, { ...j, arg })} ${rangeText(j.range)} over the learnables' boxes`,
            notes: ["the learners differentiate the controller in its learnables: where the argument is 0, dV/dtheta is infinite, and gradValue / gradQvalue / policySensitivity answer ok: false there (the update is skipped)"],
            help: "bound the learnables it uses so that the argument stays > 0 (e.g. `learnable a = 1 in [0.01, 10]`), or learn the square root itself (`a` in place of `sqrt(a)`)",
          });
          continue;
        }
      }
      // the same for a power with a learnable non-integer exponent: d(b^e)/de = b^e*log(b) is NaN at
      // b = 0 (a base that may be negative is the value's own domain error, judged below)
      if (!v && nl && e.kind === "Binary" && e.op === "^" && aff.of(e.left).deg === 0 && aff.of(e.right).deg === 0 && aff.of(e.right).learnable && !isIntegerValued(ctx, e.right)) {
        const base = e.left;
        const j = judge(dctx, base, (l) => (l <= 0 ? "maybe" : undefined), noVars(base));
        if (j && j.range[0] >= 0) {
          ctx.report({
            severity: "warning",
            code: "MPC4022",
            message: `the gradient of \`${ctx.src(e.span)}\` in the learnables cannot be proven finite: a power with a learnable exponent needs a base > 0`,
            span: e.span,
            label: `${operandOf(ctx, { ...j, arg: base })} ${rangeText(j.range)} over the learnables' boxes`,
            notes: ["the learners differentiate the controller in its learnables: d(b^e)/de = b^e*log(b) is NaN at b = 0, and gradValue / gradQvalue / policySensitivity answer ok: false there (the update is skipped)"],
            help: "bound the learnables or runtime values in the base so that it stays > 0 (e.g. `learnable b = 1 in [0.01, 2]`)",
          });
          continue;
        }
      }
      // red-team hole (nonlinear MPC): `b^e` with an exponent on states or inputs and a base free of
      // them (a base on them is MPC4004) is linearized with d(b^e)/de = b^e log(b): at b = 0 (where
      // 0^e is 0 or 1) that is NaN, and a negative base is undefined for a non-integer e; so the
      // base must be > 0 for every admissible learnable, stage and runtime value (an error)
      if (nl && e.kind === "Binary" && e.op === "^" && aff.of(e.right).deg !== 0 && aff.of(e.left).deg === 0) {
        const base = e.left;
        const j = judge(dctx, base, (l, h) => (h <= 0 ? "always" : l <= 0 ? "maybe" : undefined), noVars(base));
        if (j) {
          ctx.report({
            severity: "error",
            code: j.always ? "MPC4021" : "MPC4022",
            message: `the derivative of \`${ctx.src(e.span)}\` in the states and inputs ${j.always ? "is not defined" : "cannot be proven to be defined"}: a power with an exponent on decision variables needs a base > 0`,
            span: e.span,
            label: `\`${ctx.src(base.span)}\` ${rangeText(j.range)}${j.range[0] === j.range[1] ? "" : " for the admissible learnables, stages and runtime values"}`,
            notes: ["a nonlinear MPC linearizes `b^e` with d(b^e)/de = b^e*log(b): at b = 0 that is NaN (0*inf), and b^e is not defined for b < 0 and a non-integer e, so the QP data would not be finite"],
            help: j.always
              ? "use a base > 0 (e.g. `exp(e*log(b))` with b > 0), or an expression that does not raise a constant to a power of the states and inputs"
              : "bound the learnables or runtime values in the base so that it stays > 0 (e.g. `learnable b = 1 in [0.01, 2]`)",
          });
          continue;
        }
      }
      const power = e.kind === "Binary" && e.op === "^";
      const powerOnVars = power && (aff.of(e.right).deg !== 0 || aff.of(e.left).deg !== 0);
      if (!v) {
        const o = overflow(dctx, e, vars);
        if (!o) continue;
        const onVars = power ? powerOnVars : o.onVars ?? aff.of(o.arg).deg !== 0;
        if (!onVars) reportOverflow(ctx, e, o, "error");
        // states and inputs of a nonlinear MPC: always infinite is an error, maybe a warning (the
        // declared bounds do not hold at every iterate)
        else if (nl) {
          // infinite for every state and input at one admissible value (`exp(a*x)` with a at the end
          // of its box): an error, as for a domain (MPC4021 above)
          const pinned = o.always ? undefined : pinnedFailure(dctx, e, (view) => overflow(view, e, vars));
          if (pinned)
            reportOverflow(ctx, e, { ...pinned, why: `${pinned.why} when \`${pinned.sym.name}\` = ${pinned.value} (inside its declared range), for every state and input` }, "error");
          else reportOverflow(ctx, e, o, o.always ? "error" : "warning", true);
        }
        // a linear MPC never evaluates a power of states and inputs: it becomes QP coefficients
        // (products of its base's coefficients), checked below; exp of them is MPC4004
        continue;
      }
      const onVars = power ? powerOnVars : v.onVars ?? aff.of(v.arg).deg !== 0;
      // functions of decision variables are rejected elsewhere in a linear MPC (MPC4001/MPC4004),
      // and so are non-integer powers of them in a nonlinear MPC (MPC4004)
      if (onVars && (!nl || (e.kind === "Binary" && e.op === "^" && !isIntegerValued(ctx, e.right)))) continue;
      const where = onVars ? "the declared bounds of the states and inputs, the admissible learnables, stages and runtime values" : "the admissible learnables, stages and runtime values";
      const maybeOnVars = onVars && !v.always;
      // a warning only when the states and inputs decide: if some admissible value of one learnable
      // or runtime value puts the operand outside the domain for every state and input (`log(a*x)`
      // with a = 0 in its box), it is an error
      const pinned = maybeOnVars ? pinnedFailure(dctx, e, (view) => verdict(view, e, vars)) : undefined;
      if (pinned) {
        ctx.report({
          severity: "error",
          code: "MPC4021",
          message: `\`${ctx.src(e.span)}\` is not defined for any state or input when \`${pinned.sym.name}\` = ${pinned.value}: ${pinned.why}`,
          span: e.span,
          label: `with \`${pinned.sym.name}\` = ${pinned.value} (inside its declared range), ${operandOf(ctx, pinned)} ${rangeText(pinned.range)} for the declared bounds of the states and inputs`,
          notes: ["an admissible value of a learnable or runtime value makes the operation undefined whatever the states and inputs: every solve with that value fails"],
          help: `bound \`${pinned.sym.name}\` (\`in [lo, hi]\`) so that ${pinned.value} is excluded and the operand stays inside the domain, or rewrite the expression`,
        });
        continue;
      }
      ctx.report({
        severity: maybeOnVars ? "warning" : "error",
        code: v.always ? "MPC4021" : "MPC4022",
        message: v.always ? `\`${ctx.src(e.span)}\` is not defined: ${v.why}` : `\`${ctx.src(e.span)}\` cannot be proven to be defined: ${v.why}`,
        span: e.span,
        label: `${operandOf(ctx, v)} ${rangeText(v.range)}${v.range[0] === v.range[1] || v.always ? "" : ` for ${where}`}`,
        notes: maybeOnVars
          ? ["the states of a nonlinear MPC are bounded only by their declaration, and the solver's iterates may leave those bounds before they converge: at a point outside the domain the solve fails"]
          : ["a NaN or infinite entry in the QP data makes the controller fail at run time: partial functions must stay inside their domain for every admissible value"],
        help: v.always
          ? onVars
            ? "the declared bounds of the states and inputs exclude the domain: fix the bounds or the expression"
            : "fix the value so that the operation is defined"
          : onVars
            ? "tighten the declared bounds (`state x[n] in [lo, hi]`) so that the operand stays inside the domain, or rewrite it (e.g. `sqrt(e^2 + eps)`, `1/(1 + e^2)`)"
            : "bound the learnables or runtime values it uses (`in [lo, hi]`) so that the operand stays inside the domain, or rewrite it (e.g. `sqrt(abs(a))`, `1/(1 + k)`)",
      });
    }
  }
  for (const item of ctx.program.items) if (item.kind === "Controller") checkInfiniteRows(ctx, aff, item, errorsBefore, nonlinearSolver(item) !== undefined);
}

function reportOverflow(ctx: Ctx, e: Expr, o: NonNullable<Overflow>, severity: "error" | "warning", onVars = false): void {
  ctx.report({
    severity,
    code: "MPC4025",
    message: `\`${ctx.src(e.span)}\` ${o.always ? "overflows" : "may overflow"} double precision inside the declared bounds`,
    span: e.span,
    label: `${operandOf(ctx, o)} ${rangeText(o.range)}: ${o.why}`,
    notes: [
      onVars
        ? "over the declared bounds of the states and inputs, the admissible learnables, stages and runtime values: an infinite value in the model makes the solve fail at run time (status `invalid_input`); the solver's iterates may leave the declared bounds before they converge"
        : o.always
          ? "for every admissible value of the learnables, stages and runtime values: every solve fails (status `invalid_input`)"
          : "over the admissible learnables, stages and runtime values, which do not change during a solve: a call with such a value fails (status `invalid_input`)",
    ],
    help:
      (e.kind === "Binary" && e.op !== "^") || e.kind === "Number" || (e.kind === "Call" && e.callee.name !== "exp")
        ? e.kind === "Number"
          ? "write a finite number (a bound may be `inf`; a weight, coefficient or penalty may not)"
          : "bound the learnables or runtime values it uses so that the value stays below about 1e308, or rescale the model (write the variables in other units)"
        : e.kind === "Call"
        ? `${onVars ? "tighten the declared bounds" : "bound the learnables or runtime values it uses"} so that the argument of \`exp\` stays below ${EXP_MAX}, or rescale the model (write the variable in other units, or factor a constant out: \`exp(a - c)\`)`
        : `${onVars ? "tighten the declared bounds" : "bound the learnables or runtime values it uses"} so that the power stays finite, or rescale the model (write the variable in other units)`,
  });
}

/**
 * MPC4025 for a slack penalty (red team 2): a penalty is a QP coefficient (a quadratic one stored
 * twice in P, the penalties of one slack added), so it must stay below COEFFICIENT_LIMIT like a
 * weight: `penalty quadratic 1e308` is finite but gave P = inf (every solve answered non_convex).
 * Judged over the admissible learnables, stages and runtime values. Reported: whether it was.
 */
function penaltyOverflow(ctx: Ctx, dctx: Ctx, e: Expr): boolean {
  const iv = intervalOf(dctx, e);
  const m = magnitude(iv);
  // (an unbounded interval is an earlier verdict's: an infinite or overflowing operand, a domain)
  if (!iv || m === Infinity || m <= COEFFICIENT_LIMIT) return false;
  let always = false;
  for (let i = 0; i < iv.lo.length; i++) if (iv.lo[i] > COEFFICIENT_LIMIT || iv.hi[i] < -COEFFICIENT_LIMIT) always = true;
  const range = hullOf(dctx, e) ?? [-Infinity, Infinity];
  ctx.report({
    severity: "error",
    code: "MPC4025",
    message: `the slack penalty \`${ctx.src(e.span)}\` ${always ? "exceeds" : "may exceed"} the largest QP coefficient (${fmt(COEFFICIENT_LIMIT)})`,
    span: e.span,
    label: `it ${rangeText(range)}: the compiler stores twice a quadratic penalty in P and adds the penalties of one slack, and the sums must stay below the largest double (about 1.8e308)`,
    notes: ["a penalty of that size makes the QP data infinite or beyond double precision: every solve fails (status `non_convex` or `invalid_input`)"],
    help: "use a smaller penalty (e.g. `penalty linear 1e4`: it only has to outweigh the cost the constraint saves), or bound the learnables or runtime values it uses",
  });
  return true;
}

/** A linear controller's `timestep` (undefined when missing or invalid: MPC4012). */
function timestepOf(ctx: Ctx, block: ControllerBlock): number | undefined {
  const ts = block.items.find((i) => i.kind === "ScalarSetting" && i.key === "timestep");
  const hv = ts && ts.kind === "ScalarSetting" ? evalExpr(ctx, ts.value) : undefined;
  const h = hv?.data.length === 1 ? hv.data[0] : undefined;
  return h === undefined || !(h > 0) || !Number.isFinite(h) ? undefined : h;
}

/**
 * The timestep h and G >= 1, a bound on |c0| + sum |ci| of every subexpression c0 + sum ci vi of a
 * continuous right-hand side f (through lets), from its intervals with every state and input in
 * [-1, 1] over the admissible learnables, stages and runtime values (so also on the row sums of
 * f's state matrix, and on |f(0)|); undefined without a timestep or with an infinite interval (an
 * earlier verdict's).
 */
function discretization(ctx: Ctx, dctx: Ctx, dyn: Dynamics, block: ControllerBlock): { h: number; G: number } | undefined {
  const h = timestepOf(ctx, block);
  if (h === undefined) return undefined;
  const unit = withUnitVariables(dctx);
  let G = 1;
  const seen = new IdSet();
  const stack: Expr[] = [dyn.rhs];
  while (stack.length > 0) {
    const e = stack.pop()!;
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    for (const c of children(e)) stack.push(c);
    const sym = e.kind === "Name" ? ctx.resolution.get(e.id) : undefined;
    if (sym?.kind === "let" && sym.decl?.kind === "Let") stack.push(sym.decl.value);
    const iv = intervalOf(unit, e);
    // (no interval: too large to evaluate, judged nowhere; an infinite one is an earlier verdict's)
    if (!iv) continue;
    const m = magnitude(iv);
    if (m === Infinity) return undefined;
    G = Math.max(G, m);
  }
  return { h, G };
}

/**
 * MPC4026 in a linear MPC: the dynamics' constant part (the part free of states and inputs:
 * `x+ = x + u + 2*b`, `der(x) = u + 20*b using euler`) becomes the bound of an equality row, which
 * the QP reads as infinite at magnitude 1e20 or more, and the solve was refused (status
 * invalid_input at b = 6e19, inside its admissible range, after `check` said ok). Its interval over
 * the admissible values at the dynamics' stages with every state and input at 0 (the constant part
 * of an affine expression): `x+ = f`: f(0); euler: timestep f(0). rk4 and zoh mix f(0) with the
 * state matrix: their constant parts are judged on the compiled QP (compiler/lower/data_ranges.ts),
 * exactly, where interval bounds from the source would reject sound specs. Strictly beyond 1e20,
 * as for bounds (an unbounded learnable alone never reaches it). Reported: whether it was.
 */
function dynamicsOffset(ctx: Ctx, dctx: Ctx, dyn: Dynamics, block: ControllerBlock): boolean {
  const h = dyn.form === "continuous" ? (dyn.method === "euler" ? timestepOf(ctx, block) : undefined) : 1;
  if (h === undefined) return false;
  const f0 = intervalOf(withZeroVariables(dctx), dyn.rhs);
  const F = magnitude(f0);
  // (an infinite constant part is another rule's: MPC4025 on the dynamics' data)
  if (!f0 || !Number.isFinite(F)) return false;
  const bound = h * F;
  if (!(bound > RUNTIME_LIMIT)) return false;
  const how = dyn.form === "continuous" ? `\`using euler\`: the row's bound is timestep*f(0, 0), timestep ${fmt(h)}` : "`x+ = f(x, u)`: the row's bound is f(0, 0)";
  ctx.report({
    severity: "error",
    code: "MPC4026",
    message: `the constant part of the dynamics of \`${dyn.form === "continuous" ? `der(${dyn.target.name})` : `${dyn.target.name}+`}\` may reach magnitude 1e20, which the QP reads as infinite`,
    span: dyn.rhs.span,
    label: `${how}; with every state and input at 0 the right-hand side ranges up to ${fmt(F)} in magnitude over the admissible learnables, stages and runtime values, so the bound up to ${fmt(bound)}`,
    notes: ["the dynamics are equality rows whose bounds are their constant parts; the QP format reads a bound of magnitude 1e20 or more as infinite, and the solve is refused (status invalid_input)"],
    help: "bound the learnables or runtime values of the dynamics' constant part (e.g. `learnable b = 0 in [-1e6, 1e6]`) so that it stays below 1e20, or rescale the model",
  });
  return true;
}

/**
 * MPC4026 in a linear MPC for a relation whose constant part is inside an expression of states or
 * inputs (`x[0] - 2*b >= 0`): the compiler moves it into the row's bound (x[0] >= 2b), and the QP
 * reads a bound of magnitude 1e20 or more as infinite: on the wrong side the solve was refused
 * (b = 6e19, admissible) after `check` said ok. (A whole side free of states and inputs is
 * `maybeHugeBound`'s.) The row a - b has constant part c = a(0) - b(0) (every state and input at
 * 0, over the admissible values at the constraint's stages): `a <= b` bounds it above by -c
 * (wrong when c >= 1e20), `a >= b` below by -c (wrong when c <= -1e20), `==` both. Strictly beyond
 * 1e20, as for bounds. Reported: whether it was.
 */
function offsetBound(ctx: Ctx, block: ControllerBlock, c: Constraint, a: Expr, b: Expr, op: string): boolean {
  const scope = ctx.blocks.find((x) => x.node === block);
  const stages = scope ? stagesOf(ctx, { block: scope, role: "constraint", stmt: c }) : undefined;
  const zero = withZeroVariables(stages ? withStageRange(ctx, stages[0], stages[1]) : ctx);
  const ia = intervalOf(zero, a);
  const ib = intervalOf(zero, b);
  if (!ia || !ib) return false;
  const n = Math.max(ia.lo.length, ib.lo.length);
  if ((ia.lo.length !== 1 && ia.lo.length !== n) || (ib.lo.length !== 1 && ib.lo.length !== n)) return false;
  for (let i = 0; i < n; i++) {
    const ja = ia.lo.length === 1 ? 0 : i, jb = ib.lo.length === 1 ? 0 : i;
    const lo = ia.lo[ja] - ib.hi[jb];
    const hi = ia.hi[ja] - ib.lo[jb];
    // (an infinite constant part is another rule's: a per-stage inf, or MPC4025)
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) continue;
    const up = op !== ">=" && hi > RUNTIME_LIMIT;
    const down = op !== "<=" && lo < -RUNTIME_LIMIT;
    if (!up && !down) continue;
    reportHugeBound(ctx, c, joinSpans(a.span, b.span), "this constraint's bound", "its constant part", up ? hi : lo, `${n > 1 ? `entry ${i}: ` : ""}with every state and input at 0, \`${ctx.src(a.span)}\` minus \`${ctx.src(b.span)}\` ranges over [${fmt(lo)}, ${fmt(hi)}] for the admissible learnables, stages and runtime values: the compiler moves it into the row's bound, and a bound of magnitude 1e20 or more is infinite in the QP`, "bound the learnables or runtime values of the constraint's constant part so that it stays below 1e20 in magnitude, or rescale the variable");
    return true;
  }
  return false;
}

/**
 * MPC4025 for continuous dynamics of a linear MPC (red team 2): the compiler integrates
 * `der(x) = f(x, u)` over each timestep h into QP coefficients (compiler/lower/controller.ts:
 * euler x + h f; rk4 evaluates f at x + h/2 k1, x + h/2 k2, x + h k3), which may overflow although
 * f's coefficients are finite (`timestep 1e300` with `a*x`, a in [-1e10, 1e10], gave A = -inf).
 * A bound: with every state and input in [-1, 1], G bounds |c0| + sum |ci| of every subexpression
 * s = c0 + sum ci vi of f (through lets); with the state replaced by an affine map whose
 * coefficients sum to at most S >= 1 in magnitude, s's coefficients sum to at most G S. So the
 * stages' coefficients are at most K1 = G, K2 = G (1 + h/2 K1), K3 = G (1 + h/2 K2),
 * K4 = G (1 + h K3), and x+ = x + h/6 (K1 + 2 K2 + 2 K3 + K4) (euler: 1 + h K1), each below
 * COEFFICIENT_LIMIT. An over-approximation (G^4 h^3 for rk4), far from any real model. `zoh` is
 * computed by the compiler from a constant state matrix (MPC4603 when it is not finite).
 */
function discretizationOverflow(ctx: Ctx, dctx: Ctx, dyn: Dynamics, block: ControllerBlock): void {
  if (dyn.form !== "continuous" || (dyn.method !== "euler" && dyn.method !== "rk4")) return;
  const d = discretization(ctx, dctx, dyn, block);
  if (!d) return;
  const { h, G } = d;
  let B: number;
  if (dyn.method === "euler") B = Math.max(G, 1 + h * G);
  else {
    const k1 = G;
    const k2 = G * (1 + (h / 2) * k1);
    const k3 = G * (1 + (h / 2) * k2);
    const k4 = G * (1 + h * k3);
    const sum = k1 + 2 * k2 + 2 * k3 + k4;
    B = Math.max(k4, sum, 1 + (h / 6) * sum);
  }
  if (B <= COEFFICIENT_LIMIT) return;
  ctx.report({
    severity: "error",
    code: "MPC4025",
    message: `the discretized dynamics of \`der(${dyn.target.name})\` \`using ${dyn.method}\` may exceed the largest QP coefficient (${fmt(COEFFICIENT_LIMIT)})`,
    span: dyn.rhs.span,
    label: `with timestep ${fmt(h)} and the coefficients of the right-hand side up to ${fmt(G)} in magnitude (each state and input in [-1, 1], over the admissible learnables and runtime values), the discretized coefficients are bounded only by ${fmt(B)}, above ${fmt(COEFFICIENT_LIMIT)}`,
    notes: [
      dyn.method === "euler"
        ? "the compiler writes `x + timestep*f(x, u)` as QP coefficients: an infinite one for some admissible value makes every solve fail (status `invalid_input`)"
        : "the compiler writes one rk4 step (up to timestep^4 times the fourth power of the state matrix) as QP coefficients: an infinite one for some admissible value makes every solve fail (status `invalid_input`)",
    ],
    help: "use a smaller `timestep` (or rescale time), bound the learnables or runtime values in the right-hand side, or write discrete dynamics `x+ = ...`",
  });
}

/**
 * MPC4025 in a linear MPC: a power of states and inputs is not evaluated but expanded into QP
 * coefficients, products of the coefficients of its base. With every state and input in [-1, 1],
 * the base's interval bounds |c0| + sum |ci|, so a finite power of it bounds every product: when it
 * may be infinite the coefficients may overflow. They depend on learnables, stages and runtime
 * values only: an error.
 */
function reportCoefficientOverflow(ctx: Ctx, e: Expr, o: NonNullable<Overflow>): void {
  ctx.report({
    severity: "error",
    code: "MPC4025",
    message: `the QP coefficients of \`${ctx.src(e.span)}\` ${o.always ? "overflow" : "may overflow"} double precision`,
    span: e.span,
    label: `with each state and input in [-1, 1], \`${ctx.src(o.arg.span)}\` ${rangeText(o.range)}: ${o.why}`,
    notes: [
      "a linear MPC expands a power of states and inputs into QP coefficients, the products of the coefficients of its base (over the admissible learnables, stages and runtime values): an infinite coefficient makes every solve fail (status `invalid_input`)",
    ],
    help: "rescale the model so that the coefficients of the base stay below about 1e154 (write the variables in other units), or bound the learnables or runtime values they use",
  });
}
