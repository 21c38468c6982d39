// Diagnostics of the controller's QP structure, from the classes computed in affinity.ts:
// affine dynamics/constraints (MPC4001), convex cost (MPC4002, MPC4003 for learnable weights that
// are not PSD by construction), no nonlinear functions of decision variables (MPC4004), the DPP
// rule for learnables (MPC4005), penalty weights and bounds free of decision variables (MPC4006),
// a quadratic term scaled by a factor of unknown sign (MPC4019), an off-diagonal entry of a
// quadratic matrix expression (MPC4020). What cannot be proven is rejected (docs/soundness.md).

import { children, type Expr } from "../ast.js";
import type { SuggestedEdit } from "../diagnostics.js";
import { builtinFunction } from "./builtins.js";
import { Ctx, Sym, isScalar, type Root } from "./context.js";
import { startsNonnegative } from "./const_eval.js";
import { Affinity, type Cls } from "./affinity.js";
import { declOf } from "./scope.js";
import { hullOf } from "./interval.js";
import { fmt } from "./affinity.js";
import type { ControllerBlock, Constraint, CostTerm } from "../ast.js";
import { addends, classifyControllers, gaussNewtonForm, nonlinearSolver, nonSmooth, solverItem, type NonlinearSolver } from "./nlp.js";
import { stageDependence, stageView } from "./stages.js";

const QP_NOTE = "the controller must be a convex QP: dynamics and constraints affine, the cost convex quadratic";
const PLANT_NOTE = "the plant block may be nonlinear: it is only simulated";

/** The deepest node satisfying `bad` whose children do not (the term to point at). */
function culprit(e: Expr, bad: (x: Expr) => boolean, skip?: (x: Expr) => boolean): Expr | undefined {
  if (!bad(e) || skip?.(e)) return undefined;
  for (const c of children(e)) {
    const inner = culprit(c, bad, skip);
    if (inner) return inner;
  }
  return e;
}

/** The first decision variable (state or input) referenced in an expression, following lets. */
const letVar = new WeakMap<Ctx, Map<Sym, string | null>>();

function decisionVar(ctx: Ctx, e: Expr): string | undefined {
  if (e.kind === "Name") {
    const s = ctx.resolution.get(e.id);
    if (s?.isDecisionVar) return s.name;
    if (s?.kind === "let" && s.decl?.kind === "Let") {
      // memoised per let: a chain of lets is walked once
      let memo = letVar.get(ctx);
      if (!memo) letVar.set(ctx, (memo = new Map()));
      let v = memo.get(s);
      if (v === undefined) {
        memo.set(s, null);
        v = decisionVar(ctx, s.decl.value) ?? null;
        memo.set(s, v);
      }
      return v ?? undefined;
    }
    return undefined;
  }
  if (e.kind === "Call" && e.callee.name === "prev") {
    const a = e.args[0]?.value;
    return a && a.kind === "Name" ? `prev(${a.name})` : undefined;
  }
  for (const c of children(e)) {
    const v = decisionVar(ctx, c);
    if (v) return v;
  }
  return undefined;
}

const WHERE: Partial<Record<Root["role"], string>> = {
  dynamics: "the dynamics",
  constraint: "a constraint",
  bound: "a bound",
  penalty: "a penalty weight",
};

const SQP_NOTE = "with `solver sqp` the controller is a nonlinear MPC (solved by sequential quadratic programming): smooth dynamics and constraints are allowed";

/** A suggestion to declare `solver sqp` in a linear controller whose culprit is smooth. */
interface SqpHint {
  readonly edits?: SuggestedEdit[];
  /** The solver the edits declare: `sqp`, or `sqp(hessian = exact)` for a general smooth cost term. */
  readonly method: string;
}

/**
 * What a linear controller's block holds that a nonlinear MPC refuses although a linear one accepts
 * it, so that declaring `solver sqp` would bring a new error (then the hint has no edit, only its
 * help): dynamics that differ between stages (`k` through a let, a disturbance forecast: a
 * nonlinear MPC evaluates its dynamics once, names.ts, MPC2012) and a soft constraint with both
 * penalties whose weights move with learnables, runtime values or the stage (consistency.ts, MPC2015).
 */
function sqpRefuses(ctx: Ctx, aff: Affinity, block: ControllerBlock): boolean {
  for (const it of block.items) {
    if (it.kind === "Dynamics" && (stageDependence(ctx, it.rhs, "k") || stageDependence(ctx, it.rhs, "disturbance"))) return true;
    if (it.kind !== "SubjectTo") continue;
    for (const c of it.constraints) {
      const p = c.penalty;
      if (!c.soft || !p?.linear || !p.quadratic) continue;
      for (const w of [p.linear, p.quadratic]) {
        const cls = aff.of(w);
        if (cls.learnable || cls.runtime || stageDependence(ctx, w, "k")) return true;
      }
    }
  }
  return false;
}

