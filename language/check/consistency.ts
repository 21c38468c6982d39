// Pass 5: consistency of the numbers. Values that must be compile-time constants (MPC2015),
// lb <= ub for constant bounds and, by interval arithmetic over the learnables' boxes, for bounds
// with learnable offsets (MPC4007 error when violated for every value, MPC4008 warning when it
// cannot be proven), nonnegative slack penalties (MPC4009), horizon (MPC4010), discount (MPC4011),
// continuous-time settings (MPC4012), one objective (MPC4013), learnable init inside its box
// (MPC4014), const/param values and runtime/disturbance defaults inside their declared bounds
// (MPC4023), stage ranges (MPC4015), soft/penalty pairing (MPC4017), no input at stage N (MPC4018),
// plant requirements (5009-5012).

import type { Constraint, ControllerBlock, Decl, Expr, PlantBlock, ScalarSetting } from "../ast.js";
import type { Span, SuggestedEdit } from "../diagnostics.js";
import { Ctx, Sym } from "./context.js";
import { constInt, constScalar, evalExpr, horizonOf, initValue, nonConstantName, runtimeDefault, startsNonnegative } from "./const_eval.js";
import { hullOf, intervalOf, paramBox, RUNTIME_LIMIT, signOf, withUnitVariables, withZeroVariables, type IMat } from "./interval.js";
import { cholesky } from "./matrix.js";
import { fmt, type Affinity } from "./affinity.js";
import { declOf } from "./scope.js";
import { checkDomains } from "./domain.js";
import { nonlinearSolver } from "./nlp.js";
import { inputIn, readsVariableBesidesPrev, stageDependence, stageView, stagesOf } from "./stages.js";
import { article } from "./names.js";

function requireConstant(ctx: Ctx, e: Expr, what: string): boolean {
  if (evalExpr(ctx, e)) return true;
  const n = nonConstantName(ctx, e);
  const s = n && ctx.resolution.get(n.id);
  // A const or param without a value has its own error at its declaration.
  if (n && !(s && (s.kind === "const" || s.kind === "param" || s.kind === "let"))) {
    ctx.report({
      severity: "error",
      code: "MPC2015",
      message: `${what} must be a compile-time constant, but \`${n.name}\` is ${s ? (s.kind === "builtin" || s.kind === "stage-index" ? "a value known only per stage" : `${article(s.kind)} ${s.kind}`) : "not constant"}`,
      span: n.span,
      label: "not a constant",
      related: s?.nameSpan ? [{ span: s.nameSpan, label: `\`${n.name}\` is declared here` }] : undefined,
      help: "use numbers, `const`s and `param`s here",
    });
  }
  return false;
}

const endOf = (s: Span): Span => ({ start: s.end, end: s.end, startLine: s.endLine, startColumn: s.endColumn, endLine: s.endLine, endColumn: s.endColumn });

const elementName = (i: number, rows: number, cols: number): string => (cols === 1 ? `[${i}]` : `[${Math.floor(i / cols)}, ${i % cols}]`);

function checkDecl(ctx: Ctx, aff: Affinity, d: Decl): void {
  const sym = ctx.resolution.get(d.name.id);
  if (!sym || declOf(sym) !== d) return;
  if ((d.declKind === "const" || d.declKind === "param") && !d.init) {
    ctx.report({
      severity: "error",
      code: "MPC2015",
      message: `the ${d.declKind} \`${d.name.name}\` needs a value`,
      span: d.name.span,
      label: "no value",
      help: `write \`${d.declKind} ${d.name.name} = ...\``,
    });
  }
  if (d.init && (d.declKind === "const" || d.declKind === "param" || d.declKind === "learnable")) requireConstant(ctx, d.init, `the value of \`${d.name.name}\``);
  if (d.init && (d.declKind === "state" || d.declKind === "input" || d.declKind === "runtime" || d.declKind === "disturbance") && sym.blockKind === "controller") {
    requireConstant(ctx, d.init, `the default value of \`${d.name.name}\``);
  }
  // a controller's runtime value or disturbance: its default must be a finite number, with or
  // without a declared range (a non-finite default would be written into the QP data at every call
  // that omits the value)
  const withDefault = hasDefault(d, sym);
  const defaultOk = !withDefault || checkDefaultFinite(ctx, d, sym);
  if (!d.bounds) {
    // (a learnable without a box: its initial value must still be below the runtime's limit)
    if (d.declKind === "learnable" && d.init) checkInitInBox(ctx, d, sym);
    return;
  }
  // a controller's runtime range is written into the template as numbers (and checked at run time)
  const constBounds = d.declKind === "learnable" || d.declKind === "const" || d.declKind === "param" || withDefault;
  if (constBounds) {
    const okL = requireConstant(ctx, d.bounds.lower, `the bounds of \`${d.name.name}\``);
    const okU = requireConstant(ctx, d.bounds.upper, `the bounds of \`${d.name.name}\``);
    if (!okL || !okU) return;
  }
  if (aff.of(d.bounds.lower).deg === 0 && aff.of(d.bounds.upper).deg === 0)
    checkOrdered(ctx, ctx, d.bounds.lower, d.bounds.upper, d.bounds.span, `the bounds of \`${d.name.name}\``, d.bounds.span, d.declKind === "state" || d.declKind === "input");
  if (((d.declKind === "const" || d.declKind === "param") && d.init) || (withDefault && defaultOk))
    checkValueInBounds(ctx, d, sym);
  if (d.declKind === "learnable" && d.init) checkInitInBox(ctx, d, sym);
}

/**
 * MPC4014: the initial parameter vector lies in the box. The box bounds theta, in the compiler's
 * order: the diagonal of a `diag`, the lower triangle of L (row by row) of a `factor`, and of the
 * Cholesky factor of the initial P of a `psd` (P = L*L'), the entries otherwise.
 */
