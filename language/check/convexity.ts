// Diagnostics of the controller's QP structure, from the classes computed in affinity.ts:
// affine dynamics/constraints (MPC4001), convex cost (MPC4002, MPC4003 for learnable weights that
// are not PSD by construction), no nonlinear functions of decision variables (MPC4004), the DPP
// rule for learnables (MPC4005), penalty weights and bounds free of decision variables (MPC4006),
// a quadratic term scaled by a factor of unknown sign (MPC4019), an off-diagonal entry of a
// quadratic matrix expression (MPC4020). What cannot be proven is rejected (docs/soundness.md).

import { children, type Expr } from "../ast.js";
import type { SuggestedEdit } from "../diagnostics.js";
import { builtinFunction } from "./builtins.js";
import { Ctx, Sym, type Root } from "./context.js";
import { Affinity, type Cls } from "./affinity.js";
import { declOf } from "./scope.js";
import { hullOf } from "./interval.js";
import { fmt } from "./affinity.js";

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

function reportDegree(ctx: Ctx, aff: Affinity, root: Root, limit: 0 | 1 | 2): void {
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
      notes: [QP_NOTE, PLANT_NOTE],
      help:
        c.callee.name === "max" || c.callee.name === "abs" || c.callee.name === "norm1"
          ? "to penalise a violation, write a soft constraint: `soft e <= 0 penalty linear w`"
          : "linearise the model around an operating point, or move the nonlinearity to the plant",
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
      notes: [QP_NOTE],
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
    notes: why ? [why] : [QP_NOTE],
    help: root.role === "constraint" && cls.deg === 2 ? "a QP has only affine constraints: bound the terms separately, or move the quadratic term into the cost" : undefined,
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

/** The addends of a sum, with whether each enters negated. */
function addends(e: Expr, negated = false, out: { expr: Expr; negated: boolean }[] = []): { expr: Expr; negated: boolean }[] {
  if (e.kind === "Paren") return addends(e.inner, negated, out);
  if (e.kind === "Binary" && (e.op === "+" || e.op === "-")) {
    addends(e.left, negated, out);
    addends(e.right, e.op === "-" ? !negated : negated, out);
    return out;
  }
  if (e.kind === "Unary") return addends(e.operand, e.op === "-" ? !negated : negated, out);
  out.push({ expr: e, negated });
  return out;
}

function reportCost(ctx: Ctx, aff: Affinity, root: Root): void {
  const cls = aff.of(root.expr);
  if (cls.deg === 3) {
    const c = culprit(root.expr, (x) => aff.of(x).deg === 3);
    if (c && c.kind === "Call" && builtinFunction(c.callee.name)?.nonlinear) {
      reportDegree(ctx, aff, root, 2);
      return;
    }
    const bad = c ?? root.expr;
    ctx.report({
      severity: "error",
      code: "MPC4002",
      message: `the cost term \`${ctx.src(bad.span)}\` has degree higher than 2 in the decision variables`,
      span: bad.span,
      label: "not quadratic",
      notes: [QP_NOTE],
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
    reportNonConvex(ctx, aff, nonConvexTerm(aff, expr));
  }
}

/** MPC4019: a convex (or concave) quadratic term scaled by a factor whose sign cannot be proven. */
function reportUnknownSign(ctx: Ctx, t: Expr, factor: Expr): void {
  const iv = hullOf(ctx, factor);
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
      edits.push({
        span: { start: d.span.end, end: d.span.end, startLine: d.span.endLine, startColumn: d.span.endColumn, endLine: d.span.endLine, endColumn: d.span.endColumn },
        newText: " in [0, inf]",
        title: `bound \`${sym.name}\` below by 0`,
      });
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

function reportNonConvex(ctx: Ctx, aff: Affinity, t: Expr): void {
  const term = ctx.src(t.span);
  const w = aff.weightInfo.get(t.id);
  // A term that is not DPP is reported once, as MPC4005 (its weight has no fixed value to prove PSD).
  if (aff.of(t).pdeg === 2 || w?.deferred) return;
  const factor = aff.unknownSign.get(t.id) ?? w?.unknownFactor;
  if (factor && !w?.freeLearnable) return reportUnknownSign(ctx, t, factor);
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
      if (d && !d.bounds) {
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
      edits.push({ span: ref.span, newText: `${sym.name}*${sym.name}'`, title: `use \`${sym.name}*${sym.name}'\`` });
      if (d && !d.structure) edits.push({ span: d.keywordSpan, newText: "learnable factor", title: `declare \`${sym.name}\` as a lower-triangular factor` });
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
    aff.of(root.expr);
    if (root.block.kind !== "controller") continue;
    // An earlier error inside this expression (unknown name, bad shape) explains it already.
    if (errorsBefore.some((d) => d.span.start >= root.expr.span.start && d.span.end <= root.expr.span.end)) continue;
    switch (root.role) {
      case "dynamics":
      case "constraint":
        reportDegree(ctx, aff, root, 1);
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
        reportCost(ctx, aff, root);
        break;
    }
    if (root.role !== "init" && root.role !== "dim" && root.role !== "setting" && root.role !== "range") reportDpp(ctx, aff, root, dppReported);
  }
  return aff;
}
