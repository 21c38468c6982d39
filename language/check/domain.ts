// Domains of the partial functions in a controller's QP data (MPC4021, MPC4022): `sqrt` and `log`
// of a possibly negative argument, division by a possibly zero divisor, `x^y` with a negative base
// and a non-integer exponent or a zero base and a negative exponent. They would put NaN or Inf in
// the QP for some admissible value of the learnables, stages or runtime values. Decided by interval
// arithmetic (interval.ts): outside the domain for every value -> MPC4021; not provably inside ->
// MPC4022. Plants are only simulated and are not checked here. Each node is visited once.

import type { Expr } from "../ast.js";
import type { Diagnostic } from "../diagnostics.js";
import { Ctx } from "./context.js";
import type { Affinity } from "./affinity.js";
import { fmt } from "./affinity.js";
import { children } from "../ast.js";
import { hullOf, isIntegerValued, tanBranch } from "./interval.js";
import type { ControllerBlock } from "../ast.js";
import { nonlinearSolver } from "./nlp.js";
import { IdSet } from "./idmap.js";

type Verdict = { always: boolean; why: string; arg: Expr; range: [number, number] } | undefined;

const show = (r: [number, number]): string => `[${fmt(r[0])}, ${fmt(r[1])}]`;

function verdict(ctx: Ctx, e: Expr): Verdict {
  if (e.kind === "Call" && e.callee.name === "tan" && e.args[0]) {
    const arg = e.args[0].value;
    const r = hullOf(ctx, arg);
    if (!r || tanBranch(r[0], r[1])) return undefined;
    const pole = r[0] === r[1] && Number.isFinite(r[0]) && Math.abs(Math.cos(r[0])) < 1e-12;
    return { always: pole, why: "`tan` is not defined at pi/2 + j*pi", arg, range: r };
  }
  if (e.kind === "Call" && (e.callee.name === "sqrt" || e.callee.name === "log") && e.args[0]) {
    const arg = e.args[0].value;
    const r = hullOf(ctx, arg);
    if (!r) return undefined;
    const sqrt = e.callee.name === "sqrt";
    const bad = sqrt ? r[1] < 0 : r[1] <= 0;
    const maybe = sqrt ? r[0] < 0 : r[0] <= 0;
    if (bad || maybe) return { always: bad, why: sqrt ? "`sqrt` needs an argument >= 0" : "`log` needs an argument > 0", arg, range: r };
    return undefined;
  }
  if (e.kind === "Binary" && (e.op === "/" || e.op === "./")) {
    const r = hullOf(ctx, e.right);
    if (!r) return undefined;
    if (r[0] === 0 && r[1] === 0) return { always: true, why: "division by zero", arg: e.right, range: r };
    if (r[0] <= 0 && r[1] >= 0) return { always: false, why: "the divisor may be zero", arg: e.right, range: r };
    return undefined;
  }
  if (e.kind === "Binary" && e.op === "^") {
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

/** Reports the domain errors of the controllers' expressions (roots free of earlier errors). */
export function checkDomains(ctx: Ctx, aff: Affinity, errorsBefore: readonly Diagnostic[]): void {
  const seen = new IdSet();
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
      let v = verdict(ctx, e);
      // a nonlinear MPC differentiates sqrt of states and inputs: at 0 its derivative is infinite
      if (!v && nl && e.kind === "Call" && e.callee.name === "sqrt" && e.args[0] && aff.of(e.args[0].value).deg !== 0) {
        const r = hullOf(ctx, e.args[0].value);
        if (r && r[0] <= 0) v = { always: false, why: "`sqrt` of a state or input is differentiable only for an argument > 0", arg: e.args[0].value, range: r };
      }
      if (!v) continue;
      const onVars = e.kind === "Binary" ? aff.of(e.right).deg !== 0 || (e.op === "^" && aff.of(e.left).deg !== 0) : aff.of(v.arg).deg !== 0;
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
        label:
          v.range[0] === v.range[1]
            ? `\`${ctx.src(v.arg.span)}\` is ${fmt(v.range[0])}`
            : `\`${ctx.src(v.arg.span)}\` ranges over ${show(v.range)}${v.always ? "" : ` for ${where}`}`,
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