function checkInitInBox(ctx: Ctx, d: Decl, sym: Sym): void {
  const box = paramBox(ctx, sym);
  const v = initValue(ctx, sym);
  if (!box || !v || !d.init) return;
  let theta: number[] | undefined;
  let names: string[];
  const n = v.rows;
  if (d.structure === "psd" || d.structure === "factor") {
    const L = d.structure === "psd" ? cholesky(v) : v;
    if (!L || v.rows !== v.cols) return; // a psd initial value that is not positive definite: MPC4606 (compiler)
    theta = [];
    names = [];
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        theta.push(L.data[i * n + j]);
        names.push(`[${i}, ${j}]`);
      }
  } else {
    theta = [...v.data];
    names = theta.map((_, i) => elementName(i, v.rows, v.cols));
  }
  if (theta.length !== box.lo.length) return;
  const what = d.structure === "psd" ? " of the Cholesky factor L of the initial value" : d.structure === "factor" ? " of the initial factor" : "";
  for (let i = 0; i < theta.length; i++) {
    const x = theta[i];
    if (x >= box.lo[i] && x <= box.hi[i] && Math.abs(x) < RUNTIME_LIMIT) continue;
    if (x >= box.lo[i] && x <= box.hi[i]) {
      // inside its box but not admissible: the runtime refuses a parameter of magnitude >= 1e20
      ctx.report({
        severity: "error",
        code: "MPC4014",
        message: `the initial value of \`${d.name.name}\` is too large to be a parameter`,
        span: d.init.span,
        label: `element ${names[i]}${what} is ${fmt(x)}: parameters must have magnitude below ${fmt(RUNTIME_LIMIT)}`,
        notes: ["the runtime refuses a parameter of magnitude 1e20 or more, as it refuses a state of that size: the QP reads such numbers as infinite"],
        help: "rescale the parameter (e.g. write the weight as `1e10*w` with `w` near 1)",
      });
      return;
    }
    if (!d.bounds) return;
    ctx.report({
      severity: "error",
      code: "MPC4014",
      message: `the initial value of \`${d.name.name}\` lies outside its bounds`,
      span: d.init.span,
      label: `element ${names[i]}${what} is ${fmt(x)}, outside [${fmt(box.lo[i])}, ${fmt(box.hi[i])}]`,
      related: [{ span: d.bounds.span, label: d.structure === "psd" ? "the bounds of the factor L (P = L*L')" : "the bounds" }],
      help: "start the learning inside the box: change the value or widen the bounds",
    });
    return;
  }
}

/** A controller's `runtime` value or `disturbance`: a call that omits it uses its default. */
function hasDefault(d: Decl, sym: Sym): boolean {
  return (d.declKind === "runtime" || d.declKind === "disturbance") && sym.blockKind === "controller";
}

/** The declaration's kind as a message names it. */
const kindName = (d: Decl): string => (d.declKind === "runtime" ? "runtime value" : d.declKind);

/** An edit's text for values of a declared shape: one number when they agree (broadcast), else a
 *  column vector; undefined for a matrix. */
function valueLiteral(values: readonly number[], cols: number): string | undefined {
  return values.every((y) => y === values[0]) ? String(values[0]) : cols === 1 ? `[${values.map(String).join(", ")}]` : undefined;
}

/**
 * MPC4023: the default of a controller's `runtime` value or `disturbance` (its `= value`) must be a
 * finite number in every entry, with or without a declared range: `runtime r = inf` would put an
 * infinite entry in the QP data of every call that omits the value (and `x <= r` is no bound to
 * prove). A default with an error inside it (`0/0`, MPC4021) is not reported twice. Returns false
 * when it reported (the range check is then skipped).
 */
function checkDefaultFinite(ctx: Ctx, d: Decl, sym: Sym): boolean {
  const init = d.init;
  if (!init) return true; // the implicit default 0
  const v = runtimeDefault(ctx, sym);
  if (!v) return true;
  // (non-finite, or at least the runtime's limit 1e20, which it refuses in a value passed at a call)
  const bad = (x: number): boolean => !(Math.abs(x) < RUNTIME_LIMIT);
  const i = v.data.findIndex(bad);
  if (i < 0) return true;
  if (ctx.diagnostics.some((x) => x.severity === "error" && x.span.start >= init.span.start && x.span.end <= init.span.end)) return false;
  const what = kindName(d);
  const n = v.data.length;
  // the edit: each non-finite entry replaced by the value of the range nearest 0 (0 without a range)
  const lb = d.bounds ? evalExpr(ctx, d.bounds.lower) : undefined;
  const ub = d.bounds ? evalExpr(ctx, d.bounds.upper) : undefined;
  const pick = (m: typeof v | undefined, j: number, dflt: number): number | undefined => (!m ? dflt : m.data.length === 1 ? m.data[0] : m.data.length === n ? m.data[j] : undefined);
  const fixed = v.data.map((x, j) => {
    if (!bad(x)) return x;
    const l = pick(lb, j, -Infinity);
    const h = pick(ub, j, Infinity);
    if (l === undefined || h === undefined || Number.isNaN(l) || Number.isNaN(h) || l > h) return undefined;
    const y = Math.min(Math.max(0, l), h);
    return Number.isFinite(y) ? y : undefined;
  });
  const ok = fixed.every((y): y is number => y !== undefined);
  const literal = ok ? valueLiteral(fixed, v.cols) : undefined;
  const x = v.data[i];
  ctx.report({
    severity: "error",
    code: "MPC4023",
    message: Number.isFinite(v.data[i]) ? `the default of the ${what} \`${d.name.name}\` is too large: runtime values must have magnitude below ${fmt(RUNTIME_LIMIT)}` : `the default of the ${what} \`${d.name.name}\` must be a finite number`,
    span: init.span,
    label: `${n > 1 ? `element ${elementName(i, v.rows, v.cols)} is ` : "this is "}${fmt(x)}`,
    related: d.bounds ? [{ span: d.bounds.span, label: "the declared range" }] : undefined,
    notes: ["a call that omits the value uses its default: a non-finite entry makes the QP data infinite or NaN, and the solve fails"],
    help: `give a finite default${d.bounds ? " inside the range" : ""} (to leave a bound out, write no constraint rather than an infinite default)`,
    edits: literal !== undefined ? [{ span: init.span, newText: literal, title: `use \`${literal}\`` }] : undefined,
  });
  return false;
}

/**
 * MPC4023: the value of a `const`/`param` with declared bounds must lie inside them, and so must the
 * default of a controller's `runtime` value or `disturbance` (the value a call that omits it uses;
 * without `= value` it is 0): bounds and ranges are a promise the rest of the spec relies on (the
 * interval proofs assume them), so they are checked, never trusted. The value is broadcast to the
 * declared shape (`runtimeDefault`, `initValue`), the bounds entry by entry (a scalar applies to all).
 */
