// Size limits (part of the shapes pass): what `check` accepts, `compile` must be able to build in
// reasonable time and memory. The compiler builds one symbolic expression per QP entry (and its
// derivatives in the learnables), so its cost grows with the number of nonzeros of the QP, and a
// state of 1e9 entries or a horizon of 1e9 would exhaust memory long after `check` said ok.
//   MPC3016  a dimension above MAX_DIM, or a value of more than MAX_VALUE_ELEMENTS entries
//   MPC3017  a horizon above MAX_HORIZON
//   MPC3018  a controller whose QP has more than MAX_QP_NONZEROS nonzeros by the estimate below
// The limits and the measurements behind them are in docs/diagnostics.md (MPC3016-MPC3018).

import type { ControllerBlock, Expr } from "../ast.js";
import type { Shape } from "../semantic.js";
import { Ctx, Sym, type BlockScope } from "./context.js";
import { horizonOf } from "./const_eval.js";
import { letOf } from "./scope.js";

/** Largest number of rows or columns of any declaration or expression. */
export const MAX_DIM = 10_000;
/** Largest number of entries of any declaration or expression (a 1000 x 1000 matrix). */
export const MAX_VALUE_ELEMENTS = 1_000_000;
/** Largest horizon. */
export const MAX_HORIZON = 10_000;
/** Largest estimated number of nonzeros of a controller's QP (P and A together). */
export const MAX_QP_NONZEROS = 2_000_000;

const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : String(n));

/** Why a shape is too large, or undefined when it is within the limits. */
export function shapeTooLarge(s: Shape): string | undefined {
  const big = Math.max(s.rows, s.cols);
  if (big > MAX_DIM) return `${fmtInt(big)} ${s.rows === big ? "rows" : "columns"}, more than the limit of ${fmtInt(MAX_DIM)}`;
  const n = s.rows * s.cols;
  if (n > MAX_VALUE_ELEMENTS) return `${fmtInt(n)} entries (${s.rows}x${s.cols}), more than the limit of ${fmtInt(MAX_VALUE_ELEMENTS)}`;
  return undefined;
}

/** Decision variables (states, inputs of the controller) an expression depends on, through lets and `prev`. */
function decisionVars(ctx: Ctx, e: Expr, out: Set<Sym>, lets: Set<Sym>): void {
  switch (e.kind) {
    case "Name": {
      const sym = ctx.resolution.get(e.id);
      if (!sym) return;
      if (sym.isDecisionVar) out.add(sym);
      else if (sym.kind === "let" && !lets.has(sym)) {
        lets.add(sym);
        const l = letOf(sym);
        if (l) decisionVars(ctx, l.value, out, lets);
      }
      return;
    }
    case "Number":
    case "ErrorExpr":
      return;
    case "Array":
      for (const row of e.rows) for (const x of row) decisionVars(ctx, x, out, lets);
      return;
    case "Unary":
    case "Transpose":
      decisionVars(ctx, e.operand, out, lets);
      return;
    case "Paren":
      decisionVars(ctx, e.inner, out, lets);
      return;
    case "Binary":
      decisionVars(ctx, e.left, out, lets);
      decisionVars(ctx, e.right, out, lets);
      return;
    case "Index":
      decisionVars(ctx, e.target, out, lets);
      for (const ix of e.indices) {
        if (ix.kind === "At") decisionVars(ctx, ix.index, out, lets);
        else {
          if (ix.start) decisionVars(ctx, ix.start, out, lets);
          if (ix.end) decisionVars(ctx, ix.end, out, lets);
        }
      }
      return;
    case "Call":
      for (const a of e.args) decisionVars(ctx, a.value, out, lets);
      return;
  }
}

const size = (s: Shape | undefined): number => (s ? s.rows * s.cols : 0);

/** Number of decision-variable entries the expressions depend on (the width of their rows). */
function width(ctx: Ctx, exprs: readonly (Expr | undefined)[]): number {
  const vars = new Set<Sym>();
  const lets = new Set<Sym>();
  for (const e of exprs) if (e) decisionVars(ctx, e, vars, lets);
  let w = 0;
  for (const v of vars) w += size(v.shape);
  return w;
}

export interface QpEstimate {
  readonly variables: number;
  readonly rows: number;
  readonly dynamics: number;
  readonly constraints: number;
  readonly cost: number;
  readonly total: number;
}