/**
 * Declares `solver sqp` (or `solver sqp(hessian = exact)`, `exact`) in a linear controller: as the
 * block's first item, or in place of the method of its `solver qp` (a second `solver` is MPC2014);
 * with `using zoh` of continuous dynamics (and a missing method) made `rk4`, since a nonlinear MPC
 * integrates with Runge-Kutta (MPC4012). No edits where the nonlinear MPC would refuse something
 * the block holds (`sqpRefuses`).
 */
function sqpHint(ctx: Ctx, aff: Affinity, block: ControllerBlock, exact = false): SqpHint {
  const method = exact ? "sqp(hessian = exact)" : "sqp";
  const title = `declare \`solver ${method}\` (nonlinear MPC)`;
  const first = block.items[0];
  if (!first || sqpRefuses(ctx, aff, block)) return { method };
  const solver = solverItem(block);
  const edits: SuggestedEdit[] = [];
  if (solver) edits.push({ span: { ...solver.methodSpan, end: solver.span.end, endLine: solver.span.endLine, endColumn: solver.span.endColumn }, newText: method, title });
  else {
    const at = { ...first.span, end: first.span.start, endLine: first.span.startLine, endColumn: first.span.startColumn };
    edits.push({ span: at, newText: `solver ${method}\n${" ".repeat(Math.max(0, first.span.startColumn - 1))}`, title });
  }
  for (const it of block.items) {
    if (it.kind !== "Dynamics" || it.form !== "continuous") continue;
    if (it.method === "zoh" && it.methodSpan) edits.push({ span: it.methodSpan, newText: "rk4", title: "integrate with rk4" });
    else if (!it.method && !it.methodSpan) edits.push({ span: { ...it.span, start: it.span.end, startLine: it.span.endLine, startColumn: it.span.endColumn }, newText: " using rk4", title: "integrate with rk4" });
  }
  return { edits, method };
}

/**
 * How a cost term of degree > 2 of a linear controller would be accepted by a nonlinear MPC:
 * "gauss_newton" when every addend of degree > 2 is a least-squares form `c*sumsq(r)`, "exact" when
 * some is a general smooth term (accepted only with `hessian exact`); undefined when a quadratic
 * addend is not convex (it stays an error: no fix).
 */
function costUnderSqp(ctx: Ctx, aff: Affinity, root: Root): "gauss_newton" | "exact" | undefined {
  let exact = false;
  for (const { expr, negated } of addends(root.expr)) {
    const c = aff.of(expr);
    if (c.deg === 2 && !((!negated && c.curv === "convex") || (negated && c.curv === "concave"))) return undefined;
    if (c.deg === 3 && (negated || !gaussNewtonForm(stageView(ctx, root), aff, expr))) exact = true;
  }
  return exact ? "exact" : "gauss_newton";
}

