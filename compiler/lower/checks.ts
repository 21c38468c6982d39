// Numeric static checks that need numbers (at the initial parameters and default runtime values):
// the cost Hessian is PSD, and the constraint set is nonempty at the plant's initial state
// (a phase-1 problem: the same constraints with zero cost, solved by the runtime QP solver).

import type { ControllerBlock } from "../../language/ast.js";
import type { Diagnostic } from "../../language/diagnostics.js";
import { cholesky, dense } from "../../runtime/linalg/dense.js";
import { QpSolver } from "../../runtime/qp/osqp.js";
import { dataLayout, type QpTemplate } from "../../runtime/mpc/template.js";
import { CompilerCodes } from "./errors.js";

export function numericChecks(t: QpTemplate, block: ControllerBlock, initialState: readonly number[] | undefined): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const L = dataLayout(t);
  const d = new Float64Array(L.length);
  const rt = new Float64Array(t.nRuntime);
  for (const r of t.runtime) rt.set(r.defaultValue, r.offset);
  t.fill(t.theta0, rt, d);
  const objective = block.items.find((i) => i.kind === "Objective");
  const constraints = block.items.filter((i) => i.kind === "SubjectTo");
  // Hessian PSD: a symmetric diagonally dominant P with a nonnegative diagonal is PSD (Gershgorin),
  // which settles the usual diagonal weights at once; otherwise Cholesky of P + eps I.
  const n = t.n;
  if (!d.every((v) => !Number.isNaN(v))) {
    diags.push({ severity: "error", code: CompilerCodes.notConstant, message: "the QP data has NaN entries at the initial parameters", span: (objective ?? block).span });
    return diags;
  }
  if (n <= 2000 && !diagonallyDominant(t, d, L.P)) {
    const P = dense(n, n);
    let scale = 0;
    for (let j = 0; j < n; j++) {
      for (let k = t.P.colPtr[j]; k < t.P.colPtr[j + 1]; k++) {
        const i = t.P.rowIdx[k];
        const v = d[L.P + k];
        P.data[i * n + j] = v;
        P.data[j * n + i] = v;
        scale = Math.max(scale, Math.abs(v));
      }
    }
    const eps = 1e-9 * Math.max(1, scale);
    for (let i = 0; i < n; i++) P.data[i * n + i] += eps;
    if (cholesky(P) === undefined) {
      diags.push({
        severity: "error",
        code: CompilerCodes.nonconvex,
        message: "the cost Hessian is not positive semidefinite at the initial parameters",
        span: (objective ?? block).span,
        notes: ["the QP solver needs a convex cost: check the signs of quadratic terms and of learnable weights"],
      });
    }
  }
  if (initialState !== undefined && initialState.length === t.nx && t.m > 0) {
    const l = d.slice(L.l, L.u);
    const u = d.slice(L.u, L.c);
    for (let i = 0; i < t.nx; i++) {
      l[t.x0Rows[i]] = initialState[i];
      u[t.x0Rows[i]] = initialState[i];
    }
    const solver = new QpSolver(
      {
        n,
        m: t.m,
        P: { rows: n, cols: n, colPtr: new Int32Array(n + 1), rowIdx: new Int32Array(0), values: new Float64Array(0) },
        q: new Float64Array(n),
        A: { rows: t.m, cols: n, colPtr: t.A.colPtr, rowIdx: t.A.rowIdx, values: d.slice(L.A, L.l) },
        l,
        u,
      },
      { epsAbs: 1e-7, epsRel: 1e-7, maxIter: 20000 },
    );
    const res = solver.solve();
    if (res.status === "primal_infeasible") {
      const all = constraints.flatMap((c) => (c.kind === "SubjectTo" ? [...c.constraints] : []));
      const first = all[0];
      diags.push({
        severity: "error",
        code: CompilerCodes.infeasible,
        message: `the constraints are infeasible at the plant's initial state [${initialState.join(", ")}] with the initial parameters`,
        span: (first ?? block).span,
        related: all.slice(1).map((c) => ({ span: c.span, label: "also in the constraint set" })),
        notes: ["phase-1 check: the dynamics, bounds and constraints admit no trajectory from this state", "consider soft constraints (`soft ... penalty linear w`)"],
      });
    }
  }
  return diags;
}

/** Gershgorin: every diagonal entry >= the sum of |off-diagonal| entries of its row. */
function diagonallyDominant(t: QpTemplate, d: Float64Array, offset: number): boolean {
  const diag = new Float64Array(t.n);
  const off = new Float64Array(t.n);
  for (let j = 0; j < t.n; j++) {
    for (let k = t.P.colPtr[j]; k < t.P.colPtr[j + 1]; k++) {
      const i = t.P.rowIdx[k];
      const v = d[offset + k];
      if (i === j) diag[i] += v;
      else {
        off[i] += Math.abs(v);
        off[j] += Math.abs(v);
      }
    }
  }
  for (let i = 0; i < t.n; i++) if (!(diag[i] >= off[i])) return false;
  return true;
}
