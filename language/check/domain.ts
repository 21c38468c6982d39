// Domains of the partial functions in a controller's QP data (MPC4021, MPC4022): `sqrt` and `log`
// of a possibly negative argument, division by a possibly zero divisor, `x^y` with a negative base
// and a non-integer exponent or a zero base and a negative exponent. They would put NaN or Inf in
// the QP for some admissible value of the learnables, stages or runtime values. Decided by interval
// arithmetic (interval.ts), entry by entry for an element-wise operand: outside the domain for every
// value (of any one entry) -> MPC4021; not provably inside -> MPC4022. Also overflow (MPC4025):
// `exp` or a power that is infinite in double precision for finite arguments inside the declared
// bounds. Plants are only simulated and are not checked here. Each node is visited once.

import type { Expr } from "../ast.js";
import type { Diagnostic } from "../diagnostics.js";
import { Ctx, tooBig, type Mat } from "./context.js";
import { assembleArray, isListOfRows } from "./constEval.js";
import type { Affinity } from "./affinity.js";
import { fmt } from "./affinity.js";
import { children } from "../ast.js";
import { hullOf, intervalOf, isIntegerValued, tanBranch, withUnitVariables } from "./interval.js";
import type { ControllerBlock } from "../ast.js";
import { nonlinearSolver } from "./nlp.js";
import { IdSet } from "./idmap.js";

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

/** Reports the domain errors of the controllers' expressions (roots free of earlier errors). */
export function checkDomains(ctx: Ctx, aff: Affinity, errorsBefore: readonly Diagnostic[]): void {
  const seen = new IdSet();
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
    const stack: Expr[] = [root.expr];
    while (stack.length > 0) {
      const e = stack.pop()!;
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      for (const c of children(e)) stack.push(c);
      // a linear MPC expands a power of states and inputs (`(a*x[0] + b)^2`) into QP coefficients
      // (products of a, b): those are evaluated, and must stay finite for every admissible value
      if (!nl && e.kind === "Binary" && e.op === "^" && aff.of(e.left).deg !== 0 && aff.of(e.right).deg === 0) {
        const unit = withUnitVariables(ctx);
        const o = overflow(unit, e, noVars);
        if (o) reportCoefficientOverflow(ctx, e, o);
      }
      let v = verdict(ctx, e, vars);
      // a nonlinear MPC differentiates sqrt of states and inputs: at 0 its derivative is infinite
      // (judged on the entries that depend on them: a constant entry 0 has no derivative to take)
      if (!v && nl && e.kind === "Call" && e.callee.name === "sqrt" && e.args[0] && aff.of(e.args[0].value).deg !== 0) {
        const arg = e.args[0].value;
        const isVar = vars(arg);
        v = withWhy(judge(ctx, arg, (l, _h, i) => (l <= 0 && isVar(i) ? "maybe" : undefined), isVar), "`sqrt` of a state or input is differentiable only for an argument > 0", arg);
      }
      // learning differentiates a nonlinear MPC in its learnables too: `sqrt` of an argument that
      // depends on them and may be 0 has an infinite gradient there (the solve itself is fine: the
      // controller answers ok: false at such a point, never a NaN; so a warning)
      if (!v && nl && e.kind === "Call" && e.callee.name === "sqrt" && e.args[0] && aff.of(e.args[0].value).deg === 0 && aff.of(e.args[0].value).learnable) {
        const arg = e.args[0].value;
        const j = judge(ctx, arg, (l) => (l <= 0 ? "maybe" : undefined), noVars(arg));
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
      const power = e.kind === "Binary" && e.op === "^";
      const powerOnVars = power && (aff.of(e.right).deg !== 0 || aff.of(e.left).deg !== 0);
      if (!v) {
        const o = overflow(ctx, e, vars);
        if (!o) continue;
        const onVars = power ? powerOnVars : o.onVars ?? aff.of(o.arg).deg !== 0;
        if (!onVars) reportOverflow(ctx, e, o, "error");
        // states and inputs of a nonlinear MPC: always infinite is an error, maybe a warning (the
        // declared bounds do not hold at every iterate)
        else if (nl) reportOverflow(ctx, e, o, o.always ? "error" : "warning", true);
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
      e.kind === "Call"
        ? `${onVars ? "tighten the declared bounds" : "bound the learnables or runtime values it uses"} so that the argument of \`exp\` stays below ${EXP_MAX}, or rescale the model (write the variable in other units, or factor a constant out: \`exp(a - c)\`)`
        : `${onVars ? "tighten the declared bounds" : "bound the learnables or runtime values it uses"} so that the power stays finite, or rescale the model (write the variable in other units)`,
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
