// Nonlinear MPC (issue 11): which controllers are nonlinear (`solver sqp|rti`), which expressions
// are smooth in the decision variables, and the classification the compiler reads (per controller:
// QP or NLP with its method, Hessian and integrator; per cost term: affine, convex quadratic,
// Gauss-Newton least squares or general smooth). The diagnostics are reported by convexity.ts
// (one semantics: the same passes, with the nonlinear rules where the controller declares them) and
// domain.ts; the rules and why they are sound are in docs/soundness.md, section 8.
//
// Soundness of the nonlinear rules: the SQP / RTI solves a sequence of QPs whose data are the
// linearizations of dynamics and constraints (defined when they are differentiable: smooth) and
// whose Hessian is 2 J'WJ for a least-squares term (PSD when W is), the term's own Hessian for a
// convex quadratic (PSD as proven for a linear MPC), and for a general term (`hessian exact` only)
// its Hessian convexified per stage by the solver. So every QP subproblem is convex by construction.

import type { ControllerBlock, CostTerm, Expr, HessianKind, SolverItem } from "../ast.js";
import { children } from "../ast.js";
import type { ControllerClass, CostAddend, CostAddendKind, CostTermClass, IntegratorClass } from "../semantic.js";
import { builtinFunction } from "./builtins.js";
import { Ctx, isScalar, type Sym } from "./context.js";
import { evalExpr } from "./const_eval.js";
import { isIntegerValued, signOf } from "./interval.js";
import { sameExpr, type Affinity } from "./affinity.js";
import { stageView } from "./stages.js";

/** The nonlinear solver a controller declares (`solver sqp|rti`), or undefined for a linear MPC. */
export interface NonlinearSolver {
  readonly method: "sqp" | "rti";
  readonly hessian: HessianKind;
  readonly item: SolverItem;
}

/** The (first) `solver` item of a controller. */
export function solverItem(block: ControllerBlock): SolverItem | undefined {
  for (const it of block.items) if (it.kind === "Solver") return it;
  return undefined;
}

/** The nonlinear solver of a controller block, undefined when it is a linear MPC (`qp`). */
export function nonlinearSolver(block: ControllerBlock): NonlinearSolver | undefined {
  const s = solverItem(block);
  if (!s || s.method === "qp") return undefined;
  return { method: s.method, hessian: s.hessian ?? "gauss_newton", item: s };
}

const strip = (e: Expr): Expr => (e.kind === "Paren" ? strip(e.inner) : e);

/** Why a node is not smooth in the decision variables (its own operation, not its children's). */
export interface NonSmooth {
  readonly node: Expr;
  readonly why: string;
  readonly help: string;
}

const letMemo = new WeakMap<Ctx, Map<Sym, NonSmooth | null>>();

/**
 * The deepest subexpression of `e` that is not (twice) differentiable in the decision variables:
 * `abs`, `max`, `min`, `norm1` (and `dlqr`, random draws) of decision variables, a power of a
 * decision variable with a non-integer or variable exponent, an index that depends on decision
 * variables. Follows `let`s (the culprit is then inside the let's definition). Undefined: smooth.
 */
export function nonSmooth(ctx: Ctx, aff: Affinity, e: Expr): NonSmooth | undefined {
  if (aff.of(e).deg === 0) return undefined;
  for (const c of children(e)) {
    const inner = nonSmooth(ctx, aff, c);
    if (inner) return inner;
  }
  if (e.kind === "Name") {
    const sym = ctx.resolution.get(e.id);
    if (sym?.kind !== "let" || sym.decl?.kind !== "Let") return undefined;
    let memo = letMemo.get(ctx);
    if (!memo) letMemo.set(ctx, (memo = new Map()));
    const m = memo.get(sym);
    if (m !== undefined) return m ?? undefined;
    memo.set(sym, null); // a cycle (reported elsewhere) counts as smooth
    const r = nonSmooth(ctx, aff, sym.decl.value) ?? null;
    memo.set(sym, r);
    return r ?? undefined;
  }
  if (e.kind === "Call") {
    const f = builtinFunction(e.callee.name);
    if (!f || f.smooth || !e.args.some((a) => aff.of(a.value).deg > 0)) return undefined;
    const name = e.callee.name;
    const help =
      name === "abs"
        ? "bound it as a pair of smooth constraints: `abs(e) <= c` is `-c <= e <= c`; in the cost, use `sumsq(e)`"
        : name === "max" || name === "min"
          ? "write the bound on each argument (`max(a, b) <= c` is `a <= c` and `b <= c`); to penalise a violation `max(0, e)`, write a soft constraint `soft e <= 0 penalty linear w`"
          : name === "norm1"
            ? "introduce the bounds `-c <= e <= c` per entry, or penalise with `sumsq(e)`"
            : "only smooth functions of the states and inputs can be linearized by the solver";
    return { node: e, why: `\`${name}\` is not differentiable everywhere (a kink)`, help };
  }
  if (e.kind === "Binary" && e.op === "^" && aff.of(e.left).deg > 0) {
    if (aff.of(e.right).deg > 0)
      return { node: e, why: "a power with an exponent that depends on decision variables", help: "use `exp(y*log(a))` with `a` provably positive, or a constant integer exponent" };
    const p = evalExpr(ctx, e.right);
    const integer = isIntegerValued(ctx, e.right) || (p !== undefined && p.data.length === 1 && Number.isInteger(p.data[0]));
    if (!integer)
      return {
        node: e,
        why: "a non-integer power of a decision variable is not differentiable at 0",
        help: "use an integer exponent, or `sqrt(e)` of an expression that stays positive",
      };
    return undefined;
  }
  if (e.kind === "Index") {
    for (const ix of e.indices)
      for (const x of ix.kind === "At" ? [ix.index] : [ix.start, ix.end])
        if (x && aff.of(x).deg > 0)
          return { node: e, why: "an index that depends on decision variables", help: "index with constants or the stage index `k`" };
  }
  return undefined;
}