function checkValueInBounds(ctx: Ctx, d: Decl, sym: Sym): void {
  if (!d.bounds) return;
  const isDefault = hasDefault(d, sym);
  const v = isDefault ? runtimeDefault(ctx, sym) : initValue(ctx, sym);
  const lb = evalExpr(ctx, d.bounds.lower);
  const ub = evalExpr(ctx, d.bounds.upper);
  if (!v || !lb || !ub) return;
  const n = v.data.length;
  const pick = (m: typeof v, i: number): number | undefined => (m.data.length === 1 ? m.data[0] : m.data.length === n ? m.data[i] : undefined);
  const lo: number[] = [];
  const hi: number[] = [];
  for (let i = 0; i < n; i++) {
    const l = pick(lb, i);
    const h = pick(ub, i);
    if (l === undefined || h === undefined) return; // a shape mismatch is reported by shapes.ts
    lo.push(l);
    hi.push(h);
  }
  const i = v.data.findIndex((x, j) => !(x >= lo[j] && x <= hi[j]));
  if (i < 0) return;
  const x = v.data[i];
  const what = kindName(d);
  const where = `${n > 1 ? `element ${elementName(i, v.rows, v.cols)} is ` : "this is "}${fmt(x)}, outside [${fmt(lo[i])}, ${fmt(hi[i])}]`;
  // the nearest value inside the range, as an edit (a scalar when it is one number, else a column vector)
  const clamped = v.data.map((y, j) => Math.min(Math.max(y, lo[j]), hi[j]));
  const literal = valueLiteral(clamped, v.cols);
  const editable = literal !== undefined && clamped.every(Number.isFinite) && lo.every((l, j) => l <= hi[j]);
  if (isDefault && !d.init) {
    ctx.report({
      severity: "error",
      code: "MPC4023",
      message: `the implicit default 0 of the ${what} \`${d.name.name}\` lies outside its declared range`,
      span: d.name.span,
      label: `no \`= value\`: ${n > 1 ? `element ${elementName(i, v.rows, v.cols)} defaults` : "it defaults"} to 0, outside [${fmt(lo[i])}, ${fmt(hi[i])}]`,
      related: [{ span: d.bounds.span, label: "the declared range" }],
      notes: ["a call that omits the value uses its default, and the proofs of convexity and of lb <= ub assume the declared range"],
      help: "give a default inside the range, or widen the range",
      edits: editable ? [{ span: { ...d.bounds.span, end: d.bounds.span.start, endLine: d.bounds.span.startLine, endColumn: d.bounds.span.startColumn }, newText: `= ${literal} `, title: `give the default \`${literal}\`, the nearest value in the range` }] : undefined,
    });
    return;
  }
  if (!d.init) return;
  ctx.report({
    severity: "error",
    code: "MPC4023",
    message: isDefault ? `the default of the ${what} \`${d.name.name}\` lies outside its declared range` : `the value of the ${d.declKind} \`${d.name.name}\` lies outside its declared bounds`,
    span: d.init.span,
    label: where,
    related: [{ span: d.bounds.span, label: isDefault ? "the declared range" : "the declared bounds" }],
    notes: [
      isDefault
        ? "a call that omits the value uses its default, and the proofs of convexity and of lb <= ub assume the declared range"
        : "declared bounds are checked, not trusted: the proofs of convexity and of lb <= ub use them",
    ],
    help: isDefault ? "change the default to a value inside the range, or widen the range" : "change the value or the bounds",
    edits: editable ? [{ span: d.init.span, newText: literal, title: `use \`${literal}\`, the nearest value inside the ${isDefault ? "range" : "bounds"}` }] : undefined,
  });
}

/**
 * lb <= ub element-wise, by interval arithmetic when they depend on learnables or runtime values.
 * Proven: fine. Violated for every admissible value: MPC4007. Not provable: MPC4008 (a warning) on
 * a soft constraint (its slack keeps the QP feasible), MPC4024 (an error) on a hard one.
 */
function checkOrdered(ctx: Ctx, view: Ctx, lo: Expr, hi: Expr, span: Span, what: string, at: Span, hard: boolean): void {
  const a = intervalOf(view, lo);
  const b = intervalOf(view, hi);
  if (!a || !b) return;
  const sa = a.lo.length === 1;
  const sb = b.lo.length === 1;
  if (!sa && !sb && a.lo.length !== b.lo.length) return;
  const n = Math.max(a.lo.length, b.lo.length);
  const cols = sa ? b.cols : a.cols;
  const rows = sa ? b.rows : a.rows;
  const unproven: number[] = [];
  for (let i = 0; i < n; i++) {
    const [al, ah] = [a.lo[sa ? 0 : i], a.hi[sa ? 0 : i]];
    const [bl, bh] = [b.lo[sb ? 0 : i], b.hi[sb ? 0 : i]];
    if (ah <= bl) continue;
    if (al > bh) {
      const exact = al === ah && bl === bh;
      ctx.report({
        severity: "error",
        code: "MPC4007",
        message: `${what}: the lower bound exceeds the upper bound${exact ? "" : " for every value of the learnable parameters"}`,
        span: at,
        label: `element ${elementName(i, rows, cols)}: ${exact ? fmt(al) : `at least ${fmt(al)}`} > ${exact ? fmt(bh) : `at most ${fmt(bh)}`}`,
        related: [
          { span: lo.span, label: "lower bound" },
          { span: hi.span, label: "upper bound" },
        ],
        help: "swap the bounds or fix the values",
      });
      return;
    }
    unproven.push(i);
  }
  if (unproven.length === 0) return;
  const i = unproven[0];
  const learnable = Boolean(ctx.classOf(lo.id)?.learnable || ctx.classOf(hi.id)?.learnable);
  // (an unbounded box ranges up to the runtime's limit, +-1e20)
  const infinite = [a.lo[sa ? 0 : i], a.hi[sa ? 0 : i], b.lo[sb ? 0 : i], b.hi[sb ? 0 : i]].some((x) => !(Math.abs(x) < RUNTIME_LIMIT));
  const who = learnable ? "learnable parameters" : ctx.classOf(lo.id)?.runtime || ctx.classOf(hi.id)?.runtime ? "runtime values" : "stages";
  ctx.report({
    severity: hard ? "error" : "warning",
    code: hard ? "MPC4024" : "MPC4008",
    message: `${what}: lb <= ub cannot be proven for every value of the ${who}${hard ? ", and the constraint is hard" : ""}`,
    span: at,
    label: `element${unproven.length > 1 ? "s" : ""} ${unproven.map((j) => elementName(j, rows, cols)).join(", ")}`,
    related: [
      { span: lo.span, label: `lower bound in [${fmt(a.lo[sa ? 0 : i])}, ${fmt(a.hi[sa ? 0 : i])}]` },
      { span: hi.span, label: `upper bound in [${fmt(b.lo[sb ? 0 : i])}, ${fmt(b.hi[sb ? 0 : i])}]` },
    ],
    notes: hard ? ["a hard constraint with lb > ub makes the QP infeasible: what cannot be proven is rejected (make it `soft` to accept a warning instead)"] : undefined,
    help: !learnable
      ? "declare the range of the runtime values (`runtime r = 0 in [lo, hi]`) so that lb <= ub can be proven"
      : infinite
      ? "give the learnable offsets bounds (`learnable x_lb[2] = 0 in [-0.5, 0.5]`) so that the check can prove it"
      : "tighten the bounds of the learnable offsets so that the intervals do not overlap",
  });
}

function missingPenalty(ctx: Ctx, c: Constraint): void {
  ctx.report({
    severity: "error",
    code: "MPC4017",
    message: "a soft constraint needs a penalty on its slack",
    span: c.span,
    label: "no penalty",
    help: "add `penalty linear w` and/or `penalty quadratic w`",
  });
}

/**
 * Which entries of a constraint side involve no state or input (true: none does): all of them when
 * the side is free of decision variables (degree 0); for an affine side, the entries whose interval
 * is finite and the same with every state and input at 0 and in [-1, 1] (`withZeroVariables`: `0*x`,
 * a zero row of `A*x`); none is claimed otherwise (`x - x`, a nonlinear side: the compiler's row
 * tells, MPC4601 in a linear controller).
 */