function reportDegree(ctx: Ctx, aff: Affinity, root: Root, limit: 0 | 1 | 2, hint?: SqpHint): void {
  const bad = (x: Expr): boolean => aff.of(x).deg > limit;
  const c = culprit(root.expr, bad);
  if (!c) return;
  const cls = aff.of(c);
  const where = WHERE[root.role] ?? "the cost";
  const v = decisionVar(ctx, c) ?? "a decision variable";
  const term = ctx.src(c.span);
  if (limit === 0) {
    const sym = c.kind === "Name" ? ctx.resolution.get(c.id) : undefined;
    ctx.report({
      severity: "error",
      code: "MPC4006",
      message: `${where} must not depend on decision variables, but ${sym ? `\`${term}\` is ${sym.kind === "input" ? "an input" : "a state"}` : `\`${term}\` depends on \`${v}\``}`,
      span: c.span,
      label: `depends on \`${v}\``,
      help: root.role === "penalty" ? "a penalty weight is a constant or parameter, e.g. `penalty linear 100`" : "bounds are constants or parameters; write a constraint in `subject to` for relations between variables",
    });
    return;
  }
  if (c.kind === "Call" && builtinFunction(c.callee.name)?.nonlinear && cls.deg === 3) {
    ctx.report({
      severity: "error",
      code: "MPC4004",
      message: `\`${c.callee.name}\` of the decision variable \`${v}\` is not allowed in a controller`,
      span: c.span,
      label: `\`${term}\` is nonlinear in \`${v}\``,
      notes: hint ? [QP_NOTE, SQP_NOTE] : [QP_NOTE, PLANT_NOTE],
      help:
        c.callee.name === "max" || c.callee.name === "abs" || c.callee.name === "norm1"
          ? "to penalise a violation, write a soft constraint: `soft e <= 0 penalty linear w`"
          : hint
            ? `declare \`solver ${hint.method}\` in the controller to make it a nonlinear MPC, or linearise the model around an operating point`
            : "linearise the model around an operating point, or move the nonlinearity to the plant",
      edits: hint?.edits,
    });
    return;
  }
  if (c.kind === "Name") {
    const s = ctx.resolution.get(c.id);
    const d = s?.decl;
    ctx.report({
      severity: "error",
      code: "MPC4001",
      message: `\`${c.name}\` is ${cls.deg === 2 ? "quadratic" : "nonlinear"} in \`${v}\` and cannot appear in ${where}`,
      span: c.span,
      label: `${cls.deg === 2 ? "quadratic" : "nonlinear"} in a decision variable`,
      related: d && d.kind === "Let" ? [{ span: d.value.span, label: "defined here" }] : undefined,
      notes: hint ? [QP_NOTE, SQP_NOTE] : [QP_NOTE],
      help: hint ? `declare \`solver ${hint.method}\` in the controller to make it a nonlinear MPC` : undefined,
      edits: hint?.edits,
    });
    return;
  }
  let label = `${cls.deg === 2 ? "quadratic" : "nonlinear"} in \`${v}\``;
  const related: { span: typeof c.span; label: string }[] = [];
  let why = "";
  if (c.kind === "Binary" && (c.op === "*" || c.op === ".*")) {
    const l = decisionVar(ctx, c.left);
    const r = decisionVar(ctx, c.right);
    if (l && r) {
      label = "both factors depend on decision variables";
      related.push({ span: c.left.span, label: `depends on \`${l}\`` }, { span: c.right.span, label: `depends on \`${r}\`` });
    }
    why = `\`A*x\` is fine when A is a constant or parameter; \`${term}\` is ${cls.deg === 2 ? "quadratic" : "nonlinear"} in a decision variable inside ${where}`;
  } else if (c.kind === "Binary" && (c.op === "/" || c.op === "./")) {
    label = "division by a decision variable";
  } else if (c.kind === "Binary" && c.op === "^") {
    label = "a power of a decision variable";
  }
  ctx.report({
    severity: "error",
    code: "MPC4001",
    message: `${where} must be affine in the decision variables, but \`${term}\` is ${cls.deg === 2 ? "quadratic" : "nonlinear"} in \`${v}\``,
    span: c.span,
    label,
    related: related.length ? related : undefined,
    notes: [...(why ? [why] : [QP_NOTE]), ...(hint ? [SQP_NOTE] : [])],
    help:
      root.role === "constraint" && cls.deg === 2
        ? `a QP has only affine constraints: bound the terms separately, or move the quadratic term into the cost${hint ? `; or declare \`solver ${hint.method}\` (nonlinear MPC)` : ""}`
        : hint
          ? `declare \`solver ${hint.method}\` in the controller to make it a nonlinear MPC`
          : undefined,
    edits: hint?.edits,
  });
}

/** The subterm of a quadratic cost term that is not convex. */
function nonConvexTerm(aff: Affinity, e: Expr): Expr {
  const own = (x: Expr): Cls => aff.of(x);
  for (const c of children(e)) {
    const cc = own(c);
    if (cc.deg === 2 && cc.curv !== "convex") return nonConvexTerm(aff, c);
  }
  return e;
}


function reportCost(ctx: Ctx, aff: Affinity, root: Root, hint?: SqpHint): void {
  const cls = aff.of(root.expr);
  if (cls.deg === 3) {
    const c = culprit(root.expr, (x) => aff.of(x).deg === 3);
    if (c && c.kind === "Call" && builtinFunction(c.callee.name)?.nonlinear) {
      reportDegree(ctx, aff, root, 2, hint);
      return;
    }
    const bad = c ?? root.expr;
    ctx.report({
      severity: "error",
      code: "MPC4002",
      message: `the cost term \`${ctx.src(bad.span)}\` has degree higher than 2 in the decision variables`,
      span: bad.span,
      label: "not quadratic",
      notes: hint
        ? [QP_NOTE, "with `solver sqp` (nonlinear MPC) a least-squares term `sumsq(r)` with a smooth residual r is allowed, and with `solver sqp(hessian = exact)` any smooth term (its Hessian convexified per stage)"]
        : [QP_NOTE],
      help: hint ? (hint.method === "sqp" ? "declare `solver sqp` (nonlinear MPC)" : "declare `solver sqp(hessian = exact)`, or `solver sqp` and write the term as `sumsq(r)`") : undefined,
      edits: hint?.edits,
    });
    return;
  }
  if (cls.deg !== 2 || cls.curv === "convex") return;
  for (const { expr, negated } of addends(root.expr)) {
    const c = aff.of(expr);
    if (c.deg !== 2) continue;
    if (negated && c.curv === "convex") {
      ctx.report({
        severity: "error",
        code: "MPC4002",
        message: `the cost term \`${ctx.src(expr.span)}\` is subtracted, which makes it concave`,
        span: expr.span,
        label: "a convex term with a minus sign",
        notes: [QP_NOTE],
        help: "a minimized cost may only add convex quadratic terms",
      });
      continue;
    }
    if (!negated && c.curv === "convex") continue;
    if (negated && c.curv === "concave") continue;
    reportNonConvex(ctx, aff, nonConvexTerm(aff, expr), stageView(ctx, root));
  }
}