/** A Gauss-Newton least-squares form of a cost addend: `sumsq(r)`, `c*sumsq(r)`, `sumsq(r)*c`. */
export interface GaussNewtonForm {
  readonly residual: Expr;
  /** The factor c (free of decision variables, a scalar proven >= 0 over the admissible values). */
  readonly scale?: Expr;
}

/**
 * The least-squares form of an addend, when its Gauss-Newton Hessian 2 c J'J is PSD by construction:
 * `sumsq(r)` or a product of it with a scalar c free of decision variables and proven >= 0 by
 * interval arithmetic (learnables and runtime values over their boxes, the stage index over the
 * stages the term is evaluated at: `ctx` is the term's `stageView`). Exactly the forms the
 * compiler lowers to least-squares rows sqrt(c) r (compiler/lower/nlp.ts); any other nonlinear
 * addend (`r'*r`, `r^2`, `quad(r, W)`) is a general term.
 */
export function gaussNewtonForm(ctx: Ctx, aff: Affinity, e0: Expr): GaussNewtonForm | undefined {
  const e = strip(e0);
  const bare = (x: Expr): Expr | undefined => {
    const y = strip(x);
    return y.kind === "Call" && y.callee.name === "sumsq" && y.args.length === 1 && !y.args[0].name ? y.args[0].value : undefined;
  };
  const direct = bare(e);
  if (direct) return { residual: direct };
  if (e.kind !== "Binary" || e.op !== "*") return undefined;
  const scaled = (factor: Expr, rest: Expr): GaussNewtonForm | undefined => {
    const r = bare(rest);
    const fs = ctx.shapes.get(factor.id);
    if (!r || aff.of(factor).deg !== 0 || !fs || !isScalar(fs)) return undefined;
    const sign = signOf(ctx, factor);
    return sign === "nonneg" || sign === "zero" ? { residual: r, scale: factor } : undefined;
  };
  return scaled(e.left, e.right) ?? scaled(e.right, e.left);
}