function freeEntries(view: Ctx, aff: Affinity, e: Expr): boolean[] | undefined {
  const deg = aff.of(e).deg;
  if (deg === 0) return undefined;
  if (deg > 1 || everyEntryVaries(view, aff, e)) return [];
  const zero = intervalOf(withZeroVariables(view), e);
  const unit = intervalOf(withUnitVariables(view), e);
  if (!zero || !unit || zero.lo.length !== unit.lo.length) return [];
  const finite = (a: IMat, i: number): boolean => Number.isFinite(a.lo[i]) && Number.isFinite(a.hi[i]);
  return zero.lo.map((_, i) => finite(zero, i) && finite(unit, i) && zero.lo[i] === unit.lo[i] && zero.hi[i] === unit.hi[i]);
}

/**
 * Whether every entry of `e` surely involves a state or input, read off its form (no intervals: most
 * constraint sides): a state or input itself, an entry of one, its transpose or negation, or one
 * of those plus or minus something free of them (no cancellation is possible then).
 */
function everyEntryVaries(view: Ctx, aff: Affinity, e: Expr): boolean {
  switch (e.kind) {
    case "Name":
      return view.resolution.get(e.id)?.isDecisionVar === true;
    case "Index":
      return e.target.kind === "Name" && view.resolution.get(e.target.id)?.isDecisionVar === true;
    case "Paren":
      return everyEntryVaries(view, aff, e.inner);
    case "Unary":
      return e.op === "-" && everyEntryVaries(view, aff, e.operand);
    case "Transpose":
      return everyEntryVaries(view, aff, e.operand);
    case "Binary":
      if (e.op !== "+" && e.op !== "-") return false;
      return (aff.of(e.right).deg === 0 && everyEntryVaries(view, aff, e.left)) || (aff.of(e.left).deg === 0 && everyEntryVaries(view, aff, e.right));
    default:
      return false;
  }
}

/**
 * A relation of a controller's constraint between two sides that involve no state or input, at some
 * entry (`p <= 1` with a `param`, `th <= 1` with a learnable, `0*x >= 1`): the controller decides
 * nothing there. One verdict for linear and nonlinear controllers, hard and soft (a linear MPC has
 * no row for it, its lowering refused it with MPC4601; a nonlinear one made a row with a zero
 * Jacobian, infeasible or without effect): never true for any admissible value -> MPC4007 (the
 * constraint is infeasible); on learnables or runtime values -> MPC4016 (it constrains no decision
 * variable: a learnable's range is its box); else it always holds -> MPC4016 (it has no effect).
 * Judged on `view` (the constraint's stages), where a variable-free side's interval is its value's.
 * Returns whether it reported.
 */
function variableFreeRelation(ctx: Ctx, view: Ctx, aff: Affinity, c: Constraint): boolean {
  const ops = c.operands;
  const free = ops.map((o) => freeEntries(view, aff, o));
  const at = (j: number, i: number): boolean => {
    const f = free[j];
    return f === undefined || (f.length === 1 ? f[0] : f[i] === true);
  };
  // (the sides' intervals only where a relation may be free: most constraints name a variable)
  const n = Math.max(1, ...free.map((f) => f?.length ?? 1), ...ops.map((o) => (aff.of(o).deg === 0 ? (ctx.shapes.get(o.id)?.rows ?? 1) * (ctx.shapes.get(o.id)?.cols ?? 1) : 1)));
  if (!c.ops.some((_, j) => Array.from({ length: n }, (_, i) => i).some((i) => at(j, i) && at(j + 1, i)))) return false;
  const zero = withZeroVariables(view);
  const iv = ops.map((o) => intervalOf(zero, o));
  let hit: { j: number; i: number } | undefined;
  let never: { j: number; i: number; a: [number, number]; b: [number, number] } | undefined;
  // a free relation not proven to hold for every admissible value (and stage)
  let maybe: { j: number; i: number } | undefined;
  for (let j = 0; j < c.ops.length && !never; j++) {
    const [a, b] = [iv[j], iv[j + 1]];
    for (let i = 0; i < n && !never; i++) {
      if (!at(j, i) || !at(j + 1, i)) continue;
      hit ??= { j, i };
      if (!a || !b) {
        maybe ??= { j, i };
        continue;
      }
      const ia: [number, number] = [a.lo[a.lo.length === 1 ? 0 : i], a.hi[a.lo.length === 1 ? 0 : i]];
      const ib: [number, number] = [b.lo[b.lo.length === 1 ? 0 : i], b.hi[b.lo.length === 1 ? 0 : i]];
      const op = c.ops[j];
      const fails = op === "<=" ? ia[0] > ib[1] : op === ">=" ? ia[1] < ib[0] : ia[0] > ib[1] || ia[1] < ib[0];
      const holds = op === "<=" ? ia[1] <= ib[0] : op === ">=" ? ia[0] >= ib[1] : ia[0] === ia[1] && ib[0] === ib[1] && ia[0] === ib[0];
      if (fails) never = { j, i, a: ia, b: ib };
      else if (!holds) maybe ??= { j, i };
    }
  }
  if (!hit) return false;
  const { j, i } = never ?? maybe ?? hit;
  const [l, r] = [ops[j], ops[j + 1]];
  const rel = `\`${ctx.src(l.span)} ${c.ops[j]} ${ctx.src(r.span)}\``;
  const entry = n > 1 ? ` (entry ${i})` : "";
  const span: Span = { ...l.span, end: r.span.end, endLine: r.span.endLine, endColumn: r.span.endColumn };
  const constant = (e: Expr): boolean => evalExpr(ctx, e) !== undefined;
  const decisionNote = "the controller decides states and inputs: a relation between sides free of them is a fact about the data, not a constraint it can enforce";
  if (never) {
    const exact = never.a[0] === never.a[1] && never.b[0] === never.b[1];
    ctx.report({
      severity: "error",
      code: "MPC4007",
      message: `this constraint can never hold: ${rel}${entry} is false${exact ? "" : " for every admissible value"}, and it involves no state or input`,
      span,
      label: exact ? `${fmt(never.a[0])} ${c.ops[j]} ${fmt(never.b[0])} is false` : `the sides range over [${fmt(never.a[0])}, ${fmt(never.a[1])}] and [${fmt(never.b[0])}, ${fmt(never.b[1])}]`,
      notes: [decisionNote, c.soft ? "its slack would be positive at every solution: a constant penalty, whatever the controller decides" : "a hard constraint that never holds makes every QP infeasible"],
      help: "fix the values, or constrain a state or an input",
    });
    return true;
  }
  const params = [l, r].some((e) => !constant(e) && (ctx.classOf(e.id)?.learnable || ctx.classOf(e.id)?.runtime));
  const learnable = [l, r].some((e) => ctx.classOf(e.id)?.learnable);
  const what = maybe
    ? params
      ? `constrains only ${learnable ? "learnable parameters" : "runtime values"}`
      : "does not hold at every stage it applies at, and no decision can make it hold there"
    : "always holds, so it has no effect";
  ctx.report({
    severity: "error",
    code: "MPC4016",
    message: `this constraint involves no state or input: ${rel}${entry} ${what}`,
    span,
    label: "no state or input on either side",
    notes: [decisionNote],
    help:
      maybe && params
        ? learnable
          ? "keep a learnable in a range with its box (e.g. `learnable th = 0.5 in [0, 1]`): training never leaves it; otherwise remove the constraint"
          : "a runtime value's range is its declaration (e.g. `runtime r = 0 in [lo, hi]`), checked at each call; otherwise remove the constraint"
        : "remove the constraint, or constrain a state or an input",
  });
  return true;
}