/** MPC4019: a convex (or concave) quadratic term scaled by a factor whose sign cannot be proven;
 *  its range over `view`, the stages the term is evaluated at (stages.ts). */
function reportUnknownSign(ctx: Ctx, t: Expr, factor: Expr, view: Ctx): void {
  const iv = hullOf(view, factor);
  const f = ctx.src(factor.span);
  const related: { span: Expr["span"]; label: string }[] = [{ span: t.span, label: "in this quadratic term" }];
  const edits: SuggestedEdit[] = [];
  let help = `make \`${f}\` provably nonnegative: bound the learnable or runtime values it uses below (\`in [0, ...]\`), or write it so that it is >= 0 at every stage (e.g. \`0.9^k\`, \`abs(...)\`)`;
  const core = factor.kind === "Paren" ? factor.inner : factor;
  const sym = core.kind === "Name" ? ctx.resolution.get(core.id) : undefined;
  if (sym?.kind === "let" && sym.decl?.kind === "Let") related.push({ span: sym.decl.value.span, label: "defined here" });
  if (sym && (sym.kind === "learnable" || sym.kind === "runtime")) {
    const d = declOf(sym);
    if (sym.nameSpan) related.push({ span: sym.nameSpan, label: "declared here" });
    if (d && !d.bounds) {
      help = `give \`${sym.name}\` a nonnegative lower bound: \`in [0, inf]\``;
      // (only when its value, initial or default, is >= 0: else the bound excludes it, MPC4014/MPC4023)
      if (startsNonnegative(ctx, sym)) edits.push({
        span: { start: d.span.end, end: d.span.end, startLine: d.span.endLine, startColumn: d.span.endColumn, endLine: d.span.endLine, endColumn: d.span.endColumn },
        newText: " in [0, inf]",
        title: `bound \`${sym.name}\` below by 0`,
      });
      else help += `, with ${sym.kind === "learnable" ? "an initial value" : "a default"} inside it`;
    }
  }
  ctx.report({
    severity: "error",
    code: "MPC4019",
    message: `the sign of \`${f}\` cannot be proven, so the quadratic term it scales may be nonconvex`,
    span: factor.span,
    label: iv ? `ranges over [${fmt(iv[0])}, ${fmt(iv[1])}] for the admissible learnables, stages and runtime values` : "its range cannot be computed",
    related,
    notes: ["a scalar that multiplies a quadratic term must be provably >= 0 (or <= 0 for a concave term): a sign the checker cannot establish is not assumed"],
    help,
    edits: edits.length ? edits : undefined,
  });
}

/**
 * Whether `ref` is the whole weight of the quadratic term `t`: the second argument of `quad(e, W)`,
 * or the one matrix factor between the two vector factors of a form `e'*W*e` (nonnegative scalar
 * factors aside, as affinity.ts reads forms). Only there `W*W'` with a `factor` learnable is
 * accepted as PSD by construction and DPP.
 */
function wholeWeight(ctx: Ctx, aff: Affinity, t: Expr, ref: Expr): boolean {
  const strip = (e: Expr): Expr => (e.kind === "Paren" ? strip(e.inner) : e);
  const core = strip(t);
  if (core.kind === "Call") return core.callee.name === "quad" && core.args[1] !== undefined && strip(core.args[1].value) === ref;
  if (core.kind !== "Binary" || core.op !== "*") return false;
  const factors: Expr[] = [];
  const flatten = (x: Expr, transposed: boolean): void => {
    const y = strip(x);
    if (y.kind === "Binary" && y.op === "*" && !transposed) {
      flatten(y.left, false);
      flatten(y.right, false);
    } else if (y.kind === "Transpose") flatten(y.operand, !transposed);
    else if (y.kind === "Unary") flatten(y.operand, transposed);
    else factors.push(y);
  };
  flatten(core, false);
  const rest = factors.filter((f) => {
    const s = ctx.shapes.get(f.id);
    return !(aff.of(f).deg === 0 && s && isScalar(s));
  });
  return rest.length === 3 && rest[1] === ref;
}