/** The addends of a sum, with whether each enters negated. */
export function addends(e: Expr, negated = false, out: { expr: Expr; negated: boolean }[] = []): { expr: Expr; negated: boolean }[] {
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

const RANK: Record<CostAddendKind, number> = { affine: 0, convex_quadratic: 1, gauss_newton: 2, general: 3 };

/** Classifies one addend (what it is, not whether it is allowed: convexity.ts reports that). */
export function classifyAddend(ctx: Ctx, aff: Affinity, expr: Expr, negated: boolean): CostAddend {
  const c = aff.of(expr);
  if (c.deg <= 1) return { expr, negated, kind: "affine" };
  if (c.deg === 2 && ((c.curv === "convex" && !negated) || (c.curv === "concave" && negated))) return { expr, negated, kind: "convex_quadratic" };
  if (!negated && c.deg === 3) {
    const gn = gaussNewtonForm(ctx, aff, expr);
    if (gn) return { expr, negated, kind: "gauss_newton", residual: gn.residual, ...(gn.scale ? { scale: gn.scale } : {}) };
  }
  return { expr, negated, kind: "general" };
}

/** Classifies a cost term of the controller `block`, its signs judged over the stages the term is
 *  evaluated at (stages.ts). */
export function classifyCostTerm(ctx: Ctx, aff: Affinity, term: CostTerm, block: ControllerBlock): CostTermClass {
  const scope = ctx.blocks.find((b) => b.node === block);
  const view = scope ? stageView(ctx, { block: scope, role: "cost-stage", stmt: term }) : ctx;
  const parts = addends(term.expr).map((a) => classifyAddend(view, aff, a.expr, a.negated));
  const kind = parts.reduce<CostAddendKind>((k, a) => (RANK[a.kind] > RANK[k] ? a.kind : k), "affine");
  return { term, kind, addends: parts };
}

function integratorOf(block: ControllerBlock): IntegratorClass | undefined {
  for (const it of block.items)
    if (it.kind === "Dynamics" && it.form === "continuous" && it.method) return { method: it.method, substeps: it.substeps ?? 1 };
  return undefined;
}

/** The classification of one controller block (filled into the context by `classifyControllers`). */
export function classifyController(ctx: Ctx, aff: Affinity, block: ControllerBlock): { controller: ControllerClass; costs: CostTermClass[] } {
  const costs: CostTermClass[] = [];
  for (const it of block.items) if (it.kind === "Objective") for (const t of it.terms) costs.push(classifyCostTerm(ctx, aff, t, block));
  const integrator = integratorOf(block);
  const nl = nonlinearSolver(block);
  if (!nl) return { controller: integrator ? { kind: "qp", integrator } : { kind: "qp" }, costs };
  const notes: string[] = [];
  if (nl.hessian === "exact" && costs.some((c) => c.addends.some((a) => a.kind === "general")))
    notes.push("general smooth cost terms use their exact Hessian, convexified per stage by the solver (the QP subproblems stay convex)");
  const controller: ControllerClass = {
    kind: "nlp",
    method: nl.method,
    hessian: nl.hessian,
    ...(nl.item.maxIterations !== undefined ? { maxIterations: nl.item.maxIterations } : {}),
    ...(nl.item.tolerance !== undefined ? { tolerance: nl.item.tolerance } : {}),
    ...(integrator ? { integrator } : {}),
    notes,
  };
  return { controller, costs };
}

/** Fills `ctx.controllerClasses` and `ctx.costClasses` for every controller block. */
export function classifyControllers(ctx: Ctx, aff: Affinity): void {
  for (const item of ctx.program.items) {
    if (item.kind !== "Controller") continue;
    const { controller, costs } = classifyController(ctx, aff, item);
    if (!ctx.controllerClasses.has(item.name.name)) ctx.controllerClasses.set(item.name.name, controller);
    for (const c of costs) ctx.costClasses.set(c.term.id, c);
  }
}

const KIND_TEXT: Record<CostAddendKind, string> = {
  affine: "affine",
  convex_quadratic: "convex quadratic",
  gauss_newton: "Gauss-Newton least squares",
  general: "general smooth",
};

/**
 * One line saying what the checker proved about a controller, for `mpcrl check` and the editor,
 * e.g. "CartPole: nonlinear MPC (SQP, Gauss-Newton Hessian, rk4 x4): every QP subproblem is
 * convex (Gauss-Newton Hessian 2 J'J is PSD by construction; quadratic weights PSD)". Only
 * meaningful for a controller the checker accepted (no errors).
 */
export function describeClassification(name: string, cls: ControllerClass, costs: readonly CostTermClass[]): string {
  const kinds = new Set<CostAddendKind>();
  for (const c of costs) for (const a of c.addends) kinds.add(a.kind);
  const integ = cls.integrator ? `, ${cls.integrator.method}${cls.integrator.substeps > 1 ? ` x${cls.integrator.substeps}` : ""}` : "";
  const proofs: string[] = [];
  if (kinds.has("gauss_newton")) proofs.push("Gauss-Newton Hessian 2 J'J is PSD by construction");
  if (kinds.has("convex_quadratic")) proofs.push("quadratic weights PSD for every admissible parameter");
  if (kinds.has("general")) proofs.push("general smooth terms: exact Hessian convexified per stage by the solver");
  const terms = [...kinds].sort((a, b) => RANK[a] - RANK[b]).map((k) => KIND_TEXT[k]).join(", ");
  if (cls.kind === "qp")
    return `${name}: linear MPC (one convex QP${integ}): convex for every admissible parameter, affine in the learnables (DPP)${terms ? `; cost terms: ${terms}` : ""}`;
  const method = cls.method === "sqp" ? "SQP" : "real-time iteration";
  const hess = cls.hessian === "exact" ? "exact Hessian" : "Gauss-Newton Hessian";
  return `${name}: nonlinear MPC (${method}, ${hess}${integ}): every QP subproblem is convex${proofs.length ? ` (${proofs.join("; ")})` : ""}${terms ? `; cost terms: ${terms}` : ""}`;
}