/** Inputs exist at stages 0..N-1 only: nothing at stage N may use them (MPC4018). `prev(u)` may:
 *  at stage N it is u_{N-1} (stages.ts). */
function noInputAtN(ctx: Ctx, e: Expr, where: string, help: string): boolean {
  const hit = inputIn(ctx, e, false);
  if (!hit) return true;
  ctx.report({
    severity: "error",
    code: "MPC4018",
    message: `${where} is evaluated at stage N, where there is no input`,
    span: hit.span,
    label:
      hit.kind === "Name" && ctx.resolution.get(hit.id)?.kind === "let"
        ? `\`${ctx.src(hit.span)}\` uses an input, which exists at stages 0..N-1 only`
        : `\`${ctx.src(hit.span)}\` exists at stages 0..N-1 only`,
    help,
  });
  return false;
}

/**
 * MPC4016 (an error): a constraint of a controller that applies at stage 0 and reads the states and
 * inputs only through `prev(u)`: at stage 0 `prev(u)` is the runtime value `prev_<u>` (the input
 * applied at the last step, given at each call), so there the constraint bounds a value the
 * controller does not decide. A linear MPC has no row to put it in (its lowering refused it:
 * "does not involve any decision variable"); a nonlinear one made it a row on the pinned carried
 * state, infeasible (or, soft, a constant penalty) whenever the value given violates it, e.g. an
 * explored input. One verdict for both: rejected, with the range started at 1 as the fix (what
 * `prev(u)` bounds from stage 1 on are the inputs u_0, u_1, ... the controller decides).
 * Returns whether it reported.
 */
function checkPrevAtStage0(ctx: Ctx, aff: Affinity, c: Constraint, node: ControllerBlock, horizon: number | undefined): boolean {
  if (c.terminal || c.ops.length === 0 || c.operands.every((o) => aff.of(o).deg === 0)) return false;
  const scope = ctx.blocks.find((b) => b.node === node);
  const stages = scope ? stagesOf(ctx, { block: scope, role: "constraint", stmt: c }) : undefined;
  if (!stages || stages[0] !== 0) return false;
  if (c.operands.some((o) => readsVariableBesidesPrev(ctx, o))) return false;
  const prev = c.operands.map((o) => stageDependence(ctx, o, "prev")).find((p) => p !== undefined);
  if (!prev || prev.kind !== "Call") return false;
  const arg = prev.args[0]?.value;
  const u = arg?.kind === "Name" ? arg.name : "u";
  const p = ctx.src(prev.span);
  // the fix: the range from 1 (an explicit `for k in 0..b` with b >= 1; the default 0..N-1 written
  // as `for k in 1..N-1` when N >= 2); a constraint at stage 0 alone has none
  let edit: SuggestedEdit | undefined;
  if (c.range && stages[1] >= 1) edit = { span: c.range.from.span, newText: "1", title: "start the range at stage 1" };
  else if (!c.range && horizon !== undefined && horizon >= 2) {
    const last = c.operands[c.operands.length - 1];
    edit = { span: endOf(last.span), newText: " for k in 1..N-1", title: "apply it from stage 1 (`for k in 1..N-1`)" };
  }
  const inLet = !(prev.span.start >= c.span.start && prev.span.end <= c.span.end);
  const given = `at stage 0 the input applied at the last step, given at each call${inLet ? " (used through a `let`)" : ""}`;
  // at the range's start (the prev call related), else at the prev call (or the constraint, when
  // the call is inside a let)
  const [span, label, related] = c.range
    ? [c.range.from.span, "the range starts at stage 0", [{ span: prev.span, label: given }]]
    : inLet
      ? [c.span, "applies at stages 0..N-1 (it reads an input through `prev`)", [{ span: prev.span, label: given }]]
      : [prev.span, `${given}; the constraint applies at stages 0..N-1`, undefined];
  ctx.report({
    severity: "error",
    code: "MPC4016",
    message: `this constraint involves no decision variable at stage 0: \`${p}\` there is the runtime value \`prev_${u}\``,
    span,
    label,
    related,
    notes: [
      `\`${p}\` at stage k is ${u}_{k-1}, an input the controller decides, for k >= 1; at stage 0 it is \`prev_${u}\`, a value the controller is given: a constraint on it alone cannot be enforced (a linear MPC has no row for it; a nonlinear one would be infeasible whenever the value given violates it)`,
    ],
    help: c.range
      ? stages[1] >= 1
        ? `start the range at 1: \`for k in 1..${ctx.src(c.range.to.span)}\``
        : "it applies at stage 0 alone: remove it, or bound the inputs the controller decides (`u`, or `prev(u)` from stage 1)"
      : `apply it from stage 1: \`for k in 1..N-1\` (the same inputs ${u}_0..${u}_{N-2}; \`1..N\` also bounds ${u}_{N-1})`,
    edits: edit ? [edit] : undefined,
  });
  return true;
}