/**
 * An upper estimate of the QP of a controller with horizon N: every stage block is counted dense.
 * Variables (N+1)*nx + N*nu + slacks. Rows: x0 pins, dynamics, input and state bounds, constraints
 * (each over N+1 stages at most), slack >= 0. Nonzeros: dynamics N * rows * (width of the right
 * side + 1); a constraint rows * (N+1) * (its width + 1 for a slack); a cost term width^2 (times N
 * for a stage term); one per variable and per bound row.
 */
export function estimateQp(ctx: Ctx, node: ControllerBlock, block: BlockScope, N: number): QpEstimate | undefined {
  let nx = 0;
  let nu = 0;
  for (const sym of block.symbols.values()) {
    if (sym.kind !== "state" && sym.kind !== "input") continue;
    if (!sym.shape) return undefined; // a bad dimension, reported already
    if (sym.kind === "state") nx += size(sym.shape);
    else nu += size(sym.shape);
  }
  let dynamics = 0;
  let constraints = 0;
  let cost = 0;
  let rows = nx; // x0 pins
  let slacks = 0;
  for (const item of node.items) {
    switch (item.kind) {
      case "Decl": {
        const sym = ctx.resolution.get(item.name.id);
        if (sym && item.bounds && (sym.kind === "state" || sym.kind === "input")) {
          const r = (sym.kind === "state" ? N + 1 : N) * size(sym.shape);
          rows += r;
          constraints += r;
        }
        break;
      }
      case "Dynamics": {
        const target = ctx.resolution.get(item.target.id);
        const r = size(target?.shape);
        rows += N * r;
        dynamics += N * r * (width(ctx, [item.rhs]) + 1);
        break;
      }
      case "Objective":
        for (const t of item.terms) {
          const w = width(ctx, [t.expr]);
          cost += (t.costKind === "stage" ? N : 1) * Math.max(1, w * w);
        }
        break;
      case "SubjectTo":
        for (const c of item.constraints) {
          const r = Math.max(1, ...c.operands.map((o) => size(ctx.shapes.get(o.id))));
          const stages = c.terminal ? 1 : N + 1;
          rows += r * stages;
          constraints += r * stages * (width(ctx, c.operands) + (c.soft ? 1 : 0) + 1);
          if (c.soft) {
            slacks += r * stages;
            rows += r * stages;
            constraints += r * stages;
            if (c.penalty?.quadratic) cost += r * stages;
          }
        }
        break;
    }
  }
  const variables = (N + 1) * nx + N * nu + slacks;
  return { variables, rows, dynamics, constraints, cost, total: variables + dynamics + constraints + cost };
}

/** MPC3017 and MPC3018 for each controller. */
export function checkSizeLimits(ctx: Ctx): void {
  for (const block of ctx.blocks) {
    const node = block.node;
    if (node.kind !== "Controller") continue;
    const N = horizonOf(ctx, block.name);
    if (N === undefined || N < 1) continue;
    const setting = node.items.find((i) => i.kind === "ScalarSetting" && i.key === "horizon");
    if (N > MAX_HORIZON) {
      ctx.report({
        severity: "error",
        code: "MPC3017",
        message: `the horizon ${fmtInt(N)} is larger than the limit of ${fmtInt(MAX_HORIZON)}`,
        span: setting && setting.kind === "ScalarSetting" ? setting.value.span : node.name.span,
        label: "too many stages",
        help: "use a shorter horizon (and a terminal cost for what lies beyond it, e.g. `terminal quad(x, dlqr(A, B, Q, R))`)",
      });
      continue;
    }
    const est = estimateQp(ctx, node, block, N);
    if (!est || est.total <= MAX_QP_NONZEROS) continue;
    ctx.report({
      severity: "error",
      code: "MPC3018",
      message: `the QP of \`${node.name.name}\` is too large: about ${fmtInt(est.total)} nonzeros, more than the limit of ${fmtInt(MAX_QP_NONZEROS)}`,
      span: node.name.span,
      label: "QP too large to compile",
      related: setting ? [{ span: setting.span, label: `N = ${fmtInt(N)} stages` }] : undefined,
      notes: [
        `${fmtInt(est.variables)} variables and ${fmtInt(est.rows)} constraint rows; nonzeros (each stage block counted dense): dynamics ${fmtInt(est.dynamics)}, constraints and bounds ${fmtInt(est.constraints)}, cost ${fmtInt(est.cost)}`,
      ],
      help: "shorten the horizon or reduce the state and input dimensions",
    });
  }
}