function reportNonConvex(ctx: Ctx, aff: Affinity, t: Expr, view: Ctx, dppWaived = false): void {
  const term = ctx.src(t.span);
  const w = aff.weightInfo.get(t.id);
  // A term that is not DPP is reported once, as MPC4005 (its weight has no fixed value to prove PSD);
  // in a nonlinear MPC, where DPP is waived, the weight must still be proven PSD here.
  if ((aff.of(t).pdeg === 2 && !dppWaived) || w?.deferred) return;
  const factor = aff.unknownSign.get(t.id) ?? w?.unknownFactor;
  if (factor && !w?.freeLearnable) return reportUnknownSign(ctx, t, factor, view);
  const why = aff.indexWhy.get(t.id);
  if (why) {
    const target = t.kind === "Index" ? t.target : t;
    ctx.report({
      severity: "error",
      code: "MPC4020",
      message: `the entry \`${term}\` of a quadratic matrix expression is not convex`,
      span: t.span,
      label: why,
      related: [{ span: target.span, label: "a matrix of quadratic terms" }],
      notes: [QP_NOTE, "only a diagonal entry `M[i, i]` of a PSD form such as `E'*E` is convex: `(E'*E)[i, j]` is the product of two columns of E"],
      help: "write the quadratic term as a form: `quad(v, M)` with M PSD, `sumsq(L*v)` or `v'*v`",
    });
    return;
  }
  if (w?.freeLearnable) {
    const { sym, ref } = w.freeLearnable;
    const d = declOf(sym);
    const edits: SuggestedEdit[] = [];
    let help: string;
    if (sym.structure === "diag" || (sym.shape && sym.shape.rows === 1 && sym.shape.cols === 1)) {
      help = `give \`${sym.name}\` a nonnegative lower bound: \`in [0, inf]\``;
      // (only when its initial value is >= 0: else the bound excludes it, MPC4014)
      if (d && !d.bounds && !startsNonnegative(ctx, sym)) help += ", with an initial value inside it";
      if (d && !d.bounds && startsNonnegative(ctx, sym)) {
        const end = d.span;
        edits.push({
          span: { start: end.end, end: end.end, startLine: end.endLine, startColumn: end.endColumn, endLine: end.endLine, endColumn: end.endColumn },
          newText: " in [0, inf]",
          title: `bound \`${sym.name}\` below by 0`,
        });
      }
    } else {
      const n = sym.shape?.rows ?? 0;
      help = `write it as \`L*L'\` with \`learnable factor L[${n}]\`: declare \`${sym.name}\` as a factor and use \`${sym.name}*${sym.name}'\``;
      // `L*L'` is PSD by construction (and DPP) only as the whole weight: `quad(x, Q*Q')`,
      // `x'*Q*Q'*x`; `quad(x, 2*Q*Q')` or `quad(x, Q*Q' + I)` would be MPC4005, so no edit there
      if (wholeWeight(ctx, aff, t, ref)) {
        edits.push({ span: ref.span, newText: `${sym.name}*${sym.name}'`, title: `use \`${sym.name}*${sym.name}'\`` });
        if (d && !d.structure) edits.push({ span: d.keywordSpan, newText: "learnable factor", title: `declare \`${sym.name}\` as a lower-triangular factor` });
      }
    }
    ctx.report({
      severity: "error",
      code: "MPC4003",
      message: `the quadratic weight \`${ctx.src(ref.span)}\` is not positive semidefinite by construction`,
      span: ref.span,
      label: w.reason,
      related: [
        { span: t.span, label: "in this quadratic term" },
        ...(sym.nameSpan ? [{ span: sym.nameSpan, label: "declared here" }] : []),
      ],
      notes: ["a learnable weight must be PSD for every value the learning may give it, or the QP may become nonconvex"],
      help,
      edits: edits.length ? edits : undefined,
    });
    return;
  }
  const curv = aff.of(t).curv;
  const reason =
    w?.status === "indefinite"
      ? `its weight is ${w.reason}`
      : w?.status === "nsd"
        ? `its weight is ${w.reason}: the term is concave`
        : curv === "concave"
          ? "it is concave (a negated or negatively scaled convex term)"
          : w && w.reason
            ? `the weight is not provably PSD: ${w.reason}`
            : "it is not of a form known to be convex (`quad(x, M)` with M PSD, `sumsq(e)`, `e'*e`, a nonnegative multiple of those)";
  ctx.report({
    severity: "error",
    code: "MPC4002",
    message: `the cost term \`${term}\` is not convex`,
    span: t.span,
    label: reason,
    notes: [QP_NOTE],
    help: w?.status === "indefinite" ? "use a positive semidefinite weight (all eigenvalues >= 0)" : "write quadratic costs as `quad(e, M)` with M PSD, `sumsq(L*e)`, or `e'*e` with a nonnegative factor",
  });
}

/** Every deepest node satisfying `bad` (none of whose children does), skipping `skip` subtrees. */
function culprits(e: Expr, bad: (x: Expr) => boolean, skip: (x: Expr) => boolean, out: Expr[] = []): Expr[] {
  if (!bad(e) || skip(e)) return out;
  const before = out.length;
  for (const c of children(e)) culprits(c, bad, skip, out);
  if (out.length === before) out.push(e);
  return out;
}