/** `view`: the run with the stage index over the stages the constraint applies at (stages.ts). */
function checkConstraint(ctx: Ctx, view: Ctx, aff: Affinity, c: Constraint, horizon: number | undefined, isController: boolean): void {
  if (isController && c.terminal) {
    for (const o of c.operands) if (!noInputAtN(ctx, o, "a terminal constraint", "constrain the input over `for k in 0..N-1` instead")) break;
  }
  const ops = c.operands;
  // A relation between two sides free of states and inputs (MPC4016/MPC4007), instead of lb <= ub
  const variableFree = isController && c.ops.length > 0 && variableFreeRelation(ctx, view, aff, c);
  // Pairs of sides free of decision variables must be ordered (lb <= ub).
  for (let i = 0; i < ops.length && !variableFree; i++) {
    for (let j = i + 1; j < ops.length; j++) {
      if (aff.of(ops[i]).deg !== 0 || aff.of(ops[j]).deg !== 0) continue;
      // `==` implies both `<=` and `>=`: `a <= u[0] == 0` needs a <= 0 (every consistent pair is checked).
      const between = c.ops.slice(i, j);
      const hard = !c.soft;
      if (between.every((o) => o === "<=" || o === "==")) checkOrdered(ctx, view, ops[i], ops[j], c.span, "this constraint", c.opSpans[i] ?? c.span, hard);
      if (between.every((o) => o === ">=" || o === "==")) checkOrdered(ctx, view, ops[j], ops[i], c.span, "this constraint", c.opSpans[i] ?? c.span, hard);
    }
  }
  if (c.soft && !c.penalty) missingPenalty(ctx, c);
  if (!c.soft && c.penalty) {
    ctx.report({
      severity: "error",
      code: "MPC4017",
      message: "a penalty is given but the constraint is not soft",
      span: c.penalty.span,
      label: "penalty of a hard constraint",
      help: "write `soft` before the constraint to give it a slack",
      edits: [{ span: { ...c.span, end: c.span.start, endLine: c.span.startLine, endColumn: c.span.startColumn }, newText: "soft ", title: "make the constraint soft" }],
    });
  }
  for (const w of [c.penalty?.linear, c.penalty?.quadratic]) {
    if (!w || aff.of(w).deg > 0) continue;
    const s = signOf(view, w);
    if (s === "nonneg" || s === "zero") continue;
    const v = evalExpr(ctx, w);
    const iv = hullOf(view, w);
    const wsym = w.kind === "Name" ? ctx.resolution.get(w.id) : undefined;
    const plain = wsym?.kind === "learnable" && !wsym.structure;
    const plainDecl = plain && wsym ? declOf(wsym) : undefined;
    ctx.report({
      severity: "error",
      code: "MPC4009",
      message: v ? "a slack penalty must be nonnegative" : "a slack penalty must be provably nonnegative",
      span: w.span,
      label: v ? `this is ${v.data.length === 1 ? fmt(v.data[0]) : "negative somewhere"}` : iv ? `may be negative: it ranges over [${fmt(iv[0])}, ${fmt(iv[1])}] for the admissible learnables and stages` : "may be negative",
      help: v
        ? "a negative penalty rewards violating the constraint"
        : plain
          ? `give the learnable weight a nonnegative lower bound: \`in [0, inf]\`${wsym && !startsNonnegative(ctx, wsym) ? ", and an initial value inside it" : ""}`
          : "bound the learnables it uses so that it is >= 0 over their boxes (the box of a `psd` learnable bounds its factor L, not P = L*L')",
      // (only when the learnable starts at a value >= 0: else the new bound excludes it, MPC4014)
      edits: plainDecl && !plainDecl.bounds && wsym && startsNonnegative(ctx, wsym) ? [{ span: endOf(plainDecl.span), newText: " in [0, inf]", title: "bound the weight below by 0" }] : undefined,
    });
  }
  if (c.range) {
    const { from, to } = c.range;
    const a = constInt(ctx, from);
    const b = constInt(ctx, to);
    // (an error inside the end, a name not allowed there (MPC2012), explains it already)
    const bad = (x: Expr, msg: string): void => {
      if (ctx.diagnostics.some((d) => d.severity === "error" && d.span.start >= x.span.start && d.span.end <= x.span.end)) return;
      ctx.report({ severity: "error", code: "MPC4015", message: msg, span: x.span, label: "invalid stage", help: horizon !== undefined ? `stages go from 0 to N = ${horizon}` : undefined });
    };
    if (c.terminal) {
      ctx.report({
        severity: "error",
        code: "MPC4015",
        message: "a terminal constraint applies at stage N only: it takes no stage range",
        span: c.range.span,
        help: "remove `terminal` or the range",
      });
    } else if (a === undefined) bad(from, "a stage range must start at a constant integer");
    else if (b === undefined) bad(to, "a stage range must end at a constant integer");
    else if (a < 0) bad(from, `a stage range cannot start before stage 0 (found ${a})`);
    else if (horizon !== undefined && b > horizon) bad(to, `a stage range cannot end after stage N = ${horizon} (found ${b})`);
    else if (a > b) bad(to, `this stage range is empty: ${a}..${b}`);
    else if (isController && horizon !== undefined && b === horizon) {
      for (const o of c.operands) if (!noInputAtN(ctx, o, "this constraint (its range ends at N)", "end the range at `N-1`")) break;
    }
  }
}

function settingValue(ctx: Ctx, s: ScalarSetting | undefined): number | undefined {
  if (!s) return undefined;
  if (!requireConstant(ctx, s.value, `\`${s.key}\``)) return undefined;
  return constScalar(ctx, s.value);
}

function checkController(ctx: Ctx, aff: Affinity, node: ControllerBlock): void {
  const settings = new Map<string, ScalarSetting>();
  for (const it of node.items) if (it.kind === "ScalarSetting" && !settings.has(it.key)) settings.set(it.key, it);
  const h = settings.get("horizon");
  if (!h) {
    ctx.report({
      severity: "error",
      code: "MPC4010",
      message: `the controller \`${node.name.name}\` has no horizon`,
      span: node.name.span,
      label: "no `horizon`",
      help: "add `horizon 10` (the number of stages)",
    });
  } else {
    const v = settingValue(ctx, h);
    if (v !== undefined && !(Number.isInteger(v) && v >= 1))
      ctx.report({ severity: "error", code: "MPC4010", message: `the horizon must be a positive integer, found ${fmt(v)}`, span: h.value.span, label: "not a positive integer" });
  }
  const g = settings.get("discount");
  if (g) {
    const v = settingValue(ctx, g);
    if (v !== undefined && !(v > 0 && v <= 1))
      ctx.report({
        severity: "error",
        code: "MPC4011",
        message: `the discount factor must satisfy 0 < discount <= 1, found ${fmt(v)}`,
        span: g.value.span,
        label: "out of range",
        help: "a discount of 1 means no discounting",
      });
  }
  checkTimestep(ctx, node, settings.get("timestep"));
  const objectives = node.items.filter((i) => i.kind === "Objective");
  if (objectives.length === 0) {
    ctx.report({
      severity: "error",
      code: "MPC4013",
      message: `the controller \`${node.name.name}\` has no objective`,
      span: node.name.span,
      label: "no `minimize`",
      help: "add `minimize stage quad(x, Q) + quad(u, R)`",
    });
  }
  for (const o of objectives.slice(1)) {
    ctx.report({
      severity: "error",
      code: "MPC4013",
      message: "a controller has exactly one objective",
      span: o.span,
      label: "second `minimize`",
      related: [{ span: objectives[0].span, label: "first objective" }],
      help: "join the terms into one `minimize` with `+`",
    });
  }
  const hasInput = node.items.some((i) => i.kind === "Decl" && i.declKind === "input");
  if (!hasInput) {
    ctx.report({
      severity: "error",
      code: "MPC4016",
      message: `the controller \`${node.name.name}\` has no input`,
      span: node.name.span,
      label: "nothing to decide",
      help: "declare the control input, e.g. `input u[1] in [-1, 1]`",
    });
  }
  const horizon = horizonOf(ctx, node.name.name);
  for (const it of node.items) {
    if (it.kind !== "Objective") continue;
    for (const t of it.terms) if (t.costKind === "terminal") noInputAtN(ctx, t.expr, "a terminal cost term", "move the input term to the `stage` cost");
  }
  const scope = ctx.blocks.find((b) => b.node === node);
  for (const it of node.items)
    if (it.kind === "SubjectTo")
      for (const c of it.constraints) {
        checkConstraint(ctx, scope ? stageView(ctx, { block: scope, role: "constraint", stmt: c }) : ctx, aff, c, horizon, true);
        checkPrevAtStage0(ctx, aff, c, node, horizon);
      }
  // a nonlinear MPC integrates continuous dynamics with rk4 or euler: zoh is exact only for linear
  // ones, and the nonlinear MPC's runtime has no zoh at all (compiler/lower/nlp.ts, integratorOf)
  if (nonlinearSolver(node)) {
    for (const it of node.items) {
      if (it.kind !== "Dynamics" || it.form !== "continuous" || it.method !== "zoh" || !it.methodSpan) continue;
      const linear = aff.of(it.rhs).deg <= 1;
      ctx.report({
        severity: "error",
        code: "MPC4012",
        message: linear ? "a nonlinear MPC integrates its dynamics with `rk4` or `euler`: `zoh` is for a linear MPC" : "`zoh` discretizes linear dynamics only, but these dynamics are nonlinear",
        span: it.methodSpan,
        label: linear ? "not available with `solver sqp|rti`" : "exact only for `der(x) = A*x + B*u + c`",
        notes: ["a nonlinear MPC integrates continuous dynamics over each timestep with an explicit Runge-Kutta scheme"],
        help: "integrate with `rk4` (optionally with substeps, e.g. `rk4(4)`) or `euler`",
        edits: [{ span: it.methodSpan, newText: "rk4", title: "integrate with rk4" }],
      });
    }
    checkOneDiscretization(ctx, node);
    for (const it of node.items) if (it.kind === "SubjectTo") for (const c of it.constraints) checkMixedPenalty(ctx, aff, c, node);
  }
}

/**
 * MPC2015 (red-team hole): a soft constraint of a nonlinear MPC with both a linear and a quadratic
 * penalty gives its slack the two weights as numbers (SoftConstraint's L1 and L2 weights,
 * compiler/lower/nlp.ts): the same numbers at every path stage 0..N-1 (those of the first stage the
 * constraint applies at; the terminal stage has its own), so they may not depend on learnables or
 * runtime values (that failed to compile) nor on the stage index (that was silently the first
 * stage's weight). One penalty kind alone may (it is folded into the row, or is the slack's own
 * weight).
 */
function checkMixedPenalty(ctx: Ctx, aff: Affinity, c: Constraint, node: ControllerBlock): void {
  const p = c.penalty;
  if (!c.soft || !p?.linear || !p.quadratic) return;
  // the path stages (0..N-1) the constraint applies at: the slack weights are taken at the first
  // (compiler/lower/nlp.ts, lowerNlpConstraint), so a weight that changes over them is refused
  const scope = ctx.blocks.find((b) => b.node === node);
  const stages = scope ? stagesOf(ctx, { block: scope, role: "penalty", stmt: c }) : undefined;
  const n = horizonOf(ctx, node.name.name);
  const pathStages = stages && n !== undefined ? Math.min(stages[1], n - 1) - stages[0] + 1 : 2;
  for (const [w, kind, other] of [
    [p.linear, "linear", "quadratic"],
    [p.quadratic, "quadratic", "linear"],
  ] as const) {
    const cls = aff.of(w);
    const k = cls.deg === 0 && pathStages > 1 ? stageDependence(ctx, w, "k") : undefined;
    if (k) {
      ctx.report({
        severity: "error",
        code: "MPC2015",
        message: `the ${kind} penalty weight \`${ctx.src(w.span)}\` depends on the stage index, but a nonlinear MPC needs one weight for every stage when a soft constraint has both a linear and a quadratic penalty`,
        span: w.span,
        label: "depends on the stage index `k`",
        related: k.span.start < w.span.start || k.span.end > w.span.end ? [{ span: k.span, label: "`k` is used here" }] : undefined,
        notes: ["with both penalties the slack carries the two weights as numbers, the same at every stage up to N-1 (the terminal stage has its own); a single penalty kind may depend on the stage, the learnables and the runtime values"],
        help: `keep the ${kind} penalty alone (remove \`${other} ${ctx.src((kind === "linear" ? p.quadratic : p.linear).span)}\`), or give both weights one value for every stage`,
      });
      continue;
    }
    if (cls.deg !== 0 || !(cls.learnable || cls.runtime)) continue;
    ctx.report({
      severity: "error",
      code: "MPC2015",
      message: `the ${kind} penalty weight \`${ctx.src(w.span)}\` depends on ${cls.learnable ? "a learnable parameter" : "a runtime value"}, but a nonlinear MPC needs constant weights when a soft constraint has both a linear and a quadratic penalty`,
      span: w.span,
      label: cls.learnable ? "depends on a learnable parameter" : "depends on a runtime value",
      notes: ["with both penalties the slack carries the two weights as numbers; a single penalty kind may depend on learnables and runtime values"],
      help: `keep the ${kind} penalty alone (remove \`${other} ${ctx.src((kind === "linear" ? p.quadratic : p.linear).span)}\`), or make both weights constants`,
    });
  }
}

/**
 * MPC4012 (red-team hole): a nonlinear MPC integrates all its states with one scheme (the OcpModel
 * has one integrator: compiler/lower/nlp.ts), so every dynamics equation must have the same form,
 * method and substep count (an equation without a count takes the first continuous one's, as the
 * compiler does). `x+ = ...` beside `der(y) = ... using rk4`, or rk4 beside euler, failed to compile.
 */
function checkOneDiscretization(ctx: Ctx, node: ControllerBlock): void {
  const dyn = node.items.filter((i): i is Extract<typeof i, { kind: "Dynamics" }> => i.kind === "Dynamics");
  const firstCont = dyn.find((d) => d.form === "continuous" && d.method);
  const text = (d: (typeof dyn)[number]): string => {
    if (d.form === "discrete") return "discrete (`x+ = ...`)";
    const n = d.substeps ?? firstCont?.substeps ?? 1;
    return `\`using ${d.method ?? "rk4"}${n > 1 ? `(${n})` : ""}\``;
  };
  const first = dyn[0];
  if (!first) return;
  for (const d of dyn.slice(1)) {
    if (text(d) === text(first)) continue;
    const bothCont = d.form === "continuous" && first.form === "continuous" && d.methodSpan !== undefined;
    const edit = bothCont ? text(first).slice(7, -1) : undefined;
    ctx.report({
      severity: "error",
      code: "MPC4012",
      message: `every state of a nonlinear MPC needs the same discretization, but \`${first.target.name}\` is ${text(first)} and \`${d.target.name}\` is ${text(d)}`,
      span: d.methodSpan && bothCont ? { ...d.methodSpan, end: d.span.end, endLine: d.span.endLine, endColumn: d.span.endColumn } : d.span,
      label: `integrated differently from \`${first.target.name}\``,
      related: [{ span: first.methodSpan ?? first.span, label: "the first dynamics equation" }],
      notes: ["the solver integrates the whole state vector with one scheme over each timestep (multiple shooting)"],
      help: bothCont
        ? `integrate every state the same way: \`using ${edit}\``
        : "write every dynamics equation in one form: all continuous (`der(x) = ... using rk4`) or all discrete (`x+ = ...`)",
      edits: bothCont && edit ? [{ span: { ...d.methodSpan!, end: d.span.end, endLine: d.span.endLine, endColumn: d.span.endColumn }, newText: edit, title: `integrate with ${edit}` }] : undefined,
    });
  }
}