function reportDpp(ctx: Ctx, aff: Affinity, root: Root, reported: Set<number>): void {
  const found = culprits(
    root.expr,
    (x) => aff.of(x).pdeg === 2,
    (x) => aff.psdProducts.has(x.id) || (x.kind === "Name" && ctx.resolution.get(x.id)?.kind === "let"),
  );
  for (const c of found) {
    if (reported.has(c.id)) continue;
    reported.add(c.id);
    const term = ctx.src(c.span);
    let label = "not affine in the learnable parameters";
    let help = "introduce one learnable parameter for the product, or make one factor a constant";
    if (c.kind === "Call" && c.callee.name === "dlqr") {
      label = "the DARE solution is a nonlinear function of its arguments";
      help = "compute the terminal weight from constants (e.g. the initial model: `dlqr(A0, B0, Q, R)`)";
    } else if (c.kind === "Call") {
      label = `\`${c.callee.name}\` of a learnable parameter is not affine in it`;
      help = "declare the transformed quantity itself as the learnable parameter";
    } else if (c.kind === "Binary" && c.op === "*" && (aff.of(c).deg === 2 || aff.weightInfo.has(c.id))) {
      help = "for a learnable quadratic weight write `quad(e, L*L')` with `learnable factor L[n]`, or `sumsq(L'*e)`";
    }
    ctx.report({
      severity: "error",
      code: "MPC4005",
      message: `\`${term}\` is not DPP: the QP data must be affine in the learnable parameters`,
      span: c.span,
      label,
      notes: ["the gradient of the MPC with respect to its parameters is computed from QP data that depend affinely on them (the DPP rule of CVXPY)"],
      help,
    });
  }
}

/** Runs the affinity analysis on every root and reports the controller's QP-structure errors. */
export function checkConvexity(ctx: Ctx): Affinity {
  const aff = new Affinity(ctx);
  const dppReported = new Set<number>();
  const errorsBefore = ctx.diagnostics.filter((d) => d.severity === "error");
  for (const root of ctx.roots) {
    if (root.role === "train") continue;
    // signs over the stages the statement is evaluated at (a `stage` term at 0..N-1: stages.ts)
    aff.ofRoot(root);
    if (root.block.kind !== "controller") continue;
    // An earlier error inside this expression (unknown name, bad shape) explains it already.
    if (errorsBefore.some((d) => d.span.start >= root.expr.span.start && d.span.end <= root.expr.span.end)) continue;
    const block = root.block.node as ControllerBlock;
    const nl = nonlinearSolver(block);
    // a linear controller whose culprit is smooth: suggest `solver sqp`
    const hint = (exact = false): SqpHint | undefined => (!nl && !nonSmooth(ctx, aff, root.expr) ? sqpHint(ctx, aff, block, exact) : undefined);
    // a cost term: with the exact Hessian when a general smooth term needs it; none when no solver fixes it
    const costHint = (): SqpHint | undefined => {
      const how = costUnderSqp(ctx, aff, root);
      const h = hint(how === "exact");
      return h && !how ? { method: h.method } : h;
    };
    switch (root.role) {
      case "dynamics":
      case "constraint":
        if (nl) reportNonSmooth(ctx, aff, root);
        else reportDegree(ctx, aff, root, 1, aff.of(root.expr).deg > 1 ? hint() : undefined);
        break;
      case "penalty":
        reportDegree(ctx, aff, root, 0);
        break;
      case "bound":
        if (root.owner && root.owner.kind !== "learnable") reportDegree(ctx, aff, root, 0);
        break;
      case "cost-initial":
      case "cost-stage":
      case "cost-terminal":
        if (nl) reportNlpCost(ctx, aff, root, nl);
        else reportCost(ctx, aff, root, aff.of(root.expr).deg > 2 ? costHint() : undefined);
        break;
    }
    // DPP is waived for a nonlinear MPC: its derivatives come from the Lagrangian of the NLP
    if (!nl && root.role !== "init" && root.role !== "dim" && root.role !== "setting" && root.role !== "range") reportDpp(ctx, aff, root, dppReported);
  }
  classifyControllers(ctx, aff);
  return aff;
}

// ---------------------------------------------------------------- nonlinear MPC (solver sqp|rti)

const NLP_NOTE = "a nonlinear MPC linearizes dynamics and constraints at each iterate: they must be differentiable in the states and inputs";

const operandText = (ctx: Ctx, e: Expr): string => {
  const t = ctx.text.slice(e.span.start, e.span.end);
  const core = e.kind === "Paren" ? e.inner : e;
  return core.kind === "Number" || core.kind === "Name" || core.kind === "Call" || core.kind === "Index" || e.kind === "Paren" ? t : `(${t})`;
};