function checkTimestep(ctx: Ctx, node: ControllerBlock | PlantBlock, ts: ScalarSetting | undefined): void {
  const nonlinear = node.kind === "Controller" && nonlinearSolver(node) !== undefined;
  const continuous = node.items.filter((i) => i.kind === "Dynamics" && i.form === "continuous");
  const dt = ts ? settingValue(ctx, ts) : undefined;
  if (ts && dt !== undefined && !(dt > 0))
    ctx.report({ severity: "error", code: "MPC4012", message: `the timestep must be positive, found ${fmt(dt)}`, span: ts.value.span, label: "not positive" });
  for (const d of continuous) {
    if (d.kind !== "Dynamics") continue;
    if (!ts) {
      ctx.report({
        severity: "error",
        code: "MPC4012",
        message: "continuous-time dynamics need a `timestep`",
        span: d.span,
        label: `\`der(${d.target.name})\` needs a sampling time`,
        help: "add `timestep 0.1` (seconds per step) to the block",
      });
    }
    // (a method written but unknown, `using rk5`, is the parser's MPC1018, with its own fix)
    if (!d.method && !d.methodSpan) {
      const end = { ...d.span, start: d.span.end, startLine: d.span.endLine, startColumn: d.span.endColumn };
      // a nonlinear MPC integrates with rk4 or euler (`zoh` there is the other MPC4012)
      ctx.report({
        severity: "error",
        code: "MPC4012",
        message: "continuous-time dynamics need a discretization method",
        span: d.span,
        label: "no `using ...`",
        help: nonlinear
          ? "append `using rk4` or `using euler` (a nonlinear MPC integrates over each timestep; `zoh` is for a linear MPC)"
          : "append `using zoh` (exact for linear dynamics), `using rk4` or `using euler`",
        edits: [nonlinear ? { span: end, newText: " using rk4", title: "integrate with rk4" } : { span: end, newText: " using zoh", title: "discretize with zero-order hold" }],
      });
    }
  }
  // substeps are integrated by the nonlinear MPC's runtime only (runtime/nmpc): elsewhere one step
  // per timestep would be silently used, so a count > 1 is rejected instead
  for (const d of node.items) {
    if (d.kind !== "Dynamics" || d.substeps === undefined || d.substeps <= 1 || nonlinear || !d.substepsExpr) continue;
    ctx.report({
      severity: "error",
      code: "MPC4012",
      message: `a substep count applies only to a nonlinear controller (\`solver sqp|rti\`), not to ${node.kind === "Controller" ? "a linear controller" : "a plant"}`,
      span: d.substepsExpr.span,
      label: `${d.method ?? "the method"} takes one step per timestep here`,
      notes: ["`using rk4(n)` integrates each timestep with n steps of length timestep/n in a nonlinear MPC"],
      help: node.kind === "Controller" ? "remove the count, or declare `solver sqp` (nonlinear MPC)" : "remove the count, or use a smaller `timestep`",
    });
  }
  for (const d of node.items) {
    if (d.kind === "Dynamics" && d.form === "discrete" && d.method) {
      ctx.report({
        severity: "error",
        code: "MPC4012",
        message: "`using` applies only to continuous dynamics `der(x) = ...`",
        span: d.methodSpan ?? d.span,
        label: "discrete dynamics need no discretization",
        help: `remove \`using ${d.method}\`, or write \`der(${d.target.name}) = ...\``,
      });
    }
  }
  if (ts && continuous.length === 0 && node.kind === "Controller") {
    ctx.report({
      severity: "warning",
      code: "MPC4012",
      message: "`timestep` is given but every dynamics equation is discrete",
      span: ts.keywordSpan,
      label: "unused",
      help: "remove it, or write continuous dynamics `der(x) = ... using zoh`",
    });
  }
}

function checkPlant(ctx: Ctx, node: PlantBlock): void {
  for (const it of node.items) {
    if (it.kind !== "Decl") continue;
    if (it.declKind === "state" && !it.init) {
      ctx.report({
        severity: "error",
        code: "MPC5009",
        message: `the plant state \`${it.name.name}\` needs an initial value`,
        span: it.name.span,
        label: "no initial value",
        help: `write \`state ${it.name.name}${it.dims ? "[...]" : ""} = ...\`; random initial states are allowed: \`uniform(-1, 1)\``,
      });
    }
    if (it.declKind === "disturbance" && !it.init) {
      ctx.report({
        severity: "error",
        code: "MPC5012",
        message: `the plant disturbance \`${it.name.name}\` needs a value to sample`,
        span: it.name.span,
        label: "no distribution",
        help: "write e.g. `= normal(0, 0.1)` or `= uniform(-0.1, 0)`",
      });
    }
  }
  const costs = node.items.filter((i) => i.kind === "PlantCost");
  if (costs.length === 0) {
    ctx.report({
      severity: "error",
      code: "MPC5010",
      message: `the plant \`${node.name.name}\` has no cost or reward`,
      span: node.name.span,
      label: "nothing to learn from",
      help: "add `cost <expr>` (or `reward <expr>`) evaluated at each step",
    });
  }
  for (const c of costs.slice(1)) {
    ctx.report({
      severity: "error",
      code: "MPC5010",
      message: "a plant has one `cost` or `reward`",
      span: c.span,
      label: "second one",
      related: [{ span: costs[0].span, label: "first one" }],
    });
  }
  const settings = node.items.filter((i): i is ScalarSetting => i.kind === "ScalarSetting");
  const ep = settings.find((s) => s.key === "episode");
  if (ep) {
    const v = settingValue(ctx, ep);
    if (v !== undefined && !(Number.isInteger(v) && v >= 1))
      ctx.report({ severity: "error", code: "MPC5011", message: `the episode length must be a positive integer, found ${fmt(v)}`, span: ep.value.span, label: "not a positive integer" });
  }
  checkTimestep(
    ctx,
    node,
    settings.find((s) => s.key === "timestep"),
  );
}

export function checkConsistency(ctx: Ctx, aff: Affinity): void {
  checkDomains(
    ctx,
    aff,
    ctx.diagnostics.filter((d) => d.severity === "error"),
  );
  for (const item of ctx.program.items) {
    if (item.kind === "Decl") checkDecl(ctx, aff, item);
    else if (item.kind === "Controller" || item.kind === "Plant") {
      for (const it of item.items) if (it.kind === "Decl") checkDecl(ctx, aff, it);
      if (item.kind === "Controller") checkController(ctx, aff, item);
      else {
        checkPlant(ctx, item);
        for (const it of item.items) if (it.kind === "SubjectTo") for (const c of it.constraints) checkConstraint(ctx, ctx, aff, c, undefined, false);
      }
    }
  }
}