/** `abs(e) <= c` (or `c >= abs(e)`) with c free of decision variables -> `-c <= e <= c`. */
function absEdit(ctx: Ctx, aff: Affinity, c: Constraint, node: Expr, view: Ctx): SuggestedEdit[] | undefined {
  if (node.kind !== "Call" || node.callee.name !== "abs" || c.operands.length !== 2 || !node.args[0]) return undefined;
  const [a, b] = c.operands;
  const strip = (e: Expr): Expr => (e.kind === "Paren" ? strip(e.inner) : e);
  let bound: Expr | undefined;
  if (c.ops[0] === "<=" && strip(a) === node) bound = b;
  else if (c.ops[0] === ">=" && strip(b) === node) bound = a;
  if (!bound || aff.of(bound).deg !== 0) return undefined;
  // `-c <= e <= c` says `abs(e) <= c` only for c >= 0: with a c that may be negative the two bounds
  // cross (MPC4007/MPC4024), a new error where `abs(e) <= c` was merely infeasible
  const iv = hullOf(view, bound);
  if (!iv || !(iv[0] >= 0)) return undefined;
  const bt = operandText(ctx, bound);
  const et = ctx.text.slice(node.args[0].value.span.start, node.args[0].value.span.end);
  const span = { ...a.span, end: b.span.end, endLine: b.span.endLine, endColumn: b.span.endColumn };
  return [{ span, newText: `-${bt} <= ${et} <= ${bt}`, title: "write the two smooth bounds" }];
}

/** MPC4004 in a nonlinear controller: a non-smooth function of decision variables in its dynamics or constraints. */
function reportNonSmooth(ctx: Ctx, aff: Affinity, root: Root): void {
  const ns = nonSmooth(ctx, aff, root.expr);
  if (!ns) return;
  const c = ns.node;
  const v = decisionVar(ctx, c) ?? "a decision variable";
  const edits = root.role === "constraint" && root.stmt?.kind === "Constraint" ? absEdit(ctx, aff, root.stmt, c, stageView(ctx, root)) : undefined;
  ctx.report({
    severity: "error",
    code: "MPC4004",
    message: `\`${ctx.src(c.span)}\` is not smooth in the decision variable \`${v}\`: ${WHERE[root.role] ?? "the cost"} of a nonlinear MPC must be differentiable`,
    span: c.span,
    label: ns.why,
    notes: [NLP_NOTE],
    help: edits ? `write the two smooth bounds: \`${edits[0].newText}\`` : ns.help,
    edits,
  });
}

/** `max(0, e)`, `max(e, 0)`, `w*max(0, e)`: the violation penalty a soft constraint expresses. */
function maxPenalty(ctx: Ctx, aff: Affinity, e: Expr): { e: Expr; w?: Expr } | undefined {
  const s = (x: Expr): Expr => (x.kind === "Paren" ? s(x.inner) : x);
  const core = s(e);
  const isZero = (x: Expr): boolean => {
    const y = s(x);
    return y.kind === "Number" && y.value === 0;
  };
  const bare = (x: Expr): Expr | undefined => {
    const y = s(x);
    if (y.kind !== "Call" || y.callee.name !== "max" || y.args.length !== 2) return undefined;
    const [a, b] = y.args.map((z) => z.value);
    return isZero(a) ? b : isZero(b) ? a : undefined;
  };
  const direct = bare(core);
  if (direct) return { e: direct };
  if (core.kind === "Binary" && core.op === "*") {
    const l = bare(core.right);
    if (l && aff.of(core.left).deg === 0) return { e: l, w: core.left };
    const r = bare(core.left);
    if (r && aff.of(core.right).deg === 0) return { e: r, w: core.right };
  }
  return undefined;
}

/** The cost of a nonlinear MPC: per addend, affine, convex quadratic (today's rules), Gauss-Newton
 *  `sumsq(r)` with r smooth, or (only with `hessian exact`) a general smooth term. */
function reportNlpCost(ctx: Ctx, aff: Affinity, root: Root, nl: NonlinearSolver): void {
  for (const { expr, negated } of addends(root.expr)) {
    const ns = nonSmooth(ctx, aff, expr);
    if (ns) {
      const pen = maxPenalty(ctx, aff, expr);
      const soft = pen ? `soft ${ctx.text.slice(pen.e.span.start, pen.e.span.end)} <= 0 penalty linear ${pen.w ? ctx.text.slice(pen.w.span.start, pen.w.span.end) : "1"}` : undefined;
      ctx.report({
        severity: "error",
        code: "MPC4004",
        message: `\`${ctx.src(ns.node.span)}\` is not smooth in the decision variable \`${decisionVar(ctx, ns.node) ?? "a decision variable"}\`: the cost of a nonlinear MPC must be differentiable`,
        span: ns.node.span,
        label: ns.why,
        related: ns.node !== expr ? [{ span: expr.span, label: "in this cost term" }] : undefined,
        notes: ["a nonlinear MPC builds each QP subproblem from the cost's derivatives: they must exist everywhere"],
        help: soft && root.role === "cost-stage" ? `penalise the violation with a soft constraint instead: \`${soft}\` (and remove the term)` : ns.help,
        edits: soft && root.role === "cost-stage" && root.stmt?.kind === "CostTerm" ? softEdits(ctx, root.block.node as ControllerBlock, root.stmt, expr, soft) : undefined,
      });
      continue;
    }
    const c = aff.of(expr);
    if (c.deg <= 1) continue;
    if (c.deg === 2) {
      if (negated && c.curv === "convex") {
        ctx.report({
          severity: "error",
          code: "MPC4002",
          message: `the cost term \`${ctx.src(expr.span)}\` is subtracted, which makes it concave`,
          span: expr.span,
          label: "a convex term with a minus sign",
          notes: ["quadratic cost terms of a nonlinear MPC follow the rules of a linear one: each must be convex"],
          help: "a minimized cost may only add convex quadratic terms",
        });
        continue;
      }
      if ((!negated && c.curv === "convex") || (negated && c.curv === "concave")) continue;
      reportNonConvex(ctx, aff, nonConvexTerm(aff, expr), stageView(ctx, root), true);
      continue;
    }
    if (!negated && gaussNewtonForm(stageView(ctx, root), aff, expr)) continue;
    if (nl.hessian === "exact") continue; // general smooth term: convexified per stage (classification note)
    const item = nl.item;
    const hv = item.options.find((o) => o.name.name === "hessian");
    // inside the item's parentheses when it has them (`solver sqp()`: an empty list), else appended
    const beforeParen = { ...item.span, start: item.span.end - 1, startLine: item.span.endLine, startColumn: item.span.endColumn - 1, end: item.span.end - 1, endColumn: item.span.endColumn - 1 };
    const edit: SuggestedEdit = hv
      ? { span: hv.value.span, newText: "exact", title: "use the exact Hessian" }
      : item.options.length > 0
        ? { span: beforeParen, newText: ", hessian = exact", title: "use the exact Hessian" }
        : ctx.text[item.span.end - 1] === ")"
          ? { span: beforeParen, newText: "hessian = exact", title: "use the exact Hessian" }
          : { span: { ...item.span, start: item.span.end, startLine: item.span.endLine, startColumn: item.span.endColumn }, newText: "(hessian = exact)", title: "use the exact Hessian" };
    ctx.report({
      severity: "error",
      code: "MPC4002",
      message: `the cost term \`${ctx.src(expr.span)}\` is neither a least-squares term nor convex quadratic`,
      span: expr.span,
      label: negated ? "a subtracted nonlinear term" : "a general nonlinear term",
      related: [{ span: item.span, label: "the Gauss-Newton Hessian applies to `sumsq(r)` terms only" }],
      notes: ["with the Gauss-Newton Hessian (the default), a nonlinear cost term must be `sumsq(r)` or `c*sumsq(r)` with c >= 0: its Hessian 2 c J'J is PSD by construction"],
      help: "write it as `sumsq(r)` with a smooth residual r, or declare `hessian exact` (the solver then convexifies each stage's Hessian)",
      edits: [edit],
    });
  }
}

/** Edits moving `w*max(0, e)` from a stage cost to `soft e <= 0 penalty linear w`, when mechanical:
 *  the addend is an operand of the term's top-level `+` and the block has a `subject to` with a constraint. */
function softEdits(ctx: Ctx, block: ControllerBlock, term: CostTerm, addend: Expr, soft: string): SuggestedEdit[] | undefined {
  const top = term.expr;
  if (top.kind !== "Binary" || top.op !== "+") return undefined;
  const s = (x: Expr): Expr => (x.kind === "Paren" ? s(x.inner) : x);
  let del: { start: Expr["span"]; end: Expr["span"] } | undefined;
  if (s(top.right) === addend) del = { start: top.left.span, end: top.right.span };
  else if (s(top.left) === addend) del = { start: top.left.span, end: top.right.span };
  if (!del) return undefined;
  const removeRight = s(top.right) === addend;
  const removal = removeRight
    ? { ...top.left.span, start: top.left.span.end, startLine: top.left.span.endLine, startColumn: top.left.span.endColumn, end: top.right.span.end, endLine: top.right.span.endLine, endColumn: top.right.span.endColumn }
    : { ...top.left.span, end: top.right.span.start, endLine: top.right.span.startLine, endColumn: top.right.span.startColumn };
  const st = block.items.find((i) => i.kind === "SubjectTo");
  const first = st && st.kind === "SubjectTo" ? st.constraints[0] : undefined;
  if (!first) return undefined;
  const at = { ...first.span, end: first.span.start, endLine: first.span.startLine, endColumn: first.span.startColumn };
  return [
    { span: removal, newText: "", title: "remove the penalty from the cost" },
    { span: at, newText: `${soft}\n${" ".repeat(Math.max(0, first.span.startColumn - 1))}`, title: "penalise the violation with a soft constraint" },
  ];
}
